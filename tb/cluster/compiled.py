"""Compiled programs (``sw.compiler``) on the Verilator cluster: run the ELF, read back every
tensor the program keeps in L2 and its cycle stamps."""

import tempfile
from pathlib import Path

import numpy as np

from sw.compiler.codegen import Compiled
from sw.compiler.executor import read_tensors

from .run import ExecError, run_elf

__all__ = ["run_compiled"]


def run_compiled(compiled: Compiled, *, max_cycles: int | None = None,
                 progress: bool = False) -> dict:
    """Run ``compiled`` on the cluster it was compiled for. Returns the run's measurements
    (``exit_code``, ``cycles``, the counters), ``tensors`` (every graph tensor as the program
    left it in L2) and ``stage_cycles`` (measured cycles of each stage, from the stamps).
    The cycle limit defaults to four times the cost model's prediction plus 100 000; with
    ``progress`` the simulated cycles are printed to standard error as it runs."""
    s = compiled.schedule
    stamps = s.memory.l2["stamps"]
    regions = [s.memory.l2[name] for name in s.tiled.tensors]
    limit = max_cycles or 4 * compiled.manifest["predicted_cycles"] + 100_000
    with tempfile.TemporaryDirectory() as tmp:
        compiled.write(tmp)
        elf = Path(tmp) / "program.elf"
        r = run_elf([elf], cfg=s.cluster, max_cycles=limit,
                    reads=[(stamps.address, stamps.size)]
                    + [(x.address, x.size) for x in regions],
                    progress=progress)[str(elf.resolve())]
    if "error" in r:
        raise ExecError(f"the compiled program did not finish: {r['error']}")
    if r["fault"] or r["bus_error"]:
        raise ExecError(f"the compiled program failed: {r['fault'] or r['bus_error']}")
    memory = r.pop("memory")
    at = {x.address: data for x, data in zip(regions, memory[1:], strict=True)}
    r["tensors"] = read_tensors(compiled, lambda address, size: at[address][:size])
    ends = np.frombuffer(memory[0], "<u4").astype(np.int64)
    r["stage_cycles"] = np.diff(ends, prepend=0).tolist()
    return r
