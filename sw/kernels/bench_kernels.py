"""Kernels for ``tinyita bench core``, written with the assembler's Python API."""

from hw.config import CLUSTER_CTRL, CtrlReg
from sw.rv32 import Program

from .asm import exit_word

__all__ = ["KERNELS", "build_kernel"]

N = 1024


def _exit(p: Program) -> None:
    p.li("t6", CLUSTER_CTRL + CtrlReg.EXIT).li("t5", exit_word(0)).sw("t5", 0, "t6")
    p.label("hang").j("hang")


def dot_product(p: Program) -> None:
    """int8 dot product of two 1024-element vectors, unrolled twice, loads scheduled ahead
    of their use."""
    p.la("a0", "va").la("a1", "vb").li("a2", N // 2).li("a3", 0)
    p.label("loop")
    p.lb("t0", 0, "a0").lb("t1", 0, "a1").lb("t2", 1, "a0").lb("t3", 1, "a1")
    p.addi("a0", "a0", 2).addi("a1", "a1", 2)
    p.mul("t0", "t0", "t1").mul("t2", "t2", "t3")
    p.add("a3", "a3", "t0").add("a3", "a3", "t2")
    p.addi("a2", "a2", -1).bnez("a2", "loop")
    _exit(p)
    p.section(".data")
    p.label("va").byte(*[(i * 7) % 256 for i in range(N)])
    p.label("vb").byte(*[(i * 13 + 5) % 256 for i in range(N)])


def memcpy(p: Program) -> None:
    """Copy 4 KiB word by word, four words per iteration."""
    p.la("a0", "src").la("a1", "dst").li("a2", N // 4)
    p.label("loop")
    p.lw("t0", 0, "a0").lw("t1", 4, "a0").lw("t2", 8, "a0").lw("t3", 12, "a0")
    p.sw("t0", 0, "a1").sw("t1", 4, "a1").sw("t2", 8, "a1").sw("t3", 12, "a1")
    p.addi("a0", "a0", 16).addi("a1", "a1", 16).addi("a2", "a2", -1).bnez("a2", "loop")
    _exit(p)
    p.section(".data")
    p.label("src").word(*range(N))
    p.section(".bss")
    p.label("dst").space(4 * N)


def branchy(p: Program) -> None:
    """Count the elements of a sequence by class (data-dependent forward branches)."""
    p.li("a0", 0).li("a1", 0).li("a2", 0).li("a4", N).li("a5", 12345)
    p.label("loop")
    p.slli("t0", "a5", 13).xor("a5", "a5", "t0").srli("t0", "a5", 17)
    p.xor("a5", "a5", "t0").slli("t0", "a5", 5).xor("a5", "a5", "t0")
    p.andi("t1", "a5", 3)
    p.beqz("t1", "zero_class")
    p.andi("t2", "a5", 4)
    p.bnez("t2", "odd_class")
    p.addi("a1", "a1", 1).j("next")
    p.label("odd_class").addi("a2", "a2", 1).j("next")
    p.label("zero_class").addi("a0", "a0", 1)
    p.label("next").addi("a4", "a4", -1).bnez("a4", "loop")
    _exit(p)


KERNELS = {"dot_product": dot_product, "memcpy": memcpy, "branchy": branchy}


def build_kernel(name: str) -> Program:
    p = Program()
    p.label("_start")
    KERNELS[name](p)
    return p
