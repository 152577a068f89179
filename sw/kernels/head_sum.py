"""The head sum on the cores: ``out = head_sum(sum_h Y_h)``, the requantized sum of the heads'
int8 outputs, element by element as ``sw.golden.multi_head_attention`` defines it."""

from collections.abc import Sequence

from sw.golden import Requant
from sw.rv32 import Program

from .requant import requant_code

__all__ = ["head_sum_code"]


def head_sum_code(p: Program, rq: Requant, heads: Sequence[int], out: int, prefix: str = ""
                  ) -> None:
    """Emit ``out[i] = rq(sum_h heads[h][i])`` for ``a2 <= i < a3``: int8 arrays at the byte
    addresses ``heads`` (one per head) and ``out``; a core's slice is its ``a2``..``a3``.
    Labels start with ``prefix``; uses t0..t4, s3..s5."""
    if not heads:
        raise ValueError("head_sum_code: no heads")
    p.bge("a2", "a3", f"{prefix}hsum_done")
    p.li("s3", heads[0]).add("s3", "s3", "a2")        # head 0's element; the others at offsets
    p.li("s5", out).add("s5", "s5", "a2")
    p.label(f"{prefix}hsum_loop")
    p.lb("s4", 0, "s3")
    for h in heads[1:]:
        offset = h - heads[0]
        if -2048 <= offset < 2048:
            p.lb("t4", offset, "s3")
        else:
            p.li("t4", offset).add("t4", "t4", "s3").lb("t4", 0, "t4")
        p.add("s4", "s4", "t4")
    requant_code(p, "s4", rq, f"{prefix}hsum_rq")
    p.sb("s4", 0, "s5")
    p.addi("s3", "s3", 1).addi("s5", "s5", 1).addi("a2", "a2", 1)
    p.blt("a2", "a3", f"{prefix}hsum_loop")
    p.label(f"{prefix}hsum_done")
