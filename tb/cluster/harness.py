"""The cluster in its test harness: run control, character output, a retirement trace and
the detection of unhandled traps.

The harness holds the cluster in reset while ``run`` is low (memories keep their contents),
counts cycles and each core's retired instructions, keeps the character output in a buffer
and the last TRACE_DEPTH retirements of core 0 in a ring, all read in bulk afterwards.

A trap is unhandled when the first instruction at the trap vector traps too (after a trap the
next instruction a core retires is the one at mtvec): mtvec was never set (it resets to 0,
where a fetch reads 0, an illegal instruction), or it points at no working handler. Either
way mepc is overwritten and the program cannot go on, so the harness ends the run there,
keeping both traps (``fault_*``: the first; ``vector_*``: the one at the vector).
"""

from amaranth import Module, ResetInserter, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from hw.cluster.cluster import Cluster
from hw.config import MAX_CORES, ClusterConfig
from hw.sram import SRAM_VERILOG

from ..core.harness import CHAR_DEPTH, TRACE_DEPTH, TraceLayout
from ..hdl.registered import registered, registered_sync

__all__ = ["ClusterHarness", "cluster_build", "PUBLIC", "FAULT_FIELDS"]

#: The harness's 32-bit outputs that describe an unhandled trap.
FAULT_FIELDS = ("fault_pc", "fault_insn", "fault_cause", "fault_tval", "vector_pc",
                "vector_insn", "vector_cause")

#: What the bench reads and writes besides the ports (``tb.public``): the trace and character
#: buffers, the memories' load/dump hooks (``hw/sram.py``) and the performance counters.
PUBLIC = ("trace", "char_buf", "cluster.l2.sram.macro.sim_*", "cluster.l1.bank*.macro.sim_*",
          "cluster.control.*_busy_cycles", "cluster.control.stall*",
          "cluster.control.bus_error_*")


class ClusterHarness(wiring.Component):
    """Members
    -------
    clk, rst : In(1)
        The clock, and the reset (registered, as are ``run`` and ``tohost``: see
        :mod:`tb.hdl.registered`).
    run : In(1)
    tohost : In(32)
    exited : Out(1), exit_code : Out(32)
    cycles : Out(32)
        Since ``run`` rose, until the exit.
    retired_0 ... retired_7 : Out(32)
        Instructions each core retired.
    chars, trace_count : Out(32)
    fault : Out(1), fault_core : Out(3)
        A core's trap was unhandled (which core): the run ended there (``exited`` is high,
        ``exit_code`` is the cluster's, 0).
    fault_pc, fault_insn, fault_cause, fault_tval : Out(32)
        The trap that led to the trap vector: its pc, instruction, mcause and mtval.
    vector_pc, vector_insn, vector_cause : Out(32)
        The trap at the trap vector.
    """

    def __init__(self, cfg: ClusterConfig):
        self.cfg = cfg
        members = {"clk": In(1), "rst": In(1), "run": In(1), "tohost": In(32),
                   "exited": Out(1), "exit_code": Out(32), "cycles": Out(32), "chars": Out(32),
                   "trace_count": Out(32), "fault": Out(1), "fault_core": Out(3)}
        for name in FAULT_FIELDS:
            members[name] = Out(32)
        for i in range(MAX_CORES):
            members[f"retired_{i}"] = Out(32)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        registered_sync(m, self.clk, self.rst)
        run = registered(m, self.run)
        cluster = Cluster(self.cfg)
        m.submodules.cluster = ResetInserter(~run)(cluster)
        m.d.comb += [cluster.tohost.eq(registered(m, self.tohost)),
                     self.exited.eq(cluster.exited | self.fault),
                     self.exit_code.eq(cluster.exit_code)]
        going = run & ~self.exited
        m.submodules.char_buf = chars = memory.Memory(shape=8, depth=CHAR_DEPTH, init=[])
        cw = chars.write_port()
        m.d.comb += [cw.addr.eq(self.chars), cw.data.eq(cluster.char_data),
                     cw.en.eq(cluster.char_valid & going)]
        m.submodules.trace = trace = memory.Memory(shape=TraceLayout, depth=TRACE_DEPTH,
                                                   init=[])
        tw = trace.write_port()
        r = cluster.cores[0].retire
        m.d.comb += [tw.addr.eq(self.trace_count), tw.en.eq(r.valid & going),
                     tw.data.pc.eq(r.pc), tw.data.insn.eq(r.insn), tw.data.rd.eq(r.rd),
                     tw.data.rd_we.eq(r.rd_we), tw.data.rd_value.eq(r.rd_value),
                     tw.data.trap.eq(r.trap), tw.data.cause.eq(r.cause)]
        counters = [self.cycles, self.chars, self.trace_count]
        counters += [getattr(self, f"retired_{i}") for i in range(MAX_CORES)]
        with m.If(~run):
            m.d.sync += [c.eq(0) for c in counters]
        with m.Elif(going):
            m.d.sync += [self.cycles.eq(self.cycles + 1), self.chars.eq(self.chars + cw.en),
                         self.trace_count.eq(self.trace_count + tw.en)]
            for i, core in enumerate(cluster.cores):
                n = getattr(self, f"retired_{i}")
                m.d.sync += n.eq(n + (core.retire.valid & ~core.retire.trap))
        self.watch_traps(m, cluster, run, going)
        return m

    def watch_traps(self, m: Module, cluster: Cluster, run, going) -> None:
        """Per core, remember its last trap and whether its last retirement trapped; a trap
        right after a trap is unhandled (the lowest such core is reported)."""
        for i, core in reversed(list(enumerate(cluster.cores))):
            r = core.retire
            after_trap = Signal(name=f"after_trap{i}")
            last = [Signal(32, name=f"last_{f}{i}") for f in ("pc", "insn", "cause", "tval")]
            with m.If(~run):
                m.d.sync += [after_trap.eq(0), self.fault.eq(0)]
            with m.Elif(r.valid & going):
                m.d.sync += after_trap.eq(r.trap)
                with m.If(r.trap):
                    m.d.sync += [s.eq(v) for s, v in zip(last, (r.pc, r.insn, r.cause, r.tval),
                                                         strict=True)]
                    with m.If(after_trap):
                        m.d.sync += [self.fault.eq(1), self.fault_core.eq(i)]
                        m.d.sync += [getattr(self, name).eq(v) for name, v in zip(
                            FAULT_FIELDS, (*last, r.pc, r.insn, r.cause), strict=True)]


def cluster_build(cfg: ClusterConfig = ClusterConfig()):
    """The cached Verilator build of the harness around a cluster of ``cfg``."""
    from .. import sim

    return sim.build(lambda: ClusterHarness(cfg), key=cfg.key(), extra_verilog=SRAM_VERILOG,
                     name="cluster_tb", public=PUBLIC)
