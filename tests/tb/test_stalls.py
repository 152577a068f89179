"""The stall generator in Amaranth's simulator: the seed and the channel change the pattern,
the level sets the fraction of stalled cycles, bursts come in runs."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from tb.hdl.stalls import StallProfile, Stalls


def trace(seed: int, level: int, profile: StallProfile, channels: int = 2, salt: int = 0,
          cycles: int = 2000) -> np.ndarray:
    dut = Stalls(channels, salt)
    out = []

    async def bench(ctx):
        ctx.set(dut.seed, seed)
        ctx.set(dut.level, level)
        ctx.set(dut.profile, profile)
        for _ in range(cycles):
            await ctx.tick()
            out.append([(ctx.get(dut.go) >> c) & 1 for c in range(channels)])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(out)


@pytest.mark.parametrize("profile", list(StallProfile))
def test_seeds_and_channels_give_different_patterns(profile):
    a, b = trace(1, 80, profile), trace(2, 80, profile)
    assert (a != b).any(), "two seeds gave the same grant trace"
    assert (a[:, 0] != a[:, 1]).any(), "two channels stall in step"
    assert (trace(1, 80, profile, salt=5) != a).any(), "the salt changes nothing"
    np.testing.assert_array_equal(trace(1, 80, profile), a)       # and it is reproducible


def test_level_sets_the_fraction_and_bursts_come_in_runs():
    assert trace(3, 0, StallProfile.UNIFORM).all() and trace(3, 0, StallProfile.BURST).all()
    uniform = 1 - trace(3, 77, StallProfile.UNIFORM, cycles=8000).mean()
    assert abs(uniform - 77 / 256) < 0.03, uniform
    burst = trace(3, 77, StallProfile.BURST, channels=1, cycles=8000)[:, 0]
    runs = np.diff(np.flatnonzero(np.diff(burst) != 0))
    assert 0.1 < 1 - burst.mean() < 0.5 and runs.mean() > 6, (burst.mean(), runs.mean())
