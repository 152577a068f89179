"""ITAMax: the streaming three-stage integer softmax of the ITA engine.

With ``rs(d) = floor(d / 2**k + 1/2)`` and, per row, ``max`` starting at -128 and ``sum`` at 0,
the columns are walked in groups of ``group`` columns, in column order:

    stage 1, per group G:  m   = max(max, max(x[c] for c in G))
                           sum = (sum >> rs(m - max)) + sum(256 >> rs(m - x[c]) for c in G)
                           max = m
    stage 2:               inv = floor(65280 / sum)              # 65280 = 255 * 256
    stage 3:               A[c] = inv >> rs(max - x[c])          # unsigned 8 bit

``>>`` is ``floor(x / 2**s)`` for every ``s >= 0``: a shift past the width of the value gives 0.

With a valid length ``v`` (the attention mask of a sequence padded after its ``v`` real
tokens), the columns ``c >= v`` take no part: stage 1 sees them as -128 with no term in the
sum (-128 never raises the maximum, which starts there), and stage 3 gives them 0.
"""

from typing import NamedTuple

import numpy as np

from .checks import int_array, int_scalar

__all__ = ["ItamaxStages", "softmax_rs", "itamax_stages", "itamax"]


class ItamaxStages(NamedTuple):
    """Everything ITAMax computes for a block of rows (leading axes of the logits)."""

    max: np.ndarray  #: int64, final row maximum
    sum: np.ndarray  #: int64, final renormalised row sum (>= 256)
    inv: np.ndarray  #: int64, floor(65280 / sum), 0..255
    a: np.ndarray    #: uint8, the softmax output, same shape as the logits


def softmax_rs(d: np.ndarray, k: int) -> np.ndarray:
    """Return ``floor(d / 2**k + 1/2)`` for non-negative ``d`` (the ITAMax exponent shift)."""
    d = np.asarray(d, dtype=np.int64)
    return (d + (1 << k >> 1)) >> k


def _shr(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``floor(x / 2**s)`` for non-negative ``x`` and any ``s >= 0`` (0 past 62 bits)."""
    return np.where(s >= 63, 0, x >> np.minimum(s, 62))


def itamax_stages(logits, *, group: int, k: int, valid: int | None = None) -> ItamaxStages:
    """Run the three ITAMax stages on int8 ``logits`` and return every intermediate.

    Parameters
    ----------
    logits : integer array, values -128..127, rank >= 1
        The last axis is the row being normalised; leading axes are independent rows.
    group : int, >= 1
        Columns per stage-1 step (the number of engines N); the last group of a row may be
        partial.
    k : int, 0..7
        The softmax shift.
    valid : int, 1..columns, or None for all columns
        The valid length: columns from ``valid`` on are masked.
    """
    x = int_array("logits", logits, -128, 127)
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"logits: shape {x.shape} has no columns; expected rank >= 1")
    group = int_scalar("group", group, 1, 1 << 16)
    k = int_scalar("k", k, 0, 7)
    cols = x.shape[-1]
    valid = cols if valid is None else int_scalar("valid", valid, 1, cols)
    real = np.arange(cols) < valid
    x = np.where(real, x, -128)
    row_max = np.full(x.shape[:-1], -128, dtype=np.int64)
    row_sum = np.zeros(x.shape[:-1], dtype=np.int64)
    for start in range(0, cols, group):           # one iteration per group, rows vectorised
        g = x[..., start:start + group]
        m = np.maximum(row_max, g.max(axis=-1))
        exps = _shr(np.int64(256), softmax_rs(m[..., None] - g, k)) * real[start:start + group]
        row_sum = _shr(row_sum, softmax_rs(m - row_max, k)) + exps.sum(axis=-1)
        row_max = m
    inv = 65280 // row_sum
    a = (_shr(inv[..., None], softmax_rs(row_max[..., None] - x, k)) * real).astype(np.uint8)
    return ItamaxStages(row_max, row_sum, inv, a)


def itamax(logits, *, group: int, k: int, valid: int | None = None) -> np.ndarray:
    """Return the ITAMax softmax (uint8) of int8 ``logits`` along the last axis.

    Bit-exact to the streaming hardware for any group width ``group``, shift ``k`` and valid
    length ``valid``; see
    :func:`itamax_stages` for the arguments and the module docstring for the formulas.
    """
    return itamax_stages(logits, group=group, k=k, valid=valid).a
