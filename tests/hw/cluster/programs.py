"""Shared by the cluster tests: the small cluster they run on, and running a program built
with the assembler's Python API."""

from pathlib import Path

from hw.config import ClusterConfig
from sw.rv32 import Program, write_elf
from tb.cluster.run import run_elf

#: A small cluster (4 cores, no engine): one Verilator build shared by these tests.
SMALL = ClusterConfig(cores=4, ita=False, l2_bytes=256 * 1024)
#: The same as ``tinyita`` options.
SMALL_ARGS = ["--cores", "4", "--no-ita", "--l2-bytes", str(256 * 1024)]


def run(p: Program, tmp_path: Path, cfg: ClusterConfig = SMALL, **kwargs) -> dict:
    path = tmp_path / "program.elf"
    write_elf(p.link(), path)
    return run_elf([path], cfg=cfg, **kwargs)[str(path.resolve())]
