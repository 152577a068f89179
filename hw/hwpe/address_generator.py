"""A three-dimensional address generator for the streamers."""

from amaranth import Module, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["CommandLayout", "AddressGenerator", "LEN_BITS"]

#: Width of a dimension's length.
LEN_BITS = 16

CommandLayout = data.StructLayout({
    "base": 32,
    "len0": LEN_BITS, "stride0": signed(32),
    "len1": LEN_BITS, "stride1": signed(32),
    "len2": LEN_BITS, "stride2": signed(32),
    "last": 1,
})
"""A streamer command: ``len0 * len1 * len2`` beats at
``base + i0*stride0 + i1*stride1 + i2*stride2``, ``i0`` innermost. Lengths are at least 1.
``last`` marks the last command of a job."""

AddressLayout = data.StructLayout({"addr": 32, "end": 1, "last": 1})


class AddressGenerator(wiring.Component):
    """Turn commands into a stream of addresses, one per beat, with no multiplier: each step
    adds a stride to a running address.

    Members
    -------
    cmd : In(stream.Signature(CommandLayout))
    addr : Out(stream.Signature(AddressLayout))
        ``addr``; ``end`` on the command's last beat; ``last`` copies the command's ``last``.
    """

    cmd: In(stream.Signature(CommandLayout))
    addr: Out(stream.Signature(AddressLayout))

    def elaborate(self, platform):
        m = Module()
        c = Signal(CommandLayout)
        i0, i1, i2 = (Signal(LEN_BITS, name=f"i{k}") for k in range(3))
        a0, a1, a2 = (Signal(32, name=f"a{k}") for k in range(3))   # current; row; plane
        end0, end1, end2 = i0 == c.len0 - 1, i1 == c.len1 - 1, i2 == c.len2 - 1
        m.d.comb += [self.cmd.ready.eq(~self.addr.valid | (self.addr.ready & end0 & end1
                                                           & end2)),
                     self.addr.payload.addr.eq(a0),
                     self.addr.payload.end.eq(end0 & end1 & end2),
                     self.addr.payload.last.eq(c.last)]
        with m.If(self.cmd.valid & self.cmd.ready):
            p = self.cmd.payload
            m.d.sync += [c.eq(p), self.addr.valid.eq(1), i0.eq(0), i1.eq(0), i2.eq(0),
                         a0.eq(p.base), a1.eq(p.base), a2.eq(p.base)]
        with m.Elif(self.addr.valid & self.addr.ready):
            with m.If(~end0):
                m.d.sync += [i0.eq(i0 + 1), a0.eq(a0 + c.stride0)]
            with m.Elif(~end1):
                m.d.sync += [i0.eq(0), i1.eq(i1 + 1), a0.eq(a1 + c.stride1),
                             a1.eq(a1 + c.stride1)]
            with m.Elif(~end2):
                nxt = a2 + c.stride2
                m.d.sync += [i0.eq(0), i1.eq(0), i2.eq(i2 + 1), a0.eq(nxt), a1.eq(nxt),
                             a2.eq(nxt)]
            with m.Else():
                m.d.sync += self.addr.valid.eq(0)
        return m
