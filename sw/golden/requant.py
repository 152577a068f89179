"""The requantizer: the one way every accumulator becomes int8.

    p   = mult * acc
    r   = (p >> shift) + bit(p, shift - 1)       # round half up; bit(p, -1) = 0
    out = clamp(r + add, -128, 127)

``acc`` is first clipped to the signed 26-bit accumulator range.
"""

from dataclasses import dataclass

import numpy as np

from hw.ita.config import ACC_BITS

from .checks import int_array, int_scalar

__all__ = ["ACC_MIN", "ACC_MAX", "MAX_SHIFT", "Requant", "clip_acc", "round_shift",
           "requantize", "requant_for"]

ACC_MIN = -(2 ** (ACC_BITS - 1))
ACC_MAX = 2 ** (ACC_BITS - 1) - 1
#: Largest requantizer shift (a 5-bit field).
MAX_SHIFT = 31


@dataclass(frozen=True)
class Requant:
    """Constants of one requantizer: ``mult`` in 0..255, ``shift`` in 0..31, ``add`` in
    -128..127."""

    mult: int
    shift: int
    add: int = 0

    def __post_init__(self) -> None:
        int_scalar("mult", self.mult, 0, 255)
        int_scalar("shift", self.shift, 0, MAX_SHIFT)
        int_scalar("add", self.add, -128, 127)

    @property
    def scale(self) -> float:
        """The real factor ``mult / 2**shift`` the requantizer applies."""
        return self.mult / 2 ** self.shift

    def __call__(self, acc) -> np.ndarray:
        """Requantize ``acc`` with these constants."""
        return requantize(acc, self.mult, self.shift, self.add)


def clip_acc(acc: np.ndarray) -> np.ndarray:
    """Clip to the signed 26-bit accumulator range ``-2**25 .. 2**25 - 1``."""
    return np.clip(acc, ACC_MIN, ACC_MAX)


def round_shift(p: np.ndarray, shift) -> np.ndarray:
    """Return ``floor(p / 2**shift + 1/2)``: an arithmetic shift that rounds half up.

    Equal to ``(p >> shift) + bit(p, shift - 1)`` with ``bit(p, -1) = 0``.
    """
    p = np.asarray(p, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    half = np.where(shift > 0, (p >> np.maximum(shift - 1, 0)) & 1, 0)
    return (p >> shift) + half


def requantize(acc, mult, shift, add) -> np.ndarray:
    """Requantize an accumulator to int8 (the public definition of the arithmetic).

    ``out = clamp(round_half_up(mult * clip26(acc) / 2**shift) + add, -128, 127)``.
    ``mult``, ``shift`` and ``add`` may be scalars or arrays that broadcast against ``acc``
    (per-channel constants).

    Parameters
    ----------
    acc : integer array
        Accumulator values; clipped to the signed 26-bit range first.
    mult : int or integer array, 0..255
    shift : int or integer array, 0..31
    add : int or integer array, -128..127

    Returns
    -------
    numpy.ndarray of int8, the broadcast shape of the arguments.
    """
    acc = int_array("acc", acc, np.iinfo(np.int64).min, np.iinfo(np.int64).max)
    mult = int_array("mult", mult, 0, 255)
    shift = int_array("shift", shift, 0, MAX_SHIFT)
    add = int_array("add", add, -128, 127)
    r = round_shift(mult * clip_acc(acc), shift)
    return np.clip(r + add, -128, 127).astype(np.int8)


def requant_for(ratio: float, add: int = 0) -> Requant:
    """Choose requantizer constants so that ``mult / 2**shift`` is the closest to ``ratio``.

    The largest shift that keeps ``mult <= 255`` is used, so ``mult`` has as many significant
    bits as possible. ``ratio`` must be in ``(0, 255]``; ratios below ``1 / 2**31`` give
    ``mult = 0`` (the output is then ``add``).
    """
    if not np.isfinite(ratio) or not 0 < ratio <= 255:
        raise ValueError(f"requant ratio {ratio!r} is outside (0, 255]")
    shift = int(min(MAX_SHIFT, max(0, np.floor(np.log2(255 / ratio)))))
    mult = int(min(255, round(ratio * 2 ** shift)))
    return Requant(mult, shift, add)
