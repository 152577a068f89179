"""A stream sink that records beats into a memory the test bench reads in bulk."""

from amaranth import Module
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .lfsr import Xorshift

__all__ = ["StreamSink"]


class StreamSink(wiring.Component):
    """Store incoming beats in memory ``store``, holding ``ready`` off in a pseudo-random
    fraction ``stall / 256`` of the cycles. Beats beyond the memory's depth are counted but
    not stored.

    Members
    -------
    i : In(stream.Signature(shape))
    start : In(1)
        Restart at beat 0 (and reload the stall generator with ``seed``).
    stall : In(8), seed : In(32)
    received : Out(32)
        Beats received since ``start``.
    """

    def __init__(self, shape, depth: int):
        self._shape, self._depth = shape, depth
        super().__init__({
            "i": In(stream.Signature(shape)), "start": In(1), "stall": In(8),
            "seed": In(32), "received": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.store = store = memory.Memory(shape=self._shape, depth=self._depth,
                                                   init=[])
        m.submodules.rng = rng = Xorshift()
        wr = store.write_port()
        m.d.comb += [rng.load.eq(self.start), rng.seed.eq(self.seed ^ 0x9E3779B9),
                     self.i.ready.eq(~self.start & (rng.value[8:16] >= self.stall)),
                     wr.addr.eq(self.received), wr.data.eq(self.i.payload),
                     wr.en.eq(self.i.valid & self.i.ready & (self.received < self._depth))]
        with m.If(self.start):
            m.d.sync += self.received.eq(0)
        with m.Elif(self.i.valid & self.i.ready):
            m.d.sync += self.received.eq(self.received + 1)
        return m
