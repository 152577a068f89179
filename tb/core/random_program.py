"""Random but valid RV32IM programs for differential testing.

A program sets every register to a random or edge value (0, 1, -1, -2**31, 2**31 - 1), then
runs a random mix of ALU operations, multiplications and divisions, loads and stores into its
own data region, forward branches and jumps, and loops that terminate; it ends at the label
``end`` and then writes the exit register. Registers x26 (loop counter), x27 (data base), x30
and x31 (exit sequence) are reserved; the program never writes them otherwise.
"""

import random

from hw.config import CLUSTER_CTRL, CtrlReg
from sw.kernels.asm import exit_word

__all__ = ["random_program", "DATA_BYTES", "RESERVED"]

DATA_BYTES = 256
RESERVED = (26, 27, 30, 31)
EDGES = [0, 1, -1, -(2 ** 31), 2 ** 31 - 1, 2, -2, 0x7FFF, 0x8000, 0xFFFF]
_R = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"]
_I = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
_SH = ["slli", "srli", "srai"]
_M = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
_LOADS = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4}
_STORES = {"sb": 1, "sh": 2, "sw": 4}
_BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]


def random_program(seed: int, length: int = 60) -> str:
    """Return the assembly text of program ``seed``."""
    rng = random.Random(seed)
    writable = [r for r in range(1, 26)]
    readable = [r for r in range(0, 28)]
    lines = ["_start:"]
    for r in range(1, 32):
        if r in RESERVED:
            continue
        value = rng.choice(EDGES) if rng.random() < 0.4 else rng.randrange(-2 ** 31, 2 ** 31)
        lines.append(f"    li x{r}, {value}")
    lines.append("    la x27, data")
    label = 0

    def x(regs):
        return f"x{rng.choice(regs)}"

    def alu(n: int) -> list[str]:
        out = []
        for _ in range(n):
            kind = rng.random()
            if kind < 0.35:
                out.append(f"    {rng.choice(_R)} {x(writable)}, {x(readable)}, {x(readable)}")
            elif kind < 0.55:
                out.append(f"    {rng.choice(_I)} {x(writable)}, {x(readable)}, "
                           f"{rng.randrange(-2048, 2048)}")
            elif kind < 0.65:
                out.append(f"    {rng.choice(_SH)} {x(writable)}, {x(readable)}, "
                           f"{rng.randrange(32)}")
            elif kind < 0.7:
                out.append(f"    lui {x(writable)}, {rng.randrange(1 << 20)}")
            elif kind < 0.75:
                out.append(f"    auipc {x(writable)}, {rng.randrange(1 << 20)}")
            else:
                out.append(f"    {rng.choice(_M)} {x(writable)}, {x(readable)}, {x(readable)}")
        return out

    body = []
    while len(body) < length:
        kind = rng.random()
        if kind < 0.45:
            body += alu(rng.randrange(1, 4))
        elif kind < 0.6:
            op = rng.choice(list(_LOADS))
            size = _LOADS[op]
            body.append(f"    {op} {x(writable)}, {rng.randrange(0, DATA_BYTES, size)}(x27)")
        elif kind < 0.72:
            op = rng.choice(list(_STORES))
            size = _STORES[op]
            body.append(f"    {op} {x(readable)}, {rng.randrange(0, DATA_BYTES, size)}(x27)")
        elif kind < 0.82:                       # a forward branch over a few instructions
            label += 1
            body.append(f"    {rng.choice(_BRANCHES)} {x(readable)}, {x(readable)}, L{label}")
            body += alu(rng.randrange(1, 4))
            body.append(f"L{label}:")
        elif kind < 0.88:                       # a forward jump, direct or through jalr
            label += 1
            if rng.random() < 0.5:
                body.append(f"    jal {x(writable)}, L{label}")
            else:
                r = rng.choice(writable)
                body += [f"    la x{r}, L{label}", f"    jalr {x(writable)}, 0(x{r})"]
            body += alu(rng.randrange(1, 3))
            body.append(f"L{label}:")
        else:                                   # a loop that terminates
            label += 1
            body.append(f"    li x26, {rng.randrange(1, 6)}")
            body.append(f"L{label}:")
            body += alu(rng.randrange(1, 4))
            if rng.random() < 0.5:
                op = rng.choice(list(_LOADS))
                body.append(f"    {op} {x(writable)}, {rng.randrange(0, DATA_BYTES, _LOADS[op])}"
                            "(x27)")
            body += ["    addi x26, x26, -1", f"    bnez x26, L{label}"]
    lines += body
    lines += ["end:", f"    li x31, {CLUSTER_CTRL + CtrlReg.EXIT}", f"    li x30, {exit_word(0)}",
              "    sw x30, 0(x31)", "hang:", "    j hang", ".data", "data:"]
    lines += [f"    .word {rng.randrange(1 << 32)}" for _ in range(DATA_BYTES // 4)]
    return "\n".join(lines) + "\n"
