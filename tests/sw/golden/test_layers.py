import numpy as np
import pytest

from hw.ita.config import Activation, ITAConfig
from sw.golden import (
    FFNParams,
    HeadParams,
    Requant,
    attention_head,
    feedforward,
    itamax,
    linear,
    matmul_step,
    multi_head_attention,
    requantize,
)


def rand_head(rng, e, p):
    def w(r, c):
        return rng.integers(-128, 128, (r, c))

    def b(n):
        return rng.integers(-(2 ** 16), 2 ** 16, n)

    rq = [Requant(int(rng.integers(1, 256)), int(rng.integers(8, 16)), 0) for _ in range(6)]
    return HeadParams(w(e, p), w(e, p), w(e, p), w(p, e), b(p), b(p), b(p), b(e), *rq)


def test_attention_head_composes_steps():
    """Each intermediate follows from the previous ones by an independent plain computation."""
    cfg = ITAConfig(n=8, m=32)
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (64, 96))
    h = rand_head(rng, 96, 32)
    r = attention_head(x, h, cfg=cfg)

    def step(a, b, bias, rq):
        acc = a.astype(object) @ b.astype(object) + (0 if bias is None else bias)
        return requantize(np.array(acc, dtype=np.int64), rq.mult, rq.shift, rq.add)

    np.testing.assert_array_equal(r.q.out, step(x, h.wq, h.bq, h.rq_q))
    np.testing.assert_array_equal(r.k.out, step(x, h.wk, h.bk, h.rq_k))
    np.testing.assert_array_equal(r.v.out, step(x, h.wv, h.bv, h.rq_v))
    np.testing.assert_array_equal(r.qk.out, step(r.q.out, r.k.out.T, None, h.rq_qk))
    np.testing.assert_array_equal(r.softmax.a, itamax(r.qk.out, group=8, k=5))
    np.testing.assert_array_equal(r.av.out, step(r.softmax.a, r.v.out, None, h.rq_av))
    np.testing.assert_array_equal(r.out, step(r.av.out, h.wo, h.bo, h.rq_ow))
    assert r.out.shape == (64, 96) and r.out.dtype == np.int8


def test_multi_head_sum():
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, (64, 64))
    heads = [rand_head(rng, 64, 64) for _ in range(3)]
    r = multi_head_attention(x, heads, Requant(85, 8, 0))
    total = sum(attention_head(x, h).out.astype(np.int64) for h in heads)
    np.testing.assert_array_equal(r.head_sum, total)
    np.testing.assert_array_equal(r.out, requantize(total, 85, 8, 0))


@pytest.mark.parametrize("act", list(Activation))
def test_feedforward_and_linear(act):
    from sw.golden import GeluConstants
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (64, 64))
    gelu = GeluConstants.for_scale(4 / 127) if act is Activation.GELU else None
    p = FFNParams(rng.integers(-128, 128, (64, 128)), rng.integers(-1000, 1000, 128),
                  rng.integers(-128, 128, (128, 64)), rng.integers(-1000, 1000, 64),
                  Requant(50, 14), Requant(60, 14), act, Requant(100, 10), gelu)
    r = feedforward(x, p)
    lin = linear(x, p.w1, p.b1, p.rq_f1, act, p.rq_act, gelu)
    np.testing.assert_array_equal(r.f1.out, lin.out)
    np.testing.assert_array_equal(r.f2.out, matmul_step(lin.out, p.w2, p.b2, p.rq_f2).out)


@pytest.mark.parametrize("a_shape, b_shape, message", [
    ((64, 60), (60, 64), "a columns: size 60 is not a positive multiple of the tile 64"),
    ((32, 64), (64, 64), "a rows: size 32"),
    ((64, 64), (128, 64), "b rows: size 128 does not match a columns = 64"),
    ((64, 64), (64, 0), "b columns: size 0"),
])
def test_matmul_step_shape_errors(a_shape, b_shape, message):
    with pytest.raises(ValueError, match=message):
        matmul_step(np.zeros(a_shape, int), np.zeros(b_shape, int), None, Requant(1, 0))


def test_matmul_step_value_errors():
    z = np.zeros((64, 64), int)
    with pytest.raises(ValueError, match="a: value 128 is outside -128..127"):
        matmul_step(z + 128, z, None, Requant(1, 0))
    with pytest.raises(ValueError, match="bias: value 8388608 is outside -8388608..8388607"):
        matmul_step(z, z, np.full(64, 2 ** 23), Requant(1, 0))
    with pytest.raises(ValueError, match="a: dtype float64"):
        matmul_step(z.astype(float), z, None, Requant(1, 0))
    # A in the AV step is unsigned
    matmul_step(z + 255, z, None, Requant(1, 0), a_unsigned=True)


def test_itaconfig_validation():
    with pytest.raises(ValueError, match="ITAConfig.n = 12: must be a power of two in 2..64"):
        ITAConfig(n=12)
    with pytest.raises(ValueError, match="ITAConfig.m = 16 must be a multiple of n = 32"):
        ITAConfig(n=32, m=16)
    with pytest.raises(ValueError, match="softmax_shift = 9"):
        ITAConfig(softmax_shift=9)
