"""The ITA engine top: streams in, streams out, jobs queued in two slots."""

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.checked import CheckedComponent

from .accumulator import Accumulator
from .activation import ActivationUnit
from .config import Activation, ITAConfig
from .double_buffer import DoubleBuffer
from .itamax import ITAMax
from .layouts import (
    BIAS_BEATS,
    bias_layout,
    input_layout,
    job_layout,
    output_layout,
    tiles_bits,
    weight_layout,
)
from .pe_array import OPERAND_BITS, PEArray
from .requantizer import Requantizer
from .sequencer import Granularity, TileSequencer
from .steps import (
    StepKind,
    step_bias_per_row,
    step_has_bias,
    step_needs_drain,
    step_weights_need_drain,
)

__all__ = ["ITA", "OUTPUT_FIFO_DEPTH", "JOB_SLOTS"]

#: Rows the output FIFO holds; issue stops before it could overflow (credits).
OUTPUT_FIFO_DEPTH = 16
#: Jobs the engine holds: one running, one waiting (or starting while the first finishes).
JOB_SLOTS = 2


def _tag_layout(cfg: ITAConfig) -> data.StructLayout:
    """What travels down the pipeline with each issue (one input row with one chunk).

    ``kt`` is the key tile of the issue, for ITAMax's mask: the column tile ``ct`` in QK (the
    group of chunk ``ch`` holds keys ``kt*M + ch*N .. + N``), the inner tile ``it`` in AV (the
    row of A holds keys ``kt*M .. + M``)."""
    return data.StructLayout({
        "valid": 1, "slot": 1, "bank": 1, "release_w": 1, "bbank": 1, "bias_en": 1,
        "bias_row": 1, "release_b": 1, "first": 1, "last": 1,
        "addr": range(cfg.m * cfg.m // cfg.n), "ch": range(max(2, cfg.m // cfg.n)),
        "r": range(cfg.m), "rq": 3, "act": 1, "av": 1, "sm": 1, "sm_row_first": 1,
        "sm_tile_first": 1, "sm_tile_last": 1, "sm_row_last": 1, "emit": 1, "final": 1,
        "kt": tiles_bits(cfg),
    })


def _key_mask(valid, first_key, width: int):
    """Bit j: key ``first_key + j`` is real (``valid`` is 0, or the key is below it)."""
    rest = valid - first_key                  # signed: keys left from first_key on
    return Cat(*[(valid == 0) | (rest > j) for j in range(width)])


class ITA(CheckedComponent):
    """The Integer Transformer Accelerator engine.

    Each input row of M int8 values is held for M/N cycles and meets the M/N chunks of the
    weight tile in turn; in each cycle N dot-product engines compute N outputs (N x M MACs).
    Partial sums of an M x M output tile stay in the accumulator across the inner tiles; at
    the last inner tile the bias is added and the sums go through the requantizer and the
    activation unit, and each finished output row (M values) enters the output FIFO. ITAMax
    runs on the QK results as they stream out and normalises the logits as the A*V step reads
    them back. The stream order of every step is in docs/ita.md and ``sw.engine.streams``; every
    stream carries rows of M bytes.

    A job is one transfer on ``job``. The engine holds two: while one runs, the next one
    waits, or, if its ``overlap`` bit is set, starts as soon as the first has issued its last
    row (its weights load even earlier). Jobs end in order: ``done`` pulses when a job's last
    output row has left, with ``error`` set if the job was rejected (a size of 0 or above
    ``max_tiles``, or an unknown activation); a rejected job touches no stream.

    Each job brings ITAMax's shift ``k`` and its valid length ``valid`` (the number of real
    keys: ITAMax masks the key columns from ``valid`` on, 0 masks none). Stage 1 takes them
    from the job of the QK result it is given, stage 3 from the job of the AV row being
    issued, so overlapping jobs each keep their own.

    Parameters
    ----------
    cfg : ITAConfig
        N (``n``), M (``m``) and the largest size in tiles (``max_tiles``), validated by the
        config. ``softmax_shift`` is not used by the hardware: jobs carry their own k.

    Members
    -------
    job : In(stream.Signature(job_layout(cfg)))
        Mode, sizes in tiles, requantizers, activation and its constants, overlap, ITAMax's
        shift k and valid length.
    inp : In(stream.Signature(ArrayLayout(signed(8), M)))
        Input rows.
    weight : In(stream.Signature(ArrayLayout(signed(8), M)))
        Weight rows: one output column over one inner tile.
    bias : In(stream.Signature(ArrayLayout(signed(32), M // 4)))
        Biases (low 24 bits used), four beats per output tile.
    out : Out(stream.Signature(ArrayLayout(signed(8), M)))
        Output rows.
    busy : Out(1)
        A job is held.
    done : Out(1)
        Pulses when a job ends.
    error : Out(1)
        The job that ended last was rejected.
    issue : Out(1)
        A row and chunk entered the array this cycle (one N x M MAC cycle).
    step : Out(StepKind), step_at : Out, step_slot : Out(1), step_start : Out(1)
        The step being issued, its row tile (QK/AV), the job slot, and whether issue is at
        the step's first position.
    walking : Out(1)
        Issue is inside a job (not before its start or after its last row).
    issue_first, issue_last : Out(1)
        The issue of this cycle is a job's first, or last.
    drained : Out(1)
        No row is in the pipeline or the output FIFO and ITAMax is idle.
    """

    @staticmethod
    def check(cfg: ITAConfig) -> None:
        if not isinstance(cfg, ITAConfig):
            raise ValueError(f"ITA: cfg must be an ITAConfig, got {cfg!r}")

    def __init__(self, cfg: ITAConfig):
        self.cfg = cfg
        super().__init__({
            "job": In(stream.Signature(job_layout(cfg))),
            "inp": In(stream.Signature(input_layout(cfg))),
            "weight": In(stream.Signature(weight_layout(cfg))),
            "bias": In(stream.Signature(bias_layout(cfg))),
            "out": Out(stream.Signature(output_layout(cfg))),
            "busy": Out(1), "done": Out(1), "error": Out(1),
            "issue": Out(1), "step": Out(StepKind), "step_at": Out(tiles_bits(cfg)),
            "step_slot": Out(1), "step_start": Out(1), "walking": Out(1), "drained": Out(1),
            "issue_first": Out(1), "issue_last": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        n, mm = cfg.n, cfg.m
        chunks = mm // n

        m.submodules.wseq = wseq = TileSequencer(cfg, Granularity.INNER)
        m.submodules.bseq = bseq = TileSequencer(cfg, Granularity.TILE)
        m.submodules.iseq = iseq = TileSequencer(cfg, Granularity.ROW)
        m.submodules.weights = wbuf = DoubleBuffer(weight_layout(cfg), mm, n)
        m.submodules.biases = bbuf = DoubleBuffer(bias_layout(cfg), BIAS_BEATS, BIAS_BEATS)
        m.submodules.pe_array = pes = PEArray(cfg)
        m.submodules.accumulator = acc = Accumulator(cfg)
        m.submodules.requantizer = rqu = Requantizer(n)
        m.submodules.activation = actu = ActivationUnit(n)
        m.submodules.itamax = itamax = ITAMax(cfg)
        m.submodules.out_fifo = ofifo = fifo.SyncFIFOBuffered(width=mm * 8 + 1,
                                                              depth=OUTPUT_FIFO_DEPTH)

        # --- job slots --------------------------------------------------------------------
        jl = job_layout(cfg)
        slots = [Signal(jl, name=f"slot{i}") for i in range(JOB_SLOTS)]

        def job_in(slot: Signal, name: str) -> Signal:
            """The job held in ``slot``."""
            job = Signal(jl, name=name)
            m.d.comb += job.eq(Mux(slot, slots[1], slots[0]))
            return job

        valid = Signal(JOB_SLOTS)
        rejected = Signal(JOB_SLOTS)
        wr, head = Signal(), Signal()     # slot the next job goes to; the oldest job
        p = self.job.payload
        sizes_ok = Cat(*[(v != 0) & (v <= cfg.max_tiles) for v in (p.s, p.e, p.p, p.f)]).all()
        ok = sizes_ok & (p.act <= max(Activation))
        m.d.comb += self.job.ready.eq(~valid.bit_select(wr, 1))
        accept = self.job.valid & self.job.ready
        retire = Signal()
        set_valid, clr_valid = Signal(JOB_SLOTS), Signal(JOB_SLOTS)
        with m.If(accept):
            for i in range(JOB_SLOTS):
                with m.If(wr == i):
                    m.d.sync += slots[i].eq(p)
            m.d.sync += wr.eq(~wr)
            m.d.comb += set_valid.bit_select(wr, 1).eq(1)
            m.d.sync += rejected.bit_select(wr, 1).eq(~ok)
        with m.If(retire):
            m.d.comb += clr_valid.bit_select(head, 1).eq(1)
            m.d.sync += head.eq(~head)
        m.d.sync += valid.eq((valid | set_valid) & ~clr_valid)
        m.d.comb += self.busy.eq(valid.any())

        def follow(seq: TileSequencer, name: str) -> tuple[Signal, Signal]:
            """Walk the held jobs in order with ``seq``; return (slot, walking)."""
            cur, active = Signal(name=f"{name}_slot"), Signal(name=f"{name}_active")
            job = job_in(cur, f"{name}_job")
            here = valid.bit_select(cur, 1)
            bad = rejected.bit_select(cur, 1)
            go = ~active & here & ~bad & (job.overlap | (head == cur))
            m.d.comb += seq.start.eq(go)
            for field in ("mode", "s", "e", "p", "f"):
                m.d.comb += getattr(seq, field).eq(getattr(job, field))
            with m.If(go):
                m.d.sync += active.eq(1)
            with m.If((active & seq.done) | (~active & here & bad)):
                m.d.sync += [active.eq(0), cur.eq(~cur)]
            return cur, active

        w_slot, w_active = follow(wseq, "wseq")
        _, b_active = follow(bseq, "bseq")
        i_slot, i_active = follow(iseq, "iseq")

        # --- pipeline bookkeeping ---------------------------------------------------------
        # cycle (after the issue) at which each unit takes the row
        at_pe = 1 + ITAMax.S3_LATENCY
        at_acc = at_pe + PEArray.LATENCY
        at_rq = at_acc + Accumulator.LATENCY
        at_act = at_rq + Requantizer.LATENCY
        depth = at_act + ActivationUnit.LATENCY          # row assembly, FIFO, ITAMax stage 1
        tag = _tag_layout(cfg)
        pipe = [Signal(tag, name=f"p{i}") for i in range(depth + 1)]   # pipe[i]: cycle i
        inflight = Signal(range(depth + 2))
        rows_inflight = Signal(range(depth + 2))
        pipe_empty = Signal()
        m.d.comb += pipe_empty.eq((inflight == 0) & ~itamax.busy & (ofifo.level == 0))
        m.d.comb += self.drained.eq(pipe_empty)
        credit_ok = ofifo.level + rows_inflight < OUTPUT_FIFO_DEPTH

        # --- weight and bias loaders ------------------------------------------------------
        i_walking = i_active & ~iseq.done
        at_same_start = (i_walking & (i_slot == w_slot) & iseq.step_start
                         & (iseq.kind == wseq.kind) & (iseq.at == wseq.at))
        w_wait = (wseq.step_start & step_weights_need_drain(wseq.kind, wseq.at)
                  & ~(at_same_start & pipe_empty))
        wiring.connect(m, wiring.flipped(self.weight), wbuf.load)
        m.d.comb += [wbuf.load_en.eq(w_active & wseq.valid & ~w_wait),
                     wseq.advance.eq(wbuf.loaded)]
        wiring.connect(m, wiring.flipped(self.bias), bbuf.load)
        m.d.comb += [bbuf.load_en.eq(b_active & bseq.valid), bseq.advance.eq(bbuf.loaded)]

        # --- issue ------------------------------------------------------------------------
        rp, bp = Signal(), Signal()      # weight and bias banks the next issue uses
        kind = iseq.kind
        need_bias = iseq.last_it & step_has_bias(kind)
        emit = iseq.last_it & iseq.last_ch
        drain_wait = iseq.step_start & step_needs_drain(kind, iseq.at) & ~pipe_empty
        can_issue = (i_walking & wbuf.full.bit_select(rp, 1)
                     & (~need_bias | bbuf.full.bit_select(bp, 1))
                     & (~emit | credit_ok) & ~drain_wait)
        m.d.comb += self.inp.ready.eq(can_issue & iseq.first_ch)
        fire = can_issue & (~iseq.first_ch | self.inp.valid)
        fresh = Signal()                 # no issue yet since the job started
        with m.If(iseq.start):
            m.d.sync += fresh.eq(1)
        with m.Elif(fire):
            m.d.sync += fresh.eq(0)
        m.d.comb += [self.issue_first.eq(fire & fresh), self.issue_last.eq(fire & iseq.last_pos)]
        m.d.comb += [iseq.advance.eq(fire), self.issue.eq(fire), self.step.eq(kind),
                     self.step_at.eq(iseq.at), self.step_slot.eq(i_slot),
                     self.step_start.eq(i_walking & iseq.step_start),
                     self.walking.eq(i_walking)]
        new = Signal(tag)
        tile_end = iseq.last_r & iseq.last_ch
        m.d.comb += [
            new.valid.eq(1), new.slot.eq(i_slot), new.bank.eq(rp),
            new.release_w.eq(tile_end), new.bbank.eq(bp), new.bias_en.eq(need_bias),
            new.bias_row.eq(step_bias_per_row(kind)), new.release_b.eq(need_bias & tile_end),
            new.first.eq(iseq.first_it), new.last.eq(iseq.last_it),
            new.addr.eq(iseq.r * chunks + iseq.ch), new.ch.eq(iseq.ch), new.r.eq(iseq.r),
            new.rq.eq(kind.as_value()), new.act.eq(kind == StepKind.F1),
            new.av.eq(kind == StepKind.AV), new.sm.eq(kind == StepKind.QK),
            new.sm_row_first.eq(iseq.first_ct & iseq.first_ch),
            new.sm_tile_first.eq(iseq.first_ch), new.sm_tile_last.eq(iseq.last_ch),
            new.sm_row_last.eq(iseq.last_ct & iseq.last_ch),
            new.emit.eq(emit), new.final.eq(iseq.last_pos),
            new.kt.eq(Mux(kind == StepKind.AV, iseq.it, iseq.ct)),
        ]
        m.d.sync += pipe[1].eq(Mux(fire, new, 0))
        for i in range(1, depth):
            m.d.sync += pipe[i + 1].eq(pipe[i])
        with m.If(fire):
            m.d.sync += [rp.eq(rp ^ tile_end), bp.eq(bp ^ (need_bias & tile_end))]
        pl = pipe[depth]
        m.d.sync += [inflight.eq(inflight + fire - pl.valid),
                     rows_inflight.eq(rows_inflight + (fire & emit) - (pl.valid & pl.emit))]

        # --- cycle 1: the row register (loaded with a row's first chunk); ITAMax stage 3 ---
        x1, x2 = Signal(input_layout(cfg)), Signal(input_layout(cfg))
        with m.If(fire & iseq.first_ch):
            m.d.sync += x1.eq(self.inp.payload)
        m.d.sync += x2.eq(x1)
        s3_job = job_in(pipe[1].slot, "s3_job")
        m.d.comb += [itamax.s3_row.eq(pipe[1].r), itamax.s3_x.eq(x1), itamax.s3_k.eq(s3_job.k),
                     itamax.s3_mask.eq(_key_mask(s3_job.valid, pipe[1].kt * mm, mm))]

        # --- the PE array on chunk ch of the row's weight tile -----------------------------
        p_pe = pipe[at_pe]
        operand = Signal(data.ArrayLayout(signed(OPERAND_BITS), mm))
        for k in range(mm):
            m.d.comb += operand[k].eq(Mux(p_pe.av, itamax.s3_a[k], x2[k]))
        m.d.comb += [wbuf.rd_bank.eq(p_pe.bank), wbuf.rd_word.eq(p_pe.ch),
                     pes.en.eq(p_pe.valid), pes.w.eq(wbuf.rd_data), pes.x.eq(operand),
                     wbuf.release.eq(p_pe.valid & p_pe.release_w),
                     wbuf.release_bank.eq(p_pe.bank)]

        # --- accumulate, bias at the last inner tile (per column, or per row for V^T) -----
        p_acc = pipe[at_acc]
        biases = Signal(data.ArrayLayout(signed(32), mm))
        m.d.comb += [bbuf.rd_bank.eq(p_acc.bbank), bbuf.rd_word.eq(0),
                     biases.eq(bbuf.rd_data)]
        bias = Signal(data.ArrayLayout(signed(24), n))
        for j in range(n):
            lane = Mux(p_acc.bias_row, biases[p_acc.r], biases[p_acc.ch * n + j])
            m.d.comb += bias[j].eq(Mux(p_acc.bias_en, lane, 0))
        m.d.comb += [acc.valid.eq(p_acc.valid), acc.addr.eq(p_acc.addr),
                     acc.first.eq(p_acc.first), acc.last.eq(p_acc.last), acc.d.eq(pes.d),
                     acc.bias.eq(bias),
                     bbuf.release.eq(p_acc.valid & p_acc.release_b),
                     bbuf.release_bank.eq(p_acc.bbank)]

        # --- requantize with the step's constants -----------------------------------------
        p_rq = pipe[at_rq]
        m.d.comb += [rqu.x.eq(acc.sum), rqu.rq.eq(job_in(p_rq.slot, "rq_job").rq[p_rq.rq])]

        # --- activation (F1 and Linear), bypassed otherwise -------------------------------
        a_job = job_in(pipe[at_act].slot, "act_job")
        m.d.comb += [actu.q.eq(rqu.y), actu.act.eq(a_job.act), actu.gelu_b.eq(a_job.gelu_b),
                     actu.gelu_c.eq(a_job.gelu_c), actu.rq.eq(a_job.act_rq)]
        bypass = [rqu.y]
        for i in range(ActivationUnit.LATENCY):
            d = Signal.like(rqu.y, name=f"bypass{i}")
            m.d.sync += d.eq(bypass[-1])
            bypass.append(d)
        result = Signal.like(rqu.y)
        m.d.comb += result.eq(Mux(pl.act, actu.y, bypass[-1]))

        # --- row assembly, output FIFO, ITAMax stage 1 ------------------------------------
        row = Signal(output_layout(cfg))
        row_out = Signal(output_layout(cfg))
        for c in range(chunks):
            for j in range(n):
                m.d.comb += row_out[c * n + j].eq(Mux(pl.ch == c, result[j], row[c * n + j]))
        with m.If(pl.valid & pl.last):
            m.d.sync += row.eq(row_out)
        m.d.comb += [ofifo.w_en.eq(pl.valid & pl.emit), ofifo.w_data.eq(Cat(row_out, pl.final)),
                     itamax.s1_valid.eq(pl.valid & pl.last & pl.sm), itamax.s1_row.eq(pl.r),
                     itamax.s1_x.eq(result), itamax.s1_row_first.eq(pl.sm_row_first),
                     itamax.s1_tile_first.eq(pl.sm_tile_first),
                     itamax.s1_tile_last.eq(pl.sm_tile_last),
                     itamax.s1_row_last.eq(pl.sm_row_last)]
        s1_job = job_in(pl.slot, "s1_job")
        m.d.comb += [itamax.s1_k.eq(s1_job.k),
                     itamax.s1_mask.eq(_key_mask(s1_job.valid, pl.kt * mm + pl.ch * n, n))]
        m.d.comb += [self.out.valid.eq(ofifo.r_rdy), self.out.payload.eq(ofifo.r_data[:-1]),
                     ofifo.r_en.eq(self.out.ready)]

        # --- end of a job: its last row has left, or it was rejected ----------------------
        head_bad = valid.bit_select(head, 1) & rejected.bit_select(head, 1)
        m.d.comb += retire.eq(head_bad | (self.out.valid & self.out.ready & ofifo.r_data[-1]))
        m.d.sync += self.done.eq(retire)
        with m.If(retire):
            m.d.sync += self.error.eq(head_bad)
        return m
