import numpy as np
import pytest

from sw.golden.add_norm import (
    BETA_MAX,
    GAMMA_MAX,
    MULT_MAX,
    AddNormParams,
    add_norm,
    variance_shift,
)
from sw.golden.reference import layernorm_float

INT32 = 2 ** 31


def params(inputs: int, e: int, rng, *, mult=None, shift=8) -> AddNormParams:
    mults = rng.integers(1, MULT_MAX + 1, (inputs, e)) if mult is None else np.full((inputs, e),
                                                                                     mult)
    return AddNormParams(mults, shift, rng.integers(-GAMMA_MAX, GAMMA_MAX + 1, e),
                         rng.integers(-BETA_MAX, BETA_MAX + 1, e), 20)


@pytest.mark.parametrize("e", [1, 8, 64, 384, 4096])
def test_every_intermediate_of_the_worst_case_fits_rv32(e):
    """Largest multipliers, extreme inputs and all 255 inputs: each value the cores hold
    stays within 32 bits (signed, or unsigned for the squares' sum V)."""
    rng = np.random.default_rng(e)
    p = params(255, e, rng, mult=MULT_MAX, shift=0)
    x = np.where(np.arange(e) % 2, 127, -128).astype(np.int8)[None].repeat(2, 0)
    r = add_norm([x] * 255, p)
    assert np.abs(r.w).max() < INT32
    d = r.t - np.floor_divide(2 * r.t.sum(1, keepdims=True) + e, 2 * e)
    big_v = ((d * d) >> variance_shift(e)).sum(1)
    assert big_v.max() < 2 ** 32
    assert np.abs(r.z * p.gamma + p.beta).max() < INT32


@pytest.mark.parametrize("seed", range(3))
def test_add_norm_tracks_the_float_layernorm_of_the_sum(seed):
    rng = np.random.default_rng(seed)
    e = 256
    scales = [rng.uniform(0.5, 2.0, e), np.full(e, 1.0), rng.uniform(0.01, 0.1, e)]
    xs = [rng.integers(-128, 128, (16, e)).astype(np.int8) for _ in scales]
    real = sum(x * s for x, s in zip(xs, scales, strict=True))
    unit = max(s.max() for s in scales) / MULT_MAX
    mults = np.stack([np.rint(s / unit) for s in scales]).astype(np.int64)
    shift = int(np.ceil(np.log2(np.abs(real).max() / unit / 2047)))
    gamma = rng.uniform(0.5, 1.5, e)
    beta = rng.normal(0, 0.1, e)
    out_scale = 4 / 127                     # |gamma * z + beta| stays below about 4
    p = AddNormParams(mults, shift, np.rint(gamma / 256 / out_scale * 2 ** 12).astype(int),
                      np.rint(beta / out_scale * 2 ** 12).astype(int), 12)
    got = add_norm(xs, p).out * out_scale
    want = np.clip(layernorm_float(real, gamma, beta), -128 * out_scale, 127 * out_scale)
    assert np.abs(got - want).max() < 0.03 * 4


def test_a_constant_row_normalises_to_beta():
    rng = np.random.default_rng(0)
    p = params(2, 64, rng, mult=300, shift=2)
    x = np.full((3, 64), 9, dtype=np.int8)
    r = add_norm([x, x], p)
    assert not r.z.any()
    assert np.array_equal(r.out, np.clip((p.beta + 2 ** 19) >> 20, -128, 127)[None].repeat(3, 0))


@pytest.mark.parametrize("change, message", [
    (dict(mults=np.full((2, 8), MULT_MAX + 1)), "mults: value 65536 is outside 0..65535"),
    (dict(mults=np.zeros((0, 8), dtype=int)), "mults: 0 inputs; 1..255 are supported"),
    (dict(gamma=np.zeros(7, dtype=int)), "gamma: length 7 does not match the row length 8"),
    (dict(beta=np.full(8, BETA_MAX + 1)), "beta: value 1073741824 is outside"),
    (dict(shift=32), "shift: value 32 is outside 0..31"),
])
def test_bad_parameters_name_the_value_and_the_limit(change, message):
    base = dict(mults=np.ones((2, 8), dtype=int), shift=0, gamma=np.ones(8, dtype=int),
                beta=np.zeros(8, dtype=int), out_shift=0)
    with pytest.raises(ValueError, match=message):
        AddNormParams(**(base | change))


def test_inputs_that_do_not_match_the_parameters_are_errors():
    p = AddNormParams(np.ones((2, 8), dtype=int), 0, np.ones(8, dtype=int),
                      np.zeros(8, dtype=int), 0)
    x = np.zeros((4, 8), dtype=np.int8)
    with pytest.raises(ValueError, match="inputs: 1 tensors; the parameters have multipliers "
                       "for 2"):
        add_norm([x], p)
    with pytest.raises(ValueError, match=r"inputs\[1\]: shape \(4, 16\); expected \(S, 8\)"):
        add_norm([x, np.zeros((4, 16), dtype=np.int8)], p)


def test_a_padded_row_normalises_like_its_real_columns():
    rng = np.random.default_rng(5)
    real = params(2, 40, rng, shift=6)
    xs = [rng.integers(-128, 128, (3, 40)).astype(np.int8) for _ in range(2)]
    pad = 8
    padded = AddNormParams(np.pad(real.mults, ((0, 0), (0, pad))), real.shift,
                           np.pad(real.gamma, (0, pad)), np.pad(real.beta, (0, pad)),
                           real.out_shift, 40)
    got = add_norm([np.pad(x, ((0, 0), (0, pad))) for x in xs], padded).out
    np.testing.assert_array_equal(got[:, :40], add_norm(xs, real).out)
    assert not got[:, 40:].any()
