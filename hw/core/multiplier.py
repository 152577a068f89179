"""The single-cycle multiplier: MUL, MULH, MULHSU, MULHU."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Multiplier"]


class Multiplier(wiring.Component):
    """A 33 x 33-bit signed product of the operands (sign- or zero-extended by ``funct3``),
    returning its low or high word (combinational).

    Members
    -------
    a, b : In(32)
    f3 : In(3)
        0 MUL, 1 MULH, 2 MULHSU, 3 MULHU.
    y : Out(32)
    """

    a: In(32)
    b: In(32)
    f3: In(3)
    y: Out(32)

    def elaborate(self, platform):
        m = Module()
        a_signed = (self.f3 == 1) | (self.f3 == 2)
        b_signed = self.f3 == 1
        a = Signal(signed(33))
        b = Signal(signed(33))
        m.d.comb += [a.eq(Mux(a_signed, self.a.as_signed(), self.a)),
                     b.eq(Mux(b_signed, self.b.as_signed(), self.b))]
        p = Signal(signed(66))
        m.d.comb += [p.eq(a * b), self.y.eq(Mux(self.f3 == 0, p[0:32], p[32:64]))]
        return m
