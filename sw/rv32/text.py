"""The text assembler: GNU-style RISC-V assembly on top of :class:`Program`.

Supported: ``label:``, numeric local labels (``1:`` defined any number of times, ``1b`` the
nearest before, ``1f`` the nearest after), instructions and the pseudo-instructions of
:class:`Program`, memory operands ``offset(reg)``, directives ``.text .data .bss .section .word
.half .byte .space .zero .align .balign .globl .global .equ .set .string .asciz``, comments
with ``#`` or ``//``. Every error is a ``ValueError`` naming the file, the line and the value.
"""

import inspect
import re
from collections.abc import Iterator

from .expr import evaluate
from .isa import INSTRUCTIONS, Format
from .program import Image, Program

__all__ = ["assemble", "assemble_into"]

_PSEUDO = {"nop", "li", "la", "mv", "not", "neg", "j", "jr", "call", "ret", "beqz", "bnez",
           "bltz", "bgez", "blez", "bgtz", "bgt", "ble", "bgtu", "bleu", "seqz", "snez",
           "csrr", "csrw", "csrs", "csrc", "csrwi", "csrsi", "csrci"}
_MEM = re.compile(r"^(.*)\(\s*([\w]+)\s*\)$")
_LOCAL_DEF = re.compile(r"^(\d+)\s*:")
_LOCAL_REF = re.compile(r"(?<![\w.$'])(\d+)([bf])(?![\w.$'])")
#: Operand positions that are registers, for the pseudo-instructions and the formats.
_PSEUDO_REGS = {"li": (0,), "la": (0,), "mv": (0, 1), "not": (0, 1), "neg": (0, 1),
                "jr": (0,), "beqz": (0,), "bnez": (0,), "bltz": (0,), "bgez": (0,),
                "blez": (0,), "bgtz": (0,), "bgt": (0, 1), "ble": (0, 1), "bgtu": (0, 1),
                "bleu": (0, 1), "seqz": (0, 1), "snez": (0, 1), "csrr": (0,), "csrw": (1,),
                "csrs": (1,), "csrc": (1,)}
_FORMAT_REGS = {Format.REG: (0, 1, 2), Format.IMM: (0, 1), Format.SHIFT: (0, 1),
                Format.STORE: (0, 2), Format.BRANCH: (0, 1), Format.UPPER: (0,),
                Format.JUMP: (0,), Format.CSR: (0, 2), Format.CSRI: (0,), Format.SYS: ()}


def _scan(text: str) -> Iterator[tuple[int, str, bool]]:
    """Yield (index, char, outside) over ``text``, where ``outside`` is false inside quotes."""
    quote = ""
    escaped = False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            yield i, ch, False
            continue
        if ch in "\"'":
            quote = ch
            yield i, ch, False
            continue
        yield i, ch, True


def _strip_comment(raw: str) -> str:
    """The line without its ``#`` or ``//`` comment (not inside strings or characters)."""
    for i, ch, outside in _scan(raw):
        if outside and (ch == "#" or raw.startswith("//", i)):
            return raw[:i]
    return raw


def _split(operands: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for _, ch, outside in _scan(operands):
        if outside and ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        if outside:
            depth += ch == "("
            depth -= ch == ")"
        cur += ch
    if cur.strip() or out:
        out.append(cur.strip())
    if any(not a for a in out):
        raise ValueError(f"an empty operand in {operands.strip()!r}")
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
    try:
        return mo.group(1).encode().decode("unicode_escape").encode("latin-1")
    except UnicodeError as e:
        raise ValueError(f"string {text.strip()}: {e.reason} (characters must be bytes "
                         "0..255)") from None


def _locals(p: Program, text: str, forward: list[tuple[str, int]]) -> str:
    """``text`` with its numeric label references (``1b``, ``2f``) replaced by symbols."""
    def ref(mo: re.Match) -> str:
        if mo.group(2) == "f":
            forward.append((mo.group(1), p.local_counts.get(mo.group(1), 0)))
        return p.local_ref(mo.group(1), mo.group(2))
    return text if text.startswith(("'", '"')) else _LOCAL_REF.sub(ref, text)


def assemble_into(program: Program, source: str, filename: str = "<asm>") -> Program:
    """Assemble ``source`` into ``program``."""
    if not isinstance(source, str):
        raise ValueError(f"{filename}: the source must be text, got {type(source).__name__}")
    forward: list[tuple[str, int, int, str]] = []       # number, definition, line, text
    for number, raw in enumerate(source.splitlines(), 1):
        line = _strip_comment(raw).strip()
        program._where = f"{filename}:{number}: "
        try:
            while True:
                if (mo := re.match(r"^([A-Za-z_.$][\w.$]*)\s*:", line)):
                    program.label(mo.group(1))
                elif (mo := _LOCAL_DEF.match(line)):
                    program.local_label(mo.group(1))
                else:
                    break
                line = line[mo.end():].strip()
            if not line:
                continue
            parts = line.split(None, 1)
            op = parts[0].lower()
            args = _split(parts[1]) if len(parts) > 1 else []
            refs: list[tuple[str, int]] = []
            if op not in (".string", ".asciz", ".ascii"):
                args = [_locals(program, a, refs) for a in args]
            forward += [(n, k, number, raw.strip()) for n, k in refs]
            _statement(program, op, args)
        except ValueError as e:
            msg = str(e)
            raise ValueError(msg if msg.startswith(filename) else
                             f"{filename}:{number}: {msg} (in {raw.strip()!r})") from None
    program._where = ""
    for n, k, number, raw in forward:
        if program.local_counts.get(n, 0) <= k:
            raise ValueError(f"{filename}:{number}: {n}f: no label {n}: after this line "
                             f"(in {raw!r})")
    return program


def _args(op: str, args: list[str], lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    if not lo <= len(args) <= hi:
        want = str(lo) if lo == hi else f"at least {lo}" if hi > 3 else f"{lo}..{hi}"
        plural = "" if want.split()[-1] == "1" else "s"
        raise ValueError(f"{op} takes {want} argument{plural}, got {len(args)}")


def _constant(p: Program, op: str, text: str) -> int:
    """A directive's argument: an integer expression of the constants defined before it."""
    known = {k: v for k, v in p.equates.items() if isinstance(v, int)}
    try:
        return evaluate(_operand(text), known)
    except ValueError as e:
        raise ValueError(f"{op} {text}: {e} (it takes a constant)") from None


def _registers(op: str, ops: list, positions: tuple[int, ...]) -> None:
    """Reject a plain number where the instruction takes a register (``add a0, a1, 5``)."""
    for i in positions:
        if i < len(ops) and isinstance(ops[i], int):
            raise ValueError(f"{op}: operand {i + 1} must be a register, got {ops[i]}")


def _statement(p: Program, op: str, args: list[str]) -> None:
    if op in (".text", ".data", ".bss"):
        _args(op, args, 0)
        p.section(op)
    elif op == ".section":
        _args(op, args, 1, 3)
        p.section(args[0].strip())
    elif op in (".word", ".half", ".byte"):
        getattr(p, op[1:])(*[_operand(a) for a in args])
    elif op in (".space", ".zero", ".skip"):
        _args(op, args, 1)
        p.space(_constant(p, op, args[0]))
    elif op == ".align":
        _args(op, args, 1)
        p.align(_constant(p, op, args[0]))
    elif op == ".balign":
        _args(op, args, 1)
        p.balign(_constant(p, op, args[0]))
    elif op in (".globl", ".global"):
        _args(op, args, 1, 1 << 16)
        p.globl(*args)
    elif op in (".equ", ".set"):
        _args(op, args, 2)
        p.equ(args[0], _operand(args[1]))
    elif op in (".string", ".asciz", ".ascii"):
        _args(op, args, 1, 1 << 16)
        for a in args:
            p.byte(*(_string(a) + (b"" if op == ".ascii" else b"\0")))
    elif op.startswith("."):
        raise ValueError(f"unknown directive {op}")
    elif op in _PSEUDO:
        fn = getattr(p, op + ("_" if op == "not" else ""))
        ops = [_operand(a) for a in args]
        try:
            inspect.signature(fn).bind(*ops)
        except TypeError:
            want = len(inspect.signature(fn).parameters)
            raise ValueError(f"{op} takes {want} operand{'s' if want != 1 else ''}, got "
                             f"{len(ops)}") from None
        _registers(op, ops, _PSEUDO_REGS.get(op, ()))
        fn(*ops)
    elif op in INSTRUCTIONS:
        fmt, fmt_opcode = INSTRUCTIONS[op][:2]
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
        if op == "fence":                                 # its pred/succ sets are ignored
            ops = []
        positions = (0, 2) if fmt_opcode == 0x03 else _FORMAT_REGS[fmt]
        _registers(op, ops, positions)
        p.insn(op, *ops)
    else:
        raise ValueError(f"unknown instruction {op!r}")


def assemble(source: str, base: int = 0x8000_0000, filename: str = "<asm>") -> Image:
    """Assemble and link ``source`` with .text at ``base``."""
    return assemble_into(Program(base), source, filename).link()
