"""RV32IM tools: the ISA tables, a program builder (the assembler's Python API), a text
assembler on top of it, an ELF writer and reader, and a disassembler."""

from .elf import read_elf, write_elf
from .isa import CSR_NUMBERS, REGISTERS, reg
from .program import Image, Program
from .text import assemble

__all__ = ["Program", "Image", "assemble", "write_elf", "read_elf", "REGISTERS", "CSR_NUMBERS",
           "reg"]
