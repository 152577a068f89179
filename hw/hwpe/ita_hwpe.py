"""The ITA engine behind an HWPE shell: programmed through registers, reading and writing the
TCDM through streamers."""

from amaranth import Cat, Module, Mux, ResetInserter, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature
from hw.checked import CheckedComponent
from hw.config import L1_BASE
from hw.ita.config import ITAConfig
from hw.ita.ita import ITA
from hw.ita.layouts import tiles_bits

from .control import CONTEXT_REGS, HWPEControl
from .job_check import SIZES_USED, JobChecker
from .regbus import RegBusSignature
from .sink_streamer import SinkStreamer
from .source_streamer import SourceStreamer
from .tcdm_mux import TCDMMux
from .walker import StreamKind, StreamWalker, context_field, select_context

__all__ = ["ITAHWPE"]

_RQ_REGS = ("RQ_Q", "RQ_K", "RQ_V", "RQ_QK", "RQ_AV", "RQ_OW", "RQ_F1", "RQ_F2")


class _Datapath(wiring.Component):
    """Everything a soft clear resets: dispatch, checker, walkers, streamers, engine."""

    def __init__(self, cfg: ITAConfig, contexts: int, mem_base: int, mem_size: int):
        self._cfg, self._nctx, self._base, self._size = cfg, contexts, mem_base, mem_size
        super().__init__({
            "ctx": In(data.ArrayLayout(data.ArrayLayout(32, len(CONTEXT_REGS)), contexts)),
            "queued": In(contexts), "head": In(range(contexts)),
            "finish": Out(1), "finish_error": Out(4), "finish_pointer": Out(4),
            "tcdm": Out(TCDMSignature()).array(cfg.m // 8), "issue": Out(1),
            "issue_first": Out(1), "issue_last": Out(1), "engine_busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, nctx = self._cfg, self._nctx
        lanes = cfg.m // 8
        m.submodules.ita = ita = ITA(cfg)
        m.submodules.checker = checker = JobChecker(cfg, self._base, self._size)
        m.submodules.mux = mux = TCDMMux(4, lanes)
        for outer, inner in zip(self.tcdm, mux.tcdm, strict=True):
            wiring.connect(m, inner, wiring.flipped(outer))
        srcs = {k: SourceStreamer(lanes) for k in (StreamKind.INPUT, StreamKind.WEIGHT,
                                                    StreamKind.BIAS)}
        for k, s in srcs.items():
            m.submodules[f"{k.name.lower()}_streamer"] = s
        m.submodules.output_streamer = sink = SinkStreamer(lanes)
        ports = [srcs[StreamKind.INPUT].mem, srcs[StreamKind.WEIGHT].mem,
                 srcs[StreamKind.BIAS].mem, sink.mem]
        for i, p in enumerate(ports):
            wiring.connect(m, p, mux.ports[i])
        for src, dst in ((srcs[StreamKind.INPUT].out, ita.inp),
                         (srcs[StreamKind.WEIGHT].out, ita.weight),
                         (srcs[StreamKind.BIAS].out, ita.bias), (ita.out, sink.inp)):
            m.d.comb += [dst.valid.eq(src.valid), dst.payload.eq(src.payload),
                         src.ready.eq(dst.ready)]
        m.d.comb += [self.issue.eq(ita.issue), self.issue_first.eq(ita.issue_first),
                     self.issue_last.eq(ita.issue_last), self.engine_busy.eq(ita.busy)]

        # --- dispatch: check each triggered job in order, then hand it to the engine
        dispatched, ok, eslot = Signal(nctx), Signal(nctx), Signal(nctx)
        err = [Signal(8, name=f"err{i}") for i in range(nctx)]
        disp = Signal(range(nctx))
        engine_slot = Signal()
        checking, checked = Signal(), Signal()
        verdict = Signal(8)
        ctx = select_context(m, self.ctx, disp, "dispatch_ctx")
        m.d.comb += checker.ctx.eq(ctx)
        waiting = self.queued.bit_select(disp, 1) & ~dispatched.bit_select(disp, 1)
        m.d.comb += checker.start.eq(waiting & ~checking & ~checked)
        with m.If(checker.start):
            m.d.sync += checking.eq(1)
        with m.If(checker.done):
            m.d.sync += [checking.eq(0), checked.eq(1),
                         verdict.eq(Cat(checker.error, checker.pointer))]
        mode = context_field(ctx, "CTRL", "mode")[:2]
        job = ita.job.payload
        t = tiles_bits(cfg)
        m.d.comb += [job.mode.eq(mode), job.overlap.eq(context_field(ctx, "CTRL", "overlap")),
                     job.act.eq(context_field(ctx, "CTRL", "act")),
                     job.gelu_b.eq(context_field(ctx, "GELU_B", "q_b")),
                     job.gelu_c.eq(context_field(ctx, "GELU_C", "q_c")),
                     job.k.eq(context_field(ctx, "SOFTMAX", "k"))]
        # a valid length past every key masks none, as 0 does (not cut to the job's width)
        valid = context_field(ctx, "SOFTMAX", "valid")
        m.d.comb += job.valid.eq(Mux(valid > cfg.max_size, 0, valid))
        for name in "sepf":
            used = 0
            for md, sizes in SIZES_USED.items():
                if name in sizes:
                    used = used | (mode == md)
            m.d.comb += getattr(job, name).eq(Mux(used, context_field(ctx, "SIZES", name)[:t],
                                                  1))
        for k, reg in enumerate((*_RQ_REGS, "RQ_ACT")):
            target = job.rq[k] if k < len(_RQ_REGS) else job.act_rq
            m.d.comb += [target.mult.eq(context_field(ctx, reg, "mult")),
                         target.shift.eq(context_field(ctx, reg, "shift")),
                         target.add.eq(context_field(ctx, reg, "add"))]
        good = verdict[:4] == 0
        m.d.comb += ita.job.valid.eq(waiting & checked & good)
        advance = waiting & checked & (~good | ita.job.ready)
        with m.If(advance):
            m.d.sync += [checked.eq(0), disp.eq(Mux(disp == nctx - 1, 0, disp + 1))]
            for i in range(nctx):
                with m.If(disp == i):
                    m.d.sync += [err[i].eq(verdict), eslot[i].eq(engine_slot),
                                 dispatched[i].eq(1), ok[i].eq(good)]
            with m.If(good):
                m.d.sync += engine_slot.eq(~engine_slot)

        # --- walkers feed the streamers
        for k in StreamKind:
            w = m.submodules[f"{k.name.lower()}_walker"] = StreamWalker(cfg, k, nctx)
            m.d.comb += [w.ctx.eq(self.ctx), w.dispatched.eq(dispatched), w.ok.eq(ok),
                         w.head.eq(self.head), w.eslot.eq(eslot),
                         w.engine.walking.eq(ita.walking), w.engine.step.eq(ita.step.as_value()),
                         w.engine.step_at.eq(ita.step_at), w.engine.step_slot.eq(ita.step_slot),
                         w.engine.step_start.eq(ita.step_start),
                         w.engine.drained.eq(ita.drained)]
            target = sink.cmd if k is StreamKind.OUTPUT else srcs[k].cmd
            wiring.connect(m, w.cmd, target)

        # --- a job ends when its last output row is written (or at once if it failed)
        written = Signal(range(nctx + 1))
        h = self.head
        at_head = dispatched.bit_select(h, 1)
        head_ok = ok.bit_select(h, 1)
        head_err = Signal(8)
        for i in range(nctx):
            with m.If(h == i):
                m.d.comb += head_err.eq(err[i])
        done_ok = at_head & head_ok & ((written != 0) | sink.job_written)
        m.d.comb += [self.finish.eq((at_head & ~head_ok) | done_ok),
                     self.finish_error.eq(Mux(head_ok, 0, head_err[:4])),
                     self.finish_pointer.eq(Mux(head_ok, 0, head_err[4:]))]
        m.d.sync += written.eq(written + sink.job_written - done_ok)
        for i in range(nctx):
            with m.If(self.finish & (h == i)):
                m.d.sync += dispatched[i].eq(0)
        return m


class ITAHWPE(CheckedComponent):
    """The ITA engine as an HWPE: cores program it through ``regs`` (``hw.hwpe.regmap``), it
    reads and writes the TCDM through ``tcdm`` on its own, and signals the end of each job on
    ``evt`` to the core that triggered it.

    A job is a whole engine job (an attention head, a feed-forward block, a linear layer or a
    single attention) over dense matrices in memory: see docs/hwpe.md for the layout. Two (or
    more) contexts let a core program the next job while one runs; with CTRL.overlap the next
    job starts while the previous one finishes.

    Parameters
    ----------
    cfg : ITAConfig
        The engine's parameters.
    contexts : int
        Job contexts, 2..4.
    cores : int
        Cores on the register bus.
    mem_base, mem_size : int
        The TCDM range pointers must lie in.

    Members
    -------
    regs : In(RegBusSignature(8, id_bits))
    tcdm : Out(TCDMSignature()).array(m // 8)
        One wide port: M/8 lanes of 64 bit (one row of M bytes per access).
    evt : Out(cores)
    busy : Out(1)
    issue, issue_first, issue_last : Out(1)
        The engine's array did N x M MACs this cycle; the first, or the last, of a job
        (for counters).
    """

    @staticmethod
    def check(cfg: ITAConfig, *, contexts: int = 2, cores: int = 8, mem_base: int = L1_BASE,
              mem_size: int = 128 * 1024) -> None:
        if not isinstance(cfg, ITAConfig):
            raise ValueError(f"ITAHWPE: cfg must be an ITAConfig, got {cfg!r}")
        for name, value in (("contexts", contexts), ("cores", cores), ("mem_base", mem_base),
                            ("mem_size", mem_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"ITAHWPE {name} must be an int, got {value!r}")
        if not 0 <= mem_base < 2 ** 32 or mem_base % 8:
            raise ValueError(f"ITAHWPE mem_base = 0x{mem_base:x}: must be a multiple of 8 in "
                             "0..0xfffffff8")
        if not 0 < mem_size <= 2 ** 32 - mem_base:
            raise ValueError(f"ITAHWPE mem_size = {mem_size}: must be in 1..{2 ** 32 - mem_base} "
                             f"(the range from mem_base 0x{mem_base:x} inside 32 bits)")
        HWPEControl.check(contexts, cores)

    def __init__(self, cfg: ITAConfig, *, contexts: int = 2, cores: int = 8,
                 mem_base: int = L1_BASE, mem_size: int = 128 * 1024):
        self.cfg, self.contexts, self.cores = cfg, contexts, cores
        self.mem_base, self.mem_size = mem_base, mem_size
        self.control = HWPEControl(contexts, cores)
        super().__init__({
            "regs": In(RegBusSignature(8, self.control.id_bits)),
            "tcdm": Out(TCDMSignature()).array(cfg.m // 8), "evt": Out(cores), "busy": Out(1),
            "issue": Out(1), "issue_first": Out(1), "issue_last": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.control = ctl = self.control
        dp = _Datapath(self.cfg, self.contexts, self.mem_base, self.mem_size)
        m.submodules.datapath = ResetInserter({"sync": ctl.soft_clear})(dp)
        wiring.connect(m, wiring.flipped(self.regs), ctl.bus)
        for outer, inner in zip(self.tcdm, dp.tcdm, strict=True):
            wiring.connect(m, inner, wiring.flipped(outer))
        m.d.comb += [dp.ctx.eq(ctl.ctx), dp.queued.eq(ctl.queued), dp.head.eq(ctl.head),
                     ctl.finish.eq(dp.finish), ctl.finish_error.eq(dp.finish_error),
                     ctl.finish_pointer.eq(dp.finish_pointer),
                     self.evt.eq(ctl.evt), self.busy.eq(ctl.busy), self.issue.eq(dp.issue),
                     self.issue_first.eq(dp.issue_first), self.issue_last.eq(dp.issue_last)]
        return m
