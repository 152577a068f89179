"""Transposing an int8 matrix on the cores: what turns V (S x P, made by a Linear job) into the
V^T (P x S) the engine's Single-attention mode reads, when a head is run step by step."""

from sw.rv32 import Program

__all__ = ["transpose_code"]


def transpose_code(p: Program, src: int, dst: int, rows: int, cols: int, prefix: str = ""
                   ) -> None:
    """Emit ``dst[j][i] = src[i][j]`` for the output rows ``a2 <= j < a3`` (``src`` is rows x
    cols, ``dst`` cols x rows, both dense int8 at those byte addresses; a core's slice is its
    ``a2``..``a3``). Four elements per iteration. Labels start with ``prefix``; uses t0..t4,
    s3..s6, a4."""
    if rows < 1 or cols < 1:
        raise ValueError(f"transpose_code: a {rows} x {cols} matrix")
    tag = f"{prefix}tr"
    p.bge("a2", "a3", f"{tag}_done")
    p.li("s3", src).add("s3", "s3", "a2")                    # src column a2
    p.li("t0", rows).mul("s4", "a2", "t0").li("t0", dst).add("s4", "s4", "t0")  # dst row a2
    p.label(f"{tag}_row").mv("s5", "s3").addi("s6", "s4", rows // 4 * 4)
    p.li("a4", 4 * cols)
    if rows >= 4:
        p.label(f"{tag}_col")
        for k, reg in enumerate(("t1", "t2", "t3", "t4")):
            if k * cols < 2048:
                p.lb(reg, k * cols, "s5")
            else:
                p.li("t0", k * cols).add("t0", "t0", "s5").lb(reg, 0, "t0")
        for k, reg in enumerate(("t1", "t2", "t3", "t4")):
            p.sb(reg, k, "s4")
        p.add("s5", "s5", "a4").addi("s4", "s4", 4)
        p.bne("s4", "s6", f"{tag}_col")
    for _ in range(rows % 4):
        p.lb("t1", 0, "s5").sb("t1", 0, "s4").addi("s4", "s4", 1)
        p.li("t0", cols).add("s5", "s5", "t0")
    p.addi("s3", "s3", 1).addi("a2", "a2", 1).blt("a2", "a3", f"{tag}_row")
    p.label(f"{tag}_done")
