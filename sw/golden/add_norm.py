"""The fused residual sum and LayerNorm: int8 inputs summed wide, normalised, int8 out.

The residual stream of a real Transformer has outlier channels: a few columns a hundred times
larger than the rest. Summed into one int8 tensor, the other columns keep one or two levels.
Here the sum never becomes int8: each input ``i`` (int8, (S, E)) has one unsigned 16-bit
multiplier per column, and the sum stays in 32 bits up to the normalisation. Defined so that
RV32IM cores compute it bit-exactly with 32-bit integer instructions. Per row, with ``E`` the
row length (1..4096) and ``vs = max(0, bitlen(E) - 8)``:

    w     = sum_i mult[i, c] * x_i[c]                # |w| < 2**31 (at most 255 inputs)
    t     = clamp(round_shift(w, shift), -2048, 2047)  # 12 bit
    mu    = floor((2 * sum(t) + E) / (2 * E))
    d     = t - mu                                   # |d| <= 4095
    V     = sum((d * d) >> vs)                       # < 2**32
    v     = floor(V * 2**(vs + 6) / E)               # variance * 2**6, < 2**31
    sigma = max(1, isqrt(v))                         # std * 2**3
    r     = floor(2**23 / sigma)
    z     = (d * r) >> 12                            # (t - mu) / std * 2**8, |d * r| < 2**27
    y     = clamp(round_shift(z * gamma[c] + beta[c], out_shift), -128, 127)

``gamma`` is signed 16-bit and ``beta`` a signed 31-bit value per column, so each output column
has its own scale (the quantizer folds the column's scale into them). A row padded with zero
columns (E padded to a multiple of M) sets ``cols`` to its real length: ``mu``, ``V`` and
``v`` are taken over the first ``cols`` columns, with ``cols`` for ``E``; the padded columns
get ``y = 0`` from their zero gamma and beta. On RV32,
``v = ((V / E) << (vs + 6)) + (((V % E) << (vs + 6)) / E)`` with unsigned division.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .checks import instance, int_array, int_scalar
from .norm import MAX_NORM_SIZE, isqrt
from .requant import MAX_SHIFT, round_shift

__all__ = ["AddNormParams", "AddNormResult", "add_norm", "T_MIN", "T_MAX", "MULT_MAX",
           "GAMMA_MAX", "BETA_MAX", "MAX_INPUTS", "variance_shift"]

#: Range of the 12-bit normalised input ``t``.
T_MIN, T_MAX = -2048, 2047
#: Largest per-column input multiplier (unsigned 16 bit).
MULT_MAX = 2 ** 16 - 1
#: Largest |gamma| (signed 16 bit) and |beta| (signed 31 bit).
GAMMA_MAX = 2 ** 15 - 1
BETA_MAX = 2 ** 30 - 1
#: Most inputs of one sum (keeps ``w`` within 32 bits).
MAX_INPUTS = 255


def variance_shift(e: int) -> int:
    """``vs`` of a row of length ``e``: the squares' shift that keeps ``V`` below 2**32."""
    return max(0, int(e).bit_length() - 8)


@dataclass(frozen=True)
class AddNormParams:
    """Constants of one fused sum and LayerNorm over rows of ``E``: ``mults`` (inputs, E) in
    0..65535, ``shift`` of the sum, ``gamma`` (E,) 16-bit, ``beta`` (E,) 31-bit, and the
    output's ``out_shift``."""

    mults: np.ndarray
    shift: int
    gamma: np.ndarray
    beta: np.ndarray
    out_shift: int
    cols: int | None = None     #: real columns (default all)

    def __post_init__(self) -> None:
        mults = int_array("mults", self.mults, 0, MULT_MAX, ndim=2)
        if not 1 <= mults.shape[0] <= MAX_INPUTS:
            raise ValueError(f"mults: {mults.shape[0]} inputs; 1..{MAX_INPUTS} are supported")
        e = mults.shape[1]
        if not 1 <= e <= MAX_NORM_SIZE:
            raise ValueError(f"mults: row length {e} is outside 1..{MAX_NORM_SIZE}")
        for name, vec, lim in (("gamma", self.gamma, GAMMA_MAX), ("beta", self.beta, BETA_MAX)):
            vec = int_array(name, vec, -lim, lim, ndim=1)
            if vec.shape[0] != e:
                raise ValueError(f"{name}: length {vec.shape[0]} does not match the row "
                                 f"length {e} of mults")
        int_scalar("shift", self.shift, 0, MAX_SHIFT)
        int_scalar("out_shift", self.out_shift, 0, MAX_SHIFT)
        if self.cols is not None:
            int_scalar("cols", self.cols, 1, e)

    @property
    def inputs(self) -> int:
        return self.mults.shape[0]

    @property
    def emb(self) -> int:
        return self.mults.shape[1]

    @property
    def real(self) -> int:
        """The columns the statistics are over."""
        return self.emb if self.cols is None else self.cols


class AddNormResult(NamedTuple):
    """Every intermediate of :func:`add_norm`."""

    w: np.ndarray    #: int64, the wide sum
    t: np.ndarray    #: int64, 12-bit
    z: np.ndarray    #: int64, normalised * 2**8
    out: np.ndarray  #: int8


def add_norm(inputs, p: AddNormParams) -> AddNormResult:
    """Sum the int8 ``inputs`` (each (S, E)) with per-column multipliers and normalise each row;
    see the module docstring."""
    instance("p", p, AddNormParams)
    instance("inputs", inputs, tuple | list | np.ndarray)
    if len(inputs) != p.inputs:
        raise ValueError(f"inputs: {len(inputs)} tensors; the parameters have multipliers for "
                         f"{p.inputs}")
    xs = [int_array(f"inputs[{i}]", x, -128, 127, ndim=2) for i, x in enumerate(inputs)]
    for i, x in enumerate(xs):
        if x.shape != xs[0].shape or x.shape[1] != p.emb:
            raise ValueError(f"inputs[{i}]: shape {x.shape}; expected (S, {p.emb}) like "
                             f"inputs[0] {xs[0].shape}")
    e = p.real
    mults = np.asarray(p.mults, dtype=np.int64)
    w = sum(m * x for m, x in zip(mults, xs, strict=True))
    t = np.clip(round_shift(w, p.shift), T_MIN, T_MAX)
    mu = np.floor_divide(2 * t[:, :e].sum(axis=1, keepdims=True) + e, 2 * e)
    d = t - mu
    vs = variance_shift(e)
    big_v = ((d[:, :e] * d[:, :e]) >> vs).sum(axis=1, keepdims=True)
    v = big_v * 2 ** (vs + 6) // e
    sigma = np.maximum(isqrt(v), 1)
    z = (d * (2 ** 23 // sigma)) >> 12
    acc = z * np.asarray(p.gamma, dtype=np.int64) + np.asarray(p.beta, dtype=np.int64)
    out = np.clip(round_shift(acc, p.out_shift), -128, 127).astype(np.int8)
    return AddNormResult(w, t, z, out)
