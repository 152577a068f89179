"""Run ``verilator --lint-only -Wall`` on generated Verilog."""

import re
import subprocess
from pathlib import Path

from .toolchain import check_toolchain, verilator_bin

__all__ = ["lint"]


def lint(verilog: Path, top: str, vlt: Path | None = None) -> list[str]:
    """Return Verilator's warnings and errors (``%...`` lines) for one Verilog file."""
    check_toolchain()
    cmd = [str(verilator_bin()), "--lint-only", "-Wall", "--top-module", top, str(verilog)]
    if vlt is not None:
        cmd.append(str(vlt))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("%")]
    if proc.returncode and not lines:
        lines = [f"%Error: verilator exited with {proc.returncode}: {proc.stderr[-2000:]}"]
    return [ln for ln in lines if not re.match(r"%Error: Exiting due to", ln)]
