"""Integer LayerNorm on the cores, row by row, exactly as ``sw.golden.layernorm`` defines it
with 32-bit instructions (the formulas and their bounds are in ``sw/golden/norm.py``):

    mu = divu(2 (s + 128 E) + E, 2 E) - 128            s = sum(x)
    v  = ((V / E) << 14) + (((V % E) << 14) / E)        V = sum((x - mu)^2), unsigned
    r  = 2**24 / max(1, isqrt(v))
    y  = requant(((x - mu) r >> 9) gamma + beta)
"""

from sw.golden import Requant
from sw.golden.norm import MAX_NORM_SIZE
from sw.rv32 import Program

from .requant import requant_code

__all__ = ["layernorm_code"]


def _isqrt(p: Program, v: str, res: str, bit: str, tmp: str, tag: str) -> None:
    """``res = floor(sqrt(v))`` for ``0 <= v < 2**30``, digit by digit (``v`` is consumed)."""
    p.li(res, 0).li(bit, 1 << 30)
    p.label(f"{tag}_top").bleu(bit, v, f"{tag}_loop").srli(bit, bit, 2).bnez(bit, f"{tag}_top")
    p.label(f"{tag}_loop").beqz(bit, f"{tag}_done")
    p.add(tmp, res, bit).srli(res, res, 1)
    p.bltu(v, tmp, f"{tag}_next").sub(v, v, tmp).add(res, res, bit)
    p.label(f"{tag}_next").srli(bit, bit, 2).j(f"{tag}_loop")
    p.label(f"{tag}_done")


def layernorm_code(p: Program, rq: Requant, *, x: int, out: int, gamma: int, beta: int,
                   e: int, prefix: str = "") -> None:
    """Emit the LayerNorm of rows ``a2 <= row < a3`` of the int8 matrix at ``x`` (rows of ``e``
    bytes) into ``out``, with ``gamma`` (int8 per column) and ``beta`` (int32 per column) at
    those byte addresses and the requantizer ``rq``. Labels start with ``prefix``; uses
    t0..t4, s3..s11, a4..a7."""
    if not 1 <= e <= MAX_NORM_SIZE:
        raise ValueError(f"layernorm_code: row length {e} is outside 1..{MAX_NORM_SIZE}")
    if beta % 4:
        raise ValueError(f"layernorm_code: beta at 0x{beta:x} is not word aligned (the cores "
                         "trap on a misaligned load)")
    tag = f"{prefix}ln"
    p.bge("a2", "a3", f"{tag}_done")
    p.li("s6", e).mul("s3", "a2", "s6").li("t0", x).add("s3", "s3", "t0")    # row of x
    p.mul("s5", "a2", "s6").li("t0", out).add("s5", "s5", "t0")               # row of out
    p.label(f"{tag}_row")
    p.add("a5", "s3", "s6")                                  # end of the row
    # s = sum(x); mu = divu(2 (s + 128 E) + E, 2 E) - 128
    p.li("s4", 0).mv("s9", "s3")
    p.label(f"{tag}_sum").lb("t4", 0, "s9").add("s4", "s4", "t4").addi("s9", "s9", 1)
    p.bne("s9", "a5", f"{tag}_sum")
    p.slli("t4", "s6", 7).add("s4", "s4", "t4").slli("s4", "s4", 1).add("s4", "s4", "s6")
    p.slli("t4", "s6", 1).divu("s7", "s4", "t4").addi("s7", "s7", -128)
    # V = sum((x - mu)^2); v = ((V / E) << 14) + (((V % E) << 14) / E)
    p.li("s4", 0).mv("s9", "s3")
    p.label(f"{tag}_var").lb("t4", 0, "s9").sub("t4", "t4", "s7").mul("t4", "t4", "t4")
    p.add("s4", "s4", "t4").addi("s9", "s9", 1).bne("s9", "a5", f"{tag}_var")
    p.divu("a4", "s4", "s6").slli("a4", "a4", 14)
    p.remu("t4", "s4", "s6").slli("t4", "t4", 14).divu("t4", "t4", "s6").add("a4", "a4", "t4")
    # r = 2**24 / max(1, isqrt(v))
    _isqrt(p, "a4", "a6", "a7", "t4", f"{tag}_sqrt")
    p.bnez("a6", f"{tag}_sigma").li("a6", 1)
    p.label(f"{tag}_sigma").li("t4", 1 << 24).divu("s8", "t4", "a6")
    # y = requant(((x - mu) r >> 9) gamma + beta), column by column
    p.mv("s9", "s3").li("s10", gamma).li("s11", beta).mv("a4", "s5")
    p.label(f"{tag}_col").lb("s4", 0, "s9").sub("s4", "s4", "s7").mul("s4", "s4", "s8")
    p.srai("s4", "s4", 9).lb("t4", 0, "s10").mul("s4", "s4", "t4")
    p.lw("t4", 0, "s11").add("s4", "s4", "t4")
    requant_code(p, "s4", rq, f"{tag}_rq")
    p.sb("s4", 0, "a4")
    p.addi("s9", "s9", 1).addi("s10", "s10", 1).addi("s11", "s11", 4).addi("a4", "a4", 1)
    p.bne("s9", "a5", f"{tag}_col")
    p.mv("s3", "a5").add("s5", "s5", "s6").addi("a2", "a2", 1).blt("a2", "a3", f"{tag}_row")
    p.label(f"{tag}_done")
