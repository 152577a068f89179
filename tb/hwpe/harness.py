"""The ITA HWPE with a TCDM memory model and counters; cocotb drives the register bus."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.hwpe.ita_hwpe import ITAHWPE
from hw.ita.config import ITAConfig

from ..hdl import RAM_VERILOG, TCDMMemory
from ..hdl.registered import registered_sync

__all__ = ["HWPEHarness", "hwpe_build", "MEM_BASE"]

MEM_BASE = 0x1000_0000


class HWPEHarness(wiring.Component):
    """An :class:`ITAHWPE` on a :class:`TCDMMemory` of ``mem_size`` bytes at ``MEM_BASE``.

    Members
    -------
    clk, rst : In(1)
        The clock, and the reset (registered: see :mod:`tb.hdl.registered`).
    reg_req, reg_we, reg_addr, reg_wdata, reg_id : In
    reg_rvalid, reg_rdata : Out
        The HWPE's register bus (one access per cycle, read data a cycle later).
    stall : In(8), seed : In(32), profile : In(1)
        Grant stalls of the memory (``tb.hdl.stalls``): level in 1/256, seed, uniform or
        bursts.
    evt : Out(cores), busy : Out(1), oob : Out(1)
    cycles : Out(32)
        Cycles since reset.
    issued : Out(32)
        Cycles the engine's array worked.
    gap_cycles, gaps : Out(32)
        Cycles without issue between a job's last issue and the next job's first, summed;
        how many such gaps there were.
    """

    def __init__(self, cfg: ITAConfig, mem_size: int, contexts: int = 2, cores: int = 8):
        self.cfg, self.mem_size, self.contexts, self.cores = cfg, mem_size, contexts, cores
        self.hwpe = ITAHWPE(cfg, contexts=contexts, cores=cores, mem_base=MEM_BASE,
                            mem_size=mem_size)
        ib = self.hwpe.control.id_bits
        super().__init__({
            "clk": In(1), "rst": In(1), "reg_req": In(1), "reg_we": In(1), "reg_addr": In(8),
            "reg_wdata": In(32), "reg_id": In(ib), "reg_rvalid": Out(1), "reg_rdata": Out(32),
            "stall": In(8), "seed": In(32), "profile": In(1), "evt": Out(cores), "busy": Out(1),
            "oob": Out(1),
            "cycles": Out(32), "issued": Out(32), "gap_cycles": Out(32), "gaps": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        registered_sync(m, self.clk, self.rst)
        m.submodules.hwpe = hwpe = self.hwpe
        m.submodules.memory = mem = TCDMMemory(self.cfg.m // 8, MEM_BASE, self.mem_size)
        for a, b in zip(hwpe.tcdm, mem.tcdm, strict=True):
            wiring.connect(m, a, b)
        r = hwpe.regs
        m.d.comb += [r.req.eq(self.reg_req), r.we.eq(self.reg_we), r.addr.eq(self.reg_addr),
                     r.wdata.eq(self.reg_wdata), r.id.eq(self.reg_id),
                     self.reg_rvalid.eq(r.rvalid), self.reg_rdata.eq(r.rdata),
                     mem.stall.eq(self.stall), mem.seed.eq(self.seed),
                     mem.profile.eq(self.profile), self.oob.eq(mem.oob),
                     self.evt.eq(hwpe.evt), self.busy.eq(hwpe.busy)]
        in_gap = Signal()
        gap = Signal(32)
        m.d.sync += [self.cycles.eq(self.cycles + 1), self.issued.eq(self.issued + hwpe.issue)]
        with m.If(hwpe.issue_first & in_gap):
            m.d.sync += [in_gap.eq(0), self.gaps.eq(self.gaps + 1),
                         self.gap_cycles.eq(self.gap_cycles + gap)]
        with m.Elif(hwpe.issue_last):
            m.d.sync += [in_gap.eq(1), gap.eq(0)]
        with m.Elif(in_gap):
            m.d.sync += gap.eq(gap + 1)
        return m


def hwpe_build(cfg: ITAConfig, mem_size: int = 256 * 1024, contexts: int = 2):
    """The cached Verilator build of the harness (shared by tests and the benchmark)."""
    from .. import sim

    return sim.build(lambda: HWPEHarness(cfg, mem_size, contexts),
                     key=f"{cfg} {mem_size} {contexts}", extra_verilog=RAM_VERILOG,
                     public=["memory.ram.mem"],
                     name=f"hwpe_n{cfg.n}_m{cfg.m}_k{cfg.softmax_shift}_"
                          f"{mem_size // 1024}k_c{contexts}")
