"""Run ELF programs on the minimal SoC: the engine of ``tinyita exec`` and ``tinyita bench
core``. The cocotb test ``core_run`` runs inside the simulator; ``run_elf`` drives it."""

from pathlib import Path

import cocotb

from sw.rv32.elf import read_elf

from .. import sim
from ..cocotb_util import CycleLimitExceeded
from ..sim import ExecError
from .bench import CoreBench, trace_text
from .harness import core_build

__all__ = ["run_elf", "ExecError", "MEM_SIZE"]

MEM_SIZE = 4 * 1024 * 1024


@cocotb.test()
async def core_run(dut):
    p = sim.params()
    bench = CoreBench(dut)
    await bench.reset()
    out = {}
    for program in p["programs"]:
        elf = read_elf(program)
        bench.load(elf.segments)
        try:
            r = await bench.run(max_cycles=p["max_cycles"], stall=p["stall"],
                                tohost=elf.symbols.get("tohost", 0))
            out[program] = {"exit_code": r.exit_code, "cycles": r.cycles,
                            "instructions": r.retired, "output": r.output}
        except CycleLimitExceeded as e:
            out[program] = {"error": str(e)}
        if p.get("trace"):
            Path(p["trace"]).write_text(trace_text(bench.trace()))
    sim.write_result(out)


def run_elf(programs: list[str | Path], *, max_cycles: int = 10_000_000, stall: float = 0.0,
            trace: str | Path | None = None) -> dict[str, dict]:
    """Run each ELF to its exit on a fresh core; return per program ``exit_code``, ``cycles``,
    ``instructions`` and ``output`` (the character output), or ``error``."""
    paths = [str(Path(p).resolve()) for p in programs]
    for path in paths:
        read_elf(path)                      # a clear error before any simulation
    params = {"programs": paths, "max_cycles": max_cycles, "stall": stall,
              "trace": str(Path(trace).resolve()) if trace else None}
    return sim.run_for_result(core_build(MEM_SIZE), __name__, "core_run", params, label="exec",
                              error=ExecError)
