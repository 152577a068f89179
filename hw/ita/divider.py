"""A pipelined restoring divider for ITAMax's inversion ``floor(65280 / sum)``."""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["InverseDivider", "DIVIDEND"]

#: 255 * 256: the numerator of ITAMax's inversion.
DIVIDEND = 65280


class InverseDivider(wiring.Component):
    """Compute ``floor(65280 / divisor)`` for divisors >= 256 (an 8-bit quotient), one new
    division per cycle, latency 8: stage b (7 down to 0) subtracts ``divisor << b`` when it
    fits. A divisor of 0 gives 255. A tag (the row) travels with each division.

    The reference engine uses several serial dividers, so A*V of a row block waits about M/D
    division times; a pipeline costs about as many subtractors and makes the wait 8 cycles.

    Parameters
    ----------
    divisor_bits : int
    tag_bits : int

    Members
    -------
    i_valid : In(1), i_divisor : In(divisor_bits), i_tag : In(tag_bits)
    o_valid : Out(1), o_quotient : Out(8), o_tag : Out(tag_bits)
        The result of the division started 8 cycles earlier.
    busy : Out(1)
        A division is in the pipeline.
    """

    LATENCY = 8

    def __init__(self, divisor_bits: int, tag_bits: int):
        self._dbits = divisor_bits
        super().__init__({
            "i_valid": In(1), "i_divisor": In(divisor_bits), "i_tag": In(tag_bits),
            "o_valid": Out(1), "o_quotient": Out(8), "o_tag": Out(tag_bits),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        valid, rem, div, quo, tag = self.i_valid, DIVIDEND, self.i_divisor, 0, self.i_tag
        valids = []
        for b in range(7, -1, -1):
            n_valid, n_rem = Signal(name=f"valid{b}"), Signal(16, name=f"rem{b}")
            n_div, n_quo = Signal(self._dbits, name=f"div{b}"), Signal(8, name=f"quo{b}")
            n_tag = Signal.like(self.i_tag, name=f"tag{b}")
            step = div << b
            fits = rem >= step
            m.d.sync += [n_valid.eq(valid), n_rem.eq(Mux(fits, rem - step, rem)),
                         n_div.eq(div), n_quo.eq(quo | (fits << b)), n_tag.eq(tag)]
            valid, rem, div, quo, tag = n_valid, n_rem, n_div, n_quo, n_tag
            valids.append(n_valid)
        m.d.comb += [self.o_valid.eq(valid), self.o_quotient.eq(quo), self.o_tag.eq(tag),
                     self.busy.eq(Cat(*valids).any())]
        return m
