"""ITAMax: the streaming integer softmax, in three stages around the matrix pipeline."""

from amaranth import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from .config import ITAConfig
from .divider import InverseDivider
from .layouts import SOFTMAX_SHIFT_BITS
from .tree import tree_reduce

__all__ = ["ITAMax"]


def _rs(d, k):
    """floor(d / 2**k + 1/2) for a non-negative 8-bit ``d`` and a 3-bit shift ``k``."""
    half = (Const(1, 8) << k)[1:8]        # 2**k / 2: 0 for k = 0
    return (d + half) >> k


class ITAMax(wiring.Component):
    """Streaming softmax of the QK logits of one block of M rows (``sw.golden.itamax``).

    With ``rs(d) = floor(d / 2**k + 1/2)``, where the shift ``k`` comes with each group and
    each row (jobs overlap, so stage 1 and stage 3 may work for different jobs):

    - Stage 1 (as QK results stream out: a row's M/N groups of N columns in consecutive
      issues, then the next row): the max finder compares the group's maximum with the row's
      running maximum, the sum accumulator renormalises the running sum by ``>> rs(m - max)``
      and adds ``256 >> rs(m - x)`` of the group. A masked column (a key past the job's valid
      length) counts as -128 for the maximum and adds no term. The running state of the
      current row is in a register; between column tiles it is kept in small memories of M
      entries. Latency 2.
    - Stage 2: after a row's last group its sum enters the pipelined divider
      (``inv = floor(65280 / sum)``, latency 8).
    - Stage 3 (as A*V reads the logits back, M columns of one row at a time): ``A = inv >>
      rs(max - x)``, unsigned 8 bit, and 0 for a masked column; latency 1.

    Members
    -------
    s1_valid : In(1), s1_row : In(range(M)), s1_x : In(ArrayLayout(signed(8), N))
        A group of row ``s1_row``.
    s1_k : In(3)
        The shift k of the group's job.
    s1_mask : In(N)
        Bit j set: column j of the group is a real key; clear: it is masked.
    s1_row_first : In(1)
        The row's first group (first column tile, first chunk): start from max -128, sum 0.
    s1_tile_first, s1_tile_last : In(1)
        The row's first and last group within a column tile: load and store the row's state.
    s1_row_last : In(1)
        The row's last group: invert its sum.
    s3_row : In(range(M)), s3_x : In(ArrayLayout(signed(8), M))
        A row of logits to normalise.
    s3_k : In(3)
        The shift k of the row's job.
    s3_mask : In(M)
        Bit c set: column c of the row is a real key; clear: its A is 0.
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
            "s1_valid": In(1), "s1_row": In(range(cfg.m)),
            "s1_x": In(data.ArrayLayout(signed(8), cfg.n)),
            "s1_k": In(SOFTMAX_SHIFT_BITS), "s1_mask": In(cfg.n),
            "s1_row_first": In(1), "s1_tile_first": In(1), "s1_tile_last": In(1),
            "s1_row_last": In(1),
            "s3_row": In(range(cfg.m)), "s3_x": In(data.ArrayLayout(signed(8), cfg.m)),
            "s3_k": In(SOFTMAX_SHIFT_BITS), "s3_mask": In(cfg.m),
            "s3_a": Out(data.ArrayLayout(unsigned(8), cfg.m)),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        sum_bits = cfg.sum_bits
        m.submodules.row_max = row_max = memory.Memory(shape=signed(8), depth=cfg.m, init=[])
        m.submodules.row_sum = row_sum = memory.Memory(shape=sum_bits, depth=cfg.m, init=[])
        m.submodules.row_inv = row_inv = memory.Memory(shape=8, depth=cfg.m, init=[])
        m.submodules.divider = div = InverseDivider(sum_bits, len(self.s1_row))

        # --- stage 1, cycle 1: group maximum (a masked column counts as -128)
        v1, row_first1, tile_first1, tile_last1, row_last1 = (Signal(name=n) for n in (
            "v1", "row_first1", "tile_first1", "tile_last1", "row_last1"))
        row1 = Signal.like(self.s1_row)
        x1 = Signal.like(self.s1_x)
        k1 = Signal.like(self.s1_k)
        mask1 = Signal.like(self.s1_mask)
        gmax1 = Signal(signed(8))
        gmax = tree_reduce(lambda a, b: Mux(a > b, a, b),
                           [Mux(self.s1_mask[c], self.s1_x[c], -128) for c in range(cfg.n)])
        m.d.sync += [v1.eq(self.s1_valid), row1.eq(self.s1_row), x1.eq(self.s1_x),
                     k1.eq(self.s1_k), mask1.eq(self.s1_mask),
                     gmax1.eq(gmax), row_first1.eq(self.s1_row_first),
                     tile_first1.eq(self.s1_tile_first), tile_last1.eq(self.s1_tile_last),
                     row_last1.eq(self.s1_row_last)]

        # --- stage 1, cycle 2: renormalise and add the group to the row's running state
        max_rd, sum_rd = row_max.read_port(domain="comb"), row_sum.read_port(domain="comb")
        m.d.comb += [max_rd.addr.eq(row1), sum_rd.addr.eq(row1)]
        run_max, old_max = Signal(signed(8)), Signal(signed(8))
        run_sum, old_sum = Signal(sum_bits), Signal(sum_bits)
        m.d.comb += [
            old_max.eq(Mux(row_first1, -128, Mux(tile_first1, max_rd.data, run_max))),
            old_sum.eq(Mux(row_first1, 0, Mux(tile_first1, sum_rd.data, run_sum))),
        ]
        new_max = Signal(signed(8))
        m.d.comb += new_max.eq(Mux(gmax1 > old_max, gmax1, old_max))
        exps = []
        for c in range(cfg.n):
            s = Signal(8, name=f"exp_shift{c}")
            m.d.comb += s.eq(_rs((new_max - x1[c]).as_unsigned()[:8], k1))
            exps.append(Mux(mask1[c] & (s <= 8), Const(256, 9) >> s, 0))
        sum_shift = Signal(8)
        m.d.comb += sum_shift.eq(_rs((new_max - old_max).as_unsigned()[:8], k1))
        new_sum = Signal(sum_bits)
        m.d.comb += new_sum.eq((old_sum >> sum_shift) + tree_reduce(lambda a, b: a + b, exps))
        with m.If(v1):
            m.d.sync += [run_max.eq(new_max), run_sum.eq(new_sum)]
        max_wr, sum_wr = row_max.write_port(), row_sum.write_port()
        m.d.comb += [max_wr.addr.eq(row1), max_wr.data.eq(new_max),
                     max_wr.en.eq(v1 & tile_last1),
                     sum_wr.addr.eq(row1), sum_wr.data.eq(new_sum),
                     sum_wr.en.eq(v1 & tile_last1)]

        # --- stage 2: the divider, then store inv
        m.d.sync += [div.i_valid.eq(v1 & row_last1), div.i_divisor.eq(new_sum),
                     div.i_tag.eq(row1)]
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
                         s.eq(_rs(Mux(d < 0, 0, d).as_unsigned()[:8], self.s3_k))]
            m.d.sync += self.s3_a[c].eq(Mux(self.s3_mask[c] & (s <= 7), inv3.data >> s, 0))

        m.d.comb += self.busy.eq(v1 | div.i_valid | div.busy)
        return m
