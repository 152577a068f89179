"""Float reference of the encoder layer (the same structure as :mod:`.encoder`)."""

import math
from dataclasses import dataclass

import numpy as np

from hw.ita.config import Activation

from .checks import instance, real_array

__all__ = ["FloatHead", "FloatEncoder", "random_float_encoder", "float_encoder_layer",
           "gelu", "layernorm_float", "softmax"]


@dataclass(frozen=True)
class FloatHead:
    """One head: ``wq``, ``wk``, ``wv`` (E, P), ``wo`` (P, E), biases ``bq``, ``bk``, ``bv``
    (P,)."""

    wq: np.ndarray
    wk: np.ndarray
    wv: np.ndarray
    wo: np.ndarray
    bq: np.ndarray
    bk: np.ndarray
    bv: np.ndarray

    def __post_init__(self) -> None:
        e, p = real_array("FloatHead.wq", self.wq, ndim=2).shape
        for name, shape in (("wk", (e, p)), ("wv", (e, p)), ("wo", (p, e)), ("bq", (p,)),
                            ("bk", (p,)), ("bv", (p,))):
            _shaped(f"FloatHead.{name}", getattr(self, name), shape)


def _shaped(name: str, x, shape: tuple[int, ...]) -> None:
    arr = real_array(name, x)
    if arr.shape != shape:
        raise ValueError(f"{name}: shape {arr.shape}, expected {shape}")


@dataclass(frozen=True)
class FloatEncoder:
    """Float weights of an encoder layer; ``bo`` (E,) is the attention's output bias."""

    heads: tuple[FloatHead, ...]
    bo: np.ndarray
    gamma1: np.ndarray
    beta1: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    gamma2: np.ndarray
    beta2: np.ndarray
    act: Activation = Activation.GELU
    eps: float = 0.0    #: LayerNorm's epsilon (the integer LayerNorm has none)

    def __post_init__(self) -> None:
        instance("FloatEncoder.heads", self.heads, tuple | list)
        if not self.heads:
            raise ValueError("FloatEncoder.heads: empty; a layer needs at least one head")
        e = np.shape(self.heads[0].wq)[0]
        for h, head in enumerate(self.heads):
            instance(f"FloatEncoder.heads[{h}]", head, FloatHead)
            if np.shape(head.wq)[0] != e:
                raise ValueError(f"FloatEncoder.heads[{h}]: embedding {np.shape(head.wq)[0]} "
                                 f"does not match heads[0]'s {e}")
        f = real_array("FloatEncoder.w1", self.w1, ndim=2).shape[1]
        for name, shape in (("bo", (e,)), ("gamma1", (e,)), ("beta1", (e,)), ("w1", (e, f)),
                            ("b1", (f,)), ("w2", (f, e)), ("b2", (e,)), ("gamma2", (e,)),
                            ("beta2", (e,))):
            _shaped(f"FloatEncoder.{name}", getattr(self, name), shape)
        if isinstance(self.act, bool) or self.act not in set(Activation):
            raise ValueError(f"FloatEncoder.act: {self.act!r} is not a valid Activation")
        if isinstance(self.eps, bool) or not isinstance(self.eps, int | float) or not (
                math.isfinite(self.eps) and self.eps >= 0):
            raise ValueError(f"FloatEncoder.eps: {self.eps!r} must be a finite number >= 0")


def random_float_encoder(rng: np.random.Generator, emb: int, heads: int, proj: int, ff: int,
                         act: Activation = Activation.GELU) -> FloatEncoder:
    """Draw random weights with the usual 1/sqrt(fan-in) scale (for tests and benches)."""

    def w(rows: int, cols: int) -> np.ndarray:
        return rng.normal(0, 1 / math.sqrt(rows), (rows, cols))

    def b(n: int) -> np.ndarray:
        return rng.normal(0, 0.1, n)

    hs = tuple(FloatHead(w(emb, proj), w(emb, proj), w(emb, proj), w(proj, emb), b(proj),
                         b(proj), b(proj)) for _ in range(heads))
    return FloatEncoder(hs, b(emb), 1 + 0.1 * rng.normal(size=emb), b(emb), w(emb, ff), b(ff),
                        w(ff, emb), b(emb), 1 + 0.1 * rng.normal(size=emb), b(emb), act)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax along the last axis."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, to about 1e-15: a series for ``|x| < 2.5``, a continued fraction of
    ``erfc`` beyond."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = np.minimum(a, 2.5)
    term = small.copy()                        # sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    total = small.copy()
    for n in range(1, 60):
        term = term * -small * small / n
        total = total + term / (2 * n + 1)
    series = 2 / math.sqrt(math.pi) * total
    big = np.maximum(a, 2.5)
    frac = np.zeros_like(big)                  # erfc(x) = exp(-x^2)/sqrt(pi) / (x + 1/2/(x + ...
    for k in range(60, 0, -1):
        frac = (k / 2) / (big + frac)
    tail = 1 - np.exp(-big * big) / math.sqrt(math.pi) / (big + frac)
    return np.sign(x) * np.where(a < 2.5, series, tail)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, ``x/2 * (1 + erf(x / sqrt(2)))``."""
    return 0.5 * x * (1 + erf(np.asarray(x, dtype=np.float64) / math.sqrt(2)))


def layernorm_float(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                    eps: float = 0.0) -> np.ndarray:
    """LayerNorm over the last axis, ``(x - mean) / sqrt(var + eps) * gamma + beta``."""
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(np.maximum(var + eps, 1e-24)) * gamma + beta


def float_encoder_layer(x: np.ndarray, p: FloatEncoder, valid: int | None = None
                        ) -> dict[str, np.ndarray]:
    """Run the float layer and return every intermediate by name (used for calibration).

    ``valid``, when given, is the number of real tokens: the keys after them (padding) take no
    part in any softmax.

    Keys: ``x``, ``q{h}``, ``k{h}``, ``v{h}``, ``logits{h}`` (scaled by 1/sqrt(P)),
    ``o{h}``, ``y{h}`` (head output; head 0 carries the bias ``bo``), ``mha``, ``add1``,
    ``ln1``, ``f1_pre``, ``f1``, ``f2``, ``add2``, ``out``.
    """
    t: dict[str, np.ndarray] = {"x": x}
    mha = np.zeros_like(x)
    for h, head in enumerate(p.heads):
        q, k, v = x @ head.wq + head.bq, x @ head.wk + head.bk, x @ head.wv + head.bv
        logits = q @ k.T / math.sqrt(q.shape[1])
        if valid is not None:
            logits[:, valid:] = -np.inf
        o = softmax(logits) @ v
        y = o @ head.wo + (p.bo if h == 0 else 0)
        t |= {f"q{h}": q, f"k{h}": k, f"v{h}": v, f"logits{h}": logits, f"o{h}": o,
              f"y{h}": y}
        mha = mha + y
    t["mha"] = mha
    t["add1"] = x + mha
    t["ln1"] = layernorm_float(t["add1"], p.gamma1, p.beta1, p.eps)
    t["f1_pre"] = t["ln1"] @ p.w1 + p.b1
    acts = {Activation.IDENTITY: lambda a: a, Activation.RELU: lambda a: np.maximum(a, 0),
            Activation.GELU: gelu}
    t["f1"] = acts[Activation(p.act)](t["f1_pre"])
    t["f2"] = t["f1"] @ p.w2 + p.b2
    t["add2"] = t["ln1"] + t["f2"]
    t["out"] = layernorm_float(t["add2"], p.gamma2, p.beta2, p.eps)
    return t
