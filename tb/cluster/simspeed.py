"""``tinyita bench sim``: how fast the cluster simulates on this machine: the cold build's
time, and simulated cycles per second with the engine idle (every core in a load/add/store
loop on L1) and busy (the attention head of ``tinyita bench cluster``)."""

import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from hw.config import L1_BASE, ClusterConfig
from sw.kernels.asm import barrier, exit_with
from sw.rv32 import Program, write_elf

from .benchmark import run_cluster_benchmark
from .harness import cluster_build
from .run import ExecError, run_elf

__all__ = ["idle_program", "run_sim_benchmark"]

#: Cycles of the idle run: long enough that the simulator's start is negligible.
IDLE_ITERATIONS = 40_000


def idle_program(iterations: int = IDLE_ITERATIONS) -> Program:
    """Every core increments its own L1 word ``iterations`` times, then all meet at the
    barrier and core 0 exits with 0 if its word holds ``iterations`` (the engine stays idle)."""
    p = Program()
    p.csrr("a0", "mhartid").slli("a1", "a0", 6).li("a2", L1_BASE).add("a1", "a1", "a2")
    p.sw("zero", 0, "a1").li("a3", iterations)
    p.label("loop").lw("t0", 0, "a1").addi("t0", "t0", 1).sw("t0", 0, "a1")
    p.addi("a3", "a3", -1).bnez("a3", "loop")
    barrier(p, "meet")
    p.bnez("a0", "_hang")
    p.lw("t0", 0, "a1").li("t1", iterations).sub("a0", "t0", "t1")
    exit_with(p, "a0")
    return p


@contextmanager
def _cache(directory: str | None):
    """Build into ``directory`` (a cold build) instead of the usual cache."""
    saved = os.environ.get("TINYITA_CACHE")
    if directory:
        os.environ["TINYITA_CACHE"] = directory
    try:
        yield
    finally:
        if directory:
            if saved is None:
                del os.environ["TINYITA_CACHE"]
            else:
                os.environ["TINYITA_CACHE"] = saved


def run_sim_benchmark(cfg: ClusterConfig = ClusterConfig(), *, cold: bool = False) -> dict:
    """Measure the build (from nothing when ``cold``, else whatever the cache holds) and the
    idle and busy runs; return ``build_seconds``, ``cold``, and per run its ``cycles`` and
    ``cycles_per_second`` (wall-clock, this machine, the run alone)."""
    with tempfile.TemporaryDirectory(prefix="tinyita-simspeed-") as tmp, \
            _cache(tmp if cold else None):
        start = time.perf_counter()
        cluster_build(cfg)
        build_seconds = time.perf_counter() - start
        path = Path(tmp) / "idle.elf"
        write_elf(idle_program().link(), path)
        idle = run_elf([path], cfg=cfg)[str(path.resolve())]
        if "error" in idle or idle["exit_code"] != 0:
            raise ExecError(f"the idle program failed: {idle}")
        report = {"cluster": asdict(cfg), "cold": cold, "build_seconds": build_seconds,
                  "idle": {"cycles": idle["cycles"],
                           "cycles_per_second": idle["simulated_cycles_per_second"]}}
        if cfg.ita:
            busy = run_cluster_benchmark(cfg)
            if not busy["bit_exact"]:
                raise ExecError(f"the attention head was not bit-exact: {busy}")
            report["busy"] = {"cycles": busy["cycles"],
                              "cycles_per_second": busy["simulated_cycles_per_second"]}
    return report
