import numpy as np
import pytest

from hw.ita.config import Activation, ITAConfig
from sw.golden import encoder_layer, float_encoder_layer, quantize_encoder, random_float_encoder


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.mark.parametrize("act", [Activation.GELU, Activation.RELU])
@pytest.mark.parametrize("k", [0, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quantized_encoder_tracks_float(seed, k, act):
    """At S=64, E=128, H=2, P=64, F=256 the int8 layer's output has a cosine similarity of at
    least 0.98 with the float layer on held-out inputs (measured 0.996-0.998). The output is
    after the last LayerNorm, so the threshold is on a normalised signal: the quantization
    noise of every step adds up in it."""
    rng = np.random.default_rng(seed)
    fe = random_float_encoder(rng, emb=128, heads=2, proj=64, ff=256, act=act)
    cfg = ITAConfig(softmax_shift=k)
    calib = rng.normal(size=(256, 128))
    q = quantize_encoder(fe, calib, cfg=cfg)
    x = rng.normal(size=(64, 128))
    got = q.dequantize_output(encoder_layer(q.quantize_input(x), q.params, cfg=cfg).out)
    sim = cosine(got, float_encoder_layer(x, fe)["out"])
    print(f"seed {seed} k {k} {act.name}: cosine {sim:.4f}")
    assert sim >= 0.98


@pytest.mark.parametrize("ff, chunks", [(256, 1), (512, 2), (768, 3)])
def test_a_long_feedforward_runs_f2_in_chunks_and_still_tracks_float(ff, chunks):
    """An F over the engine's largest size (here max_tiles * M = 256) splits F2 into equal
    chunks summed like the heads; the layer still tracks the float one, and the chunked F2 is
    the requantized sum of each chunk's own step."""
    from sw.golden import feedforward, matmul_step

    rng = np.random.default_rng(ff)
    cfg = ITAConfig(n=8, m=32, max_tiles=8)
    fe = random_float_encoder(rng, emb=64, heads=1, proj=32, ff=ff)
    q = quantize_encoder(fe, rng.normal(size=(128, 64)), cfg=cfg)
    p = q.params.ffn
    assert len(p.f2_chunks) == (chunks if chunks > 1 else 0)
    x = rng.normal(size=(64, 64))
    r = encoder_layer(q.quantize_input(x), q.params, cfg=cfg)
    assert cosine(q.dequantize_output(r.out), float_encoder_layer(x, fe)["out"]) >= 0.98
    f1 = feedforward(r.ln1, p, cfg=cfg).f1.out
    if chunks > 1:
        parts = [matmul_step(f1[:, a:b], p.w2[a:b], p.b2 if c == 0 else None, rq, cfg=cfg).out
                 for c, ((a, b), rq) in enumerate(zip(p.chunk_spans(), p.f2_chunks,
                                                      strict=True))]
        np.testing.assert_array_equal(r.ffn.out, p.rq_f2(np.sum(parts, axis=0, dtype=np.int64)))
