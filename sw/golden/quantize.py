"""Post-training quantization of a float encoder layer into :class:`EncoderParams`.

Every tensor gets one symmetric int8 scale, ``max|t| / 127`` measured on calibration inputs;
weights get one scale per matrix. Each requantizer maps an accumulator scale to the scale of
its output (:func:`requant_for`), biases are quantized to the accumulator scale, the logits of
QK use the scale ITAMax expects (``ln 2 / 2**k`` per step) and A (the softmax output) has the
scale 1/255.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from hw.ita.config import Activation, ITAConfig

from .activation import GeluConstants, derive_gelu
from .checks import instance, int_scalar, real_array
from .encoder import EncoderParams
from .layers import BIAS_MAX, BIAS_MIN, DEFAULT, FFNParams, HeadParams
from .norm import AddParams, LayerNormParams
from .reference import FloatEncoder, float_encoder_layer
from .requant import requant_for

__all__ = ["QuantizedEncoder", "quantize_encoder", "quantize_tensor", "logit_scale",
           "A_SCALE", "NORM_SCALE", "f2_chunks", "calibrate", "pad_head"]

#: Real value of one step of the softmax output A.
A_SCALE = 1 / 255
#: Real value of one step of the normalised value z inside LayerNorm.
NORM_SCALE = 2.0 ** -8


def logit_scale(k: int) -> float:
    """Real value (in natural-log units) of one step of an ITAMax input logit."""
    return math.log(2) / 2 ** int_scalar("k", k, 0, 7)


def _scale(t: np.ndarray) -> float:
    return max(float(np.abs(t).max()), 1e-8) / 127


def quantize_tensor(t: np.ndarray, scale: float) -> np.ndarray:
    """Round ``t / scale`` to int8 (saturating). ``t`` must be finite and ``scale`` (a number,
    or an array that broadcasts against ``t``) positive and finite."""
    t = real_array("t", t)
    scale = real_array("scale", scale, positive=True)
    return np.clip(np.rint(t / scale), -128, 127).astype(np.int8)


def _bias(b: np.ndarray, scale: float) -> np.ndarray:
    return np.clip(np.rint(b / scale), BIAS_MIN, BIAS_MAX).astype(np.int64)


@dataclass(frozen=True)
class QuantizedEncoder:
    """The integer parameters and the scales of the layer's input and output."""

    params: EncoderParams
    scale_in: float
    scale_out: float
    scales: dict[str, float]

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        return quantize_tensor(x, self.scale_in)

    def dequantize_output(self, y: np.ndarray) -> np.ndarray:
        return y.astype(np.float64) * self.scale_out


def _layernorm(gamma: np.ndarray, beta: np.ndarray, s_out: float) -> LayerNormParams:
    s_g = _scale(gamma)
    acc = NORM_SCALE * s_g
    return LayerNormParams(quantize_tensor(gamma, s_g), _bias(beta, acc),
                           requant_for(acc / s_out))


def pad_head(h: HeadParams, m: int) -> HeadParams:
    """Pad the head's projection P to a multiple of ``m`` with zero weights and biases: the
    padded columns of Q, K and V are 0 and add nothing to QK or to the output projection (the
    QK requantizer keeps the real P's 1/sqrt(P))."""
    pad = -h.proj % m
    if not pad:
        return h
    cols = ((0, 0), (0, pad))
    return replace(h, wq=np.pad(h.wq, cols), wk=np.pad(h.wk, cols), wv=np.pad(h.wv, cols),
                   wo=np.pad(h.wo, ((0, pad), (0, 0))), bq=np.pad(h.bq, (0, pad)),
                   bk=np.pad(h.bk, (0, pad)), bv=np.pad(h.bv, (0, pad)))


def f2_chunks(ff: int, cfg: ITAConfig) -> int:
    """Chunks of F2's inner dimension ``ff``: one when the engine's accumulator takes all of
    it (``ff <= max_tiles * M``), else the fewest equal chunks of a multiple of M each within
    that size."""
    if ff <= cfg.max_size:
        return 1
    for n in range(-(-ff // cfg.max_size), ff // cfg.m + 1):
        if ff % n == 0 and (ff // n) % cfg.m == 0:
            return n
    raise ValueError(f"F = {ff} does not split into chunks of a multiple of M = {cfg.m}")


def calibrate(p: FloatEncoder, x: np.ndarray, lengths=None) -> dict[str, np.ndarray]:
    """Run the float layer on a calibration batch ``x`` (B, S, E) or one sequence (S, E) and
    return every intermediate of :func:`float_encoder_layer` over the real tokens only: rows
    of all sequences stacked, and for the logits the real keys of the real queries, flattened.
    ``lengths`` (B,) gives the real tokens of each sequence (default: all)."""
    instance("p", p, FloatEncoder)
    x = real_array("calibration input", x)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[2] != p.heads[0].wq.shape[0]:
        raise ValueError(f"calibration input: shape {x.shape}; expected (B, S, "
                         f"{p.heads[0].wq.shape[0]}) or (S, {p.heads[0].wq.shape[0]})")
    if x.ndim == 3 and 0 in x.shape[:2]:
        raise ValueError(f"calibration input: shape {x.shape} has no sequences or no rows")
    lengths = np.full(x.shape[0], x.shape[1]) if lengths is None else np.asarray(lengths)
    if lengths.dtype == np.bool_ or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths: dtype {lengths.dtype} is not an integer type")
    if lengths.shape != (x.shape[0],) or lengths.min() < 1 or lengths.max() > x.shape[1]:
        raise ValueError(f"lengths: {lengths!r}; expected {x.shape[0]} values in "
                         f"1..{x.shape[1]}")
    parts: dict[str, list[np.ndarray]] = {}
    for xi, n in zip(x, lengths, strict=True):
        n = int(n)
        for name, v in float_encoder_layer(xi, p, valid=n).items():
            v = v[:n, :n].ravel() if name.startswith("logits") else v[:n]
            parts.setdefault(name, []).append(v)
    return {name: np.concatenate(v) for name, v in parts.items()}


def quantize_encoder(p: FloatEncoder, x_calib: np.ndarray, *, lengths=None,
                     cfg: ITAConfig = DEFAULT) -> QuantizedEncoder:
    """Quantize a float encoder layer, measuring activation scales with :func:`calibrate` on
    ``x_calib`` (B, S, E) or (S, E) with real lengths ``lengths``."""
    instance("cfg", cfg, ITAConfig)
    t = calibrate(p, x_calib, lengths)
    s = {name: _scale(v) for name, v in t.items()}
    s_logit = logit_scale(cfg.softmax_shift)
    s_y = max(s[f"y{h}"] for h in range(len(p.heads)))  # heads share one scale for the sum
    heads = []
    for h, fh in enumerate(p.heads):
        sw = {n: _scale(getattr(fh, n)) for n in ("wq", "wk", "wv", "wo")}
        wq, wk, wv, wo = (quantize_tensor(getattr(fh, n), sw[n]) for n in sw)
        acc_q, acc_k, acc_v = (s["x"] * sw[n] for n in ("wq", "wk", "wv"))
        acc_o = s[f"o{h}"] * sw["wo"]
        bo = p.bo if h == 0 else np.zeros_like(p.bo)
        proj = fh.wq.shape[1]
        heads.append(pad_head(HeadParams(
            wq, wk, wv, wo, _bias(fh.bq, acc_q), _bias(fh.bk, acc_k), _bias(fh.bv, acc_v),
            _bias(bo, acc_o),
            requant_for(acc_q / s[f"q{h}"]), requant_for(acc_k / s[f"k{h}"]),
            requant_for(acc_v / s[f"v{h}"]),
            requant_for(s[f"q{h}"] * s[f"k{h}"] / math.sqrt(proj) / s_logit),
            requant_for(A_SCALE * s[f"v{h}"] / s[f"o{h}"]),
            requant_for(acc_o / s_y)), cfg.m))
    s_w1, s_w2 = _scale(p.w1), _scale(p.w2)
    act = Activation(p.act)
    gelu: GeluConstants | None = None
    if act is Activation.GELU:
        gelu, rq_act = derive_gelu(s["f1_pre"], s["f1"])
    else:
        rq_act = requant_for(s["f1_pre"] / s["f1"])
    acc_f2 = s["f1"] * s_w2
    chunks = f2_chunks(p.w1.shape[1], cfg)
    if chunks == 1:
        rq_f2, rq_chunks = requant_for(acc_f2 / s["f2"]), ()
    else:                       # F2 in chunks sharing one scale for their sum (as the heads)
        f = p.w1.shape[1]
        spans = [(c * f // chunks, (c + 1) * f // chunks) for c in range(chunks)]
        s_part = max(_scale(t["f1"][:, a:b] @ p.w2[a:b] + (p.b2 if c == 0 else 0))
                     for c, (a, b) in enumerate(spans))
        rq_f2 = requant_for(s_part / s["f2"])
        rq_chunks = (requant_for(acc_f2 / s_part),) * chunks
    ffn = FFNParams(quantize_tensor(p.w1, s_w1), _bias(p.b1, s["ln1"] * s_w1),
                    quantize_tensor(p.w2, s_w2), _bias(p.b2, acc_f2),
                    requant_for(s["ln1"] * s_w1 / s["f1_pre"]), rq_f2, act, rq_act, gelu,
                    rq_chunks)
    params = EncoderParams(
        heads=tuple(heads),
        head_sum=requant_for(s_y / s["mha"]),
        add1=AddParams.for_ratios(s["x"] / s["add1"], s["mha"] / s["add1"]),
        ln1=_layernorm(p.gamma1, p.beta1, s["ln1"]),
        ffn=ffn,
        add2=AddParams.for_ratios(s["ln1"] / s["add2"], s["f2"] / s["add2"]),
        ln2=_layernorm(p.gamma2, p.beta2, s["out"]))
    return QuantizedEncoder(params, s["x"], s["out"], s)
