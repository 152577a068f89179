"""Run ELF programs on the minimal SoC (one core, single-cycle or stalling memory): the engine
of ``tinyita bench core``. The cocotb test ``core_run`` runs inside the simulator; ``run_elf``
drives it (``tb/programs.py`` has what both harnesses' runners share)."""

from pathlib import Path

import cocotb

from hw.config import L2_BASE

from .. import sim
from ..programs import elf_paths, run_programs
from ..sim import ExecError
from .bench import CoreBench
from .harness import core_build

__all__ = ["run_elf", "ExecError", "MEM_SIZE"]

MEM_SIZE = 4 * 1024 * 1024


@cocotb.test()
async def core_run(dut):
    p = sim.params()
    bench = CoreBench(dut)
    await bench.reset()

    async def report(r) -> dict:
        return {"exit_code": r.exit_code, "cycles": r.cycles, "instructions": r.retired,
                "output": r.output}

    sim.write_result(await run_programs(bench, p, report, stall=p["stall"]))


def run_elf(programs: list[str | Path], *, max_cycles: int = 10_000_000, stall: float = 0.0,
            trace: str | Path | None = None) -> dict[str, dict]:
    """Run each ELF to its exit on a fresh core; return per program ``exit_code``, ``cycles``,
    ``instructions`` and ``output`` (the character output), or ``error``."""
    params = {"programs": elf_paths(programs, (L2_BASE, L2_BASE + MEM_SIZE)),
              "max_cycles": max_cycles, "stall": stall,
              "trace": str(Path(trace).resolve()) if trace else None}
    return sim.run_for_result(core_build(MEM_SIZE), __name__, "core_run", params, label="exec",
                              error=ExecError)
