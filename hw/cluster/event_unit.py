"""The event unit: a barrier across the cores and the events that wake ``wfi``."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.config import EventReg
from hw.hwpe.regbus import RegBusSignature

__all__ = ["EventUnit"]


class EventUnit(wiring.Component):
    """Registers in ``hw.config.EventReg``.

    A core arrives at the barrier by writing BARRIER; when every core has arrived, all get an
    event and the count of completed barriers (read BARRIER) goes up. Software waits with
    ``wfi`` until that count changes, or polls it. A write of a core mask to SW_EVENT sends
    those cores an event. A core's event line also carries the engine's and the DMA's events
    for it; ``wfi`` returns on any of them, so software checks what it waits for.

    Members
    -------
    regs : In(RegBusSignature(8, id_bits))
    engine_evt, dma_evt : In(cores)
    event : Out(cores)
    """

    def __init__(self, cores: int, id_bits: int):
        self.cores = cores
        super().__init__({
            "regs": In(RegBusSignature(8, id_bits)), "engine_evt": In(cores),
            "dma_evt": In(cores), "event": Out(cores),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.regs
        arrived = Signal(self.cores)
        barriers = Signal(32)
        release, sw = Signal(), Signal(self.cores)
        write = bus.req & bus.we
        now = Signal(self.cores)
        m.d.comb += now.eq(arrived)
        with m.If(write & (bus.addr == EventReg.BARRIER)):
            m.d.comb += now.eq(arrived | (1 << bus.id))
        m.d.comb += release.eq(now.all())
        with m.If(release):
            m.d.sync += [arrived.eq(0), barriers.eq(barriers + 1)]
        with m.Else():
            m.d.sync += arrived.eq(now)
        with m.If(write & (bus.addr == EventReg.SW_EVENT)):
            m.d.comb += sw.eq(bus.wdata)
        m.d.sync += self.event.eq(release.replicate(self.cores) | sw | self.engine_evt
                                  | self.dma_evt)
        m.d.sync += [bus.rvalid.eq(bus.req & ~bus.we),
                     bus.rdata.eq(0)]
        with m.If(bus.req & ~bus.we & (bus.addr == EventReg.BARRIER)):
            m.d.sync += bus.rdata.eq(barriers + release)
        return m
