"""Register maps, declared once for every memory-mapped block and for the core's CSRs.

A :class:`RegisterMap` is plain data: the hardware decodes its registers from it (offsets, and
field positions through :meth:`Field.place` and :meth:`Field.extract`, which slice Amaranth
values), software encodes and decodes words with it (:meth:`Register.encode`,
:meth:`Field.decode`, offsets for the assembler), and docs/regmap.md is generated from it
(``python -m hw.regmap > docs/regmap.md``). No field is decoded by a literal shift anywhere.

This module imports nothing from Amaranth: software reads it without elaborating hardware.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:                      # for annotations only: this module imports no Amaranth
    from amaranth.hdl import Value

__all__ = ["Field", "Register", "RegisterMap"]


@dataclass(frozen=True)
class Field:
    """A field of a register: ``width`` bits from ``lsb``."""

    name: str
    lsb: int
    width: int
    doc: str
    signed: bool = False

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb

    def encode(self, value: int) -> int:
        """Place ``value`` in the field (two's complement for signed fields)."""
        lo = -(1 << (self.width - 1)) if self.signed else 0
        hi = (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1
        if not lo <= value <= hi:
            raise ValueError(f"field {self.name}: value {value} is outside {lo}..{hi}")
        return (value & ((1 << self.width) - 1)) << self.lsb

    def decode(self, word: int) -> int:
        """The field's value in a register word."""
        v = (word >> self.lsb) & ((1 << self.width) - 1)
        return v - (1 << self.width) if self.signed and v >> (self.width - 1) else v

    def extract(self, word: "Value") -> "Value":
        """The field's bits of a hardware value (an Amaranth slice)."""
        return word[self.lsb:self.lsb + self.width]

    def place(self, value: "Value | int") -> "Value | int":
        """A hardware value with ``value`` (zero-extended or cut to the field) in the field's
        bits and zeros below; OR the fields of a register to build its read data."""
        return value.as_unsigned()[:self.width] << self.lsb if hasattr(value, "as_unsigned") \
            else self.encode(value)


@dataclass(frozen=True)
class Register:
    """A 32-bit register at byte ``offset``; ``context`` registers (the engine's) exist once
    per job context and are written to the context the writing core acquired."""

    name: str
    offset: int
    access: str            # "ro", "wo", "rw"
    doc: str
    fields: tuple[Field, ...] = ()
    context: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"register {self.name} has no field {name!r}")

    def encode(self, **values: int) -> int:
        """Build a register word from field values."""
        word = 0
        for name, value in values.items():
            word |= self.field(name).encode(value)
        return word

    def decode(self, word: int) -> dict[str, int]:
        """Every field's value in a register word."""
        return {f.name: f.decode(word) for f in self.fields}

    def pack(self, **values: "Value | int") -> "Value | int":
        """The hardware value of a register read: each field's value in its bits, zeros
        elsewhere."""
        word = 0
        for name, value in values.items():
            word = word | self.field(name).place(value)
        return word


@dataclass(frozen=True)
class RegisterMap:
    """The registers of one block, at byte offsets from its ``base`` (the CSRs: at their CSR
    numbers); ``notes`` are extra Markdown sections of its documentation."""

    title: str
    base: str
    doc: str
    registers: tuple[Register, ...]
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [r.name for r in self.registers]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.title}: a register name is declared twice")

    def __getitem__(self, name: str) -> Register:
        for r in self.registers:
            if r.name == name:
                return r
        raise KeyError(f"{self.title} has no register {name!r}")

    def __iter__(self) -> Iterator[Register]:
        return iter(self.registers)

    def enum(self, name: str) -> type[IntEnum]:
        """The register offsets as an IntEnum (``DmaReg.SRC``)."""
        return IntEnum(name, {r.name: r.offset for r in self.registers})

    def markdown(self, width: int = 2) -> str:
        """This map as a Markdown section (offsets printed with ``width`` hex digits)."""
        context = any(r.context for r in self.registers)
        lines = [f"## {self.title}", "", f"Base: {self.base}. {self.doc}", "",
                 "| offset | name | access |" + (" context |" if context else "")
                 + " description |",
                 "|---|---|---|" + ("---|" if context else "") + "---|"]
        for r in self.registers:
            ctx = f" {'yes' if r.context else ''} |" if context else ""
            lines.append(f"| 0x{r.offset:0{width}X} | {r.name} | {r.access} |{ctx} {r.doc} |")
        for r in self.registers:
            if not r.fields:
                continue
            lines += ["", f"### {r.name} (0x{r.offset:0{width}X})", "",
                      "| bits | field | description |", "|---|---|---|"]
            for f in r.fields:
                bits = f"{f.lsb + f.width - 1}:{f.lsb}" if f.width > 1 else f"{f.lsb}"
                lines.append(f"| {bits} | {f.name} | {f.doc}{' (signed)' if f.signed else ''} |")
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines) + "\n"


def markdown() -> str:
    """docs/regmap.md: every register map of the cluster."""
    from hw.cluster.regmap import CTRL_REGS, DMA_REGS, EVENT_REGS
    from hw.core.csrs import CSRS
    from hw.hwpe.regmap import ENGINE_REGS

    head = ["# Register maps", "",
            "Generated from the declarations in `hw/` by `python -m hw.regmap > docs/regmap.md`;",
            "do not edit by hand. Registers are 32 bit; offsets are bytes from each block's "
            "base", "(`hw/config.py`); the CSRs are at their CSR numbers.", ""]
    sections = [m.markdown() for m in (ENGINE_REGS, DMA_REGS, EVENT_REGS, CTRL_REGS)]
    sections.append(CSRS.markdown(width=3))
    return "\n".join(head) + "\n" + "\n".join(sections)


if __name__ == "__main__":
    print(markdown(), end="")
