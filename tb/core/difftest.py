"""Differential testing of the core against unicorn (QEMU's RV32 model).

``run_reference`` runs a program on unicorn from its entry to its ``end`` label and records one
:class:`Step` per instruction: its pc and word, the register it writes and the value, its memory
access, or the trap it takes. ``compare`` checks the core's retirement trace against that,
retirement by retirement, then the final registers and the whole data region, naming the first
difference. ``instruction_mix`` counts what a trace exercised and ``missing_coverage`` lists
what it did not.

Where unicorn and the core differ by design, the reference wrapper decides (and only there):

- unicorn reports ecall (intno 8) and illegal instructions (intno 2) through ``UC_HOOK_INTR``
  without entering the trap; it stops on ebreak; it performs misaligned loads and stores, and
  with the C extension it jumps to targets that are 2 modulo 4 without a trap. The wrapper
  enters those traps itself, as the privileged spec and the core do: mepc = the instruction,
  mcause, mtval (illegal: the instruction word; ebreak: the pc; ecall: 0; misaligned: the
  address or the target), mstatus.MPIE = MIE, MIE = 0, MPP = M, pc = mtvec. A misaligned load
  or store is seen before it executes (address = rs1 + offset); a jump or branch to a
  misaligned target when unicorn arrives there (a ``jal``/``jalr`` link it wrote is undone).
- ``wfi`` halts unicorn (``emu_start`` returns after it); the wrapper resumes at the next
  instruction, so for the comparison ``wfi`` is a nop (the core's wait for an event is timing).
- Counters: unicorn's cycle counters count host time. A read of ``cycle``/``mcycle`` is
  compared for the register it writes but not for the value; the values a program reads must
  increase strictly (the generator then keeps only ``value != 0``). A read of
  ``instret``/``minstret`` must give the number of instructions retired before it since reset
  (trapped ones do not retire): the wrapper writes that into unicorn's register.
"""

from collections import Counter
from dataclasses import dataclass

from hw.config import L2_BASE
from sw.rv32.disasm import disassemble
from sw.rv32.program import Image

from .bench import TraceEntry

__all__ = ["Step", "Reference", "run_reference", "compare", "mnemonic", "instruction_mix",
           "missing_coverage", "format_mix"]

_LOAD, _STORE, _BRANCH, _JAL, _JALR, _SYSTEM = 0x03, 0x23, 0x63, 0x6F, 0x67, 0x73
_WRITES_RD = {0x37, 0x17, _JAL, _JALR, _LOAD, 0x13, 0x33}
_EBREAK, _WFI = 0x0010_0073, 0x1050_0073
#: Counter CSRs whose reads the wrapper treats apart (see above).
_COUNTERS = {0xC00: "cycle", 0xB00: "cycle", 0xC02: "instret", 0xB02: "instret"}
#: mcause of each trap.
CAUSES = {0: "misaligned target", 2: "illegal", 3: "ebreak", 4: "misaligned load",
          6: "misaligned store", 11: "ecall"}


@dataclass
class Step:
    """One instruction as unicorn executed it."""

    pc: int
    insn: int
    rd: int = 0                    #: the register written (0: none)
    value: int = 0                 #: its value
    trap: int | None = None        #: mcause if the instruction trapped
    store: bool = False            #: its memory access, if ``size``: a store
    address: int = 0
    size: int = 0
    data: int = 0                  #: the stored value, or the loaded value (extended)
    counter: str = ""              #: a read of a "cycle" or "instret" counter


@dataclass
class Reference:
    steps: list[Step]              #: every instruction from the entry to ``end``
    end: int                       #: the address of ``end``
    reached_end: bool              #: unicorn stopped at ``end``
    registers: list[int]           #: final registers
    data: int                      #: the data region's address
    memory: bytes                  #: the data region at the end


def writes_rd(insn: int) -> bool:
    """Whether the instruction's encoding writes rd (if it does not trap)."""
    opcode = insn & 0x7F
    return opcode in _WRITES_RD or (opcode == _SYSTEM and (insn >> 12) & 7 != 0)


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) else v


def run_reference(image: Image, max_steps: int = 60_000) -> Reference:
    """Run ``image`` on unicorn from its entry to its label ``end`` (at most ``max_steps``
    instructions); the data region is ``data`` to ``data_end``."""
    from unicorn import (
        UC_ARCH_RISCV,
        UC_HOOK_CODE,
        UC_HOOK_INTR,
        UC_HOOK_MEM_READ,
        UC_HOOK_MEM_WRITE,
        UC_MEM_WRITE,
        UC_MODE_RISCV32,
        Uc,
    )
    from unicorn import riscv_const as rc

    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    size = -(-(image.end - L2_BASE + 4096) // 4096) * 4096
    uc.mem_map(L2_BASE, size)
    for address, content in image.segments:
        uc.mem_write(address, content)
    regs = [getattr(rc, f"UC_RISCV_REG_X{i}") for i in range(32)]
    steps: list[Step] = []
    errors: list[str] = []
    pending: list[Step] = []           # the instruction unicorn executes now (0 or 1)
    link: list[int] = [0]              # rd's value before a jump
    retired: list[int] = [0]           # instructions retired (not trapped) so far

    def reg(r: int) -> int:
        return 0 if r == 0 else uc.reg_read(regs[r]) & 0xFFFF_FFFF

    def enter_trap(step: Step, cause: int, tval: int) -> None:
        step.trap = cause
        uc.reg_write(rc.UC_RISCV_REG_MEPC, step.pc)
        uc.reg_write(rc.UC_RISCV_REG_MCAUSE, cause)
        uc.reg_write(rc.UC_RISCV_REG_MTVAL, tval)
        mstatus = uc.reg_read(rc.UC_RISCV_REG_MSTATUS)
        mie = (mstatus >> 3) & 1
        mstatus = (mstatus & ~((1 << 3) | (1 << 7))) | (mie << 7) | (3 << 11)
        uc.reg_write(rc.UC_RISCV_REG_MSTATUS, mstatus)
        uc.reg_write(rc.UC_RISCV_REG_PC, uc.reg_read(rc.UC_RISCV_REG_MTVEC))

    def finish(step: Step) -> None:
        rd = (step.insn >> 7) & 31
        if step.counter == "instret" and rd:
            uc.reg_write(regs[rd], step.value)
        if writes_rd(step.insn) and rd:
            step.rd, step.value = rd, reg(rd)
        retired[0] += 1

    def on_code(uc_, address, size_, user) -> None:
        if pending:
            prev = pending.pop()
            opcode, rd = prev.insn & 0x7F, (prev.insn >> 7) & 31
            if address & 3:                      # a jump or branch to a misaligned target
                if opcode not in (_JAL, _JALR, _BRANCH):
                    errors.append(f"unicorn at 0x{address:08x} after 0x{prev.pc:08x}")
                    uc.emu_stop()
                    return
                if opcode != _BRANCH and rd:
                    uc.reg_write(regs[rd], link[0])
                enter_trap(prev, 0, address)
                return
            finish(prev)
        if len(steps) >= max_steps:
            uc.emu_stop()
            return
        insn = int.from_bytes(uc.mem_read(address, 4), "little")
        step = Step(address, insn)
        steps.append(step)
        opcode, rd, rs1, f3 = insn & 0x7F, (insn >> 7) & 31, (insn >> 15) & 31, (insn >> 12) & 7
        if insn == _EBREAK:
            enter_trap(step, 3, address)
            return
        if opcode in (_LOAD, _STORE):
            imm = insn >> 20 if opcode == _LOAD else ((insn >> 25) << 5) | rd
            addr = (reg(rs1) + _signed(imm, 12)) & 0xFFFF_FFFF
            if addr % (1 << (f3 & 3)):
                enter_trap(step, 4 if opcode == _LOAD else 6, addr)
                return
        if opcode in (_JAL, _JALR):
            link[0] = reg(rd)
        if opcode == _SYSTEM and f3 and insn >> 20 in _COUNTERS:
            step.counter = _COUNTERS[insn >> 20]
            step.value = retired[0]
        pending.append(step)

    def on_intr(uc_, intno, user) -> None:
        cause = {2: 2, 8: 11}.get(intno)
        if not pending or cause is None:
            pc = uc.reg_read(rc.UC_RISCV_REG_PC)
            errors.append(f"unicorn raised exception {intno} (pc 0x{pc:08x})")
            uc.emu_stop()
            return
        step = pending.pop()
        enter_trap(step, cause, step.insn if cause == 2 else 0)

    def on_mem(uc_, access, address, size_, value, user) -> None:
        if not pending or pending[0].size:
            errors.append(f"unicorn accessed 0x{address:08x} outside an instruction's one access")
            uc.emu_stop()
            return
        step = pending[0]
        step.store, step.address, step.size = access == UC_MEM_WRITE, address, size_
        bits = 8 * size_
        if step.store:
            step.data = value & ((1 << bits) - 1)
        else:
            raw = int.from_bytes(uc.mem_read(address, size_), "little")
            unsigned = (step.insn >> 14) & 1
            step.data = raw if unsigned or bits == 32 else _signed(raw, bits) & 0xFFFF_FFFF

    uc.hook_add(UC_HOOK_CODE, on_code)
    uc.hook_add(UC_HOOK_INTR, on_intr)
    uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, on_mem)
    end = image.symbols["end"]
    pc = image.entry
    while True:
        uc.emu_start(pc, end)
        if errors:
            raise AssertionError(f"reference: {errors[0]}")
        pc = uc.reg_read(rc.UC_RISCV_REG_PC)
        if pc == end or len(steps) >= max_steps:
            break
        if not (pending and pending[0].insn == _WFI and pc == pending[0].pc + 4):
            break                                 # stopped early: the caller sees reached_end
    if pending:
        finish(pending.pop())
    data, data_end = image.symbols["data"], image.symbols["data_end"]
    return Reference(steps, end, pc == end, [reg(r) for r in range(32)], data,
                     bytes(uc.mem_read(data, data_end - data)))


def compare(seed: int, ref: Reference, trace: list[TraceEntry], registers: list[int],
            memory: bytes) -> None:
    """Check every retirement of the core (``trace``, from reset) against the reference's
    steps: pc, instruction, trap and cause, the register write or its absence and its value
    (a cycle counter's must increase), the memory access or its absence; then that the core
    went on to ``end``, the final x1..x29 and the whole data region. Raise AssertionError
    naming the seed and the first difference."""
    cycle = -1
    if not ref.reached_end:
        last = ref.steps[-1].pc if ref.steps else 0
        raise AssertionError(f"seed {seed}: the reference stopped after {len(ref.steps)} "
                             f"instructions (last pc 0x{last:08x}), not at end 0x{ref.end:08x}")
    for k, s in enumerate(ref.steps):
        if k >= len(trace):
            raise AssertionError(f"seed {seed}: the core retired {len(trace)} instructions, "
                                 f"the reference executed {len(ref.steps)} to end")
        t = trace[k]
        where = f"seed {seed}, instruction {k} at 0x{s.pc:08x} ({disassemble(s.insn, s.pc)})"
        if t.pc != s.pc:
            raise AssertionError(f"{where}: the core retired pc 0x{t.pc:08x}")
        if t.insn != s.insn:
            raise AssertionError(f"{where}: the core retired the word 0x{t.insn:08x}")
        if t.trap != (s.trap is not None) or (t.trap and t.cause != s.trap):
            raise AssertionError(f"{where}: the core's trap " + (f"cause {t.cause}" if t.trap
                                 else "none") + ", reference " + (f"cause {s.trap}" if
                                 s.trap is not None else "none"))
        if t.rd_we and not s.rd:
            raise AssertionError(f"{where}: the core wrote x{t.rd} = 0x{t.rd_value:08x}, the "
                                 "reference writes no register")
        if s.rd and not t.rd_we:
            raise AssertionError(f"{where}: the core wrote no register, reference x{s.rd} = "
                                 f"0x{s.value:08x}")
        if s.counter == "cycle" and s.rd:
            if t.rd != s.rd or t.rd_value <= cycle:
                raise AssertionError(f"{where}: x{t.rd} = {t.rd_value}, the cycle counter "
                                     f"read {cycle} before (into x{s.rd})")
            cycle = t.rd_value
        elif s.rd and (t.rd != s.rd or t.rd_value != s.value):
            raise AssertionError(f"{where}: x{t.rd} = 0x{t.rd_value:08x}, reference x{s.rd} = "
                                 f"0x{s.value:08x}")
        if t.mem != bool(s.size):
            raise AssertionError(f"{where}: the core " + ("accessed memory at "
                                 f"0x{t.mem_addr:08x}, the reference did not" if t.mem else
                                 f"did not access memory, reference 0x{s.address:08x}"))
        if s.size:
            kind = "store" if s.store else "load"
            mask = (1 << (8 * s.size)) - 1
            data = (t.mem_data >> (8 * (t.mem_addr % 4))) & mask if s.store else t.mem_data
            if t.mem_we != s.store or t.mem_addr != s.address or data != s.data:
                raise AssertionError(
                    f"{where}: the core's " + ("store" if t.mem_we else "load") +
                    f" at 0x{t.mem_addr:08x} data 0x{data:x}, reference {kind} at "
                    f"0x{s.address:08x} data 0x{s.data:x}")
    n = len(ref.steps)
    if len(trace) <= n or trace[n].pc != ref.end:
        got = f"0x{trace[n].pc:08x}" if len(trace) > n else "nothing"
        raise AssertionError(f"seed {seed}: after {n} instructions the reference is at end "
                             f"0x{ref.end:08x}, the core retired {got}")
    for r in range(1, 30):
        if registers[r] != ref.registers[r]:
            raise AssertionError(f"seed {seed}: final x{r} = 0x{registers[r]:08x}, reference "
                                 f"0x{ref.registers[r]:08x}")
    if len(memory) != len(ref.memory):
        raise AssertionError(f"seed {seed}: {len(memory)} bytes of data compared with "
                             f"{len(ref.memory)}")
    if memory != ref.memory:
        k = next(i for i in range(len(memory)) if memory[i] != ref.memory[i])
        raise AssertionError(f"seed {seed}: data byte at 0x{ref.data + k:08x} = "
                             f"0x{memory[k]:02x}, reference 0x{ref.memory[k]:02x}")


_OP = {(0, 0): "add", (0, 0x20): "sub", (1, 0): "sll", (2, 0): "slt", (3, 0): "sltu",
       (4, 0): "xor", (5, 0): "srl", (5, 0x20): "sra", (6, 0): "or", (7, 0): "and",
       **{(f3, 1): m for f3, m in enumerate(["mul", "mulh", "mulhsu", "mulhu", "div", "divu",
                                              "rem", "remu"])}}
_NAMES = {
    _LOAD: {0: "lb", 1: "lh", 2: "lw", 4: "lbu", 5: "lhu"},
    _STORE: {0: "sb", 1: "sh", 2: "sw"},
    _BRANCH: {0: "beq", 1: "bne", 4: "blt", 5: "bge", 6: "bltu", 7: "bgeu"},
    0x13: {0: "addi", 2: "slti", 3: "sltiu", 4: "xori", 6: "ori", 7: "andi", 1: "slli"},
    _SYSTEM: {1: "csrrw", 2: "csrrs", 3: "csrrc", 5: "csrrwi", 6: "csrrsi", 7: "csrrci"},
    0x0F: {0: "fence", 1: "fence.i"},
}
#: Every instruction of RV32IM and Zicsr the core executes.
MNEMONICS = sorted({*_OP.values(), *(n for t in _NAMES.values() for n in t.values()), "srli",
                    "srai", "lui", "auipc", "jal", "jalr", "ecall", "ebreak", "mret", "wfi"})


def mnemonic(insn: int) -> str:
    """The instruction's mnemonic, or "illegal" (RV32IM and Zicsr; no aliases)."""
    opcode, f3, f7 = insn & 0x7F, (insn >> 12) & 7, insn >> 25
    if opcode == 0x33:
        return _OP.get((f3, f7), "illegal")
    if opcode == 0x13 and f3 == 5:
        return {0: "srli", 0x20: "srai"}.get(f7, "illegal")
    if opcode == _SYSTEM and f3 == 0:
        return {0x73: "ecall", 0x0010_0073: "ebreak", 0x3020_0073: "mret",
                _WFI: "wfi"}.get(insn, "illegal")
    simple = {0x37: "lui", 0x17: "auipc", _JAL: "jal", _JALR: "jalr"}
    if opcode in simple:
        return simple[opcode]
    return _NAMES.get(opcode, {}).get(f3, "illegal")


def instruction_mix(trace: list[TraceEntry]) -> Counter:
    """Count, over a trace up to (not including) its last entry: each mnemonic; ``load``,
    ``store``, ``branch taken``/``branch not taken`` (and per kind, e.g. ``beq taken``,
    ``bne backward taken``), ``jump``, ``jal x0``/``jalr x0`` and with a link register,
    ``jalr offset``, ``csr``, ``M``, ``x0 write``, ``trap <cause>``, and ``total``."""
    mix: Counter = Counter()
    for t, nxt in zip(trace, trace[1:], strict=False):
        name = mnemonic(t.insn)
        mix["total"] += 1
        mix[name] += 1
        rd, opcode = (t.insn >> 7) & 31, t.insn & 0x7F
        if t.trap:
            mix[f"trap {CAUSES.get(t.cause, t.cause)}"] += 1
            mix["trap"] += 1
            continue
        if opcode == _LOAD:
            mix["load"] += 1
        elif opcode == _STORE:
            mix["store"] += 1
        elif opcode == _BRANCH:
            taken = nxt.pc != t.pc + 4
            mix["branch"] += 1
            mix["branch taken" if taken else "branch not taken"] += 1
            mix[f"{name} taken" if taken else f"{name} not taken"] += 1
            if taken and nxt.pc < t.pc:
                mix[f"{name} backward taken"] += 1
        elif opcode in (_JAL, _JALR):
            mix["jump"] += 1
            mix[f"{name} x0" if rd == 0 else f"{name} link"] += 1
            if opcode == _JALR and t.insn >> 20:
                mix["jalr offset"] += 1
            if nxt.pc < t.pc:
                mix["jump backward"] += 1
        elif opcode == _SYSTEM and (t.insn >> 12) & 7:
            mix["csr"] += 1
        if opcode == 0x33 and t.insn >> 25 == 1:
            mix["M"] += 1
        if rd == 0 and writes_rd(t.insn):
            mix["x0 write"] += 1
        if t.rd_we:
            mix[f"write x{t.rd}"] += 1
    return mix


def missing_coverage(mix: Counter) -> list[str]:
    """What ``mix`` (from :func:`instruction_mix`) lacks: an instruction, a branch kind taken,
    not taken or taken backward, a trap cause, a write to x0 or to any of x1..x31, ``jal`` and
    ``jalr`` with and without a link, ``jalr`` with an offset."""
    need = [*MNEMONICS, "x0 write", "jal x0", "jal link", "jalr x0", "jalr link", "jalr offset",
            "jump backward", *(f"trap {c}" for c in CAUSES.values()),
            *(f"write x{r}" for r in range(1, 32))]
    for b in _NAMES[_BRANCH].values():
        need += [f"{b} taken", f"{b} not taken", f"{b} backward taken"]
    return [n for n in need if not mix[n]]


def format_mix(mix: Counter) -> str:
    """The mix in percent of all instructions (one line per group)."""
    total = max(1, mix["total"])

    def pc(key: str) -> str:
        return f"{key} {100 * mix[key] / total:.1f} %"

    groups = ["load", "store", "branch taken", "branch not taken", "jump", "csr", "M",
              "x0 write", "trap", "wfi", "fence", "fence.i"]
    traps = ", ".join(f"{c} {mix[f'trap {c}']}" for c in CAUSES.values())
    return (f"{mix['total']} instructions: " + ", ".join(pc(g) for g in groups)
            + f"; traps: {traps}")
