"""The compiler's last stage: the schedule as one RV32 program for every core, the L2 image
(constants and inputs) and a JSON manifest.

Every core runs the same code, stage after stage (``sw.compiler.schedule``):

    core 0:     trigger the stage's first engine job (TRIGGER)
                queue the stage's DMA transfers (stores first), retrying while the queue is full
                program and trigger the stage's other jobs, each as a register context frees
                program the next stage's first job into a free context (ACQUIRE and the
                context's registers) while this stage's jobs run
    all cores:  the stage's kernel on this core's slice (elements, or rows for the norms);
                without core 0 when the stage has several jobs
    core 0:     sleep until DMA DONE >= the stage's last transfer id and engine FINISHED >
                the stage's job id
    all cores:  barrier
    core 0:     store the cycle counter at stamps + 4 * stage

After the last stage core 0 ends the run with exit code 0, or 2 if an engine job reported an
error, 3 if a DMA transfer did. Registers: ``tp`` holds the core's id, ``s0`` the DMA's base
and ``s1`` the engine's (the kernels leave ``s0``..``s2`` alone). Transfer ids and job ids are
known when compiling because core 0 alone starts them, in order, on a freshly reset cluster.
"""

import json
from dataclasses import dataclass

import numpy as np

from hw.config import CLUSTER_CTRL, DMA_BASE, ENGINE_BASE, CtrlReg, DmaReg
from hw.hwpe.regmap import REGMAP
from sw.kernels.add_norm import add_norm_code
from sw.kernels.asm import barrier, dma_error, exit_word, queue_dma, stamp, wait_until
from sw.kernels.head_sum import head_sum_code
from sw.kernels.layernorm import layernorm_code
from sw.kernels.residual import residual_add_code
from sw.kernels.transpose import transpose_code
from sw.rv32 import Image, Program

from .cost import predict
from .graph import GraphError
from .schedule import KernelRun, Schedule, Stage

__all__ = ["Compiled", "generate"]


@dataclass
class Compiled:
    """A compiled graph: its schedule, the program, the linked image (code plus the L2 data
    segments) and the manifest."""

    schedule: Schedule
    program: Program
    image: Image
    manifest: dict

    def write(self, directory) -> None:
        """Write ``program.elf`` and ``manifest.json`` into ``directory``."""
        from pathlib import Path

        from sw.rv32.elf import write_elf

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        write_elf(self.image, out / "program.elf")
        (out / "manifest.json").write_text(json.dumps(self.manifest, indent=1) + "\n")


def _program_job(p: Program, run, label: str) -> None:
    """Acquire a register context (sleeping until one is free) and write the job's registers
    (not triggered)."""
    p.label(label).lw("t2", REGMAP["ACQUIRE"].offset, "s1").bgez("t2", f"{label}_got")
    p.wfi().j(label).label(f"{label}_got")
    for offset, value in run.tile.job.registers(run.pointers).items():
        p.li("t1", value & 0xFFFF_FFFF).sw("t1", offset, "s1")


def _slice(p: Program, n: int, workers: int, first: int, label: str, unit: int = 1) -> None:
    """``a2..a3``: this core's share of ``n`` items of ``unit`` bytes, cores ``first`` ..
    ``first + workers - 1`` sharing them (``tp`` is the core's id). Shares of elements are a
    multiple of 8 bytes and an odd number of L1 words, so that the cores, sweeping their
    shares at the same pace, start in different banks."""
    chunk = -(-n // workers)
    if unit == 1 and workers > 1:
        chunk = -(-chunk // 8) * 8
        chunk += 8 * (1 - (chunk // 8) % 2)
    p.addi("a2", "tp", -first).li("t0", chunk).mul("a2", "a2", "t0").add("a3", "a2", "t0")
    p.li("t0", n).ble("a3", "t0", label).mv("a3", "t0")
    p.label(label)


def _kernel(p: Program, k: KernelRun, workers: int, first: int, tag: str) -> None:
    """The kernel on cores ``first`` .. ``first + workers - 1``."""
    t = k.tile
    rows, cols = t.output.shape
    params = t.params
    if t.kernel == "layernorm":                 # rows of every ``workers``-th from its own
        p.addi("a2", "tp", -first).li("a3", rows)
        parts = dict(t.consts.parts)
        layernorm_code(p, params.rq, x=k.inputs[0], out=k.output, gamma=k.consts + parts["gamma"],
                       beta=k.consts + parts["beta"], e=cols, prefix=f"{tag}_", step=workers,
                       rotate=cols // (workers + first) // 4 * 4)
    elif t.kernel == "residual_add":
        _slice(p, rows * cols, workers, first, f"{tag}_slice")
        residual_add_code(p, params, k.inputs[0], k.inputs[1], k.output, f"{tag}_")
    elif t.kernel == "transpose":
        _slice(p, rows, workers, first, f"{tag}_slice", unit=cols)
        transpose_code(p, k.inputs[0], k.output, cols, rows, f"{tag}_")
    elif t.kernel == "head_sum":
        _slice(p, rows * cols, workers, first, f"{tag}_slice")
        head_sum_code(p, params, list(k.inputs), k.output, f"{tag}_")
    elif t.kernel == "add_norm":                # rows of every ``workers``-th from its own
        p.addi("a2", "tp", -first).li("a3", rows)
        parts = dict(t.consts.parts)
        add_norm_code(p, params, inputs=list(k.inputs), mults=k.consts + parts["mults"],
                      gamma=k.consts + parts["gamma"], beta=k.consts + parts["beta"],
                      out=k.output, scratch=k.scratch, prefix=f"{tag}_", step=workers)
    else:
        raise GraphError(f"tile {t.name!r}: no code for kernel {t.kernel!r}")


def _stage(p: Program, st: Stage, following: Stage | None, cores: int, stamps: int) -> None:
    tag = f"s{st.index}"
    first = worker_start(st, cores)
    p.bnez("tp", f"{tag}_work")
    if st.jobs:                             # programmed during the stage before
        p.sw("zero", REGMAP["TRIGGER"].offset, "s1")
    for i, t in enumerate(st.transfers):
        queue_dma(p, t.src, t.dst, t.row_bytes, f"{tag}_dma{i}", t.rows, t.src_stride,
                  t.dst_stride)
    for run in st.jobs[1:]:                 # queued behind the first as contexts free up
        _program_job(p, run, f"{tag}_program{run.index}")
        p.sw("zero", REGMAP["TRIGGER"].offset, "s1")
    for run in following.jobs[:1] if following else ():
        _program_job(p, run, f"{tag}_program{run.index}")
    p.label(f"{tag}_work")
    if st.kernels and first:
        p.beqz("tp", f"{tag}_kernels_done")
    for i, k in enumerate(st.kernels):
        _kernel(p, k, cores - first, first, f"{tag}_k{i}")
    p.label(f"{tag}_kernels_done")
    p.bnez("tp", f"{tag}_sync")
    if st.transfers:
        p.li("t5", st.transfers[-1].id)
        wait_until(p, f"{tag}_dma_wait", "t3", DmaReg.DONE, "s0", "t5", "bgeu")
    if st.jobs:
        p.li("t5", st.jobs[-1].index + 1)
        wait_until(p, f"{tag}_job_wait", "t3", REGMAP["FINISHED"].offset, "s1", "t5", "bgeu")
    p.label(f"{tag}_sync")
    barrier(p, f"{tag}_barrier")
    p.bnez("tp", f"{tag}_end")
    stamp(p, stamps + 4 * st.index)
    p.label(f"{tag}_end")


def worker_start(st: Stage, cores: int) -> int:
    """The first core that runs the stage's kernel: core 1 when core 0 programs several jobs
    (it sleeps until register contexts free up), else core 0."""
    return 1 if len(st.jobs) > 1 and cores > 1 else 0


def generate(s: Schedule, inputs: dict[str, np.ndarray]) -> Compiled:
    """Generate the program, the image and the manifest of schedule ``s`` for the graph
    inputs ``inputs`` (int8 arrays by name)."""
    g = s.tiled.lowered.graph
    l2 = s.memory.l2
    p = Program()
    p.label("_start").csrr("tp", "mhartid").li("s0", DMA_BASE).li("s1", ENGINE_BASE)
    for st, following in zip(s.stages, [*s.stages[1:], None], strict=True):
        _stage(p, st, following, s.cluster.cores, l2["stamps"].address)
    p.bnez("tp", "done")
    p.li("a1", exit_word(0))
    if any(st.jobs for st in s.stages):
        p.lw("t3", REGMAP["STATUS"].offset, "s1")
        p.li("t4", REGMAP["STATUS"].field("error").mask).and_("t3", "t3", "t4")
        p.beqz("t3", "engine_ok").li("a1", exit_word(2))
        p.label("engine_ok")
    dma_error(p, "t3")
    p.beqz("t3", "dma_ok").li("a1", exit_word(3))
    p.label("dma_ok")
    p.li("t0", CLUSTER_CTRL + CtrlReg.EXIT).sw("a1", 0, "t0")
    p.label("done").wfi().j("done")
    image = p.link()
    if image.end > s.memory.data_start:
        raise GraphError(f"the program's code ends at 0x{image.end:x}, past the start of its "
                         f"data at 0x{s.memory.data_start:x}: L2 of {s.cluster.l2_bytes} bytes "
                         "is too small")
    for name in g.inputs:
        x = np.asarray(inputs[name])
        if x.shape != g.tensors[name].shape:
            raise GraphError(f"input {name!r}: shape {x.shape}, the graph's is "
                             f"{g.tensors[name].shape}")
        image.segments.append((l2[name].address, x.astype(np.int8).tobytes()))
    blobs = {t.consts.name: t.consts.data for t in s.tiled.tiles if t.consts}
    for name, data in blobs.items():
        image.segments.append((l2[name].address, data))
    return Compiled(s, p, image, manifest(s))


def manifest(s: Schedule) -> dict:
    """Where every tensor and blob lives, the stages, and the predicted cycles."""
    predicted = predict(s)
    return {
        "cluster": s.cluster.__dict__,
        "regions": {r.name: {"kind": r.kind, "address": r.address, "bytes": r.size,
                             **({"shape": list(s.tiled.tensors[r.name].shape)}
                                if r.name in s.tiled.tensors else {})}
                    for r in s.memory.l2.values()},
        "stamps": s.memory.l2["stamps"].address,
        "stages": [{"stage": st.index, "predicted_cycles": c,
                    "engine": [r.tile.name for r in st.jobs],
                    "cores": [k.tile.name for k in st.kernels],
                    "dma": [{"id": t.id, "tile": t.tile, "what": t.what, "bytes": t.size}
                            for t in st.transfers]}
                   for st, c in zip(s.stages, predicted, strict=True)],
        "predicted_cycles": sum(predicted),
    }
