"""The ITA engine between memory-backed stream sources and a sink, with counters.

The cocotb bench primes the sources' ring buffers, sets the job (or two) and the stall rates,
pulses ``start`` and waits for ``finished``; the hardware runs on its own in between, and the
bench only refills or drains a ring every half ring (``tb.rings``).
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.ita.config import ITAConfig
from hw.ita.ita import ITA
from hw.ita.layouts import bias_layout, input_layout, job_layout, output_layout, weight_layout

from ..hdl import RING_STORES, StreamSink, StreamSource
from ..hdl.registered import registered_sync

__all__ = ["ITAHarness", "harness_build"]


class ITAHarness(wiring.Component):
    """Drive an :class:`ITA` from memories and record its outputs.

    Parameters
    ----------
    cfg : ITAConfig
    depth : int
        Slots in each ring buffer (a power of two).

    Members
    -------
    clk, rst : In(1)
        The clock, and the reset (registered: see :mod:`tb.hdl.registered`).
    start : In(1)
        Reset the sources, the sink and the counters and submit ``job``.
    job : In(job_layout(cfg))
    two_jobs : In(1), job2 : In(job_layout(cfg))
        With ``two_jobs``, ``job2`` is submitted right after ``job`` was taken (the engine
        holds both; with its ``overlap`` bit it starts while ``job`` finishes), and
        ``finished`` waits for both; the streams carry both jobs' beats one after the other.
    stall_inp, stall_weight, stall_bias, stall_out : In(8)
        Stall level of each stream, in 1/256.
    profile : In(1)
        Uniform stalls or bursts (``tb.hdl.stalls.StallProfile``), on every stream.
    inp_limit, weight_limit, bias_limit, out_limit : In(32)
    inp_sent, weight_sent, bias_sent, out_received : Out(32)
    inp_low, weight_low, bias_low, out_high : Out(1)
        The ring-buffer handshake of each source and of the sink (``tb.rings``).
    seed : In(32)
    finished : Out(1)
        The engine reported ``done`` for every job since ``start``.
    error : Out(1)
        A job since ``start`` ended with ``error``.
    cycles : Out(32)
        Cycles from ``start`` to ``finished``.
    issued : Out(32)
        Cycles in which a row entered the PE array.
    step_cycles : Out(ArrayLayout(32, 9))
        Busy cycles while issuing each step (by ``StepKind``), and (index 8) busy cycles
        outside the steps: before a job's first issue and after its last.
    """

    def __init__(self, cfg: ITAConfig, depth: int = 4096):
        self.cfg, self.depth = cfg, depth
        super().__init__({
            "clk": In(1), "rst": In(1), "start": In(1), "job": In(job_layout(cfg)),
            "two_jobs": In(1), "job2": In(job_layout(cfg)),
            "stall_inp": In(8), "stall_weight": In(8), "stall_bias": In(8), "stall_out": In(8),
            "seed": In(32), "profile": In(1), "finished": Out(1), "error": Out(1),
            "cycles": Out(32),
            "issued": Out(32), "step_cycles": Out(data.ArrayLayout(32, 9)),
            **{f"{n}_limit": In(32) for n in ("inp", "weight", "bias", "out")},
            **{f"{n}_sent": Out(32) for n in ("inp", "weight", "bias")},
            **{f"{n}_low": Out(1) for n in ("inp", "weight", "bias")},
            "out_received": Out(32), "out_high": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        registered_sync(m, self.clk, self.rst)
        cfg = self.cfg
        m.submodules.ita = ita = ITA(cfg)
        srcs = {}
        for name, shape, stall, k in (
                ("inp", input_layout(cfg), self.stall_inp, 1),
                ("weight", weight_layout(cfg), self.stall_weight, 2),
                ("bias", bias_layout(cfg), self.stall_bias, 3)):
            src = m.submodules[f"{name}_src"] = StreamSource(shape, self.depth)
            m.d.comb += [src.start.eq(self.start), src.stall.eq(stall),
                         src.profile.eq(self.profile),
                         src.seed.eq(self.seed * k), src.limit.eq(getattr(self, f"{name}_limit")),
                         getattr(self, f"{name}_sent").eq(src.sent),
                         getattr(self, f"{name}_low").eq(src.low)]
            wiring.connect(m, src.o, getattr(ita, name))
            srcs[name] = src
        m.submodules.out_sink = sink = StreamSink(output_layout(cfg), self.depth)
        m.d.comb += [sink.start.eq(self.start), sink.stall.eq(self.stall_out),
                     sink.profile.eq(self.profile),
                     sink.seed.eq(self.seed), sink.limit.eq(self.out_limit),
                     self.out_received.eq(sink.received),
                     self.out_high.eq(sink.high)]
        wiring.connect(m, ita.out, sink.i)

        job_valid = Signal()
        second = Signal()                 # job2 is the one offered
        left = Signal(2)                  # jobs not ended yet
        last_done = ita.done & (left == 1)
        m.d.comb += [ita.job.valid.eq(job_valid),
                     ita.job.payload.eq(Mux(second, self.job2, self.job))]
        with m.If(self.start):
            m.d.sync += [job_valid.eq(1), second.eq(0), left.eq(1 + self.two_jobs),
                         self.finished.eq(0), self.error.eq(0), self.cycles.eq(0),
                         self.issued.eq(0)]
            m.d.sync += [c.eq(0) for c in self.step_cycles]
        with m.Else():
            with m.If(ita.job.ready & job_valid):
                with m.If(self.two_jobs & ~second):
                    m.d.sync += second.eq(1)
                with m.Else():
                    m.d.sync += job_valid.eq(0)
            with m.If(ita.done & (left != 0)):
                m.d.sync += [left.eq(left - 1), self.error.eq(self.error | ita.error)]
            with m.If(last_done):
                m.d.sync += self.finished.eq(1)
            with m.If(~self.finished & ~last_done):
                m.d.sync += self.cycles.eq(self.cycles + 1)
            m.d.sync += self.issued.eq(self.issued + ita.issue)
            bucket = Mux(ita.walking, ita.step.as_value(), 8)
            with m.If(ita.busy):
                m.d.sync += self.step_cycles[bucket].eq(self.step_cycles[bucket] + 1)
        return m


def harness_build(cfg: ITAConfig, depth: int = 4096):
    """The cached Verilator build of the harness for ``cfg`` (shared by tests and benches)."""
    from .. import sim

    return sim.build(lambda: ITAHarness(cfg, depth), key=f"{cfg} {depth}",
                     public=RING_STORES,
                     name=f"ita_n{cfg.n}_m{cfg.m}_k{cfg.softmax_shift}")
