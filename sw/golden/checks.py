"""Argument checks shared by the golden model: every bad input is a ``ValueError`` that names
the argument, the value and the limit."""

import math

import numpy as np

__all__ = ["int_array", "int_scalar", "multiple_of", "same", "real_array", "positive",
           "instance"]


def int_array(name: str, x, lo: int, hi: int, *, ndim: int | tuple[int, ...] | None = None
              ) -> np.ndarray:
    """Return ``x`` as an int64 array after checking its dtype, rank and range ``lo..hi``."""
    arr = np.asarray(x)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: dtype {arr.dtype} is not an integer type")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise ValueError(f"{name}: rank {arr.ndim} (shape {arr.shape}), expected rank "
                             f"{' or '.join(map(str, allowed))}")
    arr = arr.astype(np.int64)
    if arr.size:
        amin, amax = int(arr.min()), int(arr.max())
        if amin < lo or amax > hi:
            bad = amin if amin < lo else amax
            raise ValueError(f"{name}: value {bad} is outside {lo}..{hi}")
    return arr


def int_scalar(name: str, x, lo: int, hi: int) -> int:
    """Return ``x`` as an int after checking that it is an integer in ``lo..hi``."""
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        raise ValueError(f"{name}: {x!r} is not an integer")
    if not lo <= int(x) <= hi:
        raise ValueError(f"{name}: value {int(x)} is outside {lo}..{hi}")
    return int(x)


def multiple_of(name: str, size: int, tile: int) -> None:
    """Check that a matrix dimension is a positive multiple of the tile edge."""
    if size <= 0 or size % tile:
        raise ValueError(f"{name}: size {size} is not a positive multiple of the tile {tile}")


def same(name: str, got: int, expected: int, what: str) -> None:
    """Check that two matrix dimensions agree."""
    if got != expected:
        raise ValueError(f"{name}: size {got} does not match {what} = {expected}")


def real_array(name: str, x, *, ndim: int | tuple[int, ...] | None = None,
               positive: bool = False) -> np.ndarray:
    """Return ``x`` as a float64 array after checking that it holds real numbers (an integer
    or float dtype), all finite (and, with ``positive``, above 0), of rank ``ndim``."""
    arr = np.asarray(x)
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.integer)
                                     or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name}: dtype {arr.dtype} is not a real number type")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise ValueError(f"{name}: rank {arr.ndim} (shape {arr.shape}), expected rank "
                             f"{' or '.join(map(str, allowed))}")
    arr = arr.astype(np.float64, copy=False)
    bad = ~np.isfinite(arr) | (arr <= 0) if positive else ~np.isfinite(arr)
    if bad.any():
        value = arr[bad].flat[0]
        raise ValueError(f"{name}: value {value} is not {'a positive' if positive else 'a'} "
                         "finite number")
    return arr


def positive(name: str, x) -> float:
    """Return ``x`` as a float after checking that it is a finite real number above 0."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | float | np.integer
                                                          | np.floating):
        raise ValueError(f"{name}: {x!r} is not a real number")
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name}: {x!r} must be a positive finite number")
    return float(x)


def instance(name: str, x, cls: type | tuple[type, ...]) -> None:
    """Check that ``x`` is an instance of ``cls`` (a parameter object built by hand with the
    wrong type fails here, not deep in the arithmetic)."""
    if not isinstance(x, cls):
        names = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        text = repr(x)
        text = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"{name}: expected {names}, got {type(x).__name__} {text}")
