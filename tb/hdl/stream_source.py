"""A stream source that plays beats from a ring buffer the test bench refills in bulk."""

from amaranth import Module
from amaranth.lib import memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .stalls import Stalls

__all__ = ["StreamSource"]


class StreamSource(wiring.Component):
    """Send beats from ring buffer ``store`` (written by the test bench through VPI), holding
    ``valid`` off in a pseudo-random fraction ``stall / 256`` of the cycles.

    Beat ``i`` lives in slot ``i % depth``. The bench writes beats ahead and raises ``limit``
    (beats written so far); ``low`` tells it that half the ring has been sent and may be
    refilled. ``valid`` never depends on ``ready`` and stays up with a stable payload until the
    transfer.

    Parameters
    ----------
    shape : ShapeCastable
        Beat shape.
    depth : int
        Slots in the ring (a power of two).

    Members
    -------
    o : Out(stream.Signature(shape))
    start : In(1)
        Restart at beat 0 (and reload the stall generator with ``seed``).
    limit : In(32)
        Beats available (written) since ``start``.
    stall : In(8), seed : In(32), profile : In(1)
        The stalls (:class:`~.stalls.Stalls`: level, seed, uniform or bursts).
    sent : Out(32)
        Beats sent since ``start``.
    low : Out(1)
        At most half a ring of written beats is left: the bench may write more.
    """

    def __init__(self, shape, depth: int):
        if depth < 2 or depth & (depth - 1):
            raise ValueError(f"StreamSource depth {depth}: must be a power of two >= 2")
        self._shape, self._depth = shape, depth
        super().__init__({
            "o": Out(stream.Signature(shape)), "start": In(1), "limit": In(32),
            "stall": In(8), "seed": In(32), "profile": In(1), "sent": Out(32), "low": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        depth = self._depth
        m.submodules.store = store = memory.Memory(shape=self._shape, depth=depth, init=[])
        m.submodules.stalls = stalls = Stalls(1, salt=1)
        rd = store.read_port(domain="comb")
        m.d.comb += [stalls.load.eq(self.start), stalls.seed.eq(self.seed),
                     stalls.level.eq(self.stall), stalls.profile.eq(self.profile),
                     rd.addr.eq(self.sent[:(depth - 1).bit_length()]),
                     self.o.payload.eq(rd.data),
                     self.low.eq(self.limit - self.sent <= depth // 2)]
        go = stalls.go[0]
        with m.If(self.start):
            m.d.sync += [self.sent.eq(0), self.o.valid.eq(0)]
        with m.Elif(self.o.valid & self.o.ready):
            m.d.sync += [self.sent.eq(self.sent + 1),
                         self.o.valid.eq((self.sent + 1 < self.limit) & go)]
        with m.Elif(~self.o.valid):
            m.d.sync += self.o.valid.eq((self.sent < self.limit) & go)
        return m
