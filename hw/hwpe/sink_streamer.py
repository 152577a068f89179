"""A sink streamer: writes a stream of beats to the TCDM at generated addresses."""

from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import LANE_BITS, BeatPortSignature

from .address_generator import AddressGenerator, CommandLayout

__all__ = ["SinkStreamer"]


class SinkStreamer(wiring.Component):
    """Write each incoming beat to the next address of its commands.

    Members
    -------
    cmd : In(stream.Signature(CommandLayout))
    inp : In(stream.Signature(lanes * 64))
    mem : Out(BeatPortSignature(lanes))
    job_written : Out(1)
        Pulses when the last beat of a command marked ``last`` has been granted.
    idle : Out(1)
        No command in progress.
    """

    def __init__(self, lanes: int):
        super().__init__({
            "cmd": In(stream.Signature(CommandLayout)),
            "inp": In(stream.Signature(lanes * LANE_BITS)),
            "mem": Out(BeatPortSignature(lanes)), "job_written": Out(1), "idle": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.agu = agu = AddressGenerator()
        wiring.connect(m, wiring.flipped(self.cmd), agu.cmd)
        a = agu.addr.payload
        done = self.mem.req & self.mem.gnt
        m.d.comb += [self.mem.req.eq(agu.addr.valid & self.inp.valid),
                     self.mem.addr.eq(a.addr), self.mem.we.eq(1),
                     self.mem.wdata.eq(self.inp.payload),
                     agu.addr.ready.eq(done), self.inp.ready.eq(done),
                     self.job_written.eq(done & a.end & a.last),
                     self.idle.eq(~agu.addr.valid & ~self.cmd.valid)]
        return m
