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


def check_requantizer(acc, consts: list[tuple[int, int, int]], lanes: int = 4) -> list:
    """Stream ``acc`` (rows of ``lanes`` accumulators) with the constants ``(mult, shift,
    add)`` of each row through the requantizer; assert it gives the golden model's results
    and return them. Every test builds the unit here, so that ``tinyita mutate`` runs them
    all on one design."""
    dut = Requantizer(lanes)
    got = []

    async def bench(ctx):
        for i in range(len(acc) + Requantizer.LATENCY):
            if i < len(acc):
                ctx.set(dut.x, [int(v) for v in acc[i]])
                ctx.set(dut.rq, dict(zip(("mult", "shift", "add"), consts[i], strict=True)))
            await ctx.tick()
            if i + 1 >= Requantizer.LATENCY:
                got.append([ctx.get(dut.y[j]) for j in range(lanes)])

    run_pysim(dut, bench)
    want = [requantize(np.array(a), *c).tolist() for a, c in zip(acc, consts, strict=True)]
    assert got[:len(acc)] == want
    return want


def test_requantizer_matches_golden():
    rng = np.random.default_rng(0)
    lanes = 4
    n = 300
    acc = rng.integers(-(2 ** 25), 2 ** 25, (n, lanes))
    acc[:8] = [[2 ** 25 - 1] * lanes, [-(2 ** 25)] * lanes, [1, -1, 3, -3]] + [[0] * lanes] * 5
    consts = [(int(rng.integers(0, 256)), int(rng.integers(0, 32)), int(rng.integers(-128, 128)))
              for _ in range(n)]
    consts[2] = (1, 1, 0)   # rounding of +-0.5 and +-1.5
    check_requantizer(acc, consts)


def test_requantizer_in_range():
    """Accumulators that land near the int8 range for their constants (random ones almost
    always saturate): every bit of the product, the shift and the rounding bit shows."""
    rng = np.random.default_rng(5)
    lanes, n = 4, 400
    consts = [(int(rng.integers(1, 256)), int(rng.integers(0, 32)), int(rng.integers(-128, 128)))
              for _ in range(n)]
    acc = np.zeros((n, lanes), dtype=np.int64)
    for i, (mult, shift, add) in enumerate(consts):
        target = rng.integers(-150, 150, lanes) - add
        noise = rng.integers(-(2 ** shift), 2 ** shift + 1, lanes)
        acc[i] = np.clip(((target << shift) + noise) // mult, -(2 ** 25), 2 ** 25 - 1)
    flat = np.array(check_requantizer(acc, consts)).ravel()
    assert ((flat > -128) & (flat < 127)).mean() > 0.8


def test_requantizer_clamps_at_every_bit():
    """Results just above and below 2**k for every k the product reaches: each bit of the
    comparisons with 127 and -128 decides a clamp once."""
    rows = []
    for k in range(7, 33):
        mult = 1 if k < 25 else 128             # the product reaches 2**32 (acc < 2**25)
        for d in (0, 1, 64, 127, 128, 129):
            for sign in (1, -1):
                acc = sign * ((1 << k) + d * mult) // mult
                if -(2 ** 25) <= acc < 2 ** 25:
                    rows.append((acc, mult, int(d == 64) * 5 - 2))
    rows += [(v, 1, 0) for v in range(-140, 140, 3)]
    check_requantizer([[r[0]] * 4 for r in rows],          # every lane sees every value
                      [(r[1], 0, r[2]) for r in rows])


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


def test_activation_with_varied_constants():
    """A new activation, GELU scale and requantizer with every beat (they travel with the
    data), each shift the smallest that keeps the beat's results off the clamps, so that the
    constants' bits and the GELU polynomial's low bits reach the outputs (mutation score)."""
    rng = np.random.default_rng(6)
    lanes, beats = 4, 600
    q = rng.integers(-128, 128, (beats, lanes))
    q[::3] = rng.integers(-6, 7, (len(q[::3]), lanes))    # small results: small shifts
    q[:4] = [[-128, 127, 0, -1], [1, -2, 64, -64], [127, 127, -128, -128], [5, -5, 100, -100]]
    acts = [Activation(int(a)) for a in rng.integers(0, len(Activation), beats)]
    scales = rng.uniform(0.008, 0.2, beats)
    sat = slice(1, None, 5)                 # fine scales, big inputs: g reaches its clamps
    scales[sat] = rng.uniform(0.0025, 0.008, len(scales[sat]))
    q[sat] = rng.choice([-1, 1], (len(q[sat]), lanes)) * rng.integers(96, 129, (len(q[sat]), lanes))
    q[sat] = np.clip(q[sat], -128, 127)
    acts[sat] = [Activation.GELU] * len(acts[sat])
    # i-GELU of small negative inputs at coarse scales: small g, small shifts, its low bits show
    few = slice(2, None, 10)
    q[few] = -rng.integers(1, 9, (len(q[few]), lanes))
    scales[few] = rng.uniform(0.1, 0.2, len(scales[few]))
    acts[few] = [Activation.GELU] * len(acts[few])
    # positive inputs that keep g off its clamps: at coarse scales (g has bit 11 set) and at
    # fine scales (the polynomial's upper bits set)
    for part, lo, hi, qlo, qhi in ((slice(4, None, 10), 0.1, 0.2, 6, 12),
                                   (slice(7, None, 10), 0.0025, 0.005, 1, 40)):
        q[part] = rng.integers(qlo, qhi, (len(q[part]), lanes))
        scales[part] = rng.uniform(lo, hi, len(scales[part]))
        acts[part] = [Activation.GELU] * len(acts[part])
    gelus = [GeluConstants.for_scale(float(s)) for s in scales]
    rqs, want = [], []
    for i in range(beats):
        mult, add = int(rng.integers(1, 256)), int(rng.integers(-20, 21))
        for shift in range(32):
            out = activation(q[i], acts[i], Requant(mult, shift, add), gelus[i])
            if np.abs(out).max() < 127:
                break
        rqs.append(Requant(mult, shift, add))
        want.append(out.tolist())
    dut = ActivationUnit(lanes)
    got = []

    async def bench(ctx):
        for i in range(beats + ActivationUnit.LATENCY):
            if i < beats:
                ctx.set(dut.q, [int(v) for v in q[i]])
                ctx.set(dut.act, acts[i])
                ctx.set(dut.gelu_b, gelus[i].q_b)
                ctx.set(dut.gelu_c, gelus[i].q_c)
                ctx.set(dut.rq, {"mult": rqs[i].mult, "shift": rqs[i].shift,
                                 "add": rqs[i].add})
            await ctx.tick()
            if i + 1 >= ActivationUnit.LATENCY:
                got.append([ctx.get(dut.y[j]) for j in range(lanes)])

    run_pysim(dut, bench)
    assert got[:beats] == want


def test_activation_gelu_with_any_legal_constants():
    """i-GELU with constants over their whole legal range (``GeluConstants`` accepts any
    ``q_b`` in -1023..0 and ``q_c`` in -2**24..0, not only the pairs ``for_scale`` derives):
    ``q_c`` of every magnitude up to 2**24 (so the upper bits of ``t2 + q_c`` and of its
    negation are set), ``q_b`` from 0 to -1023 (``lim = -q_b`` below and above ``|q|``; 0
    with small ``q_c``, where ``t`` is 0 for every input and ``g`` small; negative inputs at
    or just inside ``-q_b``, where ``g`` is 0 or a few units), every
    beat with its own constants and requantizer (the smallest shift that keeps the beat off
    the output clamps), checked against ``sw.golden.activation``."""
    rng = np.random.default_rng(11)
    lanes, beats = 4, 500
    q = rng.integers(-128, 128, (beats, lanes))
    q[::4] = rng.integers(-12, 13, (len(q[::4]), lanes))
    q_b = -rng.integers(0, 1024, beats)
    q_b[::3] = -rng.integers(0, 140, len(q_b[::3]))       # lim near |q|
    mag = rng.integers(0, 25, beats)
    q_c = -rng.integers(0, 2 ** mag + 1)
    q_c[1::5] = -(2 ** mag[1::5])
    edges = [(0, 0), (0, -1), (0, -5), (0, -300), (0, -(2 ** 24)), (-1, 0), (-1023, -1),
             (-128, -(2 ** 23)), (-127, -(2 ** 20) - 1), (-129, -(2 ** 24) + 1), (-256, -7)]
    # negative inputs at or just inside -q_b: t is 0 (or -1, -2), g = q * t**2 is small, so
    # the shift is small and a one-unit change of t shows
    sat = slice(5, None, 6)
    q_b[sat] = -rng.integers(1, 129, len(q_b[sat]))
    near = rng.choice([-2, -1, -1, 0, 1, 2, 30], (len(q[sat]), lanes))
    q[sat] = -np.clip(-q_b[sat, None] + near, 0, 128)
    q_b[:len(edges)], q_c[:len(edges)] = zip(*edges, strict=True)
    gelus = [GeluConstants(int(b), int(c)) for b, c in zip(q_b, q_c, strict=True)]
    rqs, want = [], []
    for i in range(beats):
        mult, add = int(rng.integers(1, 256)), int(rng.integers(-20, 21))
        for shift in range(32):
            out = activation(q[i], Activation.GELU, Requant(mult, shift, add), gelus[i])
            if np.abs(out).max() < 127:
                break
        rqs.append(Requant(mult, shift, add))
        want.append(out.tolist())
    dut = ActivationUnit(lanes)
    got = []

    async def bench(ctx):
        ctx.set(dut.act, Activation.GELU)
        for i in range(beats + ActivationUnit.LATENCY):
            if i < beats:
                ctx.set(dut.q, [int(v) for v in q[i]])
                ctx.set(dut.gelu_b, gelus[i].q_b)
                ctx.set(dut.gelu_c, gelus[i].q_c)
                ctx.set(dut.rq, {"mult": rqs[i].mult, "shift": rqs[i].shift,
                                 "add": rqs[i].add})
            await ctx.tick()
            if i + 1 >= ActivationUnit.LATENCY:
                got.append([ctx.get(dut.y[j]) for j in range(lanes)])

    run_pysim(dut, bench)
    assert got[:beats] == want


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


def test_divider_many_divisors():
    """Every divisor up to 700 and a thousand random ones up to 2**19 - 1, back to back: every
    bit of every stage's remainder and quotient decides some result."""
    rng = np.random.default_rng(4)
    divisors = list(range(701)) + rng.integers(256, 2 ** 19, 1000).tolist()
    dut = InverseDivider(19, 7)
    got = []

    async def bench(ctx):
        for i in range(len(divisors) + InverseDivider.LATENCY + 1):
            ctx.set(dut.i_valid, i < len(divisors))
            ctx.set(dut.i_divisor, divisors[i] if i < len(divisors) else 0)
            ctx.set(dut.i_tag, i % 128)
            await ctx.tick()
            if ctx.get(dut.o_valid):
                got.append((ctx.get(dut.o_tag), ctx.get(dut.o_quotient)))

    run_pysim(dut, bench)
    assert got == [(i % 128, min(255, 65280 // d) if d else 255) for i, d in enumerate(divisors)]


@pytest.mark.parametrize(("k", "valid"), [(0, None), (5, None), (3, 13), (6, 8), (7, 1),
                                          (2, 23), (7, None), (1, None), (4, 21)])
def test_itamax_stages(k, valid):
    """Stage 1 in the engine's order (per column tile, each row's groups in a row), stage 2,
    then stage 3, with the shift on each stage's own input (the other stage's input holds a
    wrong shift meanwhile) and the keys from ``valid`` on masked: 13 cuts a group, 8 masks
    the two trailing column tiles, 23 only the last column."""
    cfg = ITAConfig(n=4, m=8, softmax_shift=(k + 3) % 8, max_tiles=4)
    rng = np.random.default_rng(k)
    cols = 3 * cfg.m
    logits = rng.integers(-128, 128, (cfg.m, cols))
    logits[3] = 127
    logits[4, :] = -128
    logits[5] = np.arange(cols) * 10 - 120       # a maximum that keeps rising
    logits[6] = 120 - np.arange(cols) * 10       # the maximum first, masked keys above it
    logits[6, -1] = 127
    check_itamax(cfg, logits, k, valid)


def check_itamax(cfg: ITAConfig, logits: np.ndarray, k: int, valid: int | None) -> None:
    """Run ``logits`` (M rows of three column tiles) through ITAMax as
    :func:`test_itamax_stages` describes and compare A with ``sw.golden.itamax_stages``."""
    cols = 3 * cfg.m
    want = itamax_stages(logits, group=cfg.n, k=k, valid=valid)
    real = np.arange(cols) < (cols if valid is None else valid)
    wrong = (k + 3) % 8
    dut = ITAMax(cfg)
    got = np.zeros((cfg.m, cols), dtype=np.int64)

    async def bench(ctx):
        ctx.set(dut.s1_k, k)
        ctx.set(dut.s3_k, wrong)
        ctx.set(dut.s3_mask, 0)
        await itamax_stage1(ctx, dut, cfg, logits, real, gaps=True)
        for _ in range(20):
            await ctx.tick()
        assert not ctx.get(dut.busy)
        ctx.set(dut.s1_k, wrong)
        ctx.set(dut.s1_mask, 0)
        ctx.set(dut.s3_k, k)
        await itamax_stage3(ctx, dut, cfg, logits, real, got)

    run_pysim(dut, bench)
    np.testing.assert_array_equal(got, want.a)
    if valid is not None:
        assert not want.a[:, valid:].any() and want.a[:, :valid].any()


def _mask(real: np.ndarray, c0: int, width: int) -> int:
    return sum(1 << j for j in range(width) if real[c0 + j])


async def itamax_stage1(ctx, dut: ITAMax, cfg: ITAConfig, logits: np.ndarray, real: np.ndarray,
                        *, gaps: bool) -> None:
    """Feed ``logits`` (M rows, column tiles of M) to ITAMax's stage 1 in the engine's order:
    each column tile's rows, each row in chunks of N lanes, ``real`` marking the real keys;
    with ``gaps`` one idle cycle after each row."""
    tiles, chunks = logits.shape[1] // cfg.m, cfg.m // cfg.n
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
                ctx.set(dut.s1_mask, _mask(real, c0, cfg.n))
                await ctx.tick()
            if gaps:
                ctx.set(dut.s1_valid, 0)
                await ctx.tick()
    ctx.set(dut.s1_valid, 0)


async def itamax_stage3(ctx, dut: ITAMax, cfg: ITAConfig, logits: np.ndarray, real: np.ndarray,
                        a: np.ndarray) -> None:
    """Run ``logits`` through ITAMax's stage 3, M columns a cycle, and store A in ``a``."""
    for r in range(cfg.m):
        for start in range(0, logits.shape[1], cfg.m):
            ctx.set(dut.s3_row, r)
            ctx.set(dut.s3_x, [int(v) for v in logits[r, start:start + cfg.m]])
            ctx.set(dut.s3_mask, _mask(real, start, cfg.m))
            await ctx.tick()
            a[r, start:start + cfg.m] = [ctx.get(dut.s3_a[c]) for c in range(cfg.m)]


@pytest.mark.parametrize(("k", "valid"), [(0, None), (1, 21), (2, None), (3, 11), (0, 6),
                                          (1, None), (4, 17), (2, 3)])
def test_itamax_near_the_row_maximum(k, valid):
    """Logits within a few rounding steps of their row's maximum in every column (the
    maximum itself in a different lane of each group and column of each row): a one-step
    error in a group maximum of stage 1 or in ``max - x`` of stage 3 changes some A."""
    cfg = ITAConfig(n=4, m=8, softmax_shift=(k + 3) % 8, max_tiles=4)
    rng = np.random.default_rng(100 + k)
    cols = 3 * cfg.m
    top = rng.integers(-100, 128, cfg.m)
    top[0], top[1] = 127, -120
    logits = top[:, None] - rng.integers(0, 3 * 2 ** k + 3, (cfg.m, cols))
    for r in range(cfg.m):
        for g in range(0, cols, cfg.n):       # the row's maximum, or one below, in each group
            logits[r, g + (r + g // cfg.n) % cfg.n] = top[r] - (g // cfg.n) % 2
    check_itamax(cfg, np.maximum(logits, -128), k, valid)


def row_with_sum(total: int, cols: int, top: int) -> list[int]:
    """Logits (k = 0, maximum ``top`` in column 0) whose ITAMax row sum is ``total``: column 0
    and ``(total - 256) // 256`` more at the maximum add 256 each, one column ``8 - j`` below it
    adds ``2**j`` for each bit j of ``(total - 256) % 256``, the others (20 below) add 0."""
    rest, part = divmod(total - 256, 256)
    row = [top] * (1 + rest) + [top - (8 - j) for j in range(8) if part >> j & 1]
    assert len(row) <= cols, f"sum {total} needs more than {cols} columns"
    return row + [top - 20] * (cols - len(row))


def test_itamax_divides_at_every_quotient_step():
    """Rows whose sums are the divisors where the quotient steps, ``65280 // q`` and
    ``65280 // q + 1`` for every quotient q from 9 to 255 (sums 256 to 7253, four column
    tiles), eight rows a job, A checked against ``sw.golden.itamax_stages``: the row's maximum
    has A = inv, so every bit of ITAMax's copy of the divider decides some A (its own tests
    divide only the few sums of their rows)."""
    cfg = ITAConfig(n=4, m=8, softmax_shift=3, max_tiles=4)
    cols = 4 * cfg.m
    sums = sorted({s for q in range(9, 256) for s in (65280 // q, 65280 // q + 1)
                   if 256 <= s})
    rng = np.random.default_rng(12)
    rows = [row_with_sum(s, cols, int(rng.integers(-100, 128))) for s in sums]
    rows += [rows[-1]] * (-len(rows) % cfg.m)
    jobs = np.array(rows).reshape(-1, cfg.m, cols)
    for logits, s in zip(jobs.reshape(-1, cols), sums, strict=False):
        assert itamax_stages(logits, group=cfg.n, k=0).sum == s
    got = run_itamax_jobs(cfg, jobs, k=0)
    for logits, a in zip(jobs, got, strict=True):
        np.testing.assert_array_equal(a, itamax_stages(logits, group=cfg.n, k=0).a)


def run_itamax_jobs(cfg: ITAConfig, jobs: np.ndarray, k: int) -> list[np.ndarray]:
    """Run each job (M rows of logits, every column a real key) through stage 1 in the
    engine's order, then stage 3; return each job's A."""
    real = np.ones(jobs.shape[-1], dtype=bool)
    dut = ITAMax(cfg)
    got = [np.zeros(job.shape, dtype=np.int64) for job in jobs]

    async def bench(ctx):
        ctx.set(dut.s1_k, k)
        ctx.set(dut.s3_k, k)
        for logits, a in zip(jobs, got, strict=True):
            await itamax_stage1(ctx, dut, cfg, logits, real, gaps=False)
            for _ in range(12):
                await ctx.tick()
            await itamax_stage3(ctx, dut, cfg, logits, real, a)

    run_pysim(dut, bench)
    return got


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


def test_pe_array_with_new_weights_every_row():
    """Weights that change with every row (odd and even, extremes): every bit of every
    product reaches a sum (with one set of weights, a product of an even weight never has
    its lowest bit set)."""
    cfg = ITAConfig(n=2, m=8)
    rng = np.random.default_rng(3)
    rows = 120
    xs = rng.integers(-128, 256, (rows, cfg.m))
    ws = rng.integers(-128, 128, (rows, cfg.n, cfg.m))
    xs[:3] = [[255] * cfg.m, [-128] * cfg.m, [-1] * cfg.m]
    ws[:3] = [[[-128] * cfg.m] * cfg.n, [[127] * cfg.m] * cfg.n, [[1] * cfg.m] * cfg.n]
    dut = PEArray(cfg)
    got = []

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for i in range(rows + 1):
            if i < rows:
                ctx.set(dut.w, [[int(v) for v in row] for row in ws[i]])
                ctx.set(dut.x, [int(v) for v in xs[i]])
            await ctx.tick()
            got.append([ctx.get(dut.d[j]) for j in range(cfg.n)])

    run_pysim(dut, bench)
    assert got[1:] == [(xs[i] @ ws[i].T).tolist() for i in range(rows)]


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
    with pytest.raises(ValueError, match="ITAHWPE mem_base = 0x4: must be a multiple of 8"):
        ITAHWPE(ITAConfig(), mem_base=4, mem_size=64)
