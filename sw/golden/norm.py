"""Integer LayerNorm and the requantized residual add, defined so that RV32IM cores compute
them bit-exactly with 32-bit integer instructions (no intermediate exceeds 32 bits).

LayerNorm of one int8 row ``x`` of length E (E <= 4096), output int8:

    s     = sum(x)
    mu    = floor((2*s + E) / (2*E))               # mean, rounded half up
    d     = x - mu                                 # |d| <= 255
    V     = sum(d * d)                             # < 2**32
    v     = floor(V * 2**14 / E)                   # variance * 2**14, < 2**30
    sigma = max(1, isqrt(v))                       # std * 2**7
    r     = floor(2**24 / sigma)
    z     = (d * r) >> 9                           # (x - mu) / std * 2**8
    y     = requant(z * gamma + beta)              # gamma int8, beta 24-bit, per column

On RV32: ``mu = divu(2*(s + 128*E) + E, 2*E) - 128``; ``v = ((V / E) << 14) + (((V % E) << 14)
/ E)`` with unsigned division; ``isqrt`` by any exact method; ``d * r`` fits 32 bits because
``|d| / sigma <= sqrt(E) / 2**7``.

Residual add of two int8 tensors ``a`` and ``b`` with unsigned 8-bit multipliers:

    y = clamp(floor((mult_a * a + mult_b * b) / 2**shift + 1/2) + add, -128, 127)
"""

from dataclasses import dataclass

import numpy as np

from .checks import instance, int_array, int_scalar
from .layers import BIAS_MAX, BIAS_MIN, int8_matrix
from .requant import MAX_SHIFT, Requant, round_shift

__all__ = ["MAX_NORM_SIZE", "isqrt", "LayerNormParams", "layernorm_stats", "layernorm",
           "AddParams", "residual_add"]

#: Longest row LayerNorm accepts (keeps every RV32 intermediate within 32 bits).
MAX_NORM_SIZE = 4096


def isqrt(v) -> np.ndarray:
    """Return ``floor(sqrt(v))`` exactly for non-negative integers below 2**52."""
    v = int_array("v", v, 0, 2 ** 52 - 1)
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


@dataclass(frozen=True)
class LayerNormParams:
    """LayerNorm constants: ``gamma`` (E,) int8, ``beta`` (E,) 24-bit, one requantizer."""

    gamma: np.ndarray
    beta: np.ndarray
    rq: Requant

    def __post_init__(self) -> None:
        # the lengths are checked against the rows where it runs (layernorm, the compiler)
        int_array("LayerNormParams.gamma", self.gamma, -128, 127, ndim=1)
        int_array("LayerNormParams.beta", self.beta, BIAS_MIN, BIAS_MAX, ndim=1)
        instance("LayerNormParams.rq", self.rq, Requant)


def layernorm_stats(x) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(d, z)`` of every row of int8 ``x``: centred values and normalised values."""
    x = int8_matrix("x", x)
    e = x.shape[1]
    if not 1 <= e <= MAX_NORM_SIZE:
        raise ValueError(f"x: row length {e} is outside 1..{MAX_NORM_SIZE}")
    s = x.sum(axis=1, keepdims=True)
    mu = np.floor_divide(2 * s + e, 2 * e)
    d = x - mu
    v = (d * d).sum(axis=1, keepdims=True) * 2 ** 14 // e
    sigma = np.maximum(isqrt(v), 1)
    z = (d * (2 ** 24 // sigma)) >> 9
    return d, z


def layernorm(x, p: LayerNormParams) -> np.ndarray:
    """Return the integer LayerNorm of each row of int8 ``x`` (S, E) as int8."""
    instance("p", p, LayerNormParams)
    _, z = layernorm_stats(x)
    e = z.shape[1]
    gamma = int_array("gamma", p.gamma, -128, 127, ndim=1)
    beta = int_array("beta", p.beta, BIAS_MIN, BIAS_MAX, ndim=1)
    for name, vec in (("gamma", gamma), ("beta", beta)):
        if vec.shape[0] != e:
            raise ValueError(f"{name}: length {vec.shape[0]} does not match the row length {e}")
    return p.rq(z * gamma + beta)


@dataclass(frozen=True)
class AddParams:
    """Constants of the residual add: ``mult_a``, ``mult_b`` in 0..255, ``shift`` in 0..31,
    ``add`` in -128..127."""

    mult_a: int
    mult_b: int
    shift: int
    add: int = 0

    def __post_init__(self) -> None:
        int_scalar("mult_a", self.mult_a, 0, 255)
        int_scalar("mult_b", self.mult_b, 0, 255)
        int_scalar("shift", self.shift, 0, MAX_SHIFT)
        int_scalar("add", self.add, -128, 127)

    @classmethod
    def for_ratios(cls, ratio_a: float, ratio_b: float, add: int = 0) -> "AddParams":
        """Choose constants so that ``mult / 2**shift`` approximate both ratios (in (0, 255])."""
        for name, r in (("ratio_a", ratio_a), ("ratio_b", ratio_b)):
            if not np.isfinite(r) or not 0 < r <= 255:
                raise ValueError(f"residual add {name} {r!r} is outside (0, 255]")
        shift = int(min(MAX_SHIFT, max(0, np.floor(np.log2(255 / max(ratio_a, ratio_b))))))
        return cls(min(255, round(ratio_a * 2 ** shift)), min(255, round(ratio_b * 2 ** shift)),
                   shift, add)


def residual_add(a, b, p: AddParams) -> np.ndarray:
    """Return ``clamp(round_half_up((mult_a*a + mult_b*b) / 2**shift) + add)`` as int8."""
    instance("p", p, AddParams)
    a = int_array("a", a, -128, 127)
    b = int_array("b", b, -128, 127)
    if a.shape != b.shape:
        raise ValueError(f"b: shape {b.shape} does not match a's shape {a.shape}")
    r = round_shift(p.mult_a * a + p.mult_b * b, p.shift)
    return np.clip(r + p.add, -128, 127).astype(np.int8)
