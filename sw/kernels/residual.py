"""The residual add on the cores: ``out = clamp(round((mult_a a + mult_b b) >> shift) + add)``
byte by byte, as ``sw.golden.residual_add`` defines it: four elements per iteration, loads
first, the constants in registers (:class:`~.requant.SmallRequant`)."""

from sw.golden import AddParams, Requant
from sw.rv32 import Program

from .requant import SmallRequant

__all__ = ["residual_add_code"]

#: Largest ``|mult_a a + mult_b b|``.
BOUND = 2 * 255 * 128
REGS = {"const": "s8", "lo": "s9", "hi": "s10"}


def residual_add_code(p: Program, add: AddParams, a: int, b: int, out: int, prefix: str = ""
                      ) -> None:
    """Emit ``out[i] = residual_add(a[i], b[i])`` for ``a2 <= i < a3`` (int8 arrays at byte
    addresses ``a``, ``b``, ``out``; a core's slice is its ``a2``..``a3``). Labels start with
    ``prefix``; uses t0..t6, a4..a6, s3..s10."""
    tag = f"{prefix}res"
    rq = SmallRequant(Requant(1, add.shift, add.add), BOUND, REGS, tag)
    p.bge("a2", "a3", f"{tag}_done")
    p.li("s3", a).add("s3", "s3", "a2").li("s4", b).add("s4", "s4", "a2")
    p.li("s5", out).add("a5", "s5", "a3").add("s5", "s5", "a2").addi("a6", "a5", -3)
    p.li("s6", add.mult_a).li("s7", add.mult_b)
    rq.setup(p)
    xs, ys = ("t0", "t1", "t2", "t3"), ("t4", "t5", "t6", "a4")

    def element(x: str, y: str, k: int) -> None:
        p.mul(x, x, "s6").mul(y, y, "s7").add(x, x, y)
        rq.emit(p, x)
        p.sb(x, k, "s5")

    p.bgeu("s5", "a6", f"{tag}_tail")
    p.label(f"{tag}_loop4")
    for k in range(4):
        p.lb(xs[k], k, "s3").lb(ys[k], k, "s4")
    for k in range(4):
        element(xs[k], ys[k], k)
    p.addi("s3", "s3", 4).addi("s4", "s4", 4).addi("s5", "s5", 4)
    p.bltu("s5", "a6", f"{tag}_loop4")
    p.label(f"{tag}_tail").bgeu("s5", "a5", f"{tag}_done")
    p.label(f"{tag}_loop1").lb("t0", 0, "s3").lb("t4", 0, "s4")
    element("t0", "t4", 0)
    p.addi("s3", "s3", 1).addi("s4", "s4", 1).addi("s5", "s5", 1)
    p.bltu("s5", "a5", f"{tag}_loop1")
    p.j(f"{tag}_done")
    rq.fixups(p)
    p.label(f"{tag}_done")
