"""The fused residual sum and LayerNorm on the cores, row by row, exactly as
``sw.golden.add_norm`` defines it with 32-bit instructions (the formulas and their bounds are
in ``sw/golden/add_norm.py``). Three passes over a row, through a scratch row of 32-bit words
that each core has to itself (at ``scratch + 4 E * tp``):

1. four columns at a time, ``w = sum_i mult[i] * x_i`` in registers (every input's address
   is known when compiling), ``t = clamp(round_shift(w, shift), -2048, 2047)`` into the
   scratch row, and ``s = sum(t)``; ``mu = divu(2 (s + 2048 E) + E, 2 E) - 2048``;
2. ``V = sum(((t - mu)^2) >> vs)`` over the real columns (``cols``, E by default);
   ``v = ((V / E) << (vs + 6)) + (((V % E) << (vs + 6)) / E)`` unsigned;
   ``r = 2**23 / max(1, isqrt(v))`` (``mu`` and ``v`` with the real columns for E);
3. ``y = clamp(round_shift(((t - mu) r >> 12) gamma + beta, out_shift), -128, 127)``.
"""

from sw.golden.add_norm import T_MAX, T_MIN, AddNormParams, variance_shift
from sw.rv32 import Program

from .layernorm import _isqrt

__all__ = ["add_norm_code"]


def _round_shift(p: Program, v: str, shift: int, tmp: str) -> None:
    """``v = floor(v / 2**shift + 1/2)`` (arithmetic)."""
    if shift:
        p.srai(tmp, v, shift - 1).andi(tmp, tmp, 1).srai(v, v, shift).add(v, v, tmp)


def _clamp(p: Program, v: str, lo: str, hi: str, label: str) -> None:
    p.bge(v, lo, f"{label}_lo").mv(v, lo).label(f"{label}_lo")
    p.ble(v, hi, f"{label}_hi").mv(v, hi).label(f"{label}_hi")


_W = ("a6", "a7", "gp", "ra")              # the sums of up to four columns
_X = ("t2", "t3", "t4", "t5")              # their inputs
_M = ("t6", "s7", "sp", "a4")              # and multipliers


def _columns(p: Program, params: AddNormParams, inputs: list[int], mults: int, width: int,
             end: str, label: str) -> None:
    """A loop over ``width`` columns at a time up to the scratch pointer ``end``: their sums
    over every input in registers, then ``t`` stored and added to ``s5``. ``s9`` is the row
    offset plus the column, ``s10`` twice the column, ``s11`` the scratch pointer."""
    e = params.emb
    w, x, m = _W[:width], _X[:width], _M[:width]
    p.beq("s11", end, f"{label}_end").label(label)
    for i, base in enumerate(inputs):
        p.li("t0", base).add("t0", "t0", "s9").li("t1", mults + 2 * i * e).add("t1", "t1", "s10")
        for k in range(width):
            p.lb(x[k], k, "t0")
        for k in range(width):
            p.lhu(m[k], 2 * k, "t1")
        for k in range(width):
            if i:
                p.mul(x[k], x[k], m[k]).add(w[k], w[k], x[k])
            else:
                p.mul(w[k], x[k], m[k])
    for k in range(width):
        _round_shift(p, w[k], params.shift, "t1")
        _clamp(p, w[k], "a0", "a1", f"{label}_{k}")
        p.sw(w[k], 4 * k, "s11").add("s5", "s5", w[k])
    p.addi("s9", "s9", width).addi("s10", "s10", 2 * width).addi("s11", "s11", 4 * width)
    p.bne("s11", end, label).label(f"{label}_end")


def add_norm_code(p: Program, params: AddNormParams, *, inputs: list[int], mults: int,
                  gamma: int, beta: int, out: int, scratch: int, prefix: str = "",
                  step: int = 1) -> None:
    """Emit :func:`sw.golden.add_norm.add_norm` of rows ``a2, a2 + step, ...`` below ``a3``:
    the int8 matrices at ``inputs`` (rows of E bytes) with the multipliers at ``mults``
    (uint16, (inputs, E)), ``gamma`` (int16, E) and ``beta`` (int32, E) at those byte
    addresses, into the int8 matrix at ``out``; ``scratch`` has ``4 E`` bytes per core
    (``tp``). Labels start with ``prefix``; uses t0..t6, s3..s11, a0, a1, a4..a7, gp, ra
    and sp."""
    e = params.emb
    if len(inputs) != params.inputs:
        raise ValueError(f"add_norm_code: {len(inputs)} inputs; the parameters have "
                         f"multipliers for {params.inputs}")
    for name, address, align in (("mults", mults, 2), ("gamma", gamma, 2), ("beta", beta, 4),
                                 ("scratch", scratch, 4)):
        if address % align:
            raise ValueError(f"add_norm_code: {name} at 0x{address:x} is not {align}-byte "
                             "aligned (the cores trap on a misaligned load)")
    tag = f"{prefix}an"
    real = params.real                          # the columns of the statistics
    vs = variance_shift(real)
    p.bge("a2", "a3", f"{tag}_done")
    p.li("s6", real).li("t0", 4 * e).mul("s4", "tp", "t0").li("t0", scratch)
    p.add("s4", "s4", "t0")
    p.li("t0", 4 * e).add("a5", "s4", "t0")                     # end of the scratch row
    p.li("t0", e).mul("s3", "a2", "t0")                         # row offset r * E
    p.label(f"{tag}_row")
    # 1. four columns at a time (then one): w = sum_i mult[i] * x_i in registers,
    # t = clamp(round_shift(w)) into the scratch row, s = sum(t)
    p.li("a0", T_MIN).li("a1", T_MAX).li("s5", 0)
    p.mv("s9", "s3").li("s10", 0).mv("s11", "s4")               # x offset, 2 c, scratch
    quads = e // 4 * 4
    if quads:
        p.li("t0", 4 * quads).add("s8", "s4", "t0")
        _columns(p, params, inputs, mults, 4, "s8", f"{tag}_q")
    if e % 4:
        _columns(p, params, inputs, mults, 1, "a5", f"{tag}_c")
    p.slli("t0", "s6", 11).add("t0", "s5", "t0").slli("t0", "t0", 1).add("t0", "t0", "s6")
    p.slli("t4", "s6", 1).divu("s7", "t0", "t4").addi("s7", "s7", T_MIN)
    # 2. V, v, r
    p.li("s5", 0).mv("s11", "s4").li("t0", 4 * real).add("t6", "s4", "t0")
    p.label(f"{tag}_v").lw("t1", 0, "s11").sub("t1", "t1", "s7").mul("t1", "t1", "t1")
    if vs:
        p.srli("t1", "t1", vs)
    p.add("s5", "s5", "t1").addi("s11", "s11", 4).bne("s11", "t6", f"{tag}_v")
    p.divu("t0", "s5", "s6").slli("t0", "t0", vs + 6)
    p.remu("t4", "s5", "s6").slli("t4", "t4", vs + 6).divu("t4", "t4", "s6")
    p.add("t0", "t0", "t4")
    _isqrt(p, "t0", "t1", "t2", "t3", f"{tag}_sqrt")
    p.bnez("t1", f"{tag}_sigma").li("t1", 1)
    p.label(f"{tag}_sigma").li("t4", 1 << 23).divu("s8", "t4", "t1")
    # 3. y = clamp(round_shift(z gamma + beta, out_shift))
    p.li("a0", -128).li("a1", 127).mv("s11", "s4").li("s9", gamma).li("s10", beta)
    p.li("a4", out).add("a4", "a4", "s3")
    p.label(f"{tag}_y").lw("t1", 0, "s11").sub("t1", "t1", "s7").mul("t1", "t1", "s8")
    p.srai("t1", "t1", 12).lh("t2", 0, "s9").mul("t1", "t1", "t2").lw("t3", 0, "s10")
    p.add("t1", "t1", "t3")
    _round_shift(p, "t1", params.out_shift, "t2")
    _clamp(p, "t1", "a0", "a1", f"{tag}_y")
    p.sb("t1", 0, "a4").addi("a4", "a4", 1).addi("s9", "s9", 2).addi("s10", "s10", 4)
    p.addi("s11", "s11", 4).bne("s11", "a5", f"{tag}_y")
    p.li("t0", step * e).add("s3", "s3", "t0")
    p.addi("a2", "a2", step).blt("a2", "a3", f"{tag}_row")
    p.label(f"{tag}_done")
