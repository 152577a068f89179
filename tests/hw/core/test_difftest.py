"""The core against unicorn on long random programs (``tb/core/random_program.py``), with
random wait states on both ports and random events (``wfi``): every retirement, the final
registers and the whole data region are compared (``tb/core/difftest.py``), and the
instruction mix the programs reached must cover the ISA."""

import os
import random
import time
from collections import Counter

import cocotb
import pytest

from sw.rv32 import assemble
from tb import sim
from tb.core.bench import CoreBench
from tb.core.difftest import compare, format_mix, instruction_mix, missing_coverage, run_reference
from tb.core.harness import core_build
from tb.core.random_program import random_program

#: Retirements the harness keeps: a whole program's (checked).
TRACE_DEPTH = 16384
#: Executed instructions a program aims at (about 5 000 are executed: branches skip some).
LENGTH = 7000


@cocotb.test()
async def difftest(dut):
    p = sim.params()
    bench = CoreBench(dut)
    await bench.reset()
    mix: Counter = Counter()
    cycles = 0
    for seed in range(p["first"], p["first"] + p["count"]):
        image = assemble(random_program(seed, p["length"]))
        ref = run_reference(image)
        await bench.load(image.segments)
        choice = random.Random(seed)
        stall, bursts = choice.choice([0.0, 0.0, 0.2, 0.5]), choice.random() < 0.5
        events = choice.choice([1 / 256, 4 / 256, 32 / 256])
        try:
            result = await bench.run(max_cycles=500_000, stall=stall, seed=seed, bursts=bursts,
                                     events=events)
        except Exception as e:
            raise AssertionError(f"seed {seed}: {e}") from None
        cycles += result.cycles
        trace = bench.trace(complete=True)
        compare(seed, ref, trace, bench.registers(), bench.read(ref.data, len(ref.memory)))
        mix += instruction_mix(trace[:len(ref.steps) + 1])
    sim.write_result({"mix": dict(mix), "cycles": cycles})


def run(first: int, count: int, length: int = LENGTH) -> Counter:
    """Run programs ``first`` .. ``first + count - 1`` on one simulator; return their mix."""
    result = sim.run_for_result(core_build(1 << 20, trace_depth=TRACE_DEPTH), __name__,
                                "difftest", {"first": first, "count": count, "length": length},
                                label="difftest", error=AssertionError)
    mix = Counter(result["mix"])
    print(f"programs {first}..{first + count - 1}: {result['cycles']} cycles; "
          f"{format_mix(mix)}")
    return mix


def test_random_programs():
    """24 programs (fixed seeds, about 120 000 instructions) in two simulator runs; together
    they reach every instruction, every branch taken, not taken and taken backward, every
    trap cause and a write to every register."""
    start = time.monotonic()
    mix = run(0, 12) + run(12, 12)
    print(f"{mix['total']} instructions in {time.monotonic() - start:.0f} s")
    assert mix["total"] >= 100_000
    assert not missing_coverage(mix), f"not reached: {missing_coverage(mix)}"


@pytest.mark.slow
def test_many_random_programs():
    """TINYITA_DIFFTEST_COUNT programs (default 400, about 2 million instructions) from seed
    TINYITA_DIFFTEST_SEED, in simulator runs of 50."""
    first = int(os.environ.get("TINYITA_DIFFTEST_SEED", "1000"))
    count = int(os.environ.get("TINYITA_DIFFTEST_COUNT", "400"))
    mix: Counter = Counter()
    for start in range(first, first + count, 50):
        mix += run(start, min(50, first + count - start))
    assert not missing_coverage(mix), f"not reached: {missing_coverage(mix)}"
