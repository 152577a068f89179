"""Throughput of the ITA engine: one job on Verilator without stalls, measured in cycles.

``run_benchmark`` builds a harness deep enough for the job, runs it and returns a JSON-ready
dict; the cocotb test ``ita_benchmark`` is the part that runs inside the simulator.
"""

import cocotb

from hw.ita.config import Activation, ITAConfig, Mode
from sw.engine.random_jobs import random_job
from sw.engine.streams import build_streams

from .. import sim
from ..report import throughput
from .bench import ITABench
from .harness import harness_build

__all__ = ["run_benchmark", "job_tiles", "SIZES"]


@cocotb.test()
async def ita_benchmark(dut):
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    job, steps = random_job(cfg, Mode(p["mode"]), s=p["s"], e=p["e"], p=p["p"], f=p["f"],
                            act=Activation(p["act"]), seed=p["seed"],
                            softmax_shift=cfg.softmax_shift, valid=0)
    streams = build_streams(cfg, job, steps)
    bench = ITABench(dut, cfg)
    await bench.reset()
    result = await bench.run(job, streams, stall=0.0, seed=p["seed"])
    try:
        bench.check(streams, result, "benchmark")
        mismatch = None
    except AssertionError as e:
        mismatch = str(e)
    sim.write_result(throughput(
        cycles=result.cycles, macs=streams.macs, peak=cfg.n * cfg.m, mismatch=mismatch,
        issue_cycles=result.issued, steps={k: v for k, v in result.step_cycles.items() if v}))


#: The sizes each mode uses (the others are irrelevant and set to one tile).
SIZES = {Mode.ATTENTION: ("seq", "emb", "proj"), Mode.SINGLE_ATTENTION: ("seq", "proj"),
         Mode.FEEDFORWARD: ("seq", "emb", "ff"), Mode.LINEAR: ("seq", "emb", "proj")}


def job_tiles(cfg: ITAConfig, mode: Mode, *, seq: int, emb: int, proj: int, ff: int
              ) -> tuple[dict[str, int], dict[str, int]]:
    """Check the sizes a mode uses (elements, multiples of M within max_tiles) and return
    (the sizes used, every size in tiles with the unused ones set to 1)."""
    given = {"seq": seq, "emb": emb, "proj": proj, "ff": ff}
    used = {name: given[name] for name in SIZES[Mode(mode)]}
    tiles = dict.fromkeys(given, 1)
    for name, v in used.items():
        if v <= 0 or v % cfg.m or v > cfg.max_size:
            raise ValueError(f"--{name} {v}: must be a positive multiple of M = {cfg.m} up to "
                             f"{cfg.max_size} (max_tiles {cfg.max_tiles})")
        tiles[name] = v // cfg.m
    return used, tiles


def run_benchmark(cfg: ITAConfig, mode: Mode, *, seq: int, emb: int, proj: int, ff: int,
                  act: Activation = Activation.IDENTITY, seed: int = 0) -> dict:
    """Run one job of ``mode`` with sizes in elements and return the measurements.

    The sizes the mode uses must be multiples of ``cfg.m`` within ``cfg.max_size``; the error
    names the size.
    """
    used, tiles = job_tiles(cfg, mode, seq=seq, emb=emb, proj=proj, ff=ff)
    params = {"cfg": cfg.__dict__, "mode": int(mode), "s": tiles["seq"], "e": tiles["emb"],
              "p": tiles["proj"], "f": tiles["ff"], "act": int(act), "seed": seed}
    report = sim.run_for_result(harness_build(cfg), __name__, "ita_benchmark", params,
                                label="bench")
    return {"engine": {"n": cfg.n, "m": cfg.m, "softmax_shift": cfg.softmax_shift},
            "mode": Mode(mode).name.lower(), **used, **report}
