"""The residual add on the cores: ``out = clamp(round((mult_a a + mult_b b) >> shift) + add)``
byte by byte, as ``sw.golden.residual_add`` defines it."""

from sw.golden import AddParams
from sw.rv32 import Program

__all__ = ["residual_add_code"]


def residual_add_code(p: Program, add: AddParams, a: int, b: int, out: int, prefix: str = ""
                      ) -> None:
    """Emit ``out[i] = residual_add(a[i], b[i])`` for ``a2 <= i < a3`` (int8 arrays at byte
    addresses ``a``, ``b``, ``out``; a core's slice is its ``a2``..``a3``). Labels start with
    ``prefix``; uses t0..t2, s3..s9."""
    p.bge("a2", "a3", f"{prefix}res_done")
    p.li("s3", a).add("s3", "s3", "a2").li("s4", b).add("s4", "s4", "a2")
    p.li("s5", out).add("s5", "s5", "a2")
    p.li("s6", add.mult_a).li("s7", add.mult_b).li("s8", 127).li("s9", -128)
    p.label(f"{prefix}res_loop")
    p.lb("t0", 0, "s3").lb("t1", 0, "s4")
    p.mul("t0", "t0", "s6").mul("t1", "t1", "s7").add("t0", "t0", "t1")
    if add.shift:
        p.srai("t2", "t0", add.shift - 1).andi("t2", "t2", 1)
        p.srai("t0", "t0", add.shift).add("t0", "t0", "t2")
    p.addi("t0", "t0", add.add)
    p.ble("t0", "s8", f"{prefix}res_hi").mv("t0", "s8")
    p.label(f"{prefix}res_hi")
    p.bge("t0", "s9", f"{prefix}res_lo").mv("t0", "s9")
    p.label(f"{prefix}res_lo")
    p.sb("t0", 0, "s5")
    p.addi("s3", "s3", 1).addi("s4", "s4", 1).addi("s5", "s5", 1).addi("a2", "a2", 1)
    p.blt("a2", "a3", f"{prefix}res_loop")
    p.label(f"{prefix}res_done")
