"""The one stall generator of the benches: per channel (a memory lane, a port, a stream), each
cycle, whether it may proceed."""

from enum import IntEnum

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .lfsr import Xorshift

__all__ = ["Stalls", "StallProfile", "SALT"]

#: The odd constant channel seeds are spread with (``seed ^ (SALT * (salt + channel + 1))``).
SALT = 0x9E37_79B9


class StallProfile(IntEnum):
    """How a channel's stalls fall in time (the ``profile`` input)."""

    UNIFORM = 0   #: each cycle stalled on its own with probability ``level / 256``
    BURST = 1     #: runs of 16 stalled cycles on average, each starting with ``level / 4096``


class Stalls(wiring.Component):
    """``go[c]`` is 0 in the cycles channel ``c`` stalls.

    Each channel has its own xorshift, seeded with ``seed ^ (SALT * (salt + c + 1))`` in the
    first cycle after reset and in every cycle ``load`` is high, so the seed of the test
    changes the pattern, and two channels (or two generators with different ``salt``) never
    stall in step.

    Members
    -------
    load : In(1)
        Reload the seeds (for benches that restart without a reset).
    seed : In(32)
    level : In(8)
        0: never stall.
    profile : In(1)
        A :class:`StallProfile`.
    go : Out(channels)
    """

    def __init__(self, channels: int, salt: int = 0):
        if channels < 1:
            raise ValueError(f"Stalls: {channels} channels")
        self._channels, self._salt = channels, salt
        super().__init__({"load": In(1), "seed": In(32), "level": In(8), "profile": In(1),
                          "go": Out(channels)})

    def elaborate(self, platform):
        m = Module()
        first = Signal(init=1)
        m.d.sync += first.eq(0)
        go = []
        for c in range(self._channels):
            rng = m.submodules[f"rng{c}"] = Xorshift()
            salt = (SALT * (self._salt + c + 1)) & 0xFFFF_FFFF
            m.d.comb += [rng.load.eq(first | self.load), rng.seed.eq(self.seed ^ salt)]
            run = Signal(name=f"run{c}")          # a burst of stalls is on
            with m.If(self.profile == StallProfile.BURST):
                with m.If(run):
                    m.d.sync += run.eq(rng.value[16:20] != 0)
                with m.Else():
                    m.d.sync += run.eq(rng.value[8:20] < self.level)
            with m.Else():
                m.d.sync += run.eq(0)
            uniform = rng.value[8:16] >= self.level
            go.append((self.profile == StallProfile.UNIFORM) & uniform
                      | (self.profile == StallProfile.BURST) & ~run)
        m.d.comb += self.go.eq(Cat(*go))
        return m
