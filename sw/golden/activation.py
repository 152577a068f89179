"""Activations of the ITA engine: identity, ReLU and I-BERT's integer GELU, each followed by
the activation requantizer.

i-GELU (I-BERT), for an int8 input ``q`` of scale ``S``, with ``a = -0.2888``, ``b = -1.769``,
``S2 = S / sqrt(2)``, ``q_b = round(b / S2)``, ``q_c = round(1 / (a * S2**2))``, ``q_1 = q_c``:

    erf(q)  = sign(q) * ((min(|q|, -q_b) + q_b)**2 + q_c)
    gelu(q) = -q * (erf(q) + q_1)                 clipped to the signed 26-bit range

The minus sign is this project's convention: I-BERT's polynomial has the negative scale
``S * a * S2**2 / 2``; negating it gives the positive scale ``-S * a * S2**2 / 2`` so that the
activation requantizer keeps an unsigned multiplier.
"""

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from hw.ita.config import Activation

from .checks import instance, int_array, int_scalar, positive
from .requant import Requant, clip_acc, requant_for

__all__ = ["GELU_A", "GELU_B", "GeluConstants", "relu", "i_gelu", "gelu_scale", "gelu_min_scale",
           "derive_gelu", "activation"]

GELU_A = -0.2888
GELU_B = -1.769


@dataclass(frozen=True)
class GeluConstants:
    """Integer constants of i-GELU: ``q_b`` in -1023..0, ``q_c`` in -2**24..0."""

    q_b: int
    q_c: int

    def __post_init__(self) -> None:
        int_scalar("q_b", self.q_b, -1023, 0)
        int_scalar("q_c", self.q_c, -(2 ** 24), 0)

    @classmethod
    def for_scale(cls, scale: float) -> "GeluConstants":
        """Derive the constants for an input scale ``scale`` (the real value of one step)."""
        if isinstance(scale, bool) or not isinstance(scale, int | float | np.number) or not (
                np.isfinite(scale) and scale > 0):
            raise ValueError(f"i-GELU input scale {scale!r} must be positive and finite")
        s2 = scale / math.sqrt(2)
        q_b, q_c = round(GELU_B / s2), round(1 / (GELU_A * s2 * s2))
        if q_b < -1023 or q_c < -(2 ** 24):
            raise ValueError(f"i-GELU input scale {scale!r} is too small: q_b = {q_b} (limit "
                             f"-1023), q_c = {q_c} (limit {-(2 ** 24)})")
        return cls(q_b, q_c)


def relu(q) -> np.ndarray:
    """Return ``max(q, 0)`` as int64."""
    return np.maximum(int_array("q", q, -128, 127), 0)


def i_gelu(q, constants: GeluConstants) -> np.ndarray:
    """Return the integer GELU polynomial of int8 ``q`` (int64, 26-bit clipped, positive scale).

    See the module docstring for the formula.
    """
    return clip_acc(_gelu_poly(int_array("q", q, -128, 127), constants))


def _gelu_poly(q: np.ndarray, constants: GeluConstants) -> np.ndarray:
    """The i-GELU polynomial without the final clip."""
    q_b, q_c = constants.q_b, constants.q_c
    erf = np.sign(q) * ((np.minimum(np.abs(q), -q_b) + q_b) ** 2 + q_c)
    return -q * (erf + q_c)


def gelu_scale(scale: float) -> float:
    """Return the scale of :func:`i_gelu`'s output for an input of scale ``scale``."""
    positive("scale", scale)
    s2 = scale / math.sqrt(2)
    return -scale * GELU_A * s2 * s2 / 2


def derive_gelu(scale_in: float, scale_out: float) -> tuple[GeluConstants, Requant]:
    """Derive i-GELU constants and the activation requantizer from float scales.

    ``scale_in`` is the real value of one step of the int8 input, ``scale_out`` that of the
    int8 output. Raises ``ValueError`` when a constant leaves its range or the polynomial would
    clip for some int8 input.
    """
    positive("scale_out", scale_out)
    if not _gelu_fits(scale_in):
        raise ValueError(f"i-GELU input scale {scale_in!r}: the polynomial leaves the 26-bit "
                         f"accumulator (2**25) for some int8 input; the smallest input scale "
                         f"it allows is {gelu_min_scale():.6g}")
    return GeluConstants.for_scale(scale_in), requant_for(gelu_scale(scale_in) / scale_out)


def _gelu_fits(scale_in: float) -> bool:
    """Whether the i-GELU polynomial for ``scale_in`` stays inside the accumulator for every
    int8 input."""
    exact = _gelu_poly(np.arange(-128, 128), GeluConstants.for_scale(scale_in))
    return bool(np.abs(exact).max() < 2 ** 25)


@cache
def gelu_min_scale() -> float:
    """The smallest i-GELU input scale (real value of one int8 step) whose polynomial stays
    inside the 26-bit accumulator, to 1e-6 relative (about 0.00646): its constants grow as the
    scale shrinks. A quantizer whose pre-activations are smaller uses this scale instead,
    giving up resolution rather than failing."""
    lo, hi = 1e-6, 1.0
    while hi - lo > 1e-6 * hi:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _gelu_fits(mid) else (mid, hi)
    return hi


def activation(q, act: Activation | int, requant: Requant,
               gelu: GeluConstants | None = None) -> np.ndarray:
    """Apply an activation to int8 ``q`` and requantize: ``requant(act(q))`` as int8.

    ``gelu`` holds the i-GELU constants and is required for ``Activation.GELU``.
    """
    if isinstance(act, bool) or act not in set(Activation):
        raise ValueError(f"act: {act!r} is not a valid Activation "
                         f"({', '.join(a.name for a in Activation)})")
    instance("requant", requant, Requant)
    if gelu is not None:
        instance("gelu", gelu, GeluConstants)
    act = Activation(act)
    if act is Activation.IDENTITY:
        y = int_array("q", q, -128, 127)
    elif act is Activation.RELU:
        y = relu(q)
    else:
        if gelu is None:
            raise ValueError("activation: Activation.GELU needs its GeluConstants (gelu=None)")
        y = i_gelu(q, gelu)
    return requant(y)
