"""Directed tests of the core: every instruction's edge cases, pipeline hazards, CSRs, traps,
wfi and fence.i. Each program checks itself and exits with 0, or with the number of the
first failed check; the expected values are computed here in Python, not by the hardware."""

import cocotb
import pytest
from cocotb.triggers import ClockCycles

from hw.config import CLUSTER_CTRL, CtrlReg
from hw.core.csrs import CSR_ADDRESSES, MISA_VALUE
from sw.rv32 import assemble
from tb import sim
from tb.core.bench import CoreBench
from tb.core.harness import core_build

M32 = 0xFFFF_FFFF


def s32(v: int) -> int:
    v &= M32
    return v - (1 << 32) if v >> 31 else v


def _div(a, b, signed, rem):
    if b == 0:
        return a if rem else M32
    if signed:
        a, b = s32(a), s32(b)
        if a == -(2 ** 31) and b == -1:
            return 0 if rem else a & M32
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
        return (a - q * b) & M32 if rem else q & M32
    return (a % b if rem else a // b) & M32


REFERENCE = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "sll": lambda a, b: a << (b & 31),
    "slt": lambda a, b: int(s32(a) < s32(b)), "sltu": lambda a, b: int(a < b),
    "xor": lambda a, b: a ^ b, "srl": lambda a, b: a >> (b & 31),
    "sra": lambda a, b: s32(a) >> (b & 31), "or": lambda a, b: a | b,
    "and": lambda a, b: a & b, "mul": lambda a, b: a * b,
    "mulh": lambda a, b: (s32(a) * s32(b)) >> 32, "mulhsu": lambda a, b: (s32(a) * b) >> 32,
    "mulhu": lambda a, b: (a * b) >> 32,
    "div": lambda a, b: _div(a, b, True, False), "divu": lambda a, b: _div(a, b, False, False),
    "rem": lambda a, b: _div(a, b, True, True), "remu": lambda a, b: _div(a, b, False, True),
}
EDGES = [0, 1, 2, M32, 0x8000_0000, 0x7FFF_FFFF, 0x1234_5678, 0xFFFF_FFFE, 31, 33]


class Checks:
    """Assembly that compares registers with expected values and exits with the number of
    the first mismatch; it counts the checks it passes (in ``gp``) and exits with the number
    of checks plus one when that count is not the number of checks (a check jumped over, or
    a branch that is always taken, would otherwise pass)."""

    def __init__(self):
        self.lines, self.n = [], 0

    def __call__(self, reg: str, expected) -> None:
        self.n += 1
        load = "la" if isinstance(expected, str) else "li"
        value = expected if isinstance(expected, str) else s32(expected)
        self.lines += [f"    {load} t6, {value}", f"    beq {reg}, t6, ok{self.n}",
                       f"    li a0, {self.n}", "    j fail", f"ok{self.n}:",
                       "    addi gp, gp, 1"]

    def code(self, *lines: str) -> None:
        self.lines += [f"    {ln}" if not ln.endswith(":") else ln for ln in lines]

    def program(self, prologue: str = "", data: str = "") -> str:
        return "\n".join(["_start:", "    li gp, 0", prologue, *self.lines,
                          f"    li t6, {self.n}", "    li a0, 0", "    beq gp, t6, fail",
                          f"    li a0, {self.n + 1}", "fail:",
                          "    slli a0, a0, 1", "    ori a0, a0, 1",
                          f"    li t6, {CLUSTER_CTRL + CtrlReg.EXIT}", "    sw a0, 0(t6)",
                          "hang: j hang", data]) + "\n"


def alu_program() -> str:
    c = Checks()
    for op, f in REFERENCE.items():
        for a in EDGES:
            for b in EDGES[::3]:
                c.code(f"li t0, {s32(a)}", f"li t1, {s32(b)}", f"{op} t2, t0, t1")
                c("t2", f(a, b) & M32)
    for op, f in (("addi", lambda a, i: a + i), ("slti", lambda a, i: int(s32(a) < i)),
                  ("sltiu", lambda a, i: int(a < (i & M32))), ("xori", lambda a, i: a ^ i),
                  ("ori", lambda a, i: a | i), ("andi", lambda a, i: a & i)):
        for a in EDGES[::2]:
            for imm in (0, 1, -1, 2047, -2048):
                c.code(f"li t0, {s32(a)}", f"{op} t2, t0, {imm}")
                c("t2", f(a, imm) & M32)
    for op, f in (("slli", lambda a, s: a << s), ("srli", lambda a, s: a >> s),
                  ("srai", lambda a, s: s32(a) >> s)):
        for a in (0x8000_0001, 0x7FFF_FFFF):
            for sh in (0, 1, 31):
                c.code(f"li t0, {s32(a)}", f"{op} t2, t0, {sh}")
                c("t2", f(a, sh) & M32)
    c.code("lui t2, 0xFFFFF")
    c("t2", 0xFFFF_F000)
    c.code("here: auipc t2, 1")
    c("t2", "here + 4096")
    return c.program()


def memory_program() -> str:
    c = Checks()
    c.code("la s0, buf", "li t0, 0x80FF7F01", "sw t0, 0(s0)")
    for op, off, value in (("lb", 0, 0x01), ("lb", 1, 0x7F), ("lb", 2, -1), ("lb", 3, -128),
                           ("lbu", 2, 0xFF), ("lbu", 3, 0x80), ("lh", 0, 0x7F01),
                           ("lh", 2, s32(0xFFFF80FF)), ("lhu", 2, 0x80FF),
                           ("lw", 0, 0x80FF7F01)):
        c.code(f"{op} t2, {off}(s0)")
        c("t2", value)
    c.code("li t0, 0xAB", "sb t0, 5(s0)", "li t0, 0xCDEF", "sh t0, 6(s0)", "lw t2, 4(s0)")
    c("t2", 0xCDEF_AB00)
    c.code("li t0, -4", "sw t0, 8(s0)", "lw t2, 8(s0)")       # store then load, back to back
    c("t2", -4)
    return c.program(data=".data\nbuf: .word 0, 0, 0, 0")


def hazard_program() -> str:
    c = Checks()
    c.code("la s0, buf", "li t0, 5", "sw t0, 0(s0)",
           "lw t1, 0(s0)", "addi t2, t1, 1")                       # load-use
    c("t2", 6)
    c.code("lw t1, 0(s0)", "beq t1, t0, taken1", "li t2, 99", "taken1:",
           "li t2, 7")                                              # branch after a load
    c("t2", 7)
    c.code("li t0, 3", "mul t1, t0, t0", "mul t2, t1, t0", "mul t2, t2, t1")  # dependent muls
    c("t2", 243)
    c.code("li t0, 1000", "li t1, 7", "div t2, t0, t1", "div t2, t2, t1",
           "rem t3, t2, t1", "add t2, t2, t3")                      # dependent divides
    c("t2", 20 + 6)
    c.code("li t0, 0x40", "csrw mtval, t0", "csrr t2, mtval",
           "csrrs t3, mtval, t0", "csrr t4, mtval")                 # CSR write then read
    c("t2", 0x40)
    c("t4", 0x40)
    c.code("jal t2, next1", "next1:", "addi t3, t2, 0")             # link forwarded
    c("t3", "next1")
    c.code("li t0, 1", "add t0, t0, t0", "add t0, t0, t0", "add t0, t0, t0")   # chain
    c("t0", 8)
    c.code("li s1, 100", "li s2, 0", "loop1:", "addi s2, s2, 3", "addi s1, s1, -1",
           "bnez s1, loop1")                                        # backward branches
    c("s2", 300)
    return c.program(data=".data\nbuf: .word 0")


def csr_program() -> str:
    c = Checks()
    c.code("csrr t2, mhartid")
    c("t2", 0)
    c.code("li t0, 0x80000103", "csrw mtvec, t0", "csrr t2, mtvec")
    c("t2", 0x8000_0100)                                            # direct mode: bits 1:0 = 0
    c.code("li t0, 0x80000007", "csrw mepc, t0", "csrr t2, mepc")
    c("t2", 0x8000_0004)
    c.code("csrr t0, mcycle", "nop", "nop", "csrr t1, mcycle", "sub t2, t1, t0",
           "sltiu t2, t2, 3", "xori t2, t2, 1")                      # mcycle advanced by >= 3
    c("t2", 1)
    c.code("csrr t0, minstret", "nop", "nop", "nop", "csrr t1, minstret", "sub t2, t1, t0")
    c("t2", 4)                                  # exact: the first csrr and the three nops
    c.code("li t0, 8", "csrs mstatus, t0", "csrr t2, mstatus", "andi t2, t2, 8")
    c("t2", 8)
    c.code("csrc mstatus, t0", "csrr t2, mstatus", "srli t3, t2, 11", "andi t2, t2, 8")
    c("t2", 0)
    c("t3", 3)                                                      # MPP reads as machine
    c.code("csrwi mcause, 17", "csrr t2, mcause", "csrrci t3, mcause, 1", "csrr t4, mcause")
    c("t2", 17)
    c("t4", 16)
    c.code("li t0, 5", "csrw mcycleh, t0", "csrr t2, mcycleh")
    c("t2", 5)
    c.code("li t0, 0x12345678", "csrw mscratch, t0", "csrr t2, mscratch",
           "csrrci t3, mscratch, 0x18", "csrrs t4, mscratch, t0", "csrr t5, mscratch")
    c("t2", 0x1234_5678)
    c("t3", 0x1234_5678)
    c("t4", 0x1234_5660)
    c("t5", 0x1234_5678)
    c.code("csrr t2, misa", "li t0, -1", "csrw misa, t0", "csrc misa, t0", "csrr t3, misa")
    c("t2", MISA_VALUE)                                             # RV32 (MXL 1), I, M
    c("t3", MISA_VALUE)                                             # writes ignored, no trap
    for name in ("mvendorid", "marchid", "mimpid"):
        c.code(f"csrr t2, {name}")
        c("t2", 0)
    return c.program()


def csr_bits_program() -> str:
    """Every bit of every writable CSR: the reset values, then all zeros, the two
    alternating patterns and all ones written and read back through its WARL mask (mtvec and
    mepc drop bits 1:0, mstatus keeps MIE and MPIE and reads MPP as 3); each is left at all
    ones, so a read of another CSR that picks up its bits differs. The counters' high halves
    with their low halves at zero, and the Zicntr aliases equal to the machine counters.
    Interrupts stay off: mie changes only while mstatus.MIE is 0, and mstatus only while mie
    is 0."""
    c = Checks()
    patterns = (0, 0xAAAA_AAAA, 0x5555_5555, M32)
    masks = {"mtvec": ~3 & M32, "mepc": ~3 & M32, "mscratch": M32, "mcause": M32,
             "mtval": M32, "mie": M32}
    for name in (*masks, "mstatus"):
        c.code(f"csrr t2, {name}")
        c("t2", 0x1800 if name == "mstatus" else 0)         # the reset values
    for name, mask in masks.items():
        for v in patterns:
            c.code(f"li t0, {s32(v)}", f"csrw {name}, t0", f"csrr t2, {name}")
            c("t2", v & mask)
    c.code("csrw mie, zero")
    for v in patterns:
        c.code(f"li t0, {s32(v)}", "csrw mstatus, t0", "csrr t2, mstatus")
        c("t2", (v & 0x88) | 0x1800)
    c.code("csrw mstatus, zero")
    for high in ("mcycleh", "minstreth"):
        for v in patterns:
            c.code(f"csrw {high[:-1]}, zero", f"li t0, {s32(v)}", f"csrw {high}, t0",
                   f"csrr t2, {high}")
            c("t2", v)
    for v in patterns:                  # minstret: the csrr right after reads the value
        c.code(f"li t0, {s32(v)}", "csrw minstret, t0", "csrr t2, minstret")
        c("t2", v)
        c.code(f"li t0, {s32(v)}", "csrw mcycle, t0", "csrr t2, mcycle", "sub t2, t2, t0",
               "sltiu t2, t2, 16")      # mcycle counts on from the value
        c("t2", 1)
    c.code("li t0, 0x1234", "csrw minstreth, t0", "csrr t2, instreth",
           "li t0, 0x5678", "csrw mcycleh, t0", "csrr t3, cycleh", "csrr t4, timeh")
    c("t2", 0x1234)
    c("t3", 0x5678)
    c("t4", 0x5678)
    c.code("li t0, 0x9abc", "csrw minstret, t0", "csrr t2, instret")
    c("t2", 0x9ABC)
    for alias in ("cycle", "time"):
        c.code("li t0, 0x4321", "csrw mcycle, t0", f"csrr t2, {alias}", "sub t2, t2, t0",
               "sltiu t2, t2, 16")
        c("t2", 1)
    for high in ("mcycleh", "minstreth"):   # the high half holds while the low one counts
        c.code(f"csrw {high[:-1]}, zero", "li t0, -1", f"csrw {high}, t0", "nop", "nop",
               f"csrr t2, {high}")
        c("t2", M32)
    # a write reaches only its own CSR, and a read only its own: every writable CSR gets
    # its own value (the counters' low halves 0, so that the high halves hold), then all are
    # read, the read-only ones too
    values = {name: (0x9E37_79B9 * (k + 3)) & M32 for k, name in enumerate(
        ("mtvec", "mepc", "mscratch", "mcause", "mtval", "mie", "mcycleh", "minstreth"))}
    c.code("csrw mcycle, zero", "csrw minstret, zero")
    for name, v in values.items():
        c.code(f"li t0, {s32(v)}", f"csrw {name}, t0")
    for name, v in values.items():
        c.code(f"csrr t2, {name}")
        c("t2", v & masks.get(name, M32))
    for low in ("mcycle", "minstret"):      # and with the counters' top bits set
        c.code(f"li t0, {s32(0xF800_0000)}", f"csrw {low}, t0")
        for name, v in (("misa", MISA_VALUE), ("mhartid", 0), ("mvendorid", 0),
                        ("marchid", 0), ("mimpid", 0), ("mip", 0), ("mstatus", 0x1800)):
            c.code(f"csrr t2, {name}")
            c("t2", v)
    return c.program()


def counter_program() -> str:
    """mcycle and minstret as 64-bit counters: a write takes effect at once and replaces
    the increment of its instruction (minstret) or cycle (mcycle); the Zicntr aliases read
    them, and reads with x0 or a zero immediate do not write."""
    c = Checks()
    # riscv-tests' instret_overflow: the nop wraps all ones to 0 in both halves
    c.code("li t0, -1", "csrw minstret, t0", "csrw minstreth, t0", "nop",
           "csrr t2, minstret", "csrr t3, minstreth")
    c("t2", 0)
    c("t3", 0)
    c.code("csrwi minstret, 0", "csrr t2, minstret")
    c("t2", 0)                                      # the write suppressed its own increment
    c.code("csrwi minstret, 7", "nop", "nop", "csrr t2, minstret")
    c("t2", 9)
    c.code("li t0, -2", "csrw minstret, t0", "csrw minstreth, zero", "nop", "nop",
           "csrr t2, minstreth", "csrr t3, minstret")
    c("t2", 1)                                      # the low word carried into the high word
    c("t3", 1)                                      # 0 after the second nop, + the csrr
    c.code("li t0, 3", "csrw minstreth, t0", "csrr t2, minstreth")
    c("t2", 3)
    c.code("csrw mcycle, zero", "csrr t2, mcycle", "sltiu t2, t2, 100")
    c("t2", 1)                                      # written, then counting from 0
    c.code("li t0, -64", "csrw mcycle, t0", "csrw mcycleh, zero", "li t1, 100", "spin1:",
           "addi t1, t1, -1", "bnez t1, spin1", "csrr t2, mcycleh")
    c("t2", 1)                                      # the low word carried into the high word
    c.code("csrr t0, minstret", "csrr t1, instret", "sub t2, t1, t0")
    c("t2", 1)
    c.code("csrr t0, minstreth", "csrr t1, instreth")
    c("t1", 3)
    c.code("csrr t0, mcycleh", "csrr t1, cycleh", "csrr t2, timeh", "sub t3, t1, t0",
           "sub t4, t2, t0")
    c("t3", 0)
    c("t4", 0)
    c.code("csrr t0, mcycle", "csrr t1, cycle", "csrr t2, time", "sub t3, t1, t0",
           "sub t4, t2, t1", "sltu t3, zero, t3", "sltu t4, zero, t4")
    c("t3", 1)                                      # cycle and time advance with mcycle
    c("t4", 1)
    c.code("csrrs t2, cycle, zero", "csrrc t2, instret, zero", "csrrsi t2, cycleh, 0",
           "csrrci t2, instreth, 0", "li t2, 5")
    c("t2", 5)                                      # reads that do not write do not trap
    return c.program()


def trap_program() -> str:
    """Each trap goes to the handler, which records mcause, mepc, mtval and skips the
    instruction; the checks then compare them with the expected values."""
    c = Checks()
    cases = [
        ("t_illegal", ".word 0", 2, "0"),
        ("t_ecall", "ecall", 11, "0"),
        ("t_ebreak", "ebreak", 3, "t_ebreak"),
        ("t_csr", "csrr t0, 0x7a0", 2, None),          # tselect: no trigger module
        ("t_pmp", "csrw 0x3a0, zero", 2, None),        # pmpcfg0: no PMP
        ("t_hartid", "csrw mhartid, zero", 2, None),   # read-only
        ("t_cycle", "csrw cycle, zero", 2, None),      # the user counters are read-only
        ("t_time", "csrrw t0, time, t0", 2, None),
        ("t_instret", "csrrsi t0, instret, 1", 2, None),
        ("t_cycleh", "csrrc t0, cycleh, s0", 2, None),
        ("t_instreth", "csrrwi t0, instreth, 0", 2, None),
        ("t_load", "lw t0, 1(s0)", 4, "buf + 1"),
        ("t_half", "lh t0, 3(s0)", 4, "buf + 3"),
        ("t_store", "sw t0, 2(s0)", 6, "buf + 2"),
        ("t_jump", "jalr t0, 2(s1)", 0, "target + 2"),
        ("t_branch", "beq zero, zero, . + 6", 0, "t_branch + 6"),
    ]
    # every CSR number one bit away from an implemented one, and not one itself, is illegal
    known = set(CSR_ADDRESSES.values())
    cases += [(f"t_near_{n:03x}", f"csrr t0, 0x{n:03x}", 2, None)
              for n in sorted({a ^ (1 << b) for a in known for b in range(12)} - known)]
    c.code("la t0, handler", "csrw mtvec, t0", "la s0, buf", "la s1, target")
    for label, insn, cause, tval in cases:
        c.code(f"{label}:", insn)
        c("s2", cause)
        c("s4", label)
        if tval is not None:
            c("s3", tval)
    c.code("li t0, 8", "csrs mstatus, t0", "ecall", "csrr t2, mstatus", "andi t2, t2, 0x88")
    c("t2", 0x88)                   # mret: MIE = MPIE (1), MPIE = 1
    c.code("la t0, buf", "lw t2, 0(t0)")
    c("t2", 0)                      # the trapping store did not write
    handler = """
.align 2
handler:
    csrr s2, mcause
    csrr s3, mtval
    csrr s4, mepc
    addi t5, s4, 4
    csrw mepc, t5
    mret
target:
    nop
"""
    return c.program(data=handler + "\n.data\nbuf: .word 0, 0")


def fence_i_program() -> str:
    c = Checks()
    c.code("la s0, patch", "li t0, 0x02A00393",              # addi t2, zero, 42
           "sw t0, 0(s0)", "fence.i", "patch:", "addi t2, zero, 1")
    c("t2", 42)
    return c.program()


def wfi_program() -> str:
    c = Checks()
    c.code("csrr t0, mcycle", "wfi", "csrr t1, mcycle", "sub t2, t1, t0",
           "sltiu t2, t2, 200", "xori t2, t2, 1")             # slept for the 300 cycles
    c("t2", 1)
    c.code("csrr t2, mip", "srli t2, t2, 11", "andi t2, t2, 1")
    c("t2", 0)                                                # the event was consumed
    return c.program()


def skipping_program() -> str:
    """Jumps over its second check: must exit with the number of checks plus one."""
    c = Checks()
    c.code("li t2, 1")
    c("t2", 1)
    c.code("j skipped")
    c("t2", 1)
    c.code("skipped:")
    c("t2", 1)
    return c.program()


PROGRAMS = {"alu": alu_program, "memory": memory_program, "hazards": hazard_program,
            "csr": csr_program, "csr_bits": csr_bits_program, "counters": counter_program,
            "traps": trap_program, "fence_i": fence_i_program, "wfi": wfi_program}


@cocotb.test()
async def directed(dut):
    p = sim.params()
    bench = CoreBench(dut)
    await bench.reset()
    image = assemble(PROGRAMS[p["program"]]())
    await bench.load(image.segments)
    if p["program"] == "wfi":
        async def wake():
            await ClockCycles(dut.clk, 300)
            dut.event.value = 1
            await ClockCycles(dut.clk, 1)
            dut.event.value = 0
        cocotb.start_soon(wake())
    result = await bench.run(max_cycles=200_000, stall=p["stall"], seed=7)
    assert result.exit_code == 0, (f"{p['program']}: check {result.exit_code} failed, or "
                                   f"(the number of checks + 1) not every check was reached "
                                   f"(stall {p['stall']})")


@cocotb.test()
async def directed_skip(dut):
    bench = CoreBench(dut)
    await bench.reset()
    await bench.load(assemble(skipping_program()).segments)
    result = await bench.run(max_cycles=10_000)
    assert result.exit_code == 4, f"a skipped check gave exit code {result.exit_code}"


@pytest.mark.parametrize("stall", [0.0, 0.35])
@pytest.mark.parametrize("program", list(PROGRAMS))
def test_directed(program, stall):
    sim.run(core_build(1 << 20), __name__, tests="directed",
            params={"program": program, "stall": stall})


def test_a_skipped_check_fails():
    sim.run(core_build(1 << 20), __name__, tests="directed_skip")
