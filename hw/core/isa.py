"""RV32IM encodings the core decodes (the assembler's tables are in ``sw.rv32.isa``; ``hw``
does not import ``sw``)."""

from amaranth.lib import enum

__all__ = ["Opcode", "AluOp", "Cause", "MemSize"]


class Opcode(enum.Enum, shape=7):
    LOAD = 0x03
    MISC_MEM = 0x0F
    OP_IMM = 0x13
    AUIPC = 0x17
    STORE = 0x23
    OP = 0x33
    LUI = 0x37
    BRANCH = 0x63
    JALR = 0x67
    JAL = 0x6F
    SYSTEM = 0x73


class AluOp(enum.Enum, shape=4):
    ADD = 0
    SUB = 1
    SLL = 2
    SLT = 3
    SLTU = 4
    XOR = 5
    SRL = 6
    SRA = 7
    OR = 8
    AND = 9


class Cause(enum.Enum, shape=5):
    """mcause values of the exceptions the core raises."""

    INSN_MISALIGNED = 0
    ILLEGAL = 2
    BREAKPOINT = 3
    LOAD_MISALIGNED = 4
    STORE_MISALIGNED = 6
    ECALL_M = 11


class MemSize(enum.Enum, shape=2):
    BYTE = 0
    HALF = 1
    WORD = 2


