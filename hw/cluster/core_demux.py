"""Route a core's data port to L1, L2 or the peripherals by address."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature

__all__ = ["CoreDemux"]


class CoreDemux(wiring.Component):
    """Send each request of ``core`` to the target whose range holds its address.

    Responses come back in order because a request to another target than the one with reads
    still unanswered waits until they are answered. A request to no target is granted and
    reads 0; ``error`` pulses with its address (a bus error, which cluster control records).

    Parameters
    ----------
    ranges : list[tuple[int, int]]
        (base, size) of each target.

    Members
    -------
    core : In(TCDMSignature(32, 32))
    targets : Out(TCDMSignature(32, 32)).array(len(ranges))
    error : Out(1), error_addr : Out(32)
    """

    def __init__(self, ranges: list[tuple[int, int]]):
        self.ranges = list(ranges)
        super().__init__({
            "core": In(TCDMSignature(32, 32)),
            "targets": Out(TCDMSignature(32, 32)).array(len(self.ranges)),
            "error": Out(1), "error_addr": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        c = self.core
        n = len(self.ranges)
        hits = Cat((c.addr >= base) & (c.addr < base + size) for base, size in self.ranges)
        unmapped = ~hits.any()
        pending = Signal(range(4))          # reads granted, not answered
        owner = Signal(range(n + 1))        # target of those reads (n: unmapped)
        choice = Signal(range(n + 1))
        m.d.comb += choice.eq(n)
        for i in range(n):
            with m.If(hits[i]):
                m.d.comb += choice.eq(i)
        free = (pending == 0) | (owner == choice)
        gnt = Signal()
        for i, t in enumerate(self.targets):
            m.d.comb += [t.req.eq(c.req & hits[i] & free), t.addr.eq(c.addr), t.we.eq(c.we),
                         t.be.eq(c.be), t.wdata.eq(c.wdata)]
            with m.If(t.req & t.gnt):
                m.d.comb += gnt.eq(1)
        error = c.req & unmapped & free
        with m.If(error):
            m.d.comb += gnt.eq(1)
        m.d.comb += [c.gnt.eq(gnt), self.error.eq(error), self.error_addr.eq(c.addr)]
        error_read = Signal()
        m.d.sync += error_read.eq(error & ~c.we)
        rvalid = Signal()
        m.d.comb += rvalid.eq(error_read | Cat(t.rvalid for t in self.targets).any())
        for t in self.targets:
            with m.If(t.rvalid):
                m.d.comb += c.rdata.eq(t.rdata)
        m.d.comb += c.rvalid.eq(rvalid)
        read = gnt & ~c.we
        m.d.sync += pending.eq(pending + read - rvalid)
        with m.If(read):
            m.d.sync += owner.eq(choice)
        return m
