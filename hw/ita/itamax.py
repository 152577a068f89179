"""ITAMax: the streaming integer softmax, in three stages around the matrix pipeline."""

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from .config import ITAConfig
from .divider import InverseDivider
from .tree import tree_reduce

__all__ = ["ITAMax"]


def _rs(d, k: int):
    """floor(d / 2**k + 1/2) for non-negative d."""
    return d if k == 0 else (d + (1 << (k - 1))) >> k


class ITAMax(wiring.Component):
    """Streaming softmax of the QK logits of one block of M rows (``sw.golden.itamax``).

    - Stage 1 (as QK results stream out, N columns of one row per cycle): the max finder
      compares the group's maximum with the stored row maximum, the sum accumulator
      renormalises the stored row sum by ``>> rs(m - max)`` and adds ``256 >> rs(m - x)`` of
      the group. Latency 2; a row is revisited M cycles later at the earliest.
    - Stage 2: after a row's last group its sum enters the pipelined divider
      (``inv = floor(65280 / sum)``, latency 8).
    - Stage 3 (as A*V reads the logits back, M columns of one row per cycle): ``A = inv >>
      rs(max - x)``, unsigned 8 bit, latency 1.

    Per-row state (max, sum, inv) lives in small memories of M entries.

    Members
    -------
    s1_valid : In(1), s1_row : In(range(M)), s1_first : In(1), s1_last : In(1)
        A group of row ``s1_row``; ``s1_first``/``s1_last`` mark the row's first and last.
    s1_x : In(ArrayLayout(signed(8), N))
        The group's logits.
    s3_row : In(range(M)), s3_x : In(ArrayLayout(signed(8), M))
        A row of logits to normalise.
    s3_a : Out(ArrayLayout(unsigned(8), M))
        A of the logits presented one cycle earlier.
    busy : Out(1)
        Stage 1 or the divider holds work.
    """

    S1_LATENCY = 2
    S3_LATENCY = 1

    def __init__(self, cfg: ITAConfig):
        self._cfg = cfg
        super().__init__({
            "s1_valid": In(1), "s1_row": In(range(cfg.m)), "s1_first": In(1),
            "s1_last": In(1), "s1_x": In(data.ArrayLayout(signed(8), cfg.n)),
            "s3_row": In(range(cfg.m)), "s3_x": In(data.ArrayLayout(signed(8), cfg.m)),
            "s3_a": Out(data.ArrayLayout(unsigned(8), cfg.m)),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        k = cfg.softmax_shift
        sum_bits = cfg.sum_bits
        m.submodules.row_max = row_max = memory.Memory(shape=signed(8), depth=cfg.m, init=[])
        m.submodules.row_sum = row_sum = memory.Memory(shape=sum_bits, depth=cfg.m, init=[])
        m.submodules.row_inv = row_inv = memory.Memory(shape=8, depth=cfg.m, init=[])
        m.submodules.divider = div = InverseDivider(sum_bits, len(self.s1_row))

        # --- stage 1, cycle 1: group maximum, read the row's state
        max_rd, sum_rd = row_max.read_port(domain="comb"), row_sum.read_port(domain="comb")
        m.d.comb += [max_rd.addr.eq(self.s1_row), sum_rd.addr.eq(self.s1_row)]
        v1, last1 = Signal(), Signal()
        row1 = Signal.like(self.s1_row)
        x1 = Signal.like(self.s1_x)
        gmax1, old_max1 = Signal(signed(8)), Signal(signed(8))
        old_sum1 = Signal(sum_bits)
        gmax = tree_reduce(lambda a, b: Mux(a > b, a, b), list(self.s1_x))
        m.d.sync += [v1.eq(self.s1_valid), last1.eq(self.s1_last), row1.eq(self.s1_row),
                     x1.eq(self.s1_x), gmax1.eq(gmax),
                     old_max1.eq(Mux(self.s1_first, -128, max_rd.data)),
                     old_sum1.eq(Mux(self.s1_first, 0, sum_rd.data))]

        # --- stage 1, cycle 2: renormalise and add the group, write the state back
        new_max = Signal(signed(8))
        m.d.comb += new_max.eq(Mux(gmax1 > old_max1, gmax1, old_max1))
        exps = []
        for c in range(cfg.n):
            s = Signal(8, name=f"exp_shift{c}")
            m.d.comb += s.eq(_rs((new_max - x1[c]).as_unsigned()[:8], k))
            exps.append(Mux(s > 8, 0, Signal(9, init=256) >> s))
        sum_shift = Signal(8)
        m.d.comb += sum_shift.eq(_rs((new_max - old_max1).as_unsigned()[:8], k))
        new_sum = Signal(sum_bits)
        m.d.comb += new_sum.eq((old_sum1 >> sum_shift) + tree_reduce(lambda a, b: a + b, exps))
        max_wr, sum_wr = row_max.write_port(), row_sum.write_port()
        m.d.comb += [max_wr.addr.eq(row1), max_wr.data.eq(new_max), max_wr.en.eq(v1),
                     sum_wr.addr.eq(row1), sum_wr.data.eq(new_sum), sum_wr.en.eq(v1)]

        # --- stage 2: the divider, then store inv
        m.d.sync += [div.i_valid.eq(v1 & last1), div.i_divisor.eq(new_sum), div.i_tag.eq(row1)]
        inv_wr = row_inv.write_port()
        m.d.comb += [inv_wr.addr.eq(div.o_tag), inv_wr.data.eq(div.o_quotient),
                     inv_wr.en.eq(div.o_valid)]

        # --- stage 3: normalise a row of logits
        max3, inv3 = row_max.read_port(domain="comb"), row_inv.read_port(domain="comb")
        m.d.comb += [max3.addr.eq(self.s3_row), inv3.addr.eq(self.s3_row)]
        for c in range(cfg.m):
            d = Signal(signed(10), name=f"a_diff{c}")
            s = Signal(8, name=f"a_shift{c}")
            m.d.comb += [d.eq(max3.data - self.s3_x[c]),
                         s.eq(_rs(Mux(d < 0, 0, d).as_unsigned()[:8], k))]
            m.d.sync += self.s3_a[c].eq(Mux(s > 7, 0, inv3.data >> s))

        m.d.comb += self.busy.eq(v1 | div.i_valid | div.busy)
        return m
