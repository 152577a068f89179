"""The head sum on the cores: ``out = head_sum(sum_h Y_h)``, the requantized sum of the heads'
int8 outputs, element by element as ``sw.golden.multi_head_attention`` defines it: four
elements per iteration, one pointer register per head, the requantizer's constants in
registers (:class:`~.requant.SmallRequant`)."""

from collections.abc import Sequence

from sw.golden import Requant
from sw.rv32 import Program

from .requant import SmallRequant

__all__ = ["head_sum_code", "HEAD_POINTERS"]

#: Registers that point at heads 1, 2, ... (head 0: s3); further heads are addressed from
#: head 0's pointer with an offset.
HEAD_POINTERS = ("s4", "s7", "s11", "a7", "a0", "a1", "ra", "gp")
REGS = {"mult": "s6", "const": "s8", "lo": "s9", "hi": "s10"}


def head_sum_code(p: Program, rq: Requant, heads: Sequence[int], out: int, prefix: str = ""
                  ) -> None:
    """Emit ``out[i] = rq(sum_h heads[h][i])`` for ``a2 <= i < a3``: int8 arrays at the byte
    addresses ``heads`` (one per head) and ``out``; a core's slice is its ``a2``..``a3``.
    Labels start with ``prefix``; uses t0..t6, a4..a6, s3..s11 and, with more heads,
    ``HEAD_POINTERS``."""
    if not heads:
        raise ValueError("head_sum_code: no heads")
    tag = f"{prefix}hsum"
    small = SmallRequant(rq, 128 * len(heads), REGS, tag)     # fits any practical head count
    pointers = ["s3", *HEAD_POINTERS[:len(heads) - 1]]
    p.bge("a2", "a3", f"{tag}_done")
    for reg, address in zip(pointers, heads, strict=False):
        p.li(reg, address).add(reg, reg, "a2")
    p.li("s5", out).add("a5", "s5", "a3").add("s5", "s5", "a2").addi("a6", "a5", -3)
    small.setup(p)
    sums, loads = ("t0", "t1", "t2", "t3"), ("t4", "t5", "t6", "a4")

    def load(reg: str, h: int, k: int) -> None:
        if h < len(pointers):
            p.lb(reg, k, pointers[h])
        else:                                  # far heads: from head 0's pointer
            p.li(reg, heads[h] - heads[0] + k).add(reg, reg, "s3").lb(reg, 0, reg)

    def finish(reg: str, k: int) -> None:
        small.emit(p, reg)
        p.sb(reg, k, "s5")

    def step(n: int, loop: str, end: str) -> None:
        p.label(loop)
        for k in range(n):
            load(sums[k], 0, k)
        for h in range(1, len(heads)):
            for k in range(n):
                load(loads[k], h, k)
            for k in range(n):
                p.add(sums[k], sums[k], loads[k])
        for k in range(n):
            finish(sums[k], k)
        for reg in (*pointers, "s5"):
            p.addi(reg, reg, n)
        p.bltu("s5", end, loop)

    p.bgeu("s5", "a6", f"{tag}_tail")
    step(4, f"{tag}_loop4", "a6")
    p.label(f"{tag}_tail").bgeu("s5", "a5", f"{tag}_done")
    step(1, f"{tag}_loop1", "a5")
    p.j(f"{tag}_done")
    small.fixups(p)
    p.label(f"{tag}_done")
