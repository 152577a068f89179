"""A 32-bit xorshift generator for stall patterns."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Xorshift"]


class Xorshift(wiring.Component):
    """Marsaglia's xorshift32, one step per cycle; ``seed`` is loaded while ``load``.

    Members
    -------
    load : In(1), seed : In(32)
        A zero seed is replaced by 1 (xorshift never leaves 0).
    value : Out(32)
    """

    load: In(1)
    seed: In(32)
    value: Out(32, init=1)

    def elaborate(self, platform):
        m = Module()
        x1, x2, x3 = Signal(32), Signal(32), Signal(32)
        m.d.comb += [x1.eq(self.value ^ (self.value << 13)[:32]), x2.eq(x1 ^ (x1 >> 17)),
                     x3.eq(x2 ^ (x2 << 5)[:32])]
        with m.If(self.load):
            m.d.sync += self.value.eq(self.seed | (self.seed == 0))
        with m.Else():
            m.d.sync += self.value.eq(x3)
        return m
