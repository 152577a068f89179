"""A stream source that plays beats from a memory the test bench fills in bulk."""

from amaranth import Module
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .lfsr import Xorshift

__all__ = ["StreamSource"]


class StreamSource(wiring.Component):
    """Send ``count`` beats from memory ``store`` (filled by the test bench through VPI),
    holding ``valid`` off in a pseudo-random fraction ``stall / 256`` of the cycles.

    ``valid`` never depends on ``ready`` and stays up with a stable payload until the transfer.

    Parameters
    ----------
    shape : ShapeCastable
        Beat shape.
    depth : int
        Beats the memory holds.

    Members
    -------
    o : Out(stream.Signature(shape))
    start : In(1)
        Restart from beat 0 (and reload the stall generator with ``seed``).
    count : In(range(depth + 1))
        Beats to send.
    stall : In(8), seed : In(32)
    sent : Out(range(depth + 1))
        Beats sent since ``start``.
    """

    def __init__(self, shape, depth: int):
        self._shape, self._depth = shape, depth
        super().__init__({
            "o": Out(stream.Signature(shape)), "start": In(1),
            "count": In(range(depth + 1)), "stall": In(8), "seed": In(32),
            "sent": Out(range(depth + 1)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.store = store = memory.Memory(shape=self._shape, depth=self._depth,
                                                   init=[])
        m.submodules.rng = rng = Xorshift()
        rd = store.read_port(domain="comb")
        m.d.comb += [rng.load.eq(self.start), rng.seed.eq(self.seed),
                     rd.addr.eq(self.sent), self.o.payload.eq(rd.data)]
        more = self.sent < self.count
        go = rng.value[:8] >= self.stall
        with m.If(self.start):
            m.d.sync += [self.sent.eq(0), self.o.valid.eq(0)]
        with m.Elif(self.o.valid & self.o.ready):
            m.d.sync += [self.sent.eq(self.sent + 1),
                         self.o.valid.eq((self.sent + 1 < self.count) & go)]
        with m.Elif(~self.o.valid):
            m.d.sync += self.o.valid.eq(more & go)
        return m
