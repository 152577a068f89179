from fractions import Fraction

import numpy as np
import pytest

from sw.golden import Requant, requant_for, requantize, round_shift


def reference(acc: int, mult: int, shift: int, add: int) -> int:
    """floor(mult * clip(acc) / 2**shift + 1/2) + add, clamped, in exact rationals."""
    acc = max(-(2 ** 25), min(2 ** 25 - 1, acc))
    r = Fraction(mult * acc, 2 ** shift) + Fraction(1, 2)
    return max(-128, min(127, (r.numerator // r.denominator) + add))


@pytest.mark.parametrize("acc, mult, shift, add, expected", [
    (1, 1, 1, 0, 1),          # 0.5 rounds up
    (-1, 1, 1, 0, 0),         # -0.5 rounds up to 0
    (-3, 1, 1, 0, -1),        # -1.5 rounds up to -1
    (3, 1, 1, 0, 2),          # 1.5 -> 2
    (5, 3, 0, 0, 15),         # shift 0: no rounding bit
    (1000, 255, 0, 0, 127),   # saturates high
    (-1000, 255, 0, 0, -128),  # saturates low
    (10, 1, 0, 127, 127),     # add saturates
    (-10, 1, 0, -128, -128),
    (2 ** 30, 1, 20, 0, 32),  # acc clipped to 2**25 - 1 first: (2**25-1) / 2**20 = 31.99 -> 32
    (-(2 ** 30), 1, 20, 0, -32),
    (100, 0, 5, 7, 7),        # mult 0 leaves add
    (2 ** 25 - 1, 255, 31, 0, 4),
])
def test_requantize_edges(acc, mult, shift, add, expected):
    assert reference(acc, mult, shift, add) == expected
    assert int(requantize(acc, mult, shift, add)) == expected


def test_requantize_matches_exact_rationals():
    rng = np.random.default_rng(1)
    acc = rng.integers(-(2 ** 26), 2 ** 26, 4000)
    mult = rng.integers(0, 256, 4000)
    shift = rng.integers(0, 32, 4000)
    add = rng.integers(-128, 128, 4000)
    got = requantize(acc, mult, shift, add)
    assert got.dtype == np.int8
    want = [reference(*map(int, t)) for t in zip(acc, mult, shift, add, strict=True)]
    np.testing.assert_array_equal(got, want)


def test_round_shift_is_floor_plus_half():
    p = np.arange(-1000, 1000)
    for s in range(0, 6):
        np.testing.assert_array_equal(round_shift(p, s), np.floor(p / 2 ** s + 0.5))


@pytest.mark.parametrize("args, message", [
    ((1.5, 1, 0, 0), "acc: dtype float64"),
    ((1, 256, 0, 0), "mult: value 256 is outside 0..255"),
    ((1, -1, 0, 0), "mult: value -1 is outside 0..255"),
    ((1, 1, 32, 0), "shift: value 32 is outside 0..31"),
    ((1, 1, 0, 128), "add: value 128 is outside -128..127"),
])
def test_requantize_rejects_bad_constants(args, message):
    with pytest.raises(ValueError, match=message):
        requantize(*args)


def test_requant_object_validates():
    with pytest.raises(ValueError, match="shift: value 40"):
        Requant(1, 40, 0)
    assert Requant(3, 2, 1)(np.array([4])).tolist() == [4]


@pytest.mark.parametrize("ratio", [1e-9, 1e-4, 0.0123, 0.5, 1.0, 3.7, 200.0, 255.0])
def test_requant_for_is_close(ratio):
    rq = requant_for(ratio)
    if ratio * 2 ** 31 >= 0.5:
        assert abs(rq.scale - ratio) / ratio < 2 ** -7 or rq.shift == 31
    assert rq.mult <= 255


@pytest.mark.parametrize("ratio", [0.0, -1.0, 256.0, float("nan")])
def test_requant_for_rejects(ratio):
    with pytest.raises(ValueError, match="outside"):
        requant_for(ratio)
