"""Disassemble RV32IM instructions for traces (capstone)."""

from functools import cache

__all__ = ["disassemble"]


@cache
def _engine():
    import capstone

    return capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV32)


def disassemble(word: int, pc: int = 0) -> str:
    """One instruction as text (``unknown 0x...`` when it does not decode)."""
    for insn in _engine().disasm(word.to_bytes(4, "little"), pc, 1):
        return f"{insn.mnemonic} {insn.op_str}".strip()
    return f"unknown 0x{word:08x}"
