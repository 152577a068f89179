"""The fetch unit: keeps requests flowing on the instruction port and hands instructions to
decode in order, dropping those of a path left by a redirect."""

from amaranth import Cat, Module, Mux, ResetInserter, Signal
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature

__all__ = ["Fetch", "FetchedLayout"]

FetchedLayout = data.StructLayout({"pc": 32, "insn": 32})

#: Instructions requested or buffered at most.
CAPACITY = 3


class Fetch(wiring.Component):
    """Fetch instructions at ``pc, pc+4, ...`` and redirect on request.

    Requests keep going while fewer than 3 instructions are requested or buffered, so a
    memory that answers in the next cycle delivers one instruction per cycle. On ``redirect``
    the request of that cycle already goes to ``target``, the buffer is emptied at the end of
    the cycle (the consumer must ignore ``out`` in that cycle unless it caused the redirect)
    and the responses still due for the old path are dropped as they arrive (in order).

    Parameters
    ----------
    reset_pc : int

    Members
    -------
    bus : Out(TCDMSignature(32, 32))
        The instruction port (req/gnt, data one or more cycles after the grant, in order).
    out : Out(stream.Signature(FetchedLayout))
        Fetched instructions, in program order.
    redirect : In(1), target : In(32)
    """

    def __init__(self, reset_pc: int):
        self._reset_pc = reset_pc
        super().__init__({
            "bus": Out(TCDMSignature(32, 32)),
            "out": Out(stream.Signature(FetchedLayout)),
            "redirect": In(1), "target": In(32),
        })

    def elaborate(self, platform):
        m = Module()
        buf = fifo.SyncFIFO(width=64, depth=CAPACITY)
        m.submodules.buffer = ResetInserter(self.redirect)(buf)   # a redirect empties it
        pc = Signal(32, init=self._reset_pc)          # next address to request
        resp_pc = Signal(32, init=self._reset_pc)     # address of the next kept response
        in_flight = Signal(range(CAPACITY + 1))
        dropping = Signal(range(CAPACITY + 1))
        bus = self.bus
        addr = Mux(self.redirect, self.target, pc)
        level = Mux(self.redirect, 0, buf.level)
        m.d.comb += [bus.req.eq(in_flight + level < CAPACITY), bus.addr.eq(addr),
                     bus.we.eq(0), bus.be.eq(0xF)]
        granted = bus.req & bus.gnt
        with m.If(granted):
            m.d.sync += pc.eq(addr + 4)
        with m.Elif(self.redirect):
            m.d.sync += pc.eq(self.target)
        m.d.sync += in_flight.eq(in_flight + granted - bus.rvalid)
        keep = bus.rvalid & (dropping == 0) & ~self.redirect
        m.d.comb += [buf.w_en.eq(keep), buf.w_data.eq(Cat(resp_pc, bus.rdata))]
        with m.If(self.redirect):
            m.d.sync += [dropping.eq(in_flight - bus.rvalid), resp_pc.eq(self.target)]
        with m.Else():
            with m.If(bus.rvalid & (dropping != 0)):
                m.d.sync += dropping.eq(dropping - 1)
            with m.If(keep):
                m.d.sync += resp_pc.eq(resp_pc + 4)
        m.d.comb += [self.out.valid.eq(buf.r_rdy), self.out.payload.eq(buf.r_data),
                     buf.r_en.eq(self.out.ready)]
        return m
