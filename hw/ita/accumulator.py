"""The partial-sum buffer of an M x M output tile, with the bias added at the last inner tile."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from .config import ACC_BITS, BIAS_BITS, ITAConfig
from .pe_array import dot_bits

__all__ = ["Accumulator"]


class Accumulator(wiring.Component):
    """Accumulate the N dot products of each row across the inner tiles of an output tile.

    Entry ``addr = ch * M + r`` holds the N partial sums of row ``r``, chunk ``ch``. At the
    first inner tile the dot products start a new sum; at the last, the sum plus the bias goes
    out (and is not stored). Latency 2: inputs at cycle t, ``sum`` at t + 2. The entry is read
    at t and written at t + 1, so an entry may be revisited from t + 2 on (the engine revisits
    it after M rows).

    Members
    -------
    valid : In(1)
    addr : In(range(M * M / N))
    first, last : In(1)
        First and last inner tile.
    d : In(ArrayLayout(signed(dot_bits(M)), N))
    bias : In(ArrayLayout(signed(24), N))
        Added when ``last`` (drive zeros for a step without bias).
    sum : Out(ArrayLayout(signed(26), N))
        ``(first ? 0 : stored) + d + (last ? bias : 0)`` of the inputs two cycles earlier; the
        configuration guarantees it fits 26 bits.
    """

    LATENCY = 2

    def __init__(self, cfg: ITAConfig):
        self._cfg = cfg
        n = cfg.n
        super().__init__({
            "valid": In(1), "addr": In(range(cfg.m * cfg.m // n)),
            "first": In(1), "last": In(1),
            "d": In(data.ArrayLayout(signed(dot_bits(cfg.m)), n)),
            "bias": In(data.ArrayLayout(signed(BIAS_BITS), n)),
            "sum": Out(data.ArrayLayout(signed(ACC_BITS), n)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        lanes = data.ArrayLayout(signed(ACC_BITS), cfg.n)
        m.submodules.store = store = memory.Memory(shape=lanes, depth=cfg.m * cfg.m // cfg.n,
                                                   init=[])
        rd = store.read_port()
        wr = store.write_port()
        # stage A: read the entry, register the inputs
        a_valid, a_first, a_last = Signal(), Signal(), Signal()
        a_addr = Signal.like(self.addr)
        a_d = Signal.like(self.d)
        a_bias = Signal.like(self.bias)
        m.d.comb += [rd.addr.eq(self.addr), rd.en.eq(1)]
        m.d.sync += [a_valid.eq(self.valid), a_first.eq(self.first), a_last.eq(self.last),
                     a_addr.eq(self.addr), a_d.eq(self.d),
                     a_bias.eq(Mux(self.last, self.bias, 0))]
        # stage B: add, write back the partial sum, register the result
        total = Signal(lanes)
        for j in range(cfg.n):
            m.d.comb += total[j].eq(Mux(a_first, 0, rd.data[j]) + a_d[j] + a_bias[j])
        m.d.comb += [wr.addr.eq(a_addr), wr.data.eq(total), wr.en.eq(a_valid & ~a_last)]
        m.d.sync += self.sum.eq(total)
        return m
