"""The cores' shared bus to the peripherals' registers."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature
from hw.hwpe.regbus import RegBusSignature

from .round_robin import RoundRobin

__all__ = ["PeriphBus"]

#: Bytes of each peripheral's page.
PAGE_BYTES = 0x400


class PeriphBus(wiring.Component):
    """Round-robin from the cores' peripheral requests onto ``pages`` register buses.

    One access is granted per cycle. Page ``k`` covers ``base + k * 0x400``; within it the
    low 8 address bits select a register (the rest of the page aliases them). Read data come
    from the page's bus in the next cycle.

    Members
    -------
    cores : In(TCDMSignature(32, 32)).array(cores)
    pages : Out(RegBusSignature(8, id_bits)).array(pages)
    """

    def __init__(self, cores: int, pages: int, id_bits: int):
        self.n_cores, self.n_pages = cores, pages
        super().__init__({
            "cores": In(TCDMSignature(32, 32)).array(cores),
            "pages": Out(RegBusSignature(8, id_bits)).array(pages),
        })

    def elaborate(self, platform):
        m = Module()
        cores = list(self.cores)
        m.submodules.arbiter = rr = RoundRobin(len(cores))
        m.d.comb += [rr.requests.eq(Cat(c.req for c in cores)), rr.advance.eq(1)]
        addr, we, wdata, core = Signal(32), Signal(), Signal(32), Signal(range(len(cores)))
        req = rr.grant.any()
        for i, c in enumerate(cores):
            m.d.comb += c.gnt.eq(rr.grant[i])
            with m.If(rr.grant[i]):
                m.d.comb += [addr.eq(c.addr), we.eq(c.we), wdata.eq(c.wdata), core.eq(i)]
        page = addr[10:12]
        for k, p in enumerate(self.pages):
            m.d.comb += [p.req.eq(req & (page == k)), p.we.eq(we), p.addr.eq(addr[:8]),
                         p.wdata.eq(wdata), p.id.eq(core)]
        read, who, which = Signal(), Signal(range(len(cores))), Signal(2)
        m.d.sync += [read.eq(req & ~we), who.eq(core), which.eq(page)]
        data = Signal(32)
        for k, p in enumerate(self.pages):
            with m.If(which == k):
                m.d.comb += data.eq(p.rdata)
        for i, c in enumerate(cores):
            m.d.comb += [c.rvalid.eq(read & (who == i)), c.rdata.eq(data)]
        return m
