"""Integer LayerNorm on the cores, row by row, exactly as ``sw.golden.layernorm`` defines it
with 32-bit instructions (the formulas and their bounds are in ``sw/golden/norm.py``):

    mu = divu(2 (s + 128 E) + E, 2 E) - 128            s = sum(x)
    V  = q - 2 mu s + E mu^2                            q = sum(x^2): V = sum((x - mu)^2)
    v  = ((V / E) << 14) + (((V % E) << 14) / E)        unsigned
    r  = 2**24 / max(1, isqrt(v))
    y  = requant(((x - mu) r >> 9) gamma + beta)

One pass over the row gathers ``s`` and ``q`` (V's identity is exact in integers and its
32-bit wrap-around cancels, since 0 <= V < 2**32); a second one writes ``y``. Both passes are
unrolled (E is known when compiling), and the requantizer's constants stay in registers
(:class:`~.requant.SmallRequant`, with the accumulator clamped first) when its shift allows a
32-bit product, else each element takes :func:`~.requant.requant_code`.
"""

from sw.golden import Requant
from sw.golden.norm import MAX_NORM_SIZE
from sw.rv32 import Program

from .requant import SmallRequant, requant_code

__all__ = ["layernorm_code"]

#: Registers of the requantizer's constants.
REGS = {"mult": "a0", "const": "a1", "lo": "a6", "hi": "a7", "acc_lo": "gp", "acc_hi": "ra"}


def _isqrt(p: Program, v: str, res: str, bit: str, tmp: str, tag: str) -> None:
    """``res = floor(sqrt(v))`` for ``0 <= v < 2**30``, digit by digit (``v`` is consumed)."""
    p.li(res, 0).li(bit, 1 << 30)
    p.label(f"{tag}_top").bleu(bit, v, f"{tag}_loop").srli(bit, bit, 2).bnez(bit, f"{tag}_top")
    p.label(f"{tag}_loop").beqz(bit, f"{tag}_done")
    p.add(tmp, res, bit).srli(res, res, 1)
    p.bltu(v, tmp, f"{tag}_next").sub(v, v, tmp).add(res, res, bit)
    p.label(f"{tag}_next").srli(bit, bit, 2).j(f"{tag}_loop")
    p.label(f"{tag}_done")


def _sum4(p: Program, label: str) -> None:
    """A loop adding x and x^2 of four bytes per iteration from ``t6`` to ``a5`` into ``s4``
    and ``t5`` (skipped when ``t6 == a5``)."""
    loads = ("t0", "t1", "t2", "t3")
    p.beq("t6", "a5", f"{label}_end").label(label)
    for k, reg in enumerate(loads):
        p.lb(reg, k, "t6")
    for reg in loads:
        p.add("s4", "s4", reg).mul(reg, reg, reg)
    for reg in loads:
        p.add("t5", "t5", reg)
    p.addi("t6", "t6", 4).bne("t6", "a5", label).label(f"{label}_end")


def _statistics(p: Program, e: int, tag: str, rotated: bool) -> None:
    """``s4 = sum(x)``, ``t5 = sum(x^2)`` of the row at ``s3`` (uses t0..t4, t6, a5); rotated:
    from column ``sp`` to the end, then from 0 to ``sp``."""
    p.li("s4", 0).li("t5", 0)
    if rotated:
        p.add("t6", "s3", "sp").add("a5", "s3", "s6")
        _sum4(p, f"{tag}_sum")
        p.mv("t6", "s3").add("a5", "s3", "sp")
        _sum4(p, f"{tag}_sum2")
        return
    p.mv("t6", "s3").addi("a5", "s3", e // 4 * 4)
    _sum4(p, f"{tag}_sum")
    for k in range(e % 4):
        p.lb("t0", k, "t6").add("s4", "s4", "t0").mul("t0", "t0", "t0").add("t5", "t5", "t0")


def layernorm_code(p: Program, rq: Requant, *, x: int, out: int, gamma: int, beta: int,
                   e: int, prefix: str = "", step: int = 1, rotate: int = 0) -> None:
    """Emit the LayerNorm of rows ``a2, a2 + step, ...`` below ``a3`` of the int8 matrix at
    ``x`` (rows of ``e`` bytes) into ``out``, with ``gamma`` (int8 per column) and ``beta``
    (int32 per column) at those byte addresses and the requantizer ``rq``. (Cores that take
    every ``step``-th row from their own first row start in L1 banks further apart than cores
    with blocks of rows; with ``rotate`` a multiple of 4, each row is swept from column
    ``tp * rotate mod e`` around, so that cores on rows in the same bank are apart too.)
    Labels start with ``prefix``; uses t0..t6, s3..s11, a0, a1, a4..a7, gp, ra and sp."""
    if not 1 <= e <= MAX_NORM_SIZE:
        raise ValueError(f"layernorm_code: row length {e} is outside 1..{MAX_NORM_SIZE}")
    if beta % 4:
        raise ValueError(f"layernorm_code: beta at 0x{beta:x} is not word aligned (the cores "
                         "trap on a misaligned load)")
    tag = f"{prefix}ln"
    bound = SmallRequant.clamp_bound(rq, 2 ** 31)
    small = SmallRequant(rq, bound, REGS, tag, clamp=True) if SmallRequant.fits(
        rq, bound) else None
    p.bge("a2", "a3", f"{tag}_done")
    if small:
        small.setup(p)
    rotated = bool(rotate) and e % 4 == 0
    if rotate % 4:
        raise ValueError(f"layernorm_code: rotate = {rotate} is not a multiple of 4")
    p.li("s6", e)
    if rotated:                                     # sp: this core's first column
        p.li("t0", rotate).mul("sp", "tp", "t0").remu("sp", "sp", "s6")
    p.mul("s3", "a2", "s6").li("t0", x).add("s3", "s3", "t0")                 # row of x
    p.mul("s5", "a2", "s6").li("t0", out).add("s5", "s5", "t0")               # row of out
    p.label(f"{tag}_row")
    _statistics(p, e, tag, rotated)
    # mu = divu(2 (s + 128 E) + E, 2 E) - 128
    p.slli("t4", "s6", 7).add("t0", "s4", "t4").slli("t0", "t0", 1).add("t0", "t0", "s6")
    p.slli("t4", "s6", 1).divu("s7", "t0", "t4").addi("s7", "s7", -128)
    # V = q - 2 mu s + E mu^2; v = ((V / E) << 14) + (((V % E) << 14) / E)
    p.mul("t4", "s7", "s4").slli("t4", "t4", 1).sub("t5", "t5", "t4")
    p.mul("t4", "s7", "s7").mul("t4", "t4", "s6").add("t5", "t5", "t4")
    p.divu("t0", "t5", "s6").slli("t0", "t0", 14)
    p.remu("t4", "t5", "s6").slli("t4", "t4", 14).divu("t4", "t4", "s6").add("t0", "t0", "t4")
    # r = 2**24 / max(1, isqrt(v))
    _isqrt(p, "t0", "t1", "t2", "t3", f"{tag}_sqrt")
    p.bnez("t1", f"{tag}_sigma").li("t1", 1)
    p.label(f"{tag}_sigma").li("t4", 1 << 24).divu("s8", "t4", "t1")
    # y = requant(((x - mu) r >> 9) gamma + beta), two columns per step
    pairs = (("s4", "t4"), ("t5", "t6"))

    def columns(n: int) -> None:
        for k, (v, _) in zip(range(n), pairs, strict=False):
            p.lb(v, k, "s9")
        for k, (_, g) in zip(range(n), pairs, strict=False):
            p.lb(g, k, "s10")
        for v, _ in pairs[:n]:
            p.sub(v, v, "s7").mul(v, v, "s8").srai(v, v, 9)
        for k, (v, g) in zip(range(n), pairs, strict=False):
            p.mul(v, v, g).lw(g, 4 * k, "s11")
        for k, (v, g) in zip(range(n), pairs, strict=False):
            p.add(v, v, g)
            if small:
                small.emit(p, v)
            else:
                requant_code(p, v, rq, f"{tag}_rq{len(p.current.items)}")
            p.sb(v, k, "a4")
        p.addi("s9", "s9", n).addi("s10", "s10", n).addi("s11", "s11", 4 * n).addi("a4", "a4", n)

    def sweep(label: str) -> None:          # columns(2) from s9 to a5 (none when equal)
        p.beq("s9", "a5", f"{label}_end").label(label)
        columns(2)
        p.bne("s9", "a5", label).label(f"{label}_end")

    def start(offset: str | None) -> None:  # the pointers at column ``offset`` (or 0)
        p.mv("s9", "s3").li("s10", gamma).li("s11", beta).mv("a4", "s5")
        if offset:
            p.add("s9", "s9", offset).add("s10", "s10", offset).add("a4", "a4", offset)
            p.slli("t0", offset, 2).add("s11", "s11", "t0")

    if rotated:
        start("sp")
        p.add("a5", "s3", "s6")
        sweep(f"{tag}_col")
        start(None)
        p.add("a5", "s3", "sp")
        sweep(f"{tag}_col2")
    else:
        start(None)
        p.addi("a5", "s3", e // 2 * 2)
        sweep(f"{tag}_col")
        if e % 2:
            columns(1)
    if step == 1:
        p.add("s3", "s3", "s6").add("s5", "s5", "s6")
    else:
        p.li("t0", step * e).add("s3", "s3", "t0").add("s5", "s5", "t0")
    p.addi("a2", "a2", step).blt("a2", "a3", f"{tag}_row")
    p.j(f"{tag}_done")
    if small:
        small.fixups(p)
    p.label(f"{tag}_done")
