"""The cocotb side of the ITA test bench: load streams, run a job, check every step.

Runs inside the simulator on an :class:`~tb.ita.harness.ITAHarness`.
"""

from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from hw.ita.config import ITAConfig
from hw.ita.layouts import job_layout
from hw.ita.steps import StepKind
from sw.engine.job import ItaJob
from sw.engine.streams import Streams, output_matrix
from sw.golden import GeluConstants, Requant

from ..cocotb_util import start, wait_high
from ..rings import RingSink, RingSource

#: Cycles the bench keeps collecting output beats after the engine's ``done``: a beat the
#: job should not have made shows as one too many.
AFTER_DONE = 64
#: The streams of the engine, by the names of their stall inputs.
STREAMS = ("inp", "weight", "bias", "out")

__all__ = ["RunResult", "ITABench", "job_bits", "concat_streams"]


@dataclass
class RunResult:
    cycles: int
    issued: int
    step_cycles: dict[str, int]
    out: np.ndarray          #: received output beats (beats, N)
    error: bool


def job_bits(job: ItaJob, cfg: ITAConfig) -> int:
    """The job as the integer value of the engine's job word (``job_layout(cfg)``)."""
    g = job.gelu or GeluConstants(0, 0)
    if not (0 <= job.softmax_shift <= 7 and 0 <= job.valid <= cfg.max_size):
        raise ValueError(f"job softmax_shift {job.softmax_shift} (0..7) or valid {job.valid} "
                         f"(0..max_size {cfg.max_size}) does not fit the engine's job word")

    def rq(r: Requant) -> dict:
        return {"mult": r.mult, "shift": r.shift, "add": r.add}

    return job_layout(cfg).const({
        "mode": int(job.mode), "overlap": int(job.overlap),
        "s": job.s, "e": job.e, "p": job.p, "f": job.f,
        "rq": [rq(r) for r in job.rq], "act": int(job.act), "act_rq": rq(job.act_rq),
        "gelu_b": g.q_b, "gelu_c": g.q_c, "k": job.softmax_shift, "valid": job.valid,
    }).as_bits()


def concat_streams(parts: list[Streams]) -> Streams:
    """The streams of jobs run one after the other: every stream's beats in job order, and
    each job's output spans moved behind the jobs before it."""
    spans, start = [], 0
    for st in parts:
        spans += [(step, a + start, b + start) for step, a, b in st.spans]
        start += st.out.shape[0]
    inp, weight, bias, out = (np.concatenate([getattr(st, name) for st in parts])
                              for name in ("inp", "weight", "bias", "out"))
    return Streams(inp, weight, bias, out, spans)


class ITABench:
    """Drive one harness: ``await bench.reset()``, then ``await bench.run(job, streams)``."""

    def __init__(self, dut, cfg: ITAConfig):
        self.dut, self.cfg = dut, cfg

    async def reset(self) -> None:
        await start(self.dut)

    async def run(self, job: ItaJob, streams: Streams, *, stall: float | dict = 0.0,
                  seed: int = 1, bursts: bool = False, max_cycles: int | None = None,
                  then: ItaJob | None = None) -> RunResult:
        """Run ``job`` with ``streams``; ``stall`` is the fraction of cycles a stream is idle:
        one for all four streams, or by stream (``{"inp": 0.9}``: the input starved, the others
        flowing); ``bursts`` puts the stalls in runs (``tb.hdl.stalls``). With ``then``, that
        job is submitted right behind ``job`` (set its ``overlap`` to start it while ``job``
        finishes) and ``streams`` carry both jobs (:func:`concat_streams`)."""
        dut, cfg = self.dut, self.cfg
        sources = [RingSource(dut, "inp", streams.inp, 8),
                   RingSource(dut, "weight", streams.weight, 8),
                   RingSource(dut, "bias", streams.bias, 32)]
        sink = RingSink(dut, "out", cfg.m, 8)
        for ring in (*sources, sink):
            ring.prime()
        stalls = stall if isinstance(stall, dict) else dict.fromkeys(STREAMS, stall)
        for s in STREAMS:
            getattr(dut, f"stall_{s}").value = min(255, round(stalls.get(s, 0.0) * 256))
        stall = max(stalls.values(), default=0.0)
        dut.seed.value = seed
        dut.profile.value = int(bursts)
        dut.job.value = job_bits(job, cfg)
        dut.two_jobs.value = int(then is not None)
        dut.job2.value = job_bits(then, cfg) if then is not None else 0
        dut.start.value = 1
        await ClockCycles(dut.clk, 1)
        dut.start.value = 0
        await ClockCycles(dut.clk, 1)   # counters reset by start are visible from here on
        tasks = [cocotb.start_soon(r.feed()) for r in sources] + [cocotb.start_soon(sink.drain())]
        if max_cycles is None:
            max_cycles = int(streams.inp.shape[0] * 4 / max(0.05, 1 - stall) ** 2) + 2000

        def state() -> str:
            return (f"issued {int(dut.issued.value)} of {streams.inp.shape[0]} rows, "
                    f"weights {int(dut.weight_sent.value)}/{streams.weight.shape[0]}, "
                    f"biases {int(dut.bias_sent.value)}/{streams.bias.shape[0]}, "
                    f"inputs {int(dut.inp_sent.value)}/{streams.inp.shape[0]}, "
                    f"outputs {int(dut.out_received.value)}/{streams.out.shape[0]}")

        try:
            await wait_high(dut, dut.finished, max_cycles=max_cycles, state=state)
            await ClockCycles(dut.clk, AFTER_DONE)     # beats after ``done`` are counted too
        finally:
            for t in tasks:
                t.cancel()
        packed = int(dut.step_cycles.value)
        steps = {k.name: (packed >> (32 * k.value)) & 0xFFFF_FFFF for k in StepKind}
        steps["other"] = (packed >> (32 * 8)) & 0xFFFF_FFFF
        return RunResult(int(dut.cycles.value), int(dut.issued.value), steps, sink.collect(),
                         bool(int(dut.error.value)))

    def check(self, streams: Streams, result: RunResult, context: str) -> None:
        """Assert bit-exactness step by step; the message names the step, the first differing
        element and ``context`` (put the seed in it)."""
        assert not result.error, f"{context}: the engine rejected the job"
        assert result.out.shape[0] == streams.out.shape[0], (
            f"{context}: {result.out.shape[0]} output beats, expected {streams.out.shape[0]}")
        for st, a, b in streams.spans:
            got = output_matrix(self.cfg, st, result.out[a:b])
            if not np.array_equal(got, st.out):
                r, c = np.argwhere(got != st.out)[0]
                raise AssertionError(
                    f"{context}: step {st.kind.name}(at={st.at}) differs at row {r} column "
                    f"{c}: got {got[r, c]}, expected {st.out[r, c]} "
                    f"({int((got != st.out).sum())} of {got.size} elements differ)")
