"""The core against unicorn on random programs, with random wait states on both ports."""

import os
import random

import cocotb
import pytest

from sw.rv32 import assemble
from tb import sim
from tb.core.bench import CoreBench
from tb.core.difftest import compare, run_reference
from tb.core.harness import core_build
from tb.core.random_program import DATA_BYTES, random_program


@cocotb.test()
async def difftest(dut):
    p = sim.params()
    bench = CoreBench(dut)
    await bench.reset()
    for seed in range(p["first"], p["first"] + p["count"]):
        image = assemble(random_program(seed))
        ref = run_reference(image, DATA_BYTES)
        await bench.load(image.segments)
        choice = random.Random(seed)
        stall, bursts = choice.choice([0.0, 0.0, 0.2, 0.5]), choice.random() < 0.5
        await bench.run(max_cycles=50_000, stall=stall, seed=seed, bursts=bursts)
        data = image.symbols["data"]
        compare(seed, ref, bench.trace(), bench.registers(), bench.read(data, DATA_BYTES))


def run(first: int, count: int) -> None:
    sim.run(core_build(1 << 20), __name__, tests="difftest",
            params={"first": first, "count": count})


@pytest.mark.parametrize("first", [0, 50, 100, 150])
def test_random_programs(first):
    """200 programs (fixed seeds) in four simulator runs."""
    run(first, 50)


@pytest.mark.slow
def test_many_random_programs():
    """TINYITA_DIFFTEST_COUNT programs (default 2000) from seed TINYITA_DIFFTEST_SEED."""
    run(int(os.environ.get("TINYITA_DIFFTEST_SEED", "1000")),
        int(os.environ.get("TINYITA_DIFFTEST_COUNT", "2000")))
