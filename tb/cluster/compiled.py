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
    (``exit_code``, ``cycles``, the counters), ``l2`` (the data part of L2 after the run,
    from the plan's ``data_start``), ``tensors`` (every graph tensor as the program left it
    in L2) and ``stage_cycles`` (measured cycles of each stage, from the stamps).
    The cycle limit defaults to four times the cost model's prediction plus 100 000; with
    ``progress`` the simulated cycles are printed to standard error as it runs."""
    s = compiled.schedule
    stamps = s.memory.l2["stamps"]
    start, end = s.memory.data_start, s.cluster.l2_range[1]
    limit = max_cycles or 4 * compiled.manifest["predicted_cycles"] + 100_000
    with tempfile.TemporaryDirectory() as tmp:
        compiled.write(tmp)
        elf = Path(tmp) / "program.elf"
        r = run_elf([elf], cfg=s.cluster, max_cycles=limit, reads=[(start, end - start)],
                    progress=progress)[str(elf.resolve())]
    if "error" in r:
        raise ExecError(f"the compiled program did not finish: {r['error']}")
    if r["fault"] or r["bus_error"]:
        raise ExecError(f"the compiled program failed: {r['fault'] or r['bus_error']}")
    r["l2"], = r.pop("memory")
    r["tensors"] = read_tensors(compiled, lambda a, n: r["l2"][a - start:a - start + n])
    ends = np.frombuffer(r["l2"][stamps.address - start:][:stamps.size], "<u4")
    r["stage_cycles"] = np.diff(ends.astype(np.int64), prepend=0).tolist()
    return r
