"""A walker: the commands one streamer needs for each job, one per step and row tile."""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.ita.config import ITAConfig
from hw.ita.layouts import tiles_bits
from hw.ita.sequencer import Granularity, TileSequencer
from hw.ita.steps import (
    StepKind,
    step_bias_per_row,
    step_dims_hw,
    step_needs_drain,
    step_weights_need_drain,
)

from .address_generator import CommandLayout
from .control import CONTEXT_REGS
from .layout import A_POINTER, B_POINTER, BIAS_POINTER, OUT_POINTER, select_pointer
from .regmap import CONTEXT_BASE, POINTERS, REGMAP

__all__ = ["StreamKind", "StreamWalker", "EngineStatusLayout", "context_field",
           "select_context"]


class StreamKind(enum.Enum):
    INPUT = 0
    WEIGHT = 1
    BIAS = 2
    OUTPUT = 3


EngineStatusLayout = data.StructLayout({
    "walking": 1, "step": 3, "step_at": 8, "step_slot": 1, "step_start": 1, "drained": 1,
})
"""What the walkers see of the engine: its issue position and whether it is empty."""


def context_field(ctx, reg: str, field: str | None = None):
    """A register (or one of its fields) of a context's storage, as an Amaranth value."""
    word = ctx[(REGMAP[reg].offset - CONTEXT_BASE) // 4]
    if field is None:
        return word
    f = REGMAP[reg].field(field)
    v = word[f.lsb:f.lsb + f.width]
    return v.as_signed() if f.signed else v


def select_context(m: Module, contexts, index, name: str) -> Signal:
    """The registers of context ``index`` as a new signal: a chain of multiplexers (indexing
    the array view with a value makes a wide ``Part`` that is slow to elaborate, and a
    ``Switch`` over a number of contexts that is not a power of two is an incomplete case)."""
    out = Signal(contexts.shape().elem_shape, name=name)
    value = contexts[0].as_value()
    for i in range(1, contexts.shape().length):
        value = Mux(index == i, contexts[i].as_value(), value)
    m.d.comb += out.eq(value)
    return out


class StreamWalker(wiring.Component):
    """Walk the dispatched jobs in order and emit one streamer command per step and row tile.

    For a step of R x I x C tiles (``hw.ita.steps``) with matrices dense in memory (row length
    I*M bytes for A and B^T, C*M for the output) the command of row tile ``rt`` covers:

    - input: rows ``rt*M .. rt*M+M`` of A, for each column tile (repeated) and inner tile:
      d0 = (M, I*M), d1 = (I, M), d2 = (C, 0);
    - weight: rows of B^T per column tile and inner tile: d0 = (M, I*M), d1 = (I, M),
      d2 = (C, M*I*M);
    - bias: four beats (M int32) per column tile: d0 = (4, M), d1 = (C, 4M) (per row for V:
      the row tile's biases, d1 = (C, 0));
    - output: rows of the output: d0 = (M, C*M), d1 = (C, M).

    QK and AV use the row tile ``at`` of their A and output matrices. A walker for inputs
    (weights) holds the command of a step whose inputs (weights) are outputs of the job
    until the engine's issue has reached that step and the engine is drained, so the memory
    holds them before the streamer reads. Source walkers start a job only when it is the
    oldest or may overlap. Each dispatch of a context is walked once.

    Members
    -------
    ctx : In(ArrayLayout(ArrayLayout(32, n), contexts))
    dispatched, ok : In(contexts)
        Contexts handed to the datapath; without error.
    head : In(range(contexts))
    eslot : In(contexts)
        The engine slot of each dispatched context.
    engine : In(EngineStatusLayout)
    cmd : Out(stream.Signature(CommandLayout))
    """

    def __init__(self, cfg: ITAConfig, kind: StreamKind, contexts: int):
        self._cfg, self._kind, self._contexts = cfg, StreamKind(kind), contexts
        super().__init__({
            "ctx": In(data.ArrayLayout(data.ArrayLayout(32, len(CONTEXT_REGS)), contexts)),
            "dispatched": In(contexts), "ok": In(contexts), "head": In(range(contexts)),
            "eslot": In(contexts), "engine": In(EngineStatusLayout),
            "cmd": Out(stream.Signature(CommandLayout)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, kind_of_stream, nctx = self._cfg, self._kind, self._contexts
        lg = cfg.m.bit_length() - 1
        gran = Granularity.BIAS_ROW_TILE if kind_of_stream is StreamKind.BIAS \
            else Granularity.ROW_TILE
        m.submodules.seq = seq = TileSequencer(cfg, gran)

        cur, active, starting = Signal(range(nctx)), Signal(), Signal()
        ctx = Signal(data.ArrayLayout(32, len(CONTEXT_REGS)))   # the job's registers
        mode = context_field(ctx, "CTRL", "mode")[:2]
        t = tiles_bits(cfg)
        sizes = {n: context_field(ctx, "SIZES", n)[:t] for n in "sepf"}
        m.d.comb += [seq.mode.eq(mode), *[getattr(seq, n).eq(v) for n, v in sizes.items()]]
        # a context is walked once per dispatch: without this a walker that finished a short
        # job could come round the ring to a context whose job is still running and walk it
        # again (three one-tile jobs back to back through two contexts did)
        walked = Signal(nctx)
        for i in range(nctx):
            with m.If(~self.dispatched[i]):
                m.d.sync += walked[i].eq(0)
        here = self.dispatched.bit_select(cur, 1) & ~walked.bit_select(cur, 1)
        good = self.ok.bit_select(cur, 1)
        offered = select_context(m, self.ctx, cur, "offered")
        overlap = context_field(offered, "CTRL", "overlap")
        may = overlap | (self.head == cur) if kind_of_stream is not StreamKind.OUTPUT else 1
        go = ~active & ~starting & here & good & may
        m.d.sync += starting.eq(go)
        m.d.comb += seq.start.eq(starting)          # a cycle later: ctx holds the job
        with m.If(go | (~active & here & ~good)):
            for i in range(nctx):
                with m.If(cur == i):
                    m.d.sync += walked[i].eq(1)
        with m.If(go):
            m.d.sync += [ctx.eq(offered), active.eq(1)]
        with m.If((active & ~starting & seq.done) | (~active & here & ~good)):
            m.d.sync += [active.eq(0), cur.eq(Mux(cur == nctx - 1, 0, cur + 1))]

        # --- the command of (kind, at, rt)
        kind, at, rt = seq.kind, seq.at, seq.rt
        _, inner, cols = step_dims_hw(kind, mode, sizes["s"], sizes["e"], sizes["p"],
                                      sizes["f"])
        pointers = [context_field(ctx, name) for name in POINTERS]
        row0 = Mux((kind == StepKind.QK) | (kind == StepKind.AV), at, rt)
        ld_in = Signal(range((cfg.max_tiles << lg) + 1))       # bytes per row of A and B^T
        ld_out = Signal(range((cfg.max_tiles << lg) + 1))      # bytes per output row
        m.d.comb += [ld_in.eq(inner << lg), ld_out.eq(cols << lg)]
        c = Signal(CommandLayout)
        m.d.comb += [c.len2.eq(1), c.stride2.eq(0), c.last.eq(seq.last_pos)]
        if kind_of_stream is StreamKind.INPUT:
            m.d.comb += [c.base.eq(select_pointer(A_POINTER, kind, mode, pointers)
                                   + (row0 << lg) * ld_in),
                         c.len0.eq(cfg.m), c.stride0.eq(ld_in), c.len1.eq(inner),
                         c.stride1.eq(cfg.m), c.len2.eq(cols), c.stride2.eq(0)]
            wait_for = step_needs_drain(kind, at)
        elif kind_of_stream is StreamKind.WEIGHT:
            m.d.comb += [c.base.eq(select_pointer(B_POINTER, kind, mode, pointers)),
                         c.len0.eq(cfg.m), c.stride0.eq(ld_in), c.len1.eq(inner),
                         c.stride1.eq(cfg.m), c.len2.eq(cols), c.stride2.eq(ld_in << lg)]
            wait_for = step_weights_need_drain(kind, at)
        elif kind_of_stream is StreamKind.BIAS:
            per_row = step_bias_per_row(kind)
            m.d.comb += [c.base.eq(select_pointer(BIAS_POINTER, kind, mode, pointers)
                                   + Mux(per_row, rt << (lg + 2), 0)),
                         c.len0.eq(4), c.stride0.eq(cfg.m), c.len1.eq(cols),
                         c.stride1.eq(Mux(per_row, 0, 4 * cfg.m))]
            wait_for = 0
        else:
            m.d.comb += [c.base.eq(select_pointer(OUT_POINTER, kind, mode, pointers)
                                   + (row0 << lg) * ld_out),
                         c.len0.eq(cfg.m), c.stride0.eq(ld_out), c.len1.eq(cols),
                         c.stride1.eq(cfg.m)]
            wait_for = 0

        e = self.engine
        engine_there = (e.walking & e.step_start & e.drained
                        & (e.step_slot == self.eslot.bit_select(cur, 1))
                        & (e.step == kind.as_value()) & (e.step_at == at))
        hold = seq.step_start & wait_for & ~engine_there
        # the command goes out through a register
        take = active & ~starting & seq.valid & ~hold
        with m.If(~self.cmd.valid | self.cmd.ready):
            m.d.sync += [self.cmd.valid.eq(take), self.cmd.payload.eq(c)]
            m.d.comb += seq.advance.eq(take)
        return m
