"""Throughput of the ITA HWPE: two jobs programmed through the registers back to back, on a
memory that always grants, measured in cycles.

The first job's cycles run from its TRIGGER to its end event; ``job_overhead_cycles`` are the
idle array cycles between the first job's last issue and the second job's first.
"""

from dataclasses import replace

import cocotb
import numpy as np

from hw.ita.config import Activation, ITAConfig, Mode
from sw.engine.placement import place_job
from sw.engine.random_jobs import random_job
from sw.engine.streams import build_streams

from .. import sim
from ..ita.benchmark import job_tiles
from ..report import throughput
from .bench import HWPEBench
from .harness import MEM_BASE, hwpe_build

__all__ = ["run_hwpe_benchmark"]


def _jobs(cfg: ITAConfig, p: dict):
    out, base = [], MEM_BASE
    for k in range(2):
        job, steps = random_job(cfg, Mode(p["mode"]), s=p["s"], e=p["e"], p=p["p"], f=p["f"],
                                act=Activation(p["act"]), seed=p["seed"] + k,
                                softmax_shift=cfg.softmax_shift, valid=0)
        job = replace(job, overlap=True)
        placement = place_job(cfg, job, steps, base)
        base = placement.end
        out.append((job, steps, placement))
    return out, base - MEM_BASE


@cocotb.test()
async def hwpe_benchmark(dut):
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    jobs, _ = _jobs(cfg, p)
    bench = HWPEBench(dut)
    await bench.reset()
    rng = np.random.default_rng(p["seed"])
    for _, _, placement in jobs:
        bench.load(placement, rng)
    job0, steps0, place0 = jobs[0]
    await bench.submit(job0, place0.pointers)
    start = int(dut.cycles.value)
    await bench.submit(jobs[1][0], jobs[1][2].pointers)
    await bench.wait_finished(1, max_cycles=20_000_000)
    cycles = int(dut.cycles.value) - start
    await bench.wait_finished(2, max_cycles=20_000_000)
    mismatch = None
    try:
        for k, (_, _, placement) in enumerate(jobs):
            bench.check(placement, f"job {k}")
    except AssertionError as e:
        mismatch = str(e)
    sim.write_result(throughput(cycles=cycles, macs=build_streams(cfg, job0, steps0).macs,
                                peak=cfg.n * cfg.m, mismatch=mismatch,
                                job_overhead_cycles=int(dut.gap_cycles.value)))


def run_hwpe_benchmark(cfg: ITAConfig, mode: Mode, *, seq: int, emb: int, proj: int, ff: int,
                       act: Activation = Activation.IDENTITY, seed: int = 0) -> dict:
    """Run two jobs of ``mode`` back to back through the HWPE and return the measurements."""
    used, tiles = job_tiles(cfg, mode, seq=seq, emb=emb, proj=proj, ff=ff)
    params = {"cfg": cfg.__dict__, "mode": int(mode), "s": tiles["seq"], "e": tiles["emb"],
              "p": tiles["proj"], "f": tiles["ff"], "act": int(act), "seed": seed}
    _, footprint = _jobs(cfg, params)
    mem_size = max(64 * 1024, 1 << (footprint - 1).bit_length())
    report = sim.run_for_result(hwpe_build(cfg, mem_size), __name__, "hwpe_benchmark", params,
                                label="bench")
    return {"engine": {"n": cfg.n, "m": cfg.m, "softmax_shift": cfg.softmax_shift},
            "mode": Mode(mode).name.lower(), **used, "memory_bytes": mem_size, **report}
