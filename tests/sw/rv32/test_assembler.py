"""The assembler against capstone (an independent decoder), and its pseudo-instructions,
expressions, sections, ELF files and errors."""

import pytest

from sw.rv32 import Program, assemble, read_elf, write_elf
from sw.rv32.disasm import disassemble
from sw.rv32.expr import evaluate, hi, lo
from sw.rv32.isa import INSTRUCTIONS

# one line per base instruction, with the text capstone prints for it
CASES = {
    "lui a0, 0x12345": "lui a0, 0x12345", "auipc t1, 0xfffff": "auipc t1, 0xfffff",
    "jal ra, . + 2048": "jal 0x800", "jalr a0, -4(a1)": "jalr a0, a1, -4",
    "beq a0, a1, . - 8": "beq a0, a1, -8", "bne s0, s1, . + 4094": "bne s0, s1, 0xffe",
    "blt t0, t1, . + 16": "blt t0, t1, 0x10", "bge t0, t1, . - 4096": "bge t0, t1, -0x1000",
    "bltu a2, a3, . + 2": "bltu a2, a3, 2", "bgeu a2, a3, . + 6": "bgeu a2, a3, 6",
    "lb a0, -2048(sp)": "lb a0, -0x800(sp)", "lh a0, 2047(sp)": "lh a0, 0x7ff(sp)",
    "lw s1, 0(s2)": "lw s1, 0(s2)", "lbu t3, 1(t4)": "lbu t3, 1(t4)",
    "lhu t5, 2(t6)": "lhu t5, 2(t6)", "sb a0, -1(a1)": "sb a0, -1(a1)",
    "sh a2, 6(a3)": "sh a2, 6(a3)", "sw a4, 2044(a5)": "sw a4, 0x7fc(a5)",
    "addi a0, a1, -5": "addi a0, a1, -5", "slti a0, a1, 7": "slti a0, a1, 7",
    "sltiu a0, a1, -1": "sltiu a0, a1, -1", "xori a0, a1, 0x7ff": "xori a0, a1, 0x7ff",
    "ori a0, a1, 8": "ori a0, a1, 8", "andi a0, a1, 15": "andi a0, a1, 0xf",
    "slli a0, a1, 31": "slli a0, a1, 0x1f", "srli a0, a1, 1": "srli a0, a1, 1",
    "srai a0, a1, 17": "srai a0, a1, 0x11",
    **{f"{op} x5, x6, x7": f"{op} t0, t1, t2" for op in (
        "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "mul", "mulh",
        "mulhsu", "mulhu", "div", "divu", "rem", "remu")},
    "fence": "fence", "fence.i": "fence.i", "ecall": "ecall", "ebreak": "ebreak",
    "mret": "mret", "wfi": "wfi",
    "csrrw a0, mtvec, a1": "csrrw a0, mtvec, a1", "csrrs a0, mcycle, zero": "csrr a0, mcycle",
    "csrrc zero, mstatus, a1": "csrc mstatus, a1", "csrrwi a0, mepc, 5": "csrrwi a0, mepc, 5",
    "csrrsi a0, mie, 31": "csrrsi a0, mie, 0x1f", "csrrci a0, mip, 1": "csrrci a0, mip, 1",
}


def num(n: int) -> str:
    """A number as capstone prints it: decimal below 10, hexadecimal above."""
    return str(n) if -10 < n < 10 else ("-" if n < 0 else "") + hex(abs(n))


def words(image):
    text = image.segments[0][1]
    return [int.from_bytes(text[i:i + 4], "little") for i in range(0, len(text), 4)]


def test_every_instruction_is_covered():
    mnemonics = {line.split()[0] for line in CASES}
    assert mnemonics == set(INSTRUCTIONS)


@pytest.mark.parametrize("line", list(CASES))
def test_encoding_matches_capstone(line):
    (word,) = words(assemble(line, base=0))
    got = disassemble(word, 0)
    want = CASES[line]
    if got != want and "fence" in line:       # capstone prints the iorw/tso fields
        got = got.split()[0]
    assert got == want, f"{line}: 0x{word:08x} decodes as {got!r}"


def test_pseudo_instructions():
    src = """
    nop
    li a0, 0x12345678
    li a1, -1
    li a2, 0x80000000
    la a3, target
    mv a4, a5
    not a4, a5
    neg a4, a5
    j target
    jr a0
    call target
    ret
    beqz a0, target
    bnez a0, target
    bgt a0, a1, target
    ble a0, a1, target
    seqz a0, a1
    snez a0, a1
    csrr a0, mhartid
    csrw mtvec, a0
    target: nop
    """
    image = assemble(src, base=0x1000)
    got = [disassemble(w, 0x1000 + 4 * i) for i, w in enumerate(words(image))]
    t = image.symbols["target"]

    def rel(index):                            # capstone prints the pc-relative offset
        return num(t - (0x1000 + 4 * index))

    assert got == [
        "nop", "lui a0, 0x12345", "addi a0, a0, 0x678", "addi a1, zero, -1",
        "lui a2, 0x80000", f"lui a3, {num(hi(t))}", f"addi a3, a3, {num(lo(t))}", "mv a4, a5",
        "not a4, a5", "neg a4, a5", f"j {rel(10)}", "jr a0", f"jal {rel(12)}", "ret",
        f"beqz a0, {rel(14)}", f"bnez a0, {rel(15)}", f"blt a1, a0, {rel(16)}",
        f"bge a1, a0, {rel(17)}", "seqz a0, a1", "snez a0, a1",
        "csrr a0, mhartid", "csrw mtvec, a0", "nop"]


def test_expressions_sections_and_data():
    src = """
    .equ SIZE, 3 * 4
    .text
    _start: lui a0, %hi(table + 8)
            addi a0, a0, %lo(table + 8)
    .data
    .align 3
    table: .word 1, SIZE, table, -1
           .half 0x1234, 0xffff
           .byte 'A', 0b101
           .asciz "hi\\n"
    .bss
    buf: .space 64
    """
    image = assemble(src)
    data = dict(image.segments)[image.symbols["table"]]
    table = image.symbols["table"]
    assert table % 8 == 0
    assert int.from_bytes(data[4:8], "little") == 12
    assert int.from_bytes(data[8:12], "little") == table
    assert data[12:16] == b"\xff" * 4 and data[16:20] == b"\x34\x12\xff\xff"
    assert data[20:26] == b"A\x05hi\n\x00"
    assert image.bss == (image.symbols["buf"], 64)
    assert evaluate("%hi(table + 8) << 12", image.symbols) + evaluate(
        "%lo(table + 8)", image.symbols) == table + 8


def test_program_api_and_elf_roundtrip(tmp_path):
    p = Program()
    p.label("_start").li("a0", 1).j("_start")
    p.section(".data").label("tohost").word(0).globl("tohost")
    image = p.link()
    write_elf(image, tmp_path / "p.elf")
    elf = read_elf(tmp_path / "p.elf")
    assert elf.entry == image.entry and elf.symbols["tohost"] == image.symbols["tohost"]
    assert dict(elf.segments)[image.segments[0][0]] == image.segments[0][1]


@pytest.mark.parametrize("src, message", [
    ("addi a0, a1, 4096", "addi: immediate 4096 is outside -2048..2047"),
    ("add a0, a1, q9", "unknown register 'q9'"),
    ("frob a0", "unknown instruction 'frob'"),
    ("beq a0, a1, nowhere", "undefined symbol 'nowhere'"),
    ("x: nop\nx: nop", "label 'x' is defined twice"),
    ("csrr a0, mbogus", "unknown CSR 'mbogus'"),
    (".bogus 1", "unknown directive .bogus"),
    ("slli a0, a0, 32", "shift amount 32 is outside 0..31"),
])
def test_errors_name_the_line(src, message):
    with pytest.raises(ValueError, match=message) as e:
        assemble(src, filename="f.s")
    assert str(e.value).startswith("f.s:")


def test_read_elf_rejects_other_files(tmp_path):
    (tmp_path / "x").write_bytes(b"not an elf")
    with pytest.raises(ValueError, match="cannot read it as ELF"):
        read_elf(tmp_path / "x")
