"""Run a program built with ``sw.rv32.Program`` on unicorn (QEMU's RV32 model): the reference
that core kernels are checked on, without RTL."""

from hw.config import L2_BASE
from sw.rv32 import Program

#: Where tests put a kernel's inputs, and where they read its outputs.
DATA = L2_BASE + 0x1_0000
OUT = L2_BASE + 0x8_0000
#: What the output region holds before the run: a byte no kernel output is likely to be, so
#: that a stray write shows.
SENTINEL = 0x55


def run_on_unicorn(p: Program, data: bytes, out_bytes: int) -> bytes:
    """Run ``p`` (linked at L2_BASE; it ends where this appends the label ``end``) with
    ``data`` at DATA and ``out_bytes`` bytes of SENTINEL at OUT; return those bytes after."""
    from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, Uc

    p.label("end").nop()
    image = p.link()
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    uc.mem_map(L2_BASE, 0x10_0000)
    for address, content in image.segments:
        uc.mem_write(address, content)
    uc.mem_write(DATA, data)
    uc.mem_write(OUT, bytes([SENTINEL]) * out_bytes)
    uc.emu_start(image.entry, image.symbols["end"], count=50_000_000)
    return bytes(uc.mem_read(OUT, out_bytes))
