import math

import numpy as np
import pytest

from sw.golden import AddParams, LayerNormParams, Requant, isqrt, layernorm, residual_add
from sw.golden.norm import layernorm_stats


def test_isqrt_exact():
    small = np.arange(0, 70000)
    np.testing.assert_array_equal(isqrt(small), [math.isqrt(int(v)) for v in small])
    rng = np.random.default_rng(0)
    big = rng.integers(0, 2 ** 52, 20000)
    np.testing.assert_array_equal(isqrt(big), [math.isqrt(int(v)) for v in big])
    squares = np.arange(1, 2 ** 20, 997) ** 2
    np.testing.assert_array_equal(isqrt(squares), np.arange(1, 2 ** 20, 997))
    np.testing.assert_array_equal(isqrt(squares - 1), np.arange(1, 2 ** 20, 997) - 1)


def layernorm_by_row(row: list[int]) -> list[int]:
    """The docstring's RV32 recipe, in Python integers, one row at a time."""
    e = len(row)
    s = sum(row)
    mu = (2 * (s + 128 * e) + e) // (2 * e) - 128
    d = [x - mu for x in row]
    big_v = sum(v * v for v in d)
    assert big_v < 2 ** 32
    v = ((big_v // e) << 14) + (((big_v % e) << 14) // e)
    assert v < 2 ** 30
    sigma = max(1, math.isqrt(v))
    r = 2 ** 24 // sigma
    z = []
    for di in d:
        assert -(2 ** 31) <= di * r < 2 ** 31  # fits an RV32 register
        z.append((di * r) >> 9)
    return z


@pytest.mark.parametrize("e", [16, 64, 384, 4096])
def test_layernorm_matches_rv32_recipe(e):
    rng = np.random.default_rng(e)
    rows = [rng.integers(-128, 128, e), rng.integers(-3, 4, e), np.full(e, 5),
            np.r_[127, np.full(e - 1, -128)], np.r_[-128, np.full(e - 1, 127)]]
    x = np.stack(rows)
    _, z = layernorm_stats(x)
    for r, row in enumerate(rows):
        assert z[r].tolist() == layernorm_by_row([int(v) for v in row])


def test_layernorm_is_close_to_float():
    rng = np.random.default_rng(1)
    x = rng.integers(-100, 100, (16, 128))
    _, z = layernorm_stats(x)
    ref = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    assert np.abs(z / 256 - ref).max() < 0.02
    gamma = np.full(128, 64)
    beta = np.full(128, 16 * 512)
    # (64 z + 8192) / 512 = z / 256 * 32 + 16
    y = layernorm(x, LayerNormParams(gamma, beta, Requant(128, 16, 0)))
    assert np.abs(y - np.clip(ref * 32 + 16, -128, 127)).max() <= 1


def test_layernorm_errors():
    p = LayerNormParams(np.zeros(16, int), np.zeros(16, int), Requant(1, 0, 0))
    with pytest.raises(ValueError, match="gamma: length 16 does not match the row length 32"):
        layernorm(np.zeros((2, 32), int), p)
    with pytest.raises(ValueError, match="x: rank 1"):
        layernorm(np.zeros(16, int), p)
    with pytest.raises(ValueError, match="row length 8192 is outside 1..4096"):
        layernorm(np.zeros((1, 8192), int), p)


def test_residual_add():
    rng = np.random.default_rng(2)
    a, b = rng.integers(-128, 128, (2, 1000))
    p = AddParams(200, 51, 8, 3)
    want = [max(-128, min(127, (2 * (200 * x + 51 * y) + 256) // 512 + 3))
            for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    assert residual_add(a, b, p).tolist() == want
    q = AddParams.for_ratios(0.5, 0.25)
    assert abs(q.mult_a / 2 ** q.shift - 0.5) < 1e-9 and abs(q.mult_b / 2 ** q.shift - 0.25) < 1e-9
    with pytest.raises(ValueError, match="b: shape"):
        residual_add(a, b[:10], p)
    with pytest.raises(ValueError, match="mult_a: value 300"):
        AddParams(300, 1, 0)
