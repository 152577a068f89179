"""The tile sequencer walks exactly the loop nest of hw.ita.steps (Amaranth simulator)."""

import itertools

import pytest

from hw.ita.config import ITAConfig, Mode
from hw.ita.sequencer import Granularity, TileSequencer
from hw.ita.steps import BIAS_STEPS, step_dims, step_list
from tb.pysim import run_pysim

FIELDS = {Granularity.ROW: ("rt", "ct", "it", "r", "ch"), Granularity.INNER: ("rt", "ct", "it"),
          Granularity.TILE: ("rt", "ct"), Granularity.ROW_TILE: ("rt",),
          Granularity.BIAS_ROW_TILE: ("rt",)}
BIAS_ONLY = (Granularity.TILE, Granularity.BIAS_ROW_TILE)


def expected(cfg: ITAConfig, gran: Granularity, mode: Mode, s, e, p, f):
    out = []
    for kind, at in step_list(mode, s):
        if gran in BIAS_ONLY and kind not in BIAS_STEPS:
            continue
        rows, inner, cols = step_dims(kind, mode, s, e, p, f)
        ranges = {"rt": rows, "ct": cols, "it": inner, "r": cfg.m, "ch": cfg.m // cfg.n}
        for pos in itertools.product(*(range(ranges[f]) for f in FIELDS[gran])):
            out.append((kind.value, at, *pos))
    return out


@pytest.mark.parametrize("gran", list(Granularity))
@pytest.mark.parametrize("mode, sizes", [
    (Mode.ATTENTION, (2, 3, 1, 1)), (Mode.SINGLE_ATTENTION, (2, 1, 2, 1)),
    (Mode.FEEDFORWARD, (1, 2, 1, 3)), (Mode.LINEAR, (3, 1, 2, 1)),
])
def test_walk(gran, mode, sizes):
    cfg = ITAConfig(n=4, m=8, max_tiles=4)
    dut = TileSequencer(cfg, gran)
    want = expected(cfg, gran, mode, *sizes)
    got = []

    async def bench(ctx):
        for name, v in zip("sepf", sizes, strict=True):
            ctx.set(getattr(dut, name), v)
        ctx.set(dut.mode, mode)
        assert ctx.get(dut.done) == 1
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        ctx.set(dut.advance, 1)
        for _ in range(len(want) * 2 + 50):
            if ctx.get(dut.done):
                break
            if ctx.get(dut.valid):
                got.append((ctx.get(dut.kind).value, ctx.get(dut.at),
                            *(ctx.get(getattr(dut, f)) for f in FIELDS[gran])))
            await ctx.tick()
        assert ctx.get(dut.done) == 1

    run_pysim(dut, bench)
    assert got == want
