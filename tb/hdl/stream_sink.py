"""A stream sink that records beats into a ring buffer the test bench drains in bulk."""

from amaranth import Module
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .stalls import Stalls

__all__ = ["StreamSink"]


class StreamSink(wiring.Component):
    """Store incoming beats in ring buffer ``store``, holding ``ready`` off in a
    pseudo-random fraction ``stall / 256`` of the cycles.

    Beat ``i`` goes to slot ``i % depth``. The sink accepts beat ``i`` only while
    ``i < limit``; the bench reads beats out and raises ``limit`` (beats read + depth).
    ``high`` tells it that half the ring holds unread beats.

    Members
    -------
    i : In(stream.Signature(shape))
    start : In(1)
        Restart at beat 0 (and reload the stall generator with ``seed``).
    limit : In(32)
    stall : In(8), seed : In(32), profile : In(1)
        The stalls (:class:`~.stalls.Stalls`: level, seed, uniform or bursts).
    received : Out(32)
        Beats received since ``start``.
    high : Out(1)
    """

    def __init__(self, shape, depth: int):
        if depth < 2 or depth & (depth - 1):
            raise ValueError(f"StreamSink depth {depth}: must be a power of two >= 2")
        self._shape, self._depth = shape, depth
        super().__init__({
            "i": In(stream.Signature(shape)), "start": In(1), "limit": In(32),
            "stall": In(8), "seed": In(32), "profile": In(1), "received": Out(32), "high": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        depth = self._depth
        m.submodules.store = store = memory.Memory(shape=self._shape, depth=depth, init=[])
        m.submodules.stalls = stalls = Stalls(1, salt=2)
        wr = store.write_port()
        m.d.comb += [stalls.load.eq(self.start), stalls.seed.eq(self.seed),
                     stalls.level.eq(self.stall), stalls.profile.eq(self.profile),
                     self.i.ready.eq(~self.start & stalls.go[0]
                                     & (self.received < self.limit)),
                     wr.addr.eq(self.received[:(depth - 1).bit_length()]),
                     wr.data.eq(self.i.payload), wr.en.eq(self.i.valid & self.i.ready),
                     self.high.eq(self.limit - self.received <= depth // 2)]
        with m.If(self.start):
            m.d.sync += self.received.eq(0)
        with m.Elif(self.i.valid & self.i.ready):
            m.d.sync += self.received.eq(self.received + 1)
        return m
