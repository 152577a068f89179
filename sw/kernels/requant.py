"""Requantization on the cores, exactly as ``sw.golden.requantize``: the step every kernel that
ends in int8 (a matrix product, the head sum, LayerNorm) finishes with."""

from sw.golden import Requant
from sw.golden.requant import ACC_MAX, ACC_MIN
from sw.rv32 import Program

__all__ = ["requant_code", "clamp_code", "SHIFT_32", "SmallRequant"]

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


class SmallRequant:
    """Requantization of an accumulator known to stay within ``±bound``, with its constants
    held in registers (set once by :meth:`setup`, outside a loop): ``mul``, ``add``, ``srai``
    and two compares per value, exactly :func:`sw.golden.requantize`.

    The rounding half and the offset ``add << shift`` are added before the shift when that
    cannot overflow 32 bits (``floor((p + h + add 2^s) / 2^s) = round(p / 2^s) + add``); else
    ``add`` follows the shift. Saturating values branch to fix-ups that :meth:`fixups` emits
    out of the loop's way. :meth:`fits` says whether ``bound`` allows this at all; with
    ``clamp`` the accumulator is first clamped to :meth:`clamp_bound` (registers ``acc_lo``
    and ``acc_hi``), which leaves the result unchanged."""

    def __init__(self, rq: Requant, bound: int, regs: dict[str, str], tag: str,
                 clamp: bool = False):
        if clamp:
            bound = self.clamp_bound(rq, bound)
        if not self.fits(rq, bound):
            raise ValueError(f"{rq} on accumulators up to {bound} can overflow 32 bits")
        self.rq, self.regs, self.tag = rq, regs, tag
        self.clamp = bound if clamp else None
        s = rq.shift
        half = 1 << (s - 1) if s else 0
        #: the output when every product rounds to 0 (``|p| < half``), else None
        self.constant = min(127, max(-128, rq.add)) if bound * rq.mult < half else None
        self.fold = bound * rq.mult + half + (abs(rq.add) << s) < 2 ** 31
        self.const = half + (rq.add << s if self.fold else 0)
        self.fixes: list[tuple[str, str, str, str, str, str]] = []

    @staticmethod
    def clamp_bound(rq: Requant, bound: int) -> int:
        """The accumulator bound after clamping to ``±ceil(2**(shift + 9) / mult)`` (beyond
        it the output saturates whatever ``add`` is) and to the 26-bit range."""
        if rq.mult:
            bound = min(bound, -(-(1 << (rq.shift + 9)) // rq.mult))
        return min(bound, ACC_MAX)

    @staticmethod
    def fits(rq: Requant, bound: int) -> bool:
        """Whether accumulators within ``±bound`` need no clamp to the 26-bit range and give
        products that fit 32 bits."""
        if bound > ACC_MAX:
            return False
        return bound * rq.mult < (1 << rq.shift) // 2 or (
            bound * rq.mult + (1 << rq.shift) < 2 ** 31)

    def setup(self, p: Program) -> None:
        """Load the constants into ``regs``: ``mult`` (unless 1), ``const``, ``lo``, ``hi``."""
        r = self.regs
        if self.constant is not None:
            return
        if self.rq.mult != 1:
            p.li(r["mult"], self.rq.mult)
        p.li(r["const"], self.const).li(r["lo"], -128).li(r["hi"], 127)
        if self.clamp is not None:
            p.li(r["acc_lo"], -self.clamp).li(r["acc_hi"], self.clamp)

    def emit(self, p: Program, reg: str) -> None:
        """Requantize ``reg`` in place."""
        r, k = self.regs, len(self.fixes)
        if self.constant is not None:
            p.li(reg, self.constant)
            return
        if self.clamp is not None:
            p.blt(reg, r["acc_lo"], f"{self.tag}_sat{k}_alo").bgt(reg, r["acc_hi"],
                                                                  f"{self.tag}_sat{k}_ahi")
            p.label(f"{self.tag}_sat{k}_aback")
        if self.rq.mult != 1:
            p.mul(reg, reg, r["mult"])
        p.add(reg, reg, r["const"])
        if self.rq.shift:
            p.srai(reg, reg, self.rq.shift)
        if not self.fold and self.rq.add:
            p.addi(reg, reg, self.rq.add)
        low, high, back = (f"{self.tag}_sat{k}_{x}" for x in ("lo", "hi", "back"))
        p.blt(reg, r["lo"], low).bgt(reg, r["hi"], high).label(back)
        self.fixes.append((reg, low, high, back, f"{self.tag}_sat{k}_a",
                           "clamp" if self.clamp is not None else ""))

    def fixups(self, p: Program) -> None:
        """The saturating values' fix-ups (place them where execution never falls in)."""
        for reg, low, high, back, acc, clamp in self.fixes:
            p.label(low).mv(reg, self.regs["lo"]).j(back)
            p.label(high).mv(reg, self.regs["hi"]).j(back)
            if clamp:
                p.label(f"{acc}lo").mv(reg, self.regs["acc_lo"]).j(f"{acc}back")
                p.label(f"{acc}hi").mv(reg, self.regs["acc_hi"]).j(f"{acc}back")
