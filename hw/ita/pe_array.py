"""The processing-engine array: N dot products of length M on a broadcast input row."""

from amaranth import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .config import ITAConfig
from .tree import tree_reduce

__all__ = ["DotProduct", "PEArray", "OPERAND_BITS", "dot_bits"]

#: Width of an input operand: int8, or the unsigned 8-bit A of the A*V step, as signed 9 bit.
OPERAND_BITS = 9
#: Products summed per register stage inside a dot product.
PARTIAL = 8


def dot_bits(m: int) -> int:
    """Width of a dot product of ``m`` (9-bit x 8-bit) products: |sum| <= m * 255 * 128."""
    return (m * 255 * 128).bit_length() + 1


class DotProduct(wiring.Component):
    """One processing engine: ``d = sum(x[k] * w[k] for k in range(m))``, latency 2.

    The first stage multiplies and adds groups of 8 products; the second adds the groups.
    Each stage loads only for a valid row, so an idle engine's registers hold still (less
    power; on Verilator the idle cluster simulates faster, see docs/simulation.md).

    Members
    -------
    en : In(1)
        The inputs are a valid row: the first stage loads.
    en_sum : In(1)
        ``en`` one cycle later: the second stage loads (``d`` keeps its value otherwise).
    x : In(ArrayLayout(signed(9), m))
        The input row (int8, or uint8 A in the A*V step, sign-extended to 9 bit).
    w : In(ArrayLayout(signed(8), m))
        The engine's weights.
    d : Out(signed(dot_bits(m)))
        The dot product of the inputs two cycles earlier.
    """

    def __init__(self, m: int):
        self._m = m
        super().__init__({
            "en": In(1), "en_sum": In(1),
            "x": In(data.ArrayLayout(signed(OPERAND_BITS), m)),
            "w": In(data.ArrayLayout(signed(8), m)),
            "d": Out(signed(dot_bits(m))),
        })

    def elaborate(self, platform):
        m = Module()
        n = self._m
        width = dot_bits(n)
        partials = []
        for g in range(0, n, PARTIAL):
            p = Signal(signed(width), name=f"partial{g // PARTIAL}")
            prods = [self.x[k] * self.w[k] for k in range(g, min(n, g + PARTIAL))]
            with m.If(self.en):
                m.d.sync += p.eq(tree_reduce(lambda a, b: a + b, prods))
            partials.append(p)
        with m.If(self.en_sum):
            m.d.sync += self.d.eq(tree_reduce(lambda a, b: a + b, partials))
        return m


class PEArray(wiring.Component):
    """N processing engines sharing one broadcast input row; latency 2.

    Parameters
    ----------
    cfg : ITAConfig

    Members
    -------
    en : In(1)
        The input row is valid: ``d`` two cycles later is its dot products (otherwise ``d``
        keeps its last value).
    x : In(ArrayLayout(signed(9), M))
        The input row, broadcast to every engine.
    w : In(ArrayLayout(ArrayLayout(signed(8), M), N))
        Engine j's weights are ``w[j]`` (one column of the weight matrix).
    d : Out(ArrayLayout(signed(dot_bits(M)), N))
        ``d[j]`` is engine j's dot product of the inputs two cycles earlier.
    """

    LATENCY = 2

    def __init__(self, cfg: ITAConfig):
        self._cfg = cfg
        super().__init__({
            "en": In(1),
            "x": In(data.ArrayLayout(signed(OPERAND_BITS), cfg.m)),
            "w": In(data.ArrayLayout(data.ArrayLayout(signed(8), cfg.m), cfg.n)),
            "d": Out(data.ArrayLayout(signed(dot_bits(cfg.m)), cfg.n)),
        })

    def elaborate(self, platform):
        m = Module()
        loaded = Signal()                  # the first stage loaded in the last cycle
        m.d.sync += loaded.eq(self.en)
        for j in range(self._cfg.n):
            pe = m.submodules[f"pe{j}"] = DotProduct(self._cfg.m)
            m.d.comb += [pe.en.eq(self.en), pe.en_sum.eq(loaded), pe.x.eq(self.x),
                         pe.w.eq(self.w[j]), self.d[j].eq(pe.d)]
        return m
