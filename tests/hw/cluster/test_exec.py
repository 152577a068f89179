"""``tinyita exec`` on ELF files, on a small cluster: the project's own, and one made by hand
that ends through ``tohost`` as standard RISC-V test suites do."""

import dataclasses
import re
import struct

import pytest

from sw.kernels.asm import exit_word
from sw.rv32 import assemble, write_elf
from sw.rv32.isa import encode
from tinyita.cli import main
from tinyita.execute import BUS_ERROR, UNHANDLED_TRAP

from .programs import SMALL_ARGS as SMALL


def handmade_elf(path, code: int) -> int:
    """An ELF written byte by byte: one PT_LOAD segment with code that stores the exit word of
    ``code`` to ``tohost``, and a symbol table naming ``tohost``."""
    base = 0x8000_0000
    tohost = base + 0x100
    insns = [encode("lui", 5, imm=tohost >> 12), encode("addi", 6, 0, imm=exit_word(code)),
             encode("sw", rs1=5, rs2=6, imm=tohost & 0xFFF), encode("jal", 0, imm=0)]
    text = b"".join(i.to_bytes(4, "little") for i in insns)
    seg = text.ljust(0x108, b"\0")
    strtab = b"\0tohost\0"
    shstrtab = b"\0.symtab\0.strtab\0.shstrtab\0"
    symtab = bytes(16) + struct.pack("<IIIBBH", 1, tohost, 4, 0x11, 0, 0xFFF1)
    seg_off, sym_off = 0x100, 0x300
    str_off = sym_off + len(symtab)
    shs_off = str_off + len(strtab)
    sh_off = (shs_off + len(shstrtab) + 3) & ~3
    sections = [bytes(40),
                struct.pack("<10I", 1, 2, 0, 0, sym_off, len(symtab), 2, 1, 4, 16),
                struct.pack("<10I", 9, 3, 0, 0, str_off, len(strtab), 0, 0, 1, 0),
                struct.pack("<10I", 17, 3, 0, 0, shs_off, len(shstrtab), 0, 0, 1, 0)]
    header = (b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack(
        "<HHIIIIIHHHHHH", 2, 243, 1, base, 52, sh_off, 0, 52, 32, 1, 40, len(sections), 3))
    phdr = struct.pack("<8I", 1, seg_off, base, base, len(seg), len(seg), 7, 4)
    out = bytearray(sh_off + 40 * len(sections))
    out[:52], out[52:84] = header, phdr
    out[seg_off:seg_off + len(seg)] = seg
    for off, blob in ((sym_off, symtab), (str_off, strtab), (shs_off, shstrtab)):
        out[off:off + len(blob)] = blob
    out[sh_off:] = b"".join(sections)
    path.write_bytes(bytes(out))
    return tohost


def test_exec_handmade_elf_with_tohost(tmp_path, capsys):
    handmade_elf(tmp_path / "t.elf", 42)
    assert main(["exec", str(tmp_path / "t.elf"), *SMALL]) == 42
    assert "exit code 42" in capsys.readouterr().err


def test_exec_own_elf_prints_and_traces(tmp_path, capsys):
    src = """
    _start: csrr a0, mhartid
            bnez a0, _start
            li t0, 0x10200c08
            li t1, 'o'
            sw t1, 0(t0)
            li t1, 'k'
            sw t1, 0(t0)
            li t0, 0x10200c04
            li t1, 1
            sw t1, 0(t0)
    """
    (tmp_path / "p.s").write_text(src)
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(tmp_path / "p.elf")]) == 0
    assert main(["exec", str(tmp_path / "p.elf"), "--trace", str(tmp_path / "t.txt"),
                 *SMALL]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[-1] == "ok" and "CPI" in out.err
    trace = (tmp_path / "t.txt").read_text().splitlines()
    assert trace[0].startswith("0x80000000") and "csrr a0, mhartid" in trace[0]


def test_exec_cycle_limit_names_pc_and_last_instructions(tmp_path, capsys):
    write_elf(assemble("_start: li a0, 1\nloop: j loop"), tmp_path / "l.elf")
    assert main(["exec", str(tmp_path / "l.elf"), "--max-cycles", "500", *SMALL]) == 124
    err = capsys.readouterr().err
    assert "did not exit within 500 cycles" in err and "last pc 0x80000004" in err
    assert "0x80000004: j 0" in err


def test_exec_rejects_a_non_elf(tmp_path, capsys):
    (tmp_path / "x").write_text("hello")
    assert main(["exec", str(tmp_path / "x"), *SMALL]) == 2
    assert "cannot read it as ELF" in capsys.readouterr().err



# --- failures explained ----------------------------------------------------------------

def exec_source(tmp_path, capsys, src: str, *options: str) -> tuple[int, str]:
    """Assemble ``src`` and run it with ``tinyita exec``: its exit code and standard error."""
    write_elf(assemble(src), tmp_path / "p.elf")
    code = main(["exec", str(tmp_path / "p.elf"), *SMALL, *options])
    return code, capsys.readouterr().err


#: (program, what the report must say): each traps with no handler (mtvec never set).
UNHANDLED = {
    "illegal": ("_start: .word 0xffffffff",
                ["illegal instruction (mcause 2) at pc 0x80000000", "unknown 0xffffffff",
                 "mtval 0xffffffff", "mtvec is 0x00000000 (never set)"]),
    "ecall": ("_start: nop\n ecall",
              ["environment call (mcause 11) at pc 0x80000004", "(ecall)"]),
    "misaligned": ("_start: li a0, 0x80000102\n lw a1, 0(a0)",
                   ["misaligned load (mcause 4) at pc 0x80000008", "lw a1, 0(a0)",
                    "mtval 0x80000102"]),
    "unmapped-jump": ("_start: li a0, 0x40000000\n jr a0",
                      ["illegal instruction (mcause 2) at pc 0x40000000", "unknown 0x00000000"]),
    "off-the-end": ("_start: nop", ["illegal instruction (mcause 2) at pc 0x80000004"]),
}


@pytest.mark.parametrize("name", UNHANDLED)
def test_exec_reports_an_unhandled_trap_at_once(tmp_path, capsys, name):
    src, expected = UNHANDLED[name]
    code, err = exec_source(tmp_path, capsys, src, "--max-cycles", "1000")
    assert code == UNHANDLED_TRAP, err
    assert "core 0: unhandled trap" in err and "Traceback" not in err
    for text in expected:
        assert text in err, (text, err)
    assert int(re.search(r"after (\d+) cycles", err).group(1)) < 1000


def test_exec_a_handled_trap_is_no_fault(tmp_path, capsys):
    src = """
    _start: la t0, handler
            csrw mtvec, t0
            ecall
            li t0, 0x10200c04
            li t1, 7
            sw t1, 0(t0)
    handler:
            csrr t0, mepc
            addi t0, t0, 4
            csrw mepc, t0
            mret
    """
    code, err = exec_source(tmp_path, capsys, src)
    assert code == 3 and "exit code 3" in err, err


def test_exec_a_trap_in_the_handler_is_unhandled(tmp_path, capsys):
    src = "_start: la t0, handler\n csrw mtvec, t0\n ebreak\nhandler: .word 0"
    code, err = exec_source(tmp_path, capsys, src)
    assert code == UNHANDLED_TRAP
    assert "breakpoint (mcause 3) at pc 0x8000000c (ebreak), mtval 0x8000000c" in err, err
    assert "mtvec is 0x80000010, and the instruction there (unknown 0x00000000)" in err


def test_exec_reports_a_bus_error(tmp_path, capsys):
    src = """
    _start: csrr a0, mhartid
            bnez a0, _start
            li t0, 0x40000010
            sw zero, 0(t0)
            li t0, 0x10200c04
            li t1, 1
            sw t1, 0(t0)
    """
    code, err = exec_source(tmp_path, capsys, src)
    assert code == BUS_ERROR and "bus error: core 0 accessed 0x40000010" in err, err
    code, err = exec_source(tmp_path, capsys, src, "--allow-bus-errors")
    assert code == 0 and "bus error: core 0 accessed 0x40000010" in err


@pytest.mark.parametrize("bad", ["0", "-5", "ten"])
def test_exec_max_cycles_must_be_a_positive_integer(tmp_path, capsys, bad):
    write_elf(assemble("_start: nop"), tmp_path / "p.elf")
    with pytest.raises(SystemExit) as e:
        main(["exec", str(tmp_path / "p.elf"), "--max-cycles", bad])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "argument --max-cycles" in err and bad in err


def test_exec_rejects_an_entry_point_that_is_not_the_reset_vector(tmp_path, capsys):
    code, err = exec_source(tmp_path, capsys, "nop\n_start: nop")
    assert code == 2
    assert "entry point 0x80000004 is not the cores' reset vector 0x80000000" in err


def test_exec_rejects_overlapping_segments(tmp_path, capsys):
    image = assemble("_start: nop\n nop")
    (address, content), = image.segments
    image = dataclasses.replace(image, segments=[(address, content), (address + 4, b"1234")])
    write_elf(image, tmp_path / "p.elf")
    assert main(["exec", str(tmp_path / "p.elf"), *SMALL]) == 2
    assert "segment at 0x80000004 (4 bytes) overlaps the one before it, which ends at " \
           "0x80000008" in capsys.readouterr().err
