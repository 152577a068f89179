"""A source streamer: reads beats from the TCDM at generated addresses into a stream."""

from amaranth import Module, Signal
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import LANE_BITS, BeatPortSignature

from .address_generator import AddressGenerator, CommandLayout

__all__ = ["SourceStreamer"]


class SourceStreamer(wiring.Component):
    """Read one beat per address of its commands and stream them out, in order.

    A beat is requested only when the FIFO has room for it and every read in flight, so the
    streamer never blocks the memory port on a full consumer.

    Parameters
    ----------
    lanes : int
        Words per beat.
    depth : int
        Beats of read-ahead (FIFO depth).

    Members
    -------
    cmd : In(stream.Signature(CommandLayout))
    out : Out(stream.Signature(lanes * 64))
    mem : Out(BeatPortSignature(lanes))
    idle : Out(1)
        No command in progress, no read in flight, nothing buffered.
    """

    def __init__(self, lanes: int, depth: int = 4):
        self._lanes, self._depth = lanes, depth
        super().__init__({
            "cmd": In(stream.Signature(CommandLayout)),
            "out": Out(stream.Signature(lanes * LANE_BITS)),
            "mem": Out(BeatPortSignature(lanes)), "idle": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.agu = agu = AddressGenerator()
        m.submodules.fifo = buf = fifo.SyncFIFOBuffered(width=self._lanes * LANE_BITS,
                                                         depth=self._depth)
        wiring.connect(m, wiring.flipped(self.cmd), agu.cmd)
        in_flight = Signal(range(self._depth + 1))
        room = buf.level + in_flight < self._depth
        m.d.comb += [self.mem.req.eq(agu.addr.valid & room),
                     self.mem.addr.eq(agu.addr.payload.addr), self.mem.we.eq(0),
                     agu.addr.ready.eq(self.mem.gnt),
                     buf.w_en.eq(self.mem.rvalid), buf.w_data.eq(self.mem.rdata),
                     self.out.valid.eq(buf.r_rdy), self.out.payload.eq(buf.r_data),
                     buf.r_en.eq(self.out.ready),
                     self.idle.eq(~agu.addr.valid & ~self.cmd.valid & (in_flight == 0)
                                  & (buf.level == 0))]
        m.d.sync += in_flight.eq(in_flight + (self.mem.req & self.mem.gnt) - self.mem.rvalid)
        return m
