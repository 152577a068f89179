"""The assembler's Python API: a program builder with labels, sections, data directives and
the usual pseudo-instructions, linked into an :class:`Image`.

    p = Program()
    p.label("_start")
    p.li("a0", 1000)
    p.label("loop")
    p.addi("a0", "a0", -1)
    p.bnez("a0", "loop")
    p.section(".data")
    p.label("table")
    p.word(1, 2, "table + 4")
    image = p.link()

Operands are register names, integers or expressions (strings, see :mod:`.expr`) evaluated at
link time. Loads and stores take ``(reg, offset, base)``; branches and jumps take a target
address expression (usually a label).
"""

from dataclasses import dataclass, field
from numbers import Integral

from .expr import evaluate, hi, lo
from .isa import INSTRUCTIONS, Format, csr, encode, reg

__all__ = ["Program", "Image", "Section", "DATA_RANGES", "MAX_SPACE", "MAX_ALIGN"]

SECTIONS = (".text", ".data", ".bss")
#: The values a ``.byte``, ``.half`` or ``.word`` holds (signed or unsigned), by width.
DATA_RANGES = {1: (-128, 255), 2: (-(1 << 15), (1 << 16) - 1), 4: (-(1 << 31), (1 << 32) - 1)}
_DIRECTIVE = {1: ".byte", 2: ".half", 4: ".word"}
#: Largest ``.space`` (the largest L2, 256 MiB).
MAX_SPACE = 1 << 28
#: Largest alignment in bytes (``.balign``; ``.align`` takes its log2).
MAX_ALIGN = 1 << 16


def _int(what: str, value, lo: int, hi: int) -> int:
    """``value`` as an int after checking that it is an integer in ``lo..hi``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{what}: {value!r} is not an integer")
    value = int(value)
    if not lo <= value <= hi:
        shown = f"{value} (0x{value:x})" if value > 0xFFFF else str(value)
        raise ValueError(f"{what}: {shown} is outside {lo}..{hi}")
    return value


def _local_name(number: str, k: int) -> str:
    return f"__local{number}_{k}"


@dataclass
class Image:
    """A linked program: memory contents, symbols and entry point."""

    segments: list[tuple[int, bytes]]          #: (address, contents) of .text and .data
    bss: tuple[int, int]                       #: (address, size) of zero-filled memory
    symbols: dict[str, int]
    entry: int
    globals: set[str] = field(default_factory=set)

    @property
    def end(self) -> int:
        return max([a + len(b) for a, b in self.segments] + [self.bss[0] + self.bss[1]])


@dataclass
class _Item:
    kind: str                   # "insn", "data", "align", "space"
    size: int
    args: tuple = ()
    line: str = ""


@dataclass
class Section:
    name: str
    items: list[_Item] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)   # label -> item index
    size: int = 0


class Program:
    """Build an RV32IM program; ``link()`` places .text at ``base``, then .data and .bss."""

    def __init__(self, base: int = 0x8000_0000):
        self.base = _int("base address", base, 0, (1 << 32) - 4)
        if base % 4:
            raise ValueError(f"base address 0x{base:x}: must be a multiple of 4")
        self.sections = {n: Section(n) for n in SECTIONS}
        self.current = self.sections[".text"]
        self.globals: set[str] = set()
        self.equates: dict[str, int | str] = {}
        self.local_counts: dict[str, int] = {}     # numeric local label -> definitions so far
        self._equ_where: dict[str, str] = {}
        self._where = ""

    # --- structure ------------------------------------------------------------------------
    def section(self, name: str) -> "Program":
        if name not in self.sections:
            raise ValueError(f"unknown section {name!r}: use one of {', '.join(SECTIONS)}")
        self.current = self.sections[name]
        return self

    def label(self, name: str) -> "Program":
        if not isinstance(name, str) or not name:
            raise ValueError(f"label name {name!r}: must be a non-empty string")
        for s in self.sections.values():
            if name in s.labels:
                raise ValueError(f"label {name!r} is defined twice")
        if name in self.equates:
            raise ValueError(f"label {name!r} is already a constant")
        self.current.labels[name] = len(self.current.items)
        return self

    def local_label(self, number: str) -> str:
        """Define the numeric local label ``number`` (``1:``, defined any number of times)
        once more and return the symbol of this definition."""
        k = self.local_counts.get(number, 0)
        self.local_counts[number] = k + 1
        name = _local_name(number, k)
        self.label(name)
        return name

    def local_ref(self, number: str, direction: str) -> str:
        """The symbol of ``1b`` (the nearest definition of ``1:`` before here) or ``1f`` (the
        nearest after here, which must come before the program is linked)."""
        k = self.local_counts.get(number, 0)
        if direction == "b":
            if not k:
                raise ValueError(f"{number}b: no label {number}: before this line")
            return _local_name(number, k - 1)
        return _local_name(number, k)

    def globl(self, *names: str) -> "Program":
        self.globals.update(names)
        return self

    def equ(self, name: str, value: int | str) -> "Program":
        """Define a constant symbol (``.equ``)."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f".equ name {name!r}: must be an identifier")
        self.equates[name] = value
        self._equ_where[name] = self._where
        return self

    def _add(self, kind: str, size: int, *args) -> "Program":
        if self.current.name == ".bss" and kind in ("insn", "data"):
            raise ValueError(f"{self._where}.bss holds no contents: use .space")
        self.current.items.append(_Item(kind, size, args, self._where))
        return self

    # --- data -----------------------------------------------------------------------------
    def word(self, *values) -> "Program":
        return self._add("data", 4 * len(values), 4, values)

    def half(self, *values) -> "Program":
        return self._add("data", 2 * len(values), 2, values)

    def byte(self, *values) -> "Program":
        return self._add("data", len(values), 1, values)

    def space(self, size: int) -> "Program":
        return self._add("space", _int(".space size", size, 0, MAX_SPACE))

    def align(self, power: int) -> "Program":
        """Align to ``2**power`` bytes (RISC-V ``.align``)."""
        power = _int(".align power of two", power, 0, MAX_ALIGN.bit_length() - 1)
        return self._add("align", 0, 1 << power)

    def balign(self, size: int) -> "Program":
        """Align to ``size`` bytes, a power of two."""
        size = _int(".balign alignment", size, 1, MAX_ALIGN)
        if size & (size - 1):
            raise ValueError(f".balign alignment: {size} is not a power of two")
        return self._add("align", 0, size)

    # --- instructions ---------------------------------------------------------------------
    def insn(self, name: str, *operands) -> "Program":
        """Add a base instruction by name with assembly operand order."""
        if name not in INSTRUCTIONS:
            raise ValueError(f"{self._where}unknown instruction {name!r}")
        return self._add("insn", 4, name, operands)

    def __getattr__(self, name: str):
        mnemonic = name.rstrip("_").replace("_", ".")   # and_ -> and, fence_i -> fence.i
        if mnemonic in INSTRUCTIONS:
            return lambda *ops: self.insn(mnemonic, *ops)
        raise AttributeError(name)

    # pseudo-instructions
    def nop(self):
        return self.insn("addi", "zero", "zero", 0)

    def li(self, rd, value):
        if not isinstance(value, str):
            value = _int("li value", value, -(1 << 31), (1 << 32) - 1) & 0xFFFF_FFFF
            signed = value - (1 << 32) if value >> 31 else value
            if -2048 <= signed <= 2047:
                return self.insn("addi", rd, "zero", signed)
            self.insn("lui", rd, hi(value))
            return self.insn("addi", rd, rd, lo(value)) if lo(value) else self
        self.insn("lui", rd, f"%hi({value})")
        return self.insn("addi", rd, rd, f"%lo({value})")

    def la(self, rd, symbol):
        """Load an absolute address (``lui`` + ``addi``)."""
        self.insn("lui", rd, f"%hi({symbol})")
        return self.insn("addi", rd, rd, f"%lo({symbol})")

    def mv(self, rd, rs):
        return self.insn("addi", rd, rs, 0)

    def not_(self, rd, rs):
        return self.insn("xori", rd, rs, -1)

    def neg(self, rd, rs):
        return self.insn("sub", rd, "zero", rs)

    def j(self, target):
        return self.insn("jal", "zero", target)

    def jr(self, rs):
        return self.insn("jalr", "zero", rs, 0)

    def call(self, target):
        return self.insn("jal", "ra", target)

    def ret(self):
        return self.insn("jalr", "zero", "ra", 0)

    def beqz(self, rs, target):
        return self.insn("beq", rs, "zero", target)

    def bnez(self, rs, target):
        return self.insn("bne", rs, "zero", target)

    def bltz(self, rs, target):
        return self.insn("blt", rs, "zero", target)

    def bgez(self, rs, target):
        return self.insn("bge", rs, "zero", target)

    def blez(self, rs, target):
        return self.insn("bge", "zero", rs, target)

    def bgtz(self, rs, target):
        return self.insn("blt", "zero", rs, target)

    def bgt(self, rs, rt, target):
        return self.insn("blt", rt, rs, target)

    def ble(self, rs, rt, target):
        return self.insn("bge", rt, rs, target)

    def bgtu(self, rs, rt, target):
        return self.insn("bltu", rt, rs, target)

    def bleu(self, rs, rt, target):
        return self.insn("bgeu", rt, rs, target)

    def seqz(self, rd, rs):
        return self.insn("sltiu", rd, rs, 1)

    def snez(self, rd, rs):
        return self.insn("sltu", rd, "zero", rs)

    def csrr(self, rd, c):
        return self.insn("csrrs", rd, c, "zero")

    def csrw(self, c, rs):
        return self.insn("csrrw", "zero", c, rs)

    def csrs(self, c, rs):
        return self.insn("csrrs", "zero", c, rs)

    def csrc(self, c, rs):
        return self.insn("csrrc", "zero", c, rs)

    def csrwi(self, c, imm):
        return self.insn("csrrwi", "zero", c, imm)

    def csrsi(self, c, imm):
        return self.insn("csrrsi", "zero", c, imm)

    def csrci(self, c, imm):
        return self.insn("csrrci", "zero", c, imm)

    # --- linking --------------------------------------------------------------------------
    def _layout(self) -> dict[str, int]:
        """Place the sections and return every label's address."""
        symbols: dict[str, int] = {}
        addr = self.base
        for name in SECTIONS:
            s = self.sections[name]
            addr = -(-addr // 16) * 16 if name != ".text" else addr
            s.start = addr
            index_addr = []
            for item in s.items:
                if item.kind == "align":
                    addr = -(-addr // item.args[0]) * item.args[0]
                index_addr.append(addr)
                addr += item.size
            index_addr.append(addr)
            for label, idx in s.labels.items():
                symbols[label] = index_addr[idx]
            s.addresses = index_addr
            s.size = addr - s.start
        return symbols

    def link(self) -> Image:
        """Resolve every label and expression and return the image."""
        symbols = self._layout()
        consts = {}
        for name, value in self.equates.items():
            try:
                consts[name] = evaluate(value, {**symbols, **consts})
            except ValueError as e:
                raise ValueError(f"{self._equ_where.get(name, '')}.equ {name}: {e}") from None
        symbols.update(consts)
        end = max(s.start + s.size for s in self.sections.values())
        if end > 1 << 32:
            raise ValueError(f"the program ends at 0x{end:x}, past the 32-bit address space "
                             f"(base 0x{self.base:08x})")
        segments = []
        for name in (".text", ".data"):
            s = self.sections[name]
            out = bytearray(s.size)
            for item, addr in zip(s.items, s.addresses, strict=False):
                off = addr - s.start
                try:
                    if item.kind == "insn":
                        if addr % 4:
                            raise ValueError(f"{item.args[0]} at 0x{addr:08x}: an instruction "
                                             "must be 4-byte aligned (add .balign 4 before it)")
                        word = self._encode(item.args[0], item.args[1], symbols, addr)
                        out[off:off + 4] = word.to_bytes(4, "little")
                    elif item.kind == "data":
                        width, values = item.args
                        lo_, hi_ = DATA_RANGES[width]
                        for k, v in enumerate(values):
                            x = _int(f"{_DIRECTIVE[width]} value", evaluate(v, symbols, addr),
                                     lo_, hi_) & ((1 << (8 * width)) - 1)
                            out[off + k * width:off + (k + 1) * width] = x.to_bytes(width,
                                                                                    "little")
                except ValueError as e:
                    raise ValueError(f"{item.line}{e}") from None
            if s.size:
                segments.append((s.start, bytes(out)))
        bss = self.sections[".bss"]
        entry = symbols.get("_start", self.base)
        return Image(segments, (bss.start, bss.size), symbols, entry, set(self.globals))

    def _encode(self, name: str, ops: tuple, symbols: dict[str, int], pc: int) -> int:
        fmt = INSTRUCTIONS[name][0]

        def ev(x):
            return evaluate(x, symbols, pc)

        def need(n):
            if len(ops) != n:
                raise ValueError(f"{name} takes {n} operands, got {len(ops)}: {ops}")

        if fmt == Format.REG:
            need(3)
            return encode(name, reg(ops[0]), reg(ops[1]), reg(ops[2]))
        if fmt in (Format.IMM, Format.SHIFT):
            need(3)
            if INSTRUCTIONS[name][1] == 0x03:            # loads: rd, offset, base
                return encode(name, reg(ops[0]), reg(ops[2]), imm=ev(ops[1]))
            return encode(name, reg(ops[0]), reg(ops[1]), imm=ev(ops[2]))
        if fmt == Format.STORE:                                # stores: rs2, offset, base
            need(3)
            return encode(name, rs1=reg(ops[2]), rs2=reg(ops[0]), imm=ev(ops[1]))
        if fmt == Format.BRANCH:
            need(3)
            return encode(name, rs1=reg(ops[0]), rs2=reg(ops[1]), imm=ev(ops[2]) - pc)
        if fmt == Format.UPPER:
            need(2)
            return encode(name, reg(ops[0]), imm=ev(ops[1]))
        if fmt == Format.JUMP:
            need(2)
            return encode(name, reg(ops[0]), imm=ev(ops[1]) - pc)
        if fmt == Format.CSR:
            need(3)
            return encode(name, reg(ops[0]), reg(ops[2]), imm=csr(ops[1]))
        if fmt == Format.CSRI:
            need(3)
            uimm = ev(ops[2])
            if not 0 <= uimm <= 31:
                raise ValueError(f"{name}: immediate {uimm} is outside 0..31")
            return encode(name, reg(ops[0]), uimm, imm=csr(ops[1]))
        if name != "fence":
            need(0)
        return encode(name)                                # SYS
