"""The differential checker itself: it accepts an exact trace, catches every kind of doctored
one, and its reference wrapper enters traps as the privileged spec says."""

import copy

import pytest

from sw.rv32 import assemble
from tb.core.bench import TraceEntry
from tb.core.difftest import Reference, compare, instruction_mix, missing_coverage, run_reference
from tb.core.random_program import random_program


def exact(ref: Reference) -> list[TraceEntry]:
    """The trace a correct core leaves: one entry per step, then the first at ``end``."""
    trace = []
    for s in ref.steps:
        rd = (s.insn >> 7) & 31
        data = s.data
        if s.store:                                   # the core replicates store data
            data = {1: data * 0x0101_0101, 2: data * 0x0001_0001, 4: data}[s.size]
        trace.append(TraceEntry(s.pc, s.insn, s.rd or rd, bool(s.rd), s.value,
                                s.trap is not None, s.trap or 0, bool(s.size), s.store,
                                s.address, data))
    trace.append(TraceEntry(ref.end, 0x0000_0013, 0, False, 0, False, 0))
    return trace


@pytest.fixture(scope="module")
def case():
    image = assemble(random_program(7, 3000))
    ref = run_reference(image)
    return ref, exact(ref)


def check(ref, trace, registers=None, memory=None):
    compare(7, ref, trace, list(ref.registers) if registers is None else registers,
            ref.memory if memory is None else memory)


def first(trace, predicate, after: int = 40) -> int:
    return next(i for i, t in enumerate(trace[:-1]) if i > after and predicate(t))


def test_checker_accepts_an_exact_trace(case):
    ref, trace = case
    check(ref, trace)
    mix = instruction_mix(trace)
    assert mix["total"] == len(ref.steps)
    assert mix["csr"] and mix["trap"] and mix["load"] and mix["store"]
    # the coverage check fails when the generator stops reaching something
    mix.pop("ebreak")
    mix.pop("trap misaligned store")
    assert {"ebreak", "trap misaligned store"} <= set(missing_coverage(mix))


@pytest.mark.parametrize("doctor, message", [
    ("dropped write", "wrote no register"),
    ("spurious write", "the reference writes no register"),
    ("wrong value", r"x\d+ = 0x[0-9a-f]+, reference"),
    ("wrong register", r"x\d+ = 0x[0-9a-f]+, reference"),
    ("wrong pc", "retired pc"),
    ("wrong word", "retired the word"),
    ("missing instruction", "retired pc"),
    ("trap dropped", "trap none, reference cause"),
    ("spurious trap", "trap cause 2, reference none"),
    ("wrong cause", r"trap cause \d+, reference cause"),
    ("store address", "store at"),
    ("store data", "store at"),
    ("load data", "load at"),
    ("dropped access", "did not access memory"),
    ("spurious access", "the reference did not"),
    ("store for load", "store at"),
])
def test_checker_catches_a_doctored_retirement(case, doctor, message):
    ref, exact_trace = case
    trace = copy.deepcopy(exact_trace)
    writes = first(trace, lambda t: t.rd_we)
    plain = first(trace, lambda t: not t.rd_we and not t.trap and not t.mem)
    store = first(trace, lambda t: t.mem_we)
    load = first(trace, lambda t: t.mem and not t.mem_we)
    trapped = first(trace, lambda t: t.trap)
    k = {"dropped write": writes, "spurious write": plain, "wrong value": writes,
         "wrong register": writes, "wrong pc": writes, "wrong word": writes,
         "missing instruction": writes, "trap dropped": trapped, "spurious trap": plain,
         "wrong cause": trapped,
         "store address": store, "store data": store, "load data": load,
         "dropped access": load, "spurious access": plain, "store for load": load}[doctor]
    t = trace[k]
    if doctor == "dropped write":
        t.rd_we = False
    elif doctor == "spurious write":
        t.rd_we, t.rd, t.rd_value = True, 5, 1
    elif doctor == "wrong value":
        t.rd_value ^= 1 << 17
    elif doctor == "wrong register":
        t.rd = t.rd % 31 + 1
    elif doctor == "wrong pc":
        t.pc += 4
    elif doctor == "wrong word":
        t.insn ^= 1 << 20
    elif doctor == "missing instruction":
        del trace[k]
    elif doctor == "trap dropped":
        t.trap = False
    elif doctor == "spurious trap":
        t.trap, t.cause = True, 2
    elif doctor == "wrong cause":
        t.cause = 4 if t.cause != 4 else 6
    elif doctor == "store address":
        t.mem_addr += 4
    elif doctor == "store data":
        t.mem_data ^= 0x0101_0101
    elif doctor == "load data":
        t.mem_data ^= 0x80
    elif doctor == "dropped access":
        t.mem = False
    elif doctor == "spurious access":
        t.mem, t.mem_addr = True, ref.data
    elif doctor == "store for load":
        t.mem_we = True
    with pytest.raises(AssertionError, match=message):
        check(ref, trace)
    if doctor != "missing instruction":
        assert f"instruction {k} at" in str(pytest.raises(AssertionError, check, ref, trace)
                                            .value)


def test_checker_catches_the_end_and_the_final_state(case):
    ref, trace = case
    with pytest.raises(AssertionError, match="the core retired 100 instructions"):
        check(ref, trace[:100])                              # the core stops early
    with pytest.raises(AssertionError, match="the core retired nothing"):
        check(ref, trace[:-1])                               # ... just before end
    early = copy.copy(ref)
    early.steps = ref.steps[:-5]
    with pytest.raises(AssertionError, match="the core retired 0x"):
        check(early, trace)                                  # unicorn ends early
    early.reached_end = False
    with pytest.raises(AssertionError, match="the reference stopped after"):
        check(early, trace[:-5])
    regs = list(ref.registers)
    regs[29] ^= 4
    with pytest.raises(AssertionError, match="final x29"):
        check(ref, trace, registers=regs)
    for k in (3, len(ref.memory) - 1):                       # the data, the trap log
        memory = bytearray(ref.memory)
        memory[k] ^= 1
        with pytest.raises(AssertionError, match=f"data byte at 0x{ref.data + k:08x}"):
            check(ref, trace, memory=bytes(memory))


def test_reference_enters_traps():
    """Each trap the wrapper enters itself or from unicorn's interrupt hook: mcause, mepc and
    mtval as the handler logged them, no register written, execution past the instruction;
    ``wfi`` is a nop, and unicorn reaches ``end``."""
    image = assemble("""
_start:
    la x30, tlog
    la x31, handler
    csrw mtvec, x31
    la x5, data
    li x6, 77
    ecall
    ebreak
    .word 0
    csrrw x6, mhartid, x5
    lw x6, 1(x5)
    sh x6, 3(x5)
    jal x6, t1 + 2
t1: la x7, t2 + 2
    jalr x6, 0(x7)
t2: beq x0, x0, t3 + 2
t3: bne x0, x0, t3 + 2
    wfi
    lhu x8, 2(x5)
end:
    nop
handler:
    csrr x31, mcause
    sw x31, 0(x30)
    csrr x31, mepc
    sw x31, 4(x30)
    csrr x31, mtval
    sw x31, 8(x30)
    csrr x31, mepc
    addi x31, x31, 4
    csrw mepc, x31
    addi x30, x30, 16
    mret
.data
data: .word 0x11223344, 0x55667788
tlog: .space 256
data_end:
""")
    ref = run_reference(image)
    assert ref.reached_end
    s = image.symbols
    traps = [st for st in ref.steps if st.trap is not None]
    log = [int.from_bytes(ref.memory[i:i + 4], "little")
           for i in range(s["tlog"] - s["data"], len(ref.memory), 4)]
    pcs = {st.trap: st.pc for st in traps}
    ecall = pcs[11]
    words = [int.from_bytes(c[i:i + 4], "little") for a, c in image.segments
             for i in range(0, len(c), 4) if a == image.entry]
    expected = [(11, ecall, 0), (3, ecall + 4, ecall + 4),
                (2, ecall + 8, 0), (2, ecall + 12, words[(ecall + 12 - image.entry) // 4]),
                (4, ecall + 16, s["data"] + 1), (6, ecall + 20, s["data"] + 3),
                (0, ecall + 24, s["t1"] + 2), (0, s["t1"] + 8, s["t2"] + 2),
                (0, s["t2"], s["t3"] + 2)]
    assert [(st.trap, st.pc) for st in traps] == [(c, pc) for c, pc, _ in expected]
    assert [tuple(log[4 * i:4 * i + 3]) for i in range(len(expected))] == expected
    assert all(st.rd == 0 for st in traps)
    assert ref.registers[6] == 77                  # no trapped instruction wrote x6
    assert ref.registers[8] == 0x1122
    wfi = next(st for st in ref.steps if st.insn == 0x1050_0073)
    assert ref.steps[ref.steps.index(wfi) + 1].pc == wfi.pc + 4
