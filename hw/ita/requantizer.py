"""The pipelined requantizer: ``clamp(round_half_up(mult * acc / 2**shift) + add)``."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data
from amaranth.lib.wiring import In, Out

from hw.checked import CheckedComponent

from .config import ACC_BITS
from .layouts import RequantLayout

__all__ = ["Requantizer"]


class Requantizer(CheckedComponent):
    """Requantize ``lanes`` signed accumulators to int8 with one set of constants; latency 2.

    Stage 1 multiplies (``p = mult * acc``, 34 bit); stage 2 shifts arithmetically, adds the
    rounding bit ``bit(p, shift - 1)`` and ``add``, and clamps to -128..127, exactly as
    ``sw.golden.requantize`` (the accumulator needs no clipping: it never leaves 26 bits).

    Parameters
    ----------
    lanes : int
    acc_bits : int
        Width of the signed inputs (at most 26).

    Members
    -------
    x : In(ArrayLayout(signed(acc_bits), lanes))
    rq : In(RequantLayout)
        mult, shift, add; sampled with ``x``.
    y : Out(ArrayLayout(signed(8), lanes))
    """

    LATENCY = 2

    @staticmethod
    def check(lanes: int, acc_bits: int = ACC_BITS) -> None:
        if not 1 <= acc_bits <= ACC_BITS:
            raise ValueError(f"Requantizer acc_bits = {acc_bits}: must be in 1..{ACC_BITS}")

    def __init__(self, lanes: int, acc_bits: int = ACC_BITS):
        self._lanes = lanes
        self._acc_bits = acc_bits
        super().__init__({
            "x": In(data.ArrayLayout(signed(acc_bits), lanes)),
            "rq": In(RequantLayout),
            "y": Out(data.ArrayLayout(signed(8), lanes)),
        })

    def elaborate(self, platform):
        m = Module()
        pbits = self._acc_bits + 9
        prods = Signal(data.ArrayLayout(signed(pbits), self._lanes))
        rq1 = Signal(RequantLayout)
        for j in range(self._lanes):
            m.d.sync += prods[j].eq(self.x[j] * self.rq.mult)
        m.d.sync += rq1.eq(self.rq)
        for j in range(self._lanes):
            p = prods[j]
            shifted = Signal(signed(pbits), name=f"shifted{j}")
            half = Signal(name=f"half{j}")
            r = Signal(signed(pbits + 2), name=f"r{j}")
            m.d.comb += [
                shifted.eq(p >> rq1.shift),
                half.eq(((p << 1) >> rq1.shift)[0]),      # bit(p, shift - 1); 0 for shift 0
                r.eq(shifted + half + rq1.add),
            ]
            m.d.sync += self.y[j].eq(Mux(r > 127, 127, Mux(r < -128, -128, r)))
        return m
