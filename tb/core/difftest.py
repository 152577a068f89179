"""Differential testing of the core against unicorn (QEMU's RV32 model).

``run_reference`` runs a program on unicorn until its ``end`` label and records, per executed
instruction, its pc and the register file after it; ``compare`` checks the core's retirement
trace, final registers and data memory against that, naming the first difference.
"""

from dataclasses import dataclass

from hw.config import L2_BASE
from sw.rv32.disasm import disassemble
from sw.rv32.program import Image

from .bench import TraceEntry

__all__ = ["Reference", "run_reference", "compare"]


@dataclass
class Reference:
    pcs: list[int]                 #: pc of each executed instruction
    after: list[list[int]]         #: registers after each executed instruction
    registers: list[int]           #: final registers
    memory: bytes                  #: the data region at the end


def run_reference(image: Image, data_bytes: int, max_steps: int = 100_000) -> Reference:
    from unicorn import UC_ARCH_RISCV, UC_HOOK_CODE, UC_MODE_RISCV32, Uc
    from unicorn import riscv_const as rc

    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    size = -(-(image.end - L2_BASE + 4096) // 4096) * 4096
    uc.mem_map(L2_BASE, size)
    for address, content in image.segments:
        uc.mem_write(address, content)
    regs = [getattr(rc, f"UC_RISCV_REG_X{i}") for i in range(32)]
    pcs: list[int] = []
    after: list[list[int]] = []

    def snapshot() -> list[int]:
        return [0] + [uc.reg_read(r) & 0xFFFF_FFFF for r in regs[1:]]

    def hook(uc_, address, size_, user):
        if pcs:
            after.append(snapshot())
        pcs.append(address)

    uc.hook_add(UC_HOOK_CODE, hook)
    end = image.symbols["end"]
    uc.emu_start(image.entry, end, count=max_steps)
    if pcs:
        after.append(snapshot())
    data = image.symbols["data"]
    return Reference(pcs, after, snapshot(), bytes(uc.mem_read(data, data_bytes)))


def compare(seed: int, ref: Reference, trace: list[TraceEntry], registers: list[int],
            memory: bytes) -> None:
    """Raise AssertionError naming the seed and the first differing instruction."""
    retired = [t for t in trace if not t.trap]
    for k, pc in enumerate(ref.pcs):
        if k >= len(retired):
            raise AssertionError(f"seed {seed}: the core retired {len(retired)} instructions, "
                                 f"the reference executed {len(ref.pcs)}")
        t = retired[k]
        where = f"seed {seed}, instruction {k} at 0x{pc:08x} ({disassemble(t.insn, t.pc)})"
        if t.pc != pc:
            raise AssertionError(f"{where}: the core retired pc 0x{t.pc:08x}")
        if t.rd_we and t.rd_value != ref.after[k][t.rd]:
            raise AssertionError(f"{where}: x{t.rd} = 0x{t.rd_value:08x}, reference "
                                 f"0x{ref.after[k][t.rd]:08x}")
    for r in range(1, 30):
        if registers[r] != ref.registers[r]:
            raise AssertionError(f"seed {seed}: final x{r} = 0x{registers[r]:08x}, reference "
                                 f"0x{ref.registers[r]:08x}")
    if memory != ref.memory:
        k = next(i for i in range(len(memory)) if memory[i] != ref.memory[i])
        raise AssertionError(f"seed {seed}: data byte {k} = 0x{memory[k]:02x}, reference "
                             f"0x{ref.memory[k]:02x}")
