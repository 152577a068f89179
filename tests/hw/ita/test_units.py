"""Small units of the ITA engine in Amaranth's simulator, against sw.golden."""

import numpy as np
import pytest

from hw.ita.activation import ActivationUnit
from hw.ita.config import Activation, ITAConfig
from hw.ita.divider import InverseDivider
from hw.ita.double_buffer import DoubleBuffer
from hw.ita.itamax import ITAMax
from hw.ita.pe_array import PEArray
from hw.ita.requantizer import Requantizer
from sw.golden import GeluConstants, Requant, activation, itamax_stages, requantize
from tb.pysim import run_pysim


def test_requantizer_matches_golden():
    rng = np.random.default_rng(0)
    lanes = 4
    n = 300
    acc = rng.integers(-(2 ** 25), 2 ** 25, (n, lanes))
    acc[:8] = [[2 ** 25 - 1] * lanes, [-(2 ** 25)] * lanes, [1, -1, 3, -3]] + [[0] * lanes] * 5
    consts = [(int(rng.integers(0, 256)), int(rng.integers(0, 32)), int(rng.integers(-128, 128)))
              for _ in range(n)]
    consts[2] = (1, 1, 0)   # rounding of +-0.5 and +-1.5
    dut = Requantizer(lanes)
    got = []

    async def bench(ctx):
        for i in range(n + Requantizer.LATENCY):
            if i < n:
                ctx.set(dut.x, [int(v) for v in acc[i]])
                ctx.set(dut.rq, dict(zip(("mult", "shift", "add"), consts[i], strict=True)))
            await ctx.tick()
            if i + 1 >= Requantizer.LATENCY:
                got.append([ctx.get(dut.y[j]) for j in range(lanes)])

    run_pysim(dut, bench)
    want = [requantize(acc[i], *consts[i]).tolist() for i in range(n)]
    assert got[:n] == want


@pytest.mark.parametrize("act", list(Activation))
def test_activation_matches_golden(act):
    lanes = 4
    q = np.arange(-128, 128).reshape(-1, lanes)
    gelu = GeluConstants.for_scale(3 / 127)
    rq = Requant(200, 12, -5)
    dut = ActivationUnit(lanes)
    got = []

    async def bench(ctx):
        ctx.set(dut.act, act)
        ctx.set(dut.gelu_b, gelu.q_b)
        ctx.set(dut.gelu_c, gelu.q_c)
        ctx.set(dut.rq, {"mult": rq.mult, "shift": rq.shift, "add": rq.add})
        for i in range(len(q) + ActivationUnit.LATENCY):
            if i < len(q):
                ctx.set(dut.q, [int(v) for v in q[i]])
            await ctx.tick()
            if i + 1 >= ActivationUnit.LATENCY:
                got.append([ctx.get(dut.y[j]) for j in range(lanes)])

    run_pysim(dut, bench)
    assert np.array(got[:len(q)]).ravel().tolist() == \
        activation(q.ravel(), act, rq, gelu).tolist()


def test_divider():
    divisors = [0, 1, 255, 256, 257, 300, 1000, 65280, 65281, 2 ** 17, 511, 4095]
    divisors += np.random.default_rng(1).integers(256, 2 ** 18, 60).tolist()
    dut = InverseDivider(19, 7)
    got = {}

    async def bench(ctx):
        for i in range(len(divisors) + InverseDivider.LATENCY + 1):
            if i < len(divisors):
                ctx.set(dut.i_valid, 1)
                ctx.set(dut.i_divisor, divisors[i])
                ctx.set(dut.i_tag, i % 128)
            else:
                ctx.set(dut.i_valid, 0)
            await ctx.tick()
            if ctx.get(dut.o_valid):
                got[len(got)] = (ctx.get(dut.o_tag), ctx.get(dut.o_quotient))
        assert not ctx.get(dut.busy)

    run_pysim(dut, bench)
    want = {i: (i % 128, min(255, 65280 // d) if d else 255) for i, d in enumerate(divisors)}
    assert got == want


@pytest.mark.parametrize(("k", "valid"), [(0, None), (5, None), (3, 13), (6, 8), (7, 1),
                                          (2, 23)])
def test_itamax_stages(k, valid):
    """Stage 1 in the engine's order (per column tile, each row's groups in a row), stage 2,
    then stage 3, with the shift on each stage's own input (the other stage's input holds a
    wrong shift meanwhile) and the keys from ``valid`` on masked: 13 cuts a group, 8 masks
    the two trailing column tiles, 23 only the last column."""
    cfg = ITAConfig(n=4, m=8, softmax_shift=(k + 3) % 8, max_tiles=4)
    rng = np.random.default_rng(k)
    tiles, chunks = 3, cfg.m // cfg.n
    cols = tiles * cfg.m
    logits = rng.integers(-128, 128, (cfg.m, cols))
    logits[3] = 127
    logits[4, :] = -128
    logits[5] = np.arange(cols) * 10 - 120       # a maximum that keeps rising
    logits[6] = 120 - np.arange(cols) * 10       # the maximum first, masked keys above it
    logits[6, -1] = 127
    want = itamax_stages(logits, group=cfg.n, k=k, valid=valid)
    real = np.arange(cols) < (cols if valid is None else valid)
    wrong = (k + 3) % 8
    dut = ITAMax(cfg)
    got = np.zeros((cfg.m, cols), dtype=np.int64)

    def mask(c0: int, width: int) -> int:
        return sum(1 << j for j in range(width) if real[c0 + j])

    async def bench(ctx):
        ctx.set(dut.s1_k, k)
        ctx.set(dut.s3_k, wrong)
        ctx.set(dut.s3_mask, 0)
        for ct in range(tiles):
            for r in range(cfg.m):
                for ch in range(chunks):
                    c0 = ct * cfg.m + ch * cfg.n
                    ctx.set(dut.s1_valid, 1)
                    ctx.set(dut.s1_row, r)
                    ctx.set(dut.s1_row_first, ct == 0 and ch == 0)
                    ctx.set(dut.s1_tile_first, ch == 0)
                    ctx.set(dut.s1_tile_last, ch == chunks - 1)
                    ctx.set(dut.s1_row_last, ct == tiles - 1 and ch == chunks - 1)
                    ctx.set(dut.s1_x, [int(v) for v in logits[r, c0:c0 + cfg.n]])
                    ctx.set(dut.s1_mask, mask(c0, cfg.n))
                    await ctx.tick()
                ctx.set(dut.s1_valid, 0)
                await ctx.tick()                  # a gap between rows
        for _ in range(20):
            await ctx.tick()
        assert not ctx.get(dut.busy)
        ctx.set(dut.s1_k, wrong)
        ctx.set(dut.s1_mask, 0)
        ctx.set(dut.s3_k, k)
        for r in range(cfg.m):
            for start in range(0, cols, cfg.m):
                ctx.set(dut.s3_row, r)
                ctx.set(dut.s3_x, [int(v) for v in logits[r, start:start + cfg.m]])
                ctx.set(dut.s3_mask, mask(start, cfg.m))
                await ctx.tick()
                got[r, start:start + cfg.m] = [ctx.get(dut.s3_a[c]) for c in range(cfg.m)]

    run_pysim(dut, bench)
    np.testing.assert_array_equal(got, want.a)
    if valid is not None:
        assert not want.a[:, valid:].any() and want.a[:, :valid].any()


def test_pe_array():
    cfg = ITAConfig(n=2, m=8)
    rng = np.random.default_rng(2)
    xs = rng.integers(-128, 256, (20, cfg.m))     # int8 and the unsigned A range
    w = rng.integers(-128, 128, (cfg.n, cfg.m))
    en = rng.random(len(xs)) < 0.6        # rows arrive with gaps: d holds meanwhile
    dut = PEArray(cfg)
    got = []

    async def bench(ctx):
        ctx.set(dut.w, [[int(v) for v in row] for row in w])
        for i in range(len(xs) + 1):
            valid = i < len(xs) and bool(en[i])
            ctx.set(dut.en, valid)
            ctx.set(dut.x, [int(v) for v in (xs[i] if valid else -xs[0])])
            await ctx.tick()
            got.append([ctx.get(dut.d[j]) for j in range(cfg.n)])

    run_pysim(dut, bench)
    want, last = [], [0] * cfg.n      # after the tick of cycle i: the row of cycle i - 1
    for i in range(len(xs) + 1):
        if i and en[i - 1]:
            last = (xs[i - 1] @ w.T).tolist()
        want.append(last)
    assert got == want and 5 < en.sum() < len(xs)


def test_double_buffer_alternates_and_waits():
    dut = DoubleBuffer(8, 4, 2)

    async def bench(ctx):
        ctx.set(dut.load_en, 1)
        ctx.set(dut.load.valid, 1)
        sent = 0
        for _ in range(12):
            ctx.set(dut.load.payload, sent)
            _, _, ready = await ctx.tick().sample(dut.load.ready)
            if ready:
                sent += 1
        assert sent == 8 and ctx.get(dut.full) == 0b11       # both banks, then wait
        for bank in range(2):
            for word in range(2):
                ctx.set(dut.rd_bank, bank)
                ctx.set(dut.rd_word, word)
                base = bank * 4 + word * 2
                assert [ctx.get(dut.rd_data[i]) for i in range(2)] == [base, base + 1]
        ctx.set(dut.release, 1)
        ctx.set(dut.release_bank, 0)
        await ctx.tick()
        ctx.set(dut.release, 0)
        assert ctx.get(dut.full) == 0b10 and ctx.get(dut.load.ready) == 1

    run_pysim(dut, bench)


def test_parameters_are_validated():
    """Bad parameters raise before a component exists (no unused-component warning, which
    the test run turns into an error)."""
    from hw.hwpe.ita_hwpe import ITAHWPE
    from hw.ita.ita import ITA
    with pytest.raises(ValueError, match="ITAConfig.n = 3"):
        ITAConfig(n=3)
    with pytest.raises(ValueError, match="ITAConfig.m = 8 must be a multiple of n = 16"):
        ITAConfig(n=16, m=8)
    with pytest.raises(ValueError, match="softmax_shift = 8"):
        ITAConfig(softmax_shift=8)
    with pytest.raises(ValueError, match="n \\* m = 8192: must be at most 4096"):
        ITAConfig(n=64, m=128)
    with pytest.raises(ValueError, match="ITA: cfg must be an ITAConfig, got 16"):
        ITA(16)
    with pytest.raises(ValueError, match="DoubleBuffer beats = 4, word = 3"):
        DoubleBuffer(8, 4, 3)
    with pytest.raises(ValueError, match="HWPE contexts = 5: must be in 2..4"):
        ITAHWPE(ITAConfig(), contexts=5)
    with pytest.raises(ValueError, match="ITAHWPE memory 0x4 \\+ 64"):
        ITAHWPE(ITAConfig(), mem_base=4, mem_size=64)
