"""The text assembler: GNU-style RISC-V assembly on top of :class:`Program`.

Supported: ``label:``, instructions and the pseudo-instructions of :class:`Program`, memory
operands ``offset(reg)``, directives ``.text .data .bss .section .word .half .byte .space
.zero .align .balign .globl .global .equ .set .string .asciz``, comments with ``#`` or ``//``.
"""

import re

from .isa import INSTRUCTIONS
from .program import Image, Program

__all__ = ["assemble", "assemble_into"]

_PSEUDO = {"nop", "li", "la", "mv", "not", "neg", "j", "jr", "call", "ret", "beqz", "bnez",
           "bltz", "bgez", "blez", "bgtz", "bgt", "ble", "bgtu", "bleu", "seqz", "snez",
           "csrr", "csrw", "csrs", "csrc", "csrwi", "csrsi", "csrci"}
_MEM = re.compile(r"^(.*)\(\s*([\w]+)\s*\)$")


def _split(operands: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in operands:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _operand(text: str):
    """An int where the text is a plain integer, else the text (a register or expression)."""
    try:
        return int(text, 0)
    except ValueError:
        return text


def _string(text: str) -> bytes:
    mo = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', text.strip())
    if not mo:
        raise ValueError(f"expected a quoted string, got {text!r}")
    return mo.group(1).encode().decode("unicode_escape").encode("latin-1")


def assemble_into(program: Program, source: str, filename: str = "<asm>") -> Program:
    """Assemble ``source`` into ``program``."""
    for number, raw in enumerate(source.splitlines(), 1):
        line = re.split(r"#|//", raw, maxsplit=1)[0].strip()
        program._where = f"{filename}:{number}: "
        try:
            while (mo := re.match(r"^([A-Za-z_.$][\w.$]*)\s*:", line)):
                program.label(mo.group(1))
                line = line[mo.end():].strip()
            if not line:
                continue
            parts = line.split(None, 1)
            op = parts[0].lower()
            args = _split(parts[1]) if len(parts) > 1 else []
            _statement(program, op, args)
        except ValueError as e:
            msg = str(e)
            raise ValueError(msg if msg.startswith(filename) else
                             f"{filename}:{number}: {msg} (in {raw.strip()!r})") from None
    program._where = ""
    return program


def _statement(p: Program, op: str, args: list[str]) -> None:
    if op in (".text", ".data", ".bss"):
        p.section(op)
    elif op == ".section":
        p.section(args[0].split(",")[0].strip())
    elif op in (".word", ".half", ".byte"):
        getattr(p, op[1:])(*[_operand(a) for a in args])
    elif op in (".space", ".zero", ".skip"):
        p.space(int(args[0], 0))
    elif op == ".align":
        p.align(int(args[0], 0))
    elif op == ".balign":
        p.balign(int(args[0], 0))
    elif op in (".globl", ".global"):
        p.globl(*args)
    elif op in (".equ", ".set"):
        p.equ(args[0], _operand(args[1]))
    elif op in (".string", ".asciz", ".ascii"):
        data = _string(args[0]) + (b"" if op == ".ascii" else b"\0")
        p.byte(*data)
    elif op.startswith("."):
        raise ValueError(f"unknown directive {op}")
    elif op in _PSEUDO:
        getattr(p, op + ("_" if op == "not" else ""))(*[_operand(a) for a in args])
    elif op in INSTRUCTIONS:
        fmt_opcode = INSTRUCTIONS[op][1]
        ops = []
        for a in args:
            mo = _MEM.match(a)
            if mo and fmt_opcode in (0x03, 0x23):        # loads, stores: offset, base
                ops += [_operand(mo.group(1).strip() or "0"), mo.group(2)]
            elif mo and op == "jalr":                     # jalr rd, offset(rs1)
                ops += [mo.group(2), _operand(mo.group(1).strip() or "0")]
            else:
                ops.append(_operand(a))
        if op == "jalr" and len(ops) == 1:
            ops = ["ra", ops[0], 0]
        if op in ("fence", "fence.i"):
            ops = []
        p.insn(op, *ops)
    else:
        raise ValueError(f"unknown instruction {op!r}")


def assemble(source: str, base: int = 0x8000_0000, filename: str = "<asm>") -> Image:
    """Assemble and link ``source`` with .text at ``base``."""
    return assemble_into(Program(base), source, filename).link()
