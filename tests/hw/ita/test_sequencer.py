"""The tile sequencer walks exactly the loop nest of hw.ita.steps (Amaranth simulator)."""

import itertools

import pytest
from amaranth.sim import Simulator

from hw.ita.config import ITAConfig, Mode
from hw.ita.sequencer import Granularity, TileSequencer
from hw.ita.steps import BIAS_STEPS, step_dims, step_list


def expected(cfg: ITAConfig, gran: Granularity, mode: Mode, s, e, p, f):
    out = []
    for kind, at in step_list(mode, s):
        if gran is Granularity.TILE and kind not in BIAS_STEPS:
            continue
        rows, inner, cols = step_dims(kind, mode, s, e, p, f)
        for rt, ct in itertools.product(range(rows), range(cols)):
            if gran is Granularity.TILE:
                out.append((kind.value, at, rt, ct))
                continue
            for it, ch in itertools.product(range(inner), range(cfg.m // cfg.n)):
                rs = range(cfg.m) if gran is Granularity.ROW else [0]
                out.extend((kind.value, at, rt, ct, it, ch, r) for r in rs)
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
                pos = [ctx.get(dut.kind).value, ctx.get(dut.at), ctx.get(dut.rt),
                       ctx.get(dut.ct)]
                if gran is not Granularity.TILE:
                    pos += [ctx.get(dut.it), ctx.get(dut.ch), ctx.get(dut.r)]
                got.append(tuple(pos))
            await ctx.tick()
        assert ctx.get(dut.done) == 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    if gran is not Granularity.ROW:
        got = [g[:-1] + (0,) if len(g) == 7 else g for g in got]
    assert got == want
