"""The engine's coverage matrix (docs/verification.md): on each of the three generator
configurations (N, M) = (4, 16), (8, 32), (16, 64), every mode, ITAMax's shift k in {0, 5}
for the modes that use it, every activation for the modes that have one, and the extreme
jobs of :mod:`sw.engine.extreme_jobs`, each bit-exact against the golden model under
back-pressure (uniform and in bursts). One simulator run per configuration, on the builds
``test_ita.py`` shares."""

import cocotb
import pytest

from hw.ita.config import Activation, ITAConfig, Mode
from sw.engine.extreme_jobs import EXTREMES, extreme_jobs
from sw.engine.random_jobs import random_job
from sw.engine.streams import build_streams
from tb import sim
from tb.ita.bench import ITABench
from tb.ita.harness import harness_build

from .test_ita import DEFAULT, MEDIUM, SMALL

CONFIGS = {"n4m16": SMALL, "n8m32": MEDIUM, "n16m64": DEFAULT}
SHIFTS = (0, 5)
ATTENTION_MODES = (Mode.ATTENTION, Mode.SINGLE_ATTENTION)


def matrix_cases() -> list[dict]:
    """The random cells of the matrix, for one configuration: each mode with each shift (the
    attention modes) or each activation (Feed-forward and Linear), two tiles in every size
    so that tiles follow tiles, stalls alternating between uniform and bursts."""
    cells = [(mode, k, Activation.IDENTITY) for mode in ATTENTION_MODES for k in SHIFTS]
    cells += [(mode, None, act) for mode in (Mode.FEEDFORWARD, Mode.LINEAR)
              for act in Activation]
    return [{"mode": mode.name, "k": k, "act": act.name, "seed": 500 + i,
             "stall": 0.25, "bursts": i % 2 == 1}
            for i, (mode, k, act) in enumerate(cells)]


@cocotb.test()
async def ita_coverage(dut):
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = ITABench(dut, cfg)
    await bench.reset()
    for c in p["cases"]:
        job, steps = random_job(cfg, Mode[c["mode"]], s=2, e=2, p=2, f=2,
                                act=Activation[c["act"]], seed=c["seed"], softmax_shift=c["k"])
        if c["k"] is not None:
            assert job.softmax_shift == c["k"]
        streams = build_streams(cfg, job, steps)
        result = await bench.run(job, streams, stall=c["stall"], seed=c["seed"],
                                 bursts=c["bursts"])
        bench.check(streams, result, f"n={cfg.n} m={cfg.m} {c}")
    for i, (name, (job, steps)) in enumerate(extreme_jobs(cfg).items()):
        streams = build_streams(cfg, job, steps)
        result = await bench.run(job, streams, stall=0.25, seed=600 + i, bursts=i % 2 == 1)
        bench.check(streams, result, f"n={cfg.n} m={cfg.m} extreme {name}")


def test_the_matrix_has_every_cell():
    """Every mode, both shifts on the attention modes, every activation on the others, and
    every extreme, on each configuration (a regression in the case list fails here)."""
    cells = {(c["mode"], c["k"], c["act"]) for c in matrix_cases()}
    for mode in ATTENTION_MODES:
        assert {(mode.name, k, "IDENTITY") for k in SHIFTS} <= cells
    for mode in (Mode.FEEDFORWARD, Mode.LINEAR):
        assert {(mode.name, None, act.name) for act in Activation} <= cells
    assert {c["mode"] for c in matrix_cases()} == {mode.name for mode in Mode}
    assert set(extreme_jobs(SMALL)) == set(EXTREMES)


@pytest.mark.parametrize("name", CONFIGS)
def test_coverage_matrix(name):
    cfg = CONFIGS[name]
    sim.run(harness_build(cfg), __name__, tests="ita_coverage",
            params={"cfg": cfg.__dict__, "cases": matrix_cases()})
