"""Requantization on the cores, exactly as ``sw.golden.requantize``: the step every kernel that
ends in int8 (a matrix product, the head sum, LayerNorm) finishes with."""

from sw.golden import Requant
from sw.golden.requant import ACC_MAX, ACC_MIN
from sw.rv32 import Program

__all__ = ["requant_code", "clamp_code", "SHIFT_32"]

#: A product ``mult * acc`` with ``|acc|`` clamped as :func:`requant_code` does fits in 32 bits
#: (with the rounding half added) up to this shift; larger shifts use a 64-bit product.
SHIFT_32 = 20


def requant_code(p: Program, reg: str, rq: Requant, tag: str) -> None:
    """Requantize the signed 32-bit accumulator in ``reg`` in place, exactly as
    :func:`sw.golden.requantize` (uses t0..t3; labels start with ``tag``).

    The requantizer is monotonic and saturates once ``|mult * acc| >= 2**(shift + 9)`` (the
    rounded value is then beyond 511, past any ``add``), so the accumulator is first clamped to
    ``±ceil(2**(shift + 9) / mult)`` (and to the 26-bit range): the result is unchanged and
    ``mult * acc`` stays below ``2**(shift + 10)``, which fits in 32 bits for small shifts.
    """
    if rq.mult == 0:
        p.li(reg, min(127, max(-128, rq.add)))
        return
    s = rq.shift
    bound = -(-(1 << (s + 9)) // rq.mult)
    clamp_code(p, reg, max(-bound, ACC_MIN), min(bound, ACC_MAX), f"{tag}_acc")
    p.li("t1", rq.mult)
    if s <= SHIFT_32:
        p.mul(reg, reg, "t1")
        if s:
            p.li("t0", 1 << (s - 1)).add(reg, reg, "t0").srai(reg, reg, s)
    else:                       # (hi, lo) = mult * acc + 2**(s-1), then take bits s..s+31
        p.mulh("t2", reg, "t1").mul(reg, reg, "t1")
        p.li("t0", 1 << (s - 1)).add("t3", reg, "t0").sltu("t0", "t3", reg).add("t2", "t2", "t0")
        p.srli("t3", "t3", s).slli("t2", "t2", 32 - s).or_(reg, "t2", "t3")
    if rq.add:
        p.addi(reg, reg, rq.add)
    clamp_code(p, reg, -128, 127, f"{tag}_out")


def clamp_code(p: Program, reg: str, lo: int, hi: int, tag: str) -> None:
    """Clamp ``reg`` to ``lo..hi`` in place (uses t0; labels start with ``tag``)."""
    p.li("t0", lo).bge(reg, "t0", f"{tag}_lo").mv(reg, "t0")
    p.label(f"{tag}_lo")
    p.li("t0", hi).ble(reg, "t0", f"{tag}_hi").mv(reg, "t0")
    p.label(f"{tag}_hi")
