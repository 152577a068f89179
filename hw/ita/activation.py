"""The activation unit: identity, ReLU or i-GELU, each followed by its requantizer."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .config import ACC_BITS, Activation
from .layouts import GELU_B_BITS, GELU_C_BITS, RequantLayout
from .requantizer import Requantizer

__all__ = ["ActivationUnit"]

ACC_MAX = 2 ** (ACC_BITS - 1) - 1
ACC_MIN = -(2 ** (ACC_BITS - 1))


class ActivationUnit(wiring.Component):
    """Apply an activation to ``lanes`` int8 values and requantize them; latency 5.

    i-GELU follows ``sw.golden.i_gelu`` (tinyita's sign convention, positive scale)::

        t    = min(|q|, -q_b) + q_b                       stage 1
        t2   = t * t                                       stage 2
        g    = clip26(-q * (sign(q) * (t2 + q_c) + q_c))   stage 3

    then the activation requantizer (stages 4 and 5). Identity and ReLU pass ``q`` or
    ``max(q, 0)`` to the same requantizer.

    Members
    -------
    q : In(ArrayLayout(signed(8), lanes))
    act : In(2)
        An ``Activation`` value; sampled with ``q`` like the constants below.
    gelu_b : In(signed(11)), gelu_c : In(signed(26))
        The i-GELU constants q_b and q_c.
    rq : In(RequantLayout)
        The activation requantizer.
    y : Out(ArrayLayout(signed(8), lanes))
    """

    LATENCY = 3 + Requantizer.LATENCY

    def __init__(self, lanes: int):
        self._lanes = lanes
        super().__init__({
            "q": In(data.ArrayLayout(signed(8), lanes)),
            "act": In(2),
            "gelu_b": In(signed(GELU_B_BITS)), "gelu_c": In(signed(GELU_C_BITS)),
            "rq": In(RequantLayout),
            "y": Out(data.ArrayLayout(signed(8), lanes)),
        })

    def elaborate(self, platform):
        m = Module()
        lanes = self._lanes
        m.submodules.requant = rq = Requantizer(lanes)
        # constants travel with the data
        act = [Signal(2, name=f"act{s}") for s in range(1, 3)]
        qc = [Signal(signed(GELU_C_BITS), name=f"qc{s}") for s in range(1, 3)]
        rqs = [Signal(RequantLayout, name=f"rq{s}") for s in range(1, 4)]
        q = [Signal(data.ArrayLayout(signed(8), lanes), name=f"q{s}") for s in range(1, 3)]
        m.d.sync += [act[0].eq(self.act), qc[0].eq(self.gelu_c), rqs[0].eq(self.rq),
                     q[0].eq(self.q)]
        m.d.sync += [act[1].eq(act[0]), qc[1].eq(qc[0]), q[1].eq(q[0])]
        m.d.sync += [rqs[1].eq(rqs[0]), rqs[2].eq(rqs[1])]
        t = Signal(data.ArrayLayout(signed(GELU_B_BITS + 1), lanes))
        t2 = Signal(data.ArrayLayout(signed(2 * GELU_B_BITS + 2), lanes))
        y = Signal(data.ArrayLayout(signed(ACC_BITS), lanes))
        for j in range(lanes):
            x = self.q[j]
            mag = Mux(x < 0, -x, x)
            lim = -self.gelu_b
            m.d.sync += t[j].eq(Mux(mag < lim, mag, lim) + self.gelu_b)
            m.d.sync += t2[j].eq(t[j] * t[j])
            x2 = q[1][j]
            erf = Mux(x2 > 0, t2[j] + qc[1], Mux(x2 < 0, -(t2[j] + qc[1]), 0))
            g = Signal(signed(GELU_C_BITS + 12), name=f"g{j}")
            m.d.comb += g.eq(-x2 * (erf + qc[1]))
            gelu = Mux(g > ACC_MAX, ACC_MAX, Mux(g < ACC_MIN, ACC_MIN, g))
            m.d.sync += y[j].eq(Mux(act[1] == Activation.GELU, gelu,
                                Mux((act[1] == Activation.RELU) & (x2 < 0), 0, x2)))
        m.d.comb += [rq.x.eq(y), rq.rq.eq(rqs[2]), self.y.eq(rq.y)]
        return m
