"""The integer ALU (combinational)."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .isa import AluOp

__all__ = ["ALU"]


class ALU(wiring.Component):
    """``y = a OP b`` for the RV32I register and immediate operations.

    Members
    -------
    a, b : In(32)
    op : In(AluOp)
    y : Out(32)
    """

    a: In(32)
    b: In(32)
    op: In(AluOp)
    y: Out(32)

    def elaborate(self, platform):
        m = Module()
        a, b = self.a, self.b
        sh = b[0:5]
        with m.Switch(self.op):
            with m.Case(AluOp.ADD):
                m.d.comb += self.y.eq(a + b)
            with m.Case(AluOp.SUB):
                m.d.comb += self.y.eq(a - b)
            with m.Case(AluOp.SLL):
                m.d.comb += self.y.eq(a << sh)
            with m.Case(AluOp.SLT):
                m.d.comb += self.y.eq(a.as_signed() < b.as_signed())
            with m.Case(AluOp.SLTU):
                m.d.comb += self.y.eq(a < b)
            with m.Case(AluOp.XOR):
                m.d.comb += self.y.eq(a ^ b)
            with m.Case(AluOp.SRL):
                m.d.comb += self.y.eq(a >> sh)
            with m.Case(AluOp.SRA):
                m.d.comb += self.y.eq(a.as_signed() >> sh)
            with m.Case(AluOp.OR):
                m.d.comb += self.y.eq(a | b)
            with m.Case(AluOp.AND):
                m.d.comb += self.y.eq(a & b)
        return m
