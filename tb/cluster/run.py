"""Run ELF programs on the cluster: the engine of ``tinyita exec``. The cocotb test
``cluster_run`` runs inside the simulator; ``run_elf`` drives it."""

import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

import cocotb

from hw.config import ClusterConfig

from .. import sim
from ..programs import elf_paths, run_programs
from ..sim import ExecError
from .bench import ClusterBench
from .harness import cluster_build

__all__ = ["run_elf", "ExecError"]


class _Progress:
    """A thread that prints the cycles the simulation reports in ``path`` to standard error
    while it runs."""

    def __init__(self, path: Path, max_cycles: int, on: bool):
        self.path, self.max_cycles, self.on = path, max_cycles, on
        self.stop = threading.Event()

    def __enter__(self) -> "_Progress":
        if self.on:
            self.thread = threading.Thread(target=self.watch, daemon=True)
            self.thread.start()
        return self

    def watch(self) -> None:
        shown = ""
        while not self.stop.wait(1.0):
            text = self.path.read_text().strip() if self.path.exists() else ""
            if text and text != shown:
                shown = text
                print(f"simulating: {int(text):,} cycles (limit {self.max_cycles:,})",
                      file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.on:
            self.thread.join()


@cocotb.test()
async def cluster_run(dut):
    p = sim.params()
    cfg = ClusterConfig(**p["config"])
    bench = ClusterBench(dut, cfg)
    await bench.reset()
    await bench.load([(a, bytes.fromhex(h)) for a, h in p.get("loads", [])])

    async def report(r) -> dict:
        return {"exit_code": r.exit_code, "cycles": r.cycles, "instructions": r.retired[0],
                "instructions_per_core": r.retired, "output": r.output, **r.counters,
                "simulated_cycles_per_second": r.cycles_per_second,
                "fault": r.fault, "bus_error": r.bus_error,
                "memory": [(await bench.read(a, n)).hex() for a, n in p.get("reads", [])]}

    sim.write_result(await run_programs(bench, p, report, progress=p.get("progress")))


def run_elf(programs: list[str | Path], *, cfg: ClusterConfig = ClusterConfig(),
            max_cycles: int = 10_000_000, trace: str | Path | None = None,
            loads: list[tuple[int, bytes]] = (), reads: list[tuple[int, int]] = (),
            progress: bool = False) -> dict[str, dict]:
    """Run each ELF to its exit on a freshly reset cluster (memories keep what earlier
    programs left outside the new program's segments); return per program ``exit_code``,
    ``cycles``, ``instructions`` (core 0), ``instructions_per_core``, ``output`` (the
    character output), the performance counters, ``simulated_cycles_per_second`` (of the
    run, on this machine), ``fault`` (an unhandled trap that ended the run, in words, or
    None), ``bus_error`` (the first data access to no memory or register: ``address`` and
    ``core``, or None) and ``memory`` (the bytes of each of ``reads``, (address, size) in L1
    or L2, after the run), or ``error`` (at the cycle limit). ``loads`` are
    written into L1 or L2 before the first program. With ``progress``, the cycles simulated
    so far are printed to standard error every million cycles."""
    params = {"programs": elf_paths(programs, cfg.l2_range), "max_cycles": max_cycles,
              "loads": [(a, bytes(d).hex()) for a, d in loads], "reads": list(reads),
              "config": asdict(cfg), "trace": str(Path(trace).resolve()) if trace else None}
    with tempfile.TemporaryDirectory() as tmp, _Progress(Path(tmp) / "progress",
                                                         max_cycles, progress) as watch:
        params["progress"] = str(watch.path) if progress else None
        out = sim.run_for_result(cluster_build(cfg), __name__, "cluster_run", params,
                                 label="exec", error=ExecError)
    for r in out.values():
        r["memory"] = [bytes.fromhex(h) for h in r.get("memory", [])]
    return out
