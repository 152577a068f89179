"""The ITA engine top: streams in, streams out, one job per configuration beat."""

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from .accumulator import Accumulator
from .activation import ActivationUnit
from .config import Activation, ITAConfig
from .double_buffer import DoubleBuffer
from .itamax import ITAMax
from .layouts import bias_layout, input_layout, job_layout, output_layout, weight_layout
from .pe_array import OPERAND_BITS, PEArray
from .requantizer import Requantizer
from .sequencer import Granularity, TileSequencer
from .steps import StepKind, step_has_bias, step_needs_drain

__all__ = ["ITA", "OUTPUT_FIFO_DEPTH"]

#: Beats of the output FIFO; more than the rows in flight so the array never waits for it
#: while the consumer keeps up.
OUTPUT_FIFO_DEPTH = 32


def _tag_layout(cfg: ITAConfig) -> data.StructLayout:
    """What travels down the pipeline with each input row."""
    return data.StructLayout({
        "valid": 1, "bank": 1, "release_w": 1, "bbank": 1, "bias_en": 1, "release_b": 1,
        "first": 1, "last": 1, "addr": range(cfg.m * cfg.m // cfg.n),
        "ch": range(max(2, cfg.m // cfg.n)), "r": range(cfg.m), "rq": 3, "act": 1, "av": 1,
        "sm": 1, "sm_first": 1, "sm_last": 1,
    })


class ITA(wiring.Component):
    """The Integer Transformer Accelerator engine.

    Each cycle one input row of M int8 values is broadcast to N dot-product engines that hold
    one weight chunk (N x M); partial sums of an M x M output tile stay in the accumulator
    across the inner tiles; at the last inner tile the bias is added and the sums go through
    the requantizer, the activation unit and the output FIFO. ITAMax runs on the QK results as
    they stream out and normalises the logits as the A*V step reads them back. The stream
    order of every step is in docs/ita.md and ``tb.ita.streams``.

    A job is one transfer on ``job``: the engine accepts it when idle, then consumes ``inp``,
    ``weight`` and ``bias`` beats and produces ``out`` beats in the order of the job's steps,
    and pulses ``done`` when the last output has left. A job with a size of 0 or above
    ``max_tiles``, or an unknown activation, is not run: ``error`` rises and ``done`` pulses.

    Parameters
    ----------
    n : int
        Dot-product engines, a power of two in 2..64.
    m : int
        Tile edge and dot-product length, a power of two in 8..128, a multiple of ``n``.
    softmax_shift : int
        k of ITAMax, 0..7.
    max_tiles : int
        Largest size (S, E, P, F) in tiles.

    Members
    -------
    job : In(stream.Signature(job_layout(cfg)))
        Mode, sizes in tiles, requantizers, activation and its constants.
    inp : In(stream.Signature(ArrayLayout(signed(8), M)))
        Input rows.
    weight : In(stream.Signature(ArrayLayout(signed(8), M)))
        Weight rows: one output column over one inner tile.
    bias : In(stream.Signature(ArrayLayout(signed(24), N)))
        Biases of N output columns.
    out : Out(stream.Signature(ArrayLayout(signed(8), N)))
        N results of one row.
    busy : Out(1)
        A job is running.
    done : Out(1)
        Pulses when a job ends (or is rejected).
    error : Out(1)
        The last job was rejected; cleared by the next accepted job.
    issue : Out(1)
        An input row entered the array this cycle (one N x M MAC cycle).
    step : Out(StepKind)
        The step being issued.
    """

    def __init__(self, n: int = 16, m: int = 64, softmax_shift: int = 5, max_tiles: int = 8):
        try:
            self.cfg = ITAConfig(n=n, m=m, softmax_shift=softmax_shift, max_tiles=max_tiles)
        except ValueError:
            self._MustUse__silence = True   # not a design left unused: it never existed
            raise
        cfg = self.cfg
        super().__init__({
            "job": In(stream.Signature(job_layout(cfg))),
            "inp": In(stream.Signature(input_layout(cfg))),
            "weight": In(stream.Signature(weight_layout(cfg))),
            "bias": In(stream.Signature(bias_layout(cfg))),
            "out": Out(stream.Signature(output_layout(cfg))),
            "busy": Out(1), "done": Out(1), "error": Out(1),
            "issue": Out(1), "step": Out(StepKind),
        })

    @classmethod
    def from_config(cls, cfg: ITAConfig) -> "ITA":
        return cls(n=cfg.n, m=cfg.m, softmax_shift=cfg.softmax_shift, max_tiles=cfg.max_tiles)

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, mm = cfg.n, cfg.m

        m.submodules.wseq = wseq = TileSequencer(cfg, Granularity.CHUNK)
        m.submodules.bseq = bseq = TileSequencer(cfg, Granularity.TILE)
        m.submodules.iseq = iseq = TileSequencer(cfg, Granularity.ROW)
        m.submodules.weights = wbuf = DoubleBuffer(weight_layout(cfg), n)
        m.submodules.biases = bbuf = DoubleBuffer(bias_layout(cfg), mm // n)
        m.submodules.pe_array = pes = PEArray(cfg)
        m.submodules.accumulator = acc = Accumulator(cfg)
        m.submodules.requantizer = rqu = Requantizer(n)
        m.submodules.activation = actu = ActivationUnit(n)
        m.submodules.itamax = itamax = ITAMax(cfg)
        m.submodules.out_fifo = ofifo = fifo.SyncFIFOBuffered(width=n * 8,
                                                              depth=OUTPUT_FIFO_DEPTH)

        # --- job acceptance ---------------------------------------------------------------
        job = Signal(job_layout(cfg))
        m.d.sync += self.done.eq(0)
        m.d.comb += self.job.ready.eq(~self.busy)
        p = self.job.payload
        sizes_ok = Cat(*[(v != 0) & (v <= cfg.max_tiles) for v in (p.s, p.e, p.p, p.f)]).all()
        ok = sizes_ok & (p.act <= max(Activation))
        start = Signal()
        m.d.comb += start.eq(self.job.valid & ~self.busy & ok)
        with m.If(start):
            m.d.sync += [job.eq(p), self.busy.eq(1), self.error.eq(0)]
        with m.Elif(self.job.valid & ~self.busy):
            m.d.sync += [self.error.eq(1), self.done.eq(1)]
        # the sequencers start in the accepting cycle, from the payload
        for seq in (wseq, bseq, iseq):
            m.d.comb += seq.start.eq(start)
            for name in ("mode", "s", "e", "p", "f"):
                m.d.comb += getattr(seq, name).eq(Mux(start, getattr(p, name),
                                                      getattr(job, name)))

        # --- pipeline bookkeeping ---------------------------------------------------------
        # cycle (after the row is accepted) at which each unit takes the row
        at_pe = 2
        at_acc = at_pe + PEArray.LATENCY
        at_rq = at_acc + Accumulator.LATENCY
        at_act = at_rq + Requantizer.LATENCY
        depth = at_act + ActivationUnit.LATENCY          # the output FIFO and ITAMax stage 1
        tag = _tag_layout(cfg)
        pipe = [Signal(tag, name=f"p{i}") for i in range(depth + 1)]   # pipe[i]: cycle i
        inflight = Signal(range(depth + 2))
        pipe_empty = Signal()
        m.d.comb += pipe_empty.eq((inflight == 0) & ~itamax.busy & (ofifo.level == 0))
        credit_ok = ofifo.level + inflight < OUTPUT_FIFO_DEPTH

        # --- weight and bias loaders ------------------------------------------------------
        at_same_start = (~iseq.done & iseq.step_start & (iseq.kind == wseq.kind)
                         & (iseq.at == wseq.at))
        w_wait = (wseq.step_start & step_needs_drain(wseq.kind, wseq.at)
                  & ~(at_same_start & pipe_empty))
        wiring.connect(m, wiring.flipped(self.weight), wbuf.load)
        m.d.comb += [wbuf.load_en.eq(wseq.valid & ~w_wait), wseq.advance.eq(wbuf.loaded)]
        wiring.connect(m, wiring.flipped(self.bias), bbuf.load)
        m.d.comb += [bbuf.load_en.eq(bseq.valid), bseq.advance.eq(bbuf.loaded)]

        # --- issue ------------------------------------------------------------------------
        rp, bp = Signal(), Signal()      # weight and bias banks the next row uses
        kind = iseq.kind
        need_bias = iseq.last_it & step_has_bias(kind)
        drain_wait = iseq.step_start & step_needs_drain(kind, iseq.at) & ~pipe_empty
        can_issue = (~iseq.done & wbuf.full.bit_select(rp, 1)
                     & (~need_bias | bbuf.full.bit_select(bp, 1))
                     & (~iseq.last_it | credit_ok) & ~drain_wait)
        m.d.comb += self.inp.ready.eq(can_issue)
        fire = self.inp.valid & can_issue
        m.d.comb += [iseq.advance.eq(fire), self.issue.eq(fire), self.step.eq(kind)]
        new = Signal(tag)
        m.d.comb += [
            new.valid.eq(1), new.bank.eq(rp), new.release_w.eq(iseq.last_r),
            new.bbank.eq(bp), new.bias_en.eq(need_bias),
            new.release_b.eq(need_bias & iseq.last_r & iseq.last_ch),
            new.first.eq(iseq.first_it), new.last.eq(iseq.last_it),
            new.addr.eq(iseq.ch * mm + iseq.r), new.ch.eq(iseq.ch), new.r.eq(iseq.r),
            new.rq.eq(kind.as_value()), new.act.eq(kind == StepKind.F1),
            new.av.eq(kind == StepKind.AV), new.sm.eq(kind == StepKind.QK),
            new.sm_first.eq(iseq.first_ct & (iseq.ch == 0)),
            new.sm_last.eq(iseq.last_ct & iseq.last_ch),
        ]
        m.d.sync += pipe[1].eq(Mux(fire, new, 0))
        for i in range(1, depth):
            m.d.sync += pipe[i + 1].eq(pipe[i])
        with m.If(fire):
            m.d.sync += rp.eq(rp ^ iseq.last_r)
            m.d.sync += bp.eq(bp ^ (need_bias & iseq.last_r & iseq.last_ch))
        m.d.sync += inflight.eq(inflight + fire - pipe[depth].valid)

        # --- cycle 1: register the row; ITAMax stage 3 normalises it for A*V --------------
        assert at_pe == 1 + ITAMax.S3_LATENCY
        x1, x2 = Signal(input_layout(cfg)), Signal(input_layout(cfg))
        m.d.sync += [x1.eq(self.inp.payload), x2.eq(x1)]
        m.d.comb += [itamax.s3_row.eq(pipe[1].r), itamax.s3_x.eq(x1)]

        # --- the PE array on the row's weight bank; the bank is free after its last row ----
        p_pe = pipe[at_pe]
        operand = Signal(data.ArrayLayout(signed(OPERAND_BITS), mm))
        for k in range(mm):
            m.d.comb += operand[k].eq(Mux(p_pe.av, itamax.s3_a[k], x2[k]))
        m.d.comb += [pes.x.eq(operand),
                     pes.w.eq(Mux(p_pe.bank, wbuf.banks[1], wbuf.banks[0])),
                     wbuf.release.eq(p_pe.valid & p_pe.release_w),
                     wbuf.release_bank.eq(p_pe.bank)]

        # --- accumulate, bias at the last inner tile --------------------------------------
        p4 = pipe[at_acc]
        bias_bank = Signal(data.ArrayLayout(bias_layout(cfg).elem_shape, mm))
        m.d.comb += bias_bank.eq(Mux(p4.bbank, bbuf.banks[1], bbuf.banks[0]))
        bias = Signal(bias_layout(cfg))
        for j in range(n):
            m.d.comb += bias[j].eq(Mux(p4.bias_en, bias_bank[p4.ch * n + j], 0))
        m.d.comb += [acc.valid.eq(p4.valid), acc.addr.eq(p4.addr), acc.first.eq(p4.first),
                     acc.last.eq(p4.last), acc.d.eq(pes.d), acc.bias.eq(bias),
                     bbuf.release.eq(p4.valid & p4.release_b), bbuf.release_bank.eq(p4.bbank)]

        # --- requantize with the step's constants -----------------------------------------
        m.d.comb += [rqu.x.eq(acc.sum), rqu.rq.eq(job.rq[pipe[at_rq].rq])]

        # --- activation (F1 and Linear), bypassed otherwise -------------------------------
        m.d.comb += [actu.q.eq(rqu.y), actu.act.eq(job.act), actu.gelu_b.eq(job.gelu_b),
                     actu.gelu_c.eq(job.gelu_c), actu.rq.eq(job.act_rq)]
        bypass = [rqu.y]
        for i in range(ActivationUnit.LATENCY):
            d = Signal(output_layout(cfg), name=f"bypass{i}")
            m.d.sync += d.eq(bypass[-1])
            bypass.append(d)

        # --- output FIFO and ITAMax stage 1 -----------------------------------------------
        pl = pipe[depth]
        result = Signal(output_layout(cfg))
        m.d.comb += result.eq(Mux(pl.act, actu.y, bypass[-1]))
        m.d.comb += [ofifo.w_en.eq(pl.valid & pl.last), ofifo.w_data.eq(result),
                     itamax.s1_valid.eq(pl.valid & pl.last & pl.sm), itamax.s1_row.eq(pl.r),
                     itamax.s1_first.eq(pl.sm_first), itamax.s1_last.eq(pl.sm_last),
                     itamax.s1_x.eq(result)]
        m.d.comb += [self.out.valid.eq(ofifo.r_rdy), self.out.payload.eq(ofifo.r_data),
                     ofifo.r_en.eq(self.out.ready)]

        # --- end of job -------------------------------------------------------------------
        with m.If(self.busy & iseq.done & pipe_empty & ~pipe[1].valid):
            m.d.sync += [self.busy.eq(0), self.done.eq(1)]
        return m
