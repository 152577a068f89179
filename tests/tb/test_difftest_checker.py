"""The differential checker itself: it accepts an exact trace and names the first change."""

import pytest

from sw.rv32 import assemble
from tb.core.bench import TraceEntry
from tb.core.difftest import compare, run_reference
from tb.core.random_program import DATA_BYTES, random_program


def exact(ref, image):
    words = {a + i: int.from_bytes(c[i:i + 4], "little") for a, c in image.segments
             for i in range(0, len(c), 4)}
    trace = []
    for k, pc in enumerate(ref.pcs):
        insn = words[pc]
        rd = (insn >> 7) & 31
        writes = rd != 0 and (insn & 0x7F) not in (0x23, 0x63)
        trace.append(TraceEntry(pc, insn, rd, writes, ref.after[k][rd], False, 0))
    return trace


def test_checker_accepts_exact_and_names_first_difference():
    image = assemble(random_program(7))
    ref = run_reference(image, DATA_BYTES)
    trace = exact(ref, image)
    compare(7, ref, trace, list(ref.registers), ref.memory)
    k = next(i for i, t in enumerate(trace) if t.rd_we and i > 40)
    trace[k].rd_value ^= 1
    with pytest.raises(AssertionError, match=f"seed 7, instruction {k} at"):
        compare(7, ref, trace, list(ref.registers), ref.memory)
    trace[k].rd_value ^= 1
    regs = list(ref.registers)
    regs[5] ^= 4
    with pytest.raises(AssertionError, match="final x5"):
        compare(7, ref, trace, regs, ref.memory)
    with pytest.raises(AssertionError, match="data byte 3"):
        compare(7, ref, trace, list(ref.registers),
                ref.memory[:3] + bytes([ref.memory[3] ^ 1]) + ref.memory[4:])
    with pytest.raises(AssertionError, match="retired pc"):
        compare(7, ref, trace[:10] + trace[11:], list(ref.registers), ref.memory)
