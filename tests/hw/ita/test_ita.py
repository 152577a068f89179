"""The ITA engine on Verilator, bit-exact against sw.golden, step by step."""

import cocotb
import pytest

from hw.ita.config import Activation, ITAConfig, Mode
from tb import sim
from tb.ita.bench import ITABench
from tb.ita.cases import random_job
from tb.ita.harness import ITAHarness
from tb.ita.streams import build_streams

DEPTH = 8192


def harness_build(cfg: ITAConfig, depth: int = DEPTH) -> sim.Build:
    return sim.build(ITAHarness(cfg, depth), name=f"ita_n{cfg.n}_m{cfg.m}_k{cfg.softmax_shift}")


@cocotb.test()
async def ita_jobs(dut):
    """Run every job in the parameters on one simulator process."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = ITABench(dut, cfg, p["depth"])
    await bench.reset()
    for case in p["cases"]:
        job, steps = random_job(cfg, Mode[case["mode"]], s=case["s"], e=case["e"],
                                p=case["p"], f=case["f"], act=Activation[case["act"]],
                                seed=case["seed"])
        streams = build_streams(cfg, job, steps)
        result = await bench.run(job, streams, stall=case["stall"], seed=case["seed"])
        bench.check(streams, result, f"n={cfg.n} m={cfg.m} k={cfg.softmax_shift} {case}")
        dut._log.info(f"{case}: {result.cycles} cycles, {result.issued} rows issued")


def case(mode: str, s: int, e: int = 1, p: int = 1, f: int = 1, act: str = "IDENTITY",
         seed: int = 1, stall: float = 0.0) -> dict:
    return {"mode": mode, "s": s, "e": e, "p": p, "f": f, "act": act, "seed": seed,
            "stall": stall}


def run_cases(cfg: ITAConfig, cases: list[dict]) -> None:
    sim.run(harness_build(cfg), __name__, tests="ita_jobs",
            params={"cfg": cfg.__dict__, "depth": DEPTH, "cases": cases})


SMALL = ITAConfig(n=4, m=16, softmax_shift=5)


@pytest.mark.parametrize("stall", [0.0, 0.3])
def test_linear(stall):
    run_cases(SMALL, [case("LINEAR", 1, 1, 1, stall=stall),
                      case("LINEAR", 2, 3, 2, seed=2, stall=stall)])


def test_scratch():
    run_cases(SMALL, [case("FEEDFORWARD", 1, 1, 1, 1, act="RELU"),
                      case("FEEDFORWARD", 2, 1, 1, 3, act="GELU", seed=3),
                      case("SINGLE_ATTENTION", 1, 1, 1),
                      case("SINGLE_ATTENTION", 2, 1, 2, seed=4),
                      case("ATTENTION", 1, 1, 1),
                      case("ATTENTION", 2, 3, 2, seed=5, stall=0.3)])
