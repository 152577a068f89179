"""Shared by the cluster tests: the small cluster they run on, and running a program built
with the assembler's Python API."""

from pathlib import Path

from hw.config import CLUSTER_CTRL, EVENT_BASE, ClusterConfig, CtrlReg, EventReg
from sw.rv32 import Program, write_elf
from tb.cluster.run import run_elf

#: A small cluster (4 cores, no engine): one Verilator build shared by these tests.
SMALL = ClusterConfig(cores=4, ita=False, l2_bytes=256 * 1024)
#: The same as ``tinyita`` options.
SMALL_ARGS = ["--cores", "4", "--no-ita", "--l2-bytes", str(256 * 1024)]


def exit_with(p: Program, reg: str) -> None:
    """End the run with the code in ``reg``."""
    p.slli(reg, reg, 1).ori(reg, reg, 1)
    p.li("t6", CLUSTER_CTRL + CtrlReg.EXIT).sw(reg, 0, "t6")
    p.label("_hang").wfi().j("_hang")


def barrier(p: Program, label: str) -> None:
    """Wait at the barrier (uses t4, t5, t6)."""
    p.li("t5", EVENT_BASE).lw("t6", EventReg.BARRIER, "t5").sw("zero", EventReg.BARRIER, "t5")
    p.label(label).lw("t4", EventReg.BARRIER, "t5").bne("t4", "t6", f"{label}_done")
    p.wfi().j(label)
    p.label(f"{label}_done")


def run(p: Program, tmp_path: Path, cfg: ClusterConfig = SMALL, **kwargs) -> dict:
    path = tmp_path / "program.elf"
    write_elf(p.link(), path)
    return run_elf([path], cfg=cfg, **kwargs)[str(path.resolve())]
