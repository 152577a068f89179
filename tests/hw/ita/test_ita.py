"""The ITA engine on Verilator, bit-exact against sw.golden step by step.

Each pytest function runs a list of jobs in one simulator process on a cached build of the
harness (one build per generator configuration). Every job is compared step by step (Q, K,
V, each QK/AV pair, OW, F1, F2) with the golden model; the failure message names the
configuration, the job and its seed, the step and the first differing element.
"""

from dataclasses import replace

import cocotb
import numpy as np
import pytest

from hw.ita.config import Activation, ITAConfig, Mode
from hw.ita.steps import StepKind
from sw.engine.job import golden_valid
from sw.engine.random_jobs import random_job, random_mha
from sw.engine.streams import ItaJob, Streams, build_streams, output_matrix
from sw.golden import itamax, matmul_step
from tb import sim
from tb.ita.bench import ITABench, concat_streams
from tb.ita.harness import harness_build

# --- inside the simulator --------------------------------------------------------------------

async def _run_job(bench: ITABench, cfg: ITAConfig, case: dict):
    job, steps = random_job(cfg, Mode[case["mode"]], s=case["s"], e=case["e"], p=case["p"],
                            f=case["f"], act=Activation[case["act"]], seed=case["seed"])
    streams = build_streams(cfg, job, steps)
    result = await bench.run(job, streams, stall=case["stall"], seed=case["seed"],
                             bursts=case.get("bursts", False))
    bench.check(streams, result, f"n={cfg.n} m={cfg.m} k={cfg.softmax_shift} {case}")
    return result, streams


@cocotb.test()
async def ita_jobs(dut):
    """Run the jobs in the parameters, back to back."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = ITABench(dut, cfg)
    await bench.reset()
    for case in p["cases"]:
        result, _ = await _run_job(bench, cfg, case)
        dut._log.info(f"{case}: {result.cycles} cycles, {result.issued} rows issued")


@cocotb.test()
async def ita_multihead(dut):
    """Multi-head attention as repeated attention jobs on one input; the head sum of the
    engine's outputs (software's part, as in the reference) equals the golden output."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = ITABench(dut, cfg)
    await bench.reset()
    mha, jobs = random_mha(cfg, s=p["s"], e=p["e"], p=p["p"], heads=p["heads"], seed=p["seed"])
    total = np.zeros_like(mha.head_sum)
    for h, (job, steps) in enumerate(jobs):
        streams = build_streams(cfg, job, steps)
        result = await bench.run(job, streams, stall=p["stall"], seed=p["seed"] + h)
        bench.check(streams, result, f"head {h} of {p}")
        ow, first, last = streams.spans[-1]
        total += output_matrix(cfg, ow, result.out[first:last])
    np.testing.assert_array_equal(total, mha.head_sum, err_msg=f"head sum, {p}")


@cocotb.test()
async def ita_rejects_bad_jobs(dut):
    """A job with a size of 0 or above max_tiles, or an unknown activation, ends at once with
    ``error`` and consumes nothing; the next valid job runs normally."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = ITABench(dut, cfg)
    await bench.reset()
    empty = Streams(*(np.zeros((0, w), np.int64) for w in (cfg.m, cfg.m, cfg.m // 4, cfg.m)))
    bad = [ItaJob(Mode.LINEAR, 0), ItaJob(Mode.LINEAR, 1, e=cfg.max_tiles + 1),
           ItaJob(Mode.ATTENTION, 1, p=0), ItaJob(Mode.FEEDFORWARD, 1, f=0),
           ItaJob(Mode.LINEAR, 1, act=3)]
    for job in bad:
        result = await bench.run(job, empty, max_cycles=50)
        assert result.error, f"{job} was not rejected"
        assert result.issued == 0 and result.out.shape[0] == 0 and result.cycles < 10
    await _run_job(bench, cfg, p["after"])


def _softmax_job(cfg: ITAConfig, c: dict):
    return random_job(cfg, Mode[c["mode"]], s=c["s"], e=c["e"], p=c["p"], seed=c["seed"],
                      softmax_shift=c["k"], valid=c["valid"])


def _depends_on_softmax(cfg: ITAConfig, job: ItaJob, steps, k: int, valid: int) -> bool:
    """Whether some AV output of the job would differ with ITAMax's shift ``k`` and valid
    length ``valid`` instead of the job's (same logits, V and requantizer)."""
    for st in steps:
        if st.kind is StepKind.AV:
            a = itamax(st.a, group=cfg.n, k=k, valid=golden_valid(valid, st.a.shape[1]))
            if not np.array_equal(matmul_step(a, st.b, None, job.rq[4], a_unsigned=True,
                                              cfg=cfg).out, st.out):
                return True
    return False


@cocotb.test()
async def ita_softmax_pairs(dut):
    """Pairs of attention jobs back to back, the second submitted while the first runs (and
    overlapping it when it says so), each with its own ITAMax shift and valid length; both
    bit-exact. Each job's golden result is checked to depend on its shift and its mask, so an
    engine that took either from the other job or from the configuration would differ."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = ITABench(dut, cfg)
    await bench.reset()
    for first, second, overlap in p["pairs"]:
        jobs = []
        for c in (first, second):
            job, steps = _softmax_job(cfg, c)
            assert (job.softmax_shift, job.valid) == (c["k"], c["valid"])
            others = [((c["k"] + 3) % 8, c["valid"]), (cfg.softmax_shift, c["valid"])]
            if c["valid"]:
                others.append((c["k"], 0))
            for k, valid in others:
                assert k == c["k"] and valid == c["valid"] or \
                    _depends_on_softmax(cfg, job, steps, k, valid), \
                    f"{c}: the golden AV output is the same with k={k}, valid={valid}"
            jobs.append((job, build_streams(cfg, job, steps)))
        (job_a, streams_a), (job_b, streams_b) = jobs
        streams = concat_streams([streams_a, streams_b])
        result = await bench.run(job_a, streams, then=replace(job_b, overlap=overlap),
                                 stall=p["stall"], seed=first["seed"])
        bench.check(streams, result, f"n={cfg.n} m={cfg.m} {first} then {second} "
                                     f"(overlap {overlap})")


# --- pytest ----------------------------------------------------------------------------------

def case(mode: str, s: int, e: int = 1, p: int = 1, f: int = 1, act: str = "IDENTITY",
         seed: int = 1, stall: float | dict = 0.0, bursts: bool = False) -> dict:
    return {"mode": mode, "s": s, "e": e, "p": p, "f": f, "act": act, "seed": seed,
            "stall": stall, "bursts": bursts}


def run(cfg: ITAConfig, test: str = "ita_jobs", **params) -> None:
    sim.run(harness_build(cfg), __name__, tests=test, params={"cfg": cfg.__dict__, **params})


SMALL = ITAConfig(n=4, m=16, softmax_shift=5)
MEDIUM = ITAConfig(n=8, m=32, softmax_shift=0)
DEFAULT = ITAConfig(n=16, m=64, softmax_shift=5)
DEFAULT_K0 = ITAConfig(n=16, m=64, softmax_shift=0)
STALLS = [0.0, 0.3]


@pytest.mark.parametrize("stall", STALLS)
def test_attention_sizes(stall):
    """Attention heads with S, E, P from 1 to 4 tiles in mixed combinations."""
    sizes = [(1, 1, 1), (2, 3, 1), (4, 2, 3), (3, 4, 2), (1, 2, 4)]
    run(SMALL, cases=[case("ATTENTION", s, e, p, seed=10 + i, stall=stall)
                      for i, (s, e, p) in enumerate(sizes)])


@pytest.mark.parametrize("stall", STALLS)
def test_feedforward_activations(stall):
    cases = [case("FEEDFORWARD", s, e, 1, f, act=act, seed=20 + i, stall=stall)
             for i, ((s, e, f), act) in enumerate([((1, 1, 1), "IDENTITY"), ((2, 3, 4), "RELU"),
                                                   ((4, 1, 2), "GELU"), ((1, 4, 3), "GELU")])]
    run(SMALL, cases=cases)


@pytest.mark.parametrize("stall", STALLS)
def test_linear_and_single_attention(stall):
    cases = [case("LINEAR", 1, 1, 1, seed=30, stall=stall),
             case("LINEAR", 3, 2, 4, act="RELU", seed=31, stall=stall),
             case("LINEAR", 4, 4, 1, act="GELU", seed=32, stall=stall),
             case("SINGLE_ATTENTION", 1, 1, 1, seed=33, stall=stall),
             case("SINGLE_ATTENTION", 3, 1, 2, seed=34, stall=stall),
             case("SINGLE_ATTENTION", 4, 1, 4, seed=35, stall=stall)]
    run(SMALL, cases=cases)


@pytest.mark.parametrize("starved", ["inp", "weight", "bias", "out"])
def test_one_stream_starved(starved):
    """One stream idle 90 % of the cycles while the others flow, every mode."""
    stall = {starved: 0.9}
    run(SMALL, cases=[case("ATTENTION", 2, 2, 1, seed=80, stall=stall),
                      case("FEEDFORWARD", 1, 2, 1, 2, act="GELU", seed=81, stall=stall),
                      case("SINGLE_ATTENTION", 2, 1, 1, seed=82, stall=stall),
                      case("LINEAR", 2, 1, 2, act="RELU", seed=83, stall=stall)])


def test_bursts_of_stalls():
    """Stalls in runs on every stream, different seeds."""
    run(SMALL, cases=[case("ATTENTION", 2, 2, 2, seed=84 + k, stall=0.4, bursts=True)
                      for k in range(3)] + [
        case("FEEDFORWARD", 2, 1, 1, 2, act="GELU", seed=87, stall=0.4, bursts=True)])


def test_multihead():
    run(SMALL, "ita_multihead", s=2, e=3, p=1, heads=3, seed=40, stall=0.2)


def test_rejected_jobs():
    run(SMALL, "ita_rejects_bad_jobs", after=case("LINEAR", 1, 2, 1, seed=41))


def test_medium_k0():
    """N=8, M=32 with softmax_shift 0, without stalls (test_coverage.py runs every mode
    stalled on this configuration)."""
    run(MEDIUM, cases=[case("ATTENTION", 2, 2, 2, seed=50),
                       case("FEEDFORWARD", 2, 1, 1, 3, act="GELU", seed=51),
                       case("SINGLE_ATTENTION", 3, 1, 1, seed=52),
                       case("LINEAR", 1, 2, 1, act="RELU", seed=53)])


def test_default_engine():
    """N=16, M=64 (the published design) with softmax_shift 5, without stalls
    (test_coverage.py runs every mode stalled on this configuration)."""
    run(DEFAULT, cases=[case("ATTENTION", 2, 2, 1, seed=60),
                        case("FEEDFORWARD", 1, 2, 1, 2, act="RELU", seed=61),
                        case("LINEAR", 2, 1, 2, act="GELU", seed=62)])


@pytest.mark.slow
@pytest.mark.parametrize("cfg", [DEFAULT, DEFAULT_K0], ids=["k5", "k0"])
@pytest.mark.parametrize("seed", [70, 71, 72])
def test_default_engine_sweep(cfg, seed):
    """The published size with more tiles, both shifts, several seeds, stalls."""
    run(cfg, cases=[case("ATTENTION", 3, 2, 2, seed=seed, stall=0.25),
                    case("SINGLE_ATTENTION", 4, 1, 2, seed=seed + 100),
                    case("FEEDFORWARD", 2, 2, 1, 4, act="GELU", seed=seed + 200, stall=0.1),
                    case("LINEAR", 4, 3, 2, act="RELU", seed=seed + 300)])


def softmax_case(mode: str, s: int, e: int, p: int, k: int, valid: int, seed: int) -> dict:
    return {"mode": mode, "s": s, "e": e, "p": p, "k": k, "valid": valid, "seed": seed}


@pytest.mark.parametrize(("cfg", "shifts"), [(SMALL, (1, 6)), (MEDIUM, (3, 7)),
                                              (DEFAULT, (2, 0))],
                         ids=["n4m16", "n8m32", "n16m64"])
def test_softmax_shift_and_mask_per_job(cfg, shifts):
    """Back-to-back jobs with their own ITAMax shift (neither the configuration's) and valid
    length: an Attention job whose mask covers the whole trailing key tile, then one whose
    mask cuts a group in the middle (and covers the tile after it), overlapping; then a
    Single-attention job with a mask inside its first key tile followed, overlapping, by an
    Attention job without a mask; with stalls."""
    m, n = cfg.m, cfg.n
    k1, k2 = shifts
    pairs = [
        (softmax_case("ATTENTION", 3, 2, 1, k1, 2 * m, seed=90),
         softmax_case("ATTENTION", 3, 1, 2, k2, m + n + n // 2, seed=91), True),
        (softmax_case("SINGLE_ATTENTION", 2, 1, 2, k2, m - 1, seed=92),
         softmax_case("ATTENTION", 2, 1, 1, k1, 0, seed=93), True),
        (softmax_case("SINGLE_ATTENTION", 3, 1, 1, k1, n // 2, seed=94),
         softmax_case("SINGLE_ATTENTION", 2, 1, 1, k2, 3 * m // 2, seed=95), False),
    ]
    run(cfg, "ita_softmax_pairs", pairs=pairs, stall=0.2)
