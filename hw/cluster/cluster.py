"""The cluster top: cores, instruction caches, L1, L2, DMA, event unit, control and the
engine, as one ``ClusterConfig`` describes them."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.config import L1_BASE, L2_BASE, PERIPH_BASE, PERIPH_BYTES, ClusterConfig
from hw.core.core import Core
from hw.hwpe.ita_hwpe import ITAHWPE

from .control import ClusterControl
from .core_demux import CoreDemux
from .dma import DMA
from .event_unit import EventUnit
from .icache import ICache
from .l1 import L1
from .l2 import L2
from .periph_bus import PeriphBus
from .regmap import CTRL_REGS

__all__ = ["Cluster"]

#: Peripheral pages in PERIPH_BASE order.
_ENGINE, _DMA, _EVENT, _CTRL = range(4)


EXIT = CTRL_REGS["EXIT"]

class Cluster(wiring.Component):
    """The whole cluster (docs/cluster.md).

    Every core starts at L2_BASE after reset. Its instruction port goes through its own
    instruction cache to L2; its data port goes by address to L1, L2 or the peripheral bus.
    L1's initiators are the cores, the DMA (8 lanes) and the engine (M/8 lanes); L2's are the
    cores' data ports, the instruction caches and the DMA.

    Parameters
    ----------
    cfg : ClusterConfig

    Members
    -------
    tohost : In(32)
        Address of the host's ``tohost`` word (0: none): a core's store of ``(code << 1) | 1``
        there ends the run, as writing the exit register does.
    exited : Out(1), exit_code : Out(32)
        The run has ended, with this code (sticky until reset).
    char_valid : Out(1), char_data : Out(8)
        A character written to the character output.
    """

    def __init__(self, cfg: ClusterConfig = ClusterConfig()):
        self.cfg = cfg
        self.id_bits = max(1, (cfg.cores - 1).bit_length())
        self.cores = [Core(hartid=i, reset_pc=L2_BASE) for i in range(cfg.cores)]
        super().__init__({
            "tohost": In(32), "exited": Out(1), "exit_code": Out(32),
            "char_valid": Out(1), "char_data": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        nc = cfg.cores
        wide = (8,) + ((cfg.engine_lanes,) if cfg.ita else ())
        m.submodules.l1 = l1 = L1(cfg.l1_bytes, cfg.l1_banks, nc, wide)
        m.submodules.l2 = l2 = L2(cfg.l2_bytes, cfg.l2_latency, narrow=nc, wide=nc + 1)
        m.submodules.periph = periph = PeriphBus(nc, 4, self.id_bits)
        m.submodules.dma = dma = DMA(cfg.l1_range, cfg.l2_range, cores=nc,
                                     id_bits=self.id_bits, queue=cfg.dma_queue,
                                     buffer=cfg.l2_latency + 4)
        m.submodules.events = events = EventUnit(nc, self.id_bits)
        info = CTRL_REGS["INFO"].encode(cores=nc, engine=int(cfg.ita), l1_banks=cfg.l1_banks)
        m.submodules.control = ctrl = ClusterControl(nc, self.id_bits, info)
        wiring.connect(m, dma.regs, periph.pages[_DMA])
        wiring.connect(m, events.regs, periph.pages[_EVENT])
        wiring.connect(m, ctrl.regs, periph.pages[_CTRL])
        for outer, inner in zip(dma.l1, l1.wide(0), strict=True):
            wiring.connect(m, outer, inner)
        wiring.connect(m, dma.l2, l2.wide[nc])
        m.d.comb += events.dma_evt.eq(dma.evt)
        if cfg.ita:
            m.submodules.engine = engine = ITAHWPE(
                cfg.ita_config(), contexts=2, cores=nc, mem_base=L1_BASE, mem_size=cfg.l1_bytes)
            wiring.connect(m, engine.regs, periph.pages[_ENGINE])
            for outer, inner in zip(engine.tcdm, l1.wide(1), strict=True):
                wiring.connect(m, outer, inner)
            m.d.comb += [events.engine_evt.eq(engine.evt), ctrl.engine_busy.eq(engine.busy)]
        else:
            page = periph.pages[_ENGINE]          # no engine: reads 0, writes ignored
            m.d.sync += [page.rvalid.eq(page.req & ~page.we), page.rdata.eq(0)]
        m.d.comb += ctrl.dma_busy.eq(dma.busy)

        ranges = [(L1_BASE, cfg.l1_bytes), (L2_BASE, cfg.l2_bytes),
                  (PERIPH_BASE, PERIPH_BYTES)]
        stalls, errors, tohost_hits = [], [], []
        error_addr, error_core = Signal(32), Signal(3)
        tohost_code = Signal(32)
        for i, core in enumerate(self.cores):
            m.submodules[f"core{i}"] = core
            icache = ICache(cfg.icache_lines, L2_BASE, cfg.l2_bytes)
            m.submodules[f"icache{i}"] = icache
            demux = CoreDemux(ranges)
            m.submodules[f"demux{i}"] = demux
            wiring.connect(m, core.ibus, icache.core)
            wiring.connect(m, icache.refill, l2.wide[i])
            wiring.connect(m, core.dbus, demux.core)
            wiring.connect(m, demux.targets[0], l1.narrow[i])
            wiring.connect(m, demux.targets[1], l2.narrow[i])
            wiring.connect(m, demux.targets[2], periph.cores[i])
            m.d.comb += [core.event.eq(events.event[i]), icache.flush.eq(core.fence_i)]
            d, ib = core.dbus, core.ibus
            stalls.append((d.req & ~d.gnt) | (ib.req & ~ib.gnt))
            errors.append(demux.error)
            with m.If(demux.error):
                m.d.comb += [error_addr.eq(demux.error_addr), error_core.eq(i)]
            # tohost takes the words of cluster control's EXIT (the riscv-tests' convention)
            hit = (d.req & d.gnt & d.we & EXIT.field("exit").extract(d.wdata)[0]
                   & (self.tohost != 0) & (d.addr == self.tohost))
            tohost_hits.append(hit)
            with m.If(hit):
                m.d.comb += tohost_code.eq(EXIT.field("code").extract(d.wdata))
        m.d.comb += [ctrl.core_stall.eq(Cat(stalls)), ctrl.bus_error.eq(Cat(errors).any()),
                     ctrl.bus_error_addr.eq(error_addr), ctrl.bus_error_core.eq(error_core),
                     ctrl.tohost_exit.eq(Cat(tohost_hits).any()),
                     ctrl.tohost_code.eq(tohost_code),
                     self.exited.eq(ctrl.exited), self.exit_code.eq(ctrl.exit_code),
                     self.char_valid.eq(ctrl.char_valid), self.char_data.eq(ctrl.char_data)]
        return m
