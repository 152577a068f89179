"""Running ELF programs on a harness to their exit, the same way on the minimal SoC
(``tb/core/run.py``) and on the cluster (``tb/cluster/run.py``): the checks before simulating,
and the loop inside the simulator."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sw.rv32.elf import read_elf

from .cocotb_util import CycleLimitExceeded
from .core.bench import trace_text
from .sim import ExecError

if TYPE_CHECKING:
    from .cluster.bench import ClusterBench
    from .core.bench import CoreBench

__all__ = ["elf_paths", "run_programs"]


def elf_paths(programs: list[str | Path], memory: tuple[int, int]) -> list[str]:
    """The programs' absolute paths, after checking that each is an ELF whose segments lie in
    ``memory`` (base, end) without overlapping, and whose entry point is the cores' reset
    vector (the base): a clear :class:`ExecError` before any simulation."""
    paths = [str(Path(p).resolve()) for p in programs]
    for path in paths:
        try:
            elf = read_elf(path)
        except ValueError as e:
            raise ExecError(str(e)) from None
        if elf.entry != memory[0]:
            raise ExecError(f"{path}: entry point 0x{elf.entry:x} is not the cores' reset "
                            f"vector 0x{memory[0]:x} (link the program's start there)")
        end = memory[0]
        for address, content in sorted(elf.segments):
            if not (memory[0] <= address and address + len(content) <= memory[1]):
                raise ExecError(f"{path}: segment at 0x{address:x} ({len(content)} bytes) is "
                                f"outside the memory 0x{memory[0]:x}..0x{memory[1]:x}")
            if address < end:
                raise ExecError(f"{path}: segment at 0x{address:x} ({len(content)} bytes) "
                                f"overlaps the one before it, which ends at 0x{end:x}")
            end = address + len(content)
    return paths


async def run_programs(bench: "CoreBench | ClusterBench", p: dict,
                       report: Callable[[object], Awaitable[dict]],
                       **run_options) -> dict[str, dict]:
    """Inside the simulator: load and run each of ``p["programs"]`` on ``bench`` (a harness's
    bench: ``load``, ``run``, ``trace``) to its exit within ``p["max_cycles"]``; return per
    program ``report(result)``, or ``error`` at the cycle limit. Core 0's trace goes to
    ``p["trace"]`` when given."""
    out = {}
    for program in p["programs"]:
        elf = read_elf(program)
        await bench.load(elf.segments)
        try:
            r = await bench.run(max_cycles=p["max_cycles"],
                                tohost=elf.symbols.get("tohost", 0), **run_options)
            out[program] = await report(r)
        except CycleLimitExceeded as e:
            out[program] = {"error": str(e)}
        if p.get("trace"):
            Path(p["trace"]).write_text(trace_text(bench.trace()))
    return out
