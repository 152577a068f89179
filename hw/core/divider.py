"""The iterative divider: DIV, DIVU, REM, REMU in 33 cycles."""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Divider"]


class Divider(wiring.Component):
    """Divide with one quotient bit per cycle (restoring division on magnitudes), with
    RISC-V's results for the special cases: x / 0 = -1 (all ones) and x % 0 = x;
    -2**31 / -1 = -2**31 and -2**31 % -1 = 0.

    Members
    -------
    start : In(1)
        Begin a division of ``a`` by ``b`` (ignored while busy).
    a, b : In(32)
    f3 : In(3)
        4 DIV, 5 DIVU, 6 REM, 7 REMU.
    busy : Out(1)
    done : Out(1)
        Pulses with ``y`` valid, 33 cycles after ``start``.
    y : Out(32)
    """

    start: In(1)
    a: In(32)
    b: In(32)
    f3: In(3)
    busy: Out(1)
    done: Out(1)
    y: Out(32)

    def elaborate(self, platform):
        m = Module()
        signed_op = ~self.f3[0]
        want_rem = self.f3[1]
        neg_a = signed_op & self.a[31]
        neg_b = signed_op & self.b[31]
        quo, rem, div = Signal(32), Signal(33), Signal(32)
        count = Signal(range(33))
        q_neg, r_neg, is_rem, by_zero = Signal(), Signal(), Signal(), Signal()
        dividend = Signal(32)
        m.d.sync += self.done.eq(0)
        with m.If(self.start & ~self.busy):
            m.d.sync += [self.busy.eq(1), count.eq(0), rem.eq(0),
                         quo.eq(Mux(neg_a, -self.a, self.a)),
                         div.eq(Mux(neg_b, -self.b, self.b)),
                         q_neg.eq(neg_a ^ neg_b), r_neg.eq(neg_a), is_rem.eq(want_rem),
                         by_zero.eq(self.b == 0), dividend.eq(self.a)]
        with m.Elif(self.busy):
            with m.If(count == 32):
                q = Mux(q_neg, -quo, quo)
                r = Mux(r_neg, -rem[0:32], rem[0:32])
                m.d.sync += [self.busy.eq(0), self.done.eq(1),
                             self.y.eq(Mux(by_zero, Mux(is_rem, dividend, 0xFFFF_FFFF),
                                           Mux(is_rem, r, q)))]
            with m.Else():
                trial = Signal(34)
                shifted = Signal(33)
                m.d.comb += [shifted.eq((rem << 1) | quo[31]), trial.eq(shifted - div)]
                fits = ~trial[33]
                m.d.sync += [rem.eq(Mux(fits, trial[0:33], shifted)),
                             quo.eq((quo << 1) | fits), count.eq(count + 1)]
        return m
