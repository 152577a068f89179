"""``tinyita bench sim``: how fast the cluster simulates on this machine: the cold build's
time, and simulated cycles per second with the engine idle (every core in a load/add/store
loop on L1) and busy (the attention head of ``tinyita bench cluster``)."""

import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from hw.config import ClusterConfig
from sw.programs.idle import idle_program
from sw.rv32 import write_elf

from .benchmark import run_cluster_benchmark
from .harness import cluster_build
from .run import ExecError, run_elf

__all__ = ["run_sim_benchmark"]


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
