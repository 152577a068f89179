"""The hand-written attention offload program: written with the assembler's Python API, with
its data and the golden results it must produce.

Core 0 queues DMA transfers from L2 to L1: first the two operands of a residual add, then the
attention head's input, weights and biases (one transfer per matrix, retrying while the queue
is full). When the operands are in, it arrives at a barrier that releases the other cores:
they compute the requantized residual add in L1, a slice each, while core 0 programs the
engine through its registers, sleeps in ``wfi`` until the job has finished and moves the
head's output back to L2. Everybody meets at a second barrier; core 0 moves the residual sum
to L2 and ends the run with exit code 0 (2 if the engine, 3 if the DMA reported an error).
"""

from dataclasses import dataclass

import numpy as np

from hw.config import (
    CLUSTER_CTRL,
    DMA_BASE,
    ENGINE_BASE,
    EVENT_BASE,
    L1_BASE,
    L2_BASE,
    ClusterConfig,
    CtrlReg,
    DmaReg,
    EventReg,
)
from hw.hwpe.regmap import REGMAP
from hw.ita.config import ITAConfig, Mode
from sw.golden import AddParams, residual_add
from sw.rv32 import Program

from ..engine.placement import place_job
from ..engine.random_jobs import random_job
from ..engine.streams import build_streams
from ..kernels.asm import barrier, dma_error, exit_word, queue_dma, stamp, wait_until
from ..kernels.residual import residual_add_code

__all__ = ["AttentionProgram", "attention_program", "check_sizes", "l2", "STAMPS", "PHASES",
           "DATA"]

#: Where the program puts its data in L2 (the code is at L2_BASE, below STAMPS).
DATA = L2_BASE + 0x1_0000
#: Core 0 stores the cycle counter here at the end of each phase (one word each).
STAMPS = DATA - 64
#: The phases, in order.
PHASES = ("start", "dma_in", "engine", "dma_out", "barrier", "dma_sum")


@dataclass
class AttentionProgram:
    program: Program
    #: (L2 address, bytes) to load before the run
    loads: list[tuple[int, bytes]]
    #: (what, L2 or L1 address, expected int8 array) after the run
    expected: list[tuple[str, int, np.ndarray]]
    macs: int
    #: the phases core 0 stamps at STAMPS, in order
    phases: tuple[str, ...] = PHASES
    #: a cycle limit well above what the program needs
    max_cycles: int = 5_000_000

    def check(self, cfg: ClusterConfig) -> None:
        """Raise ValueError unless the code fits below STAMPS and the data fits in L2."""
        code = self.program.link().end
        if code > STAMPS:
            raise ValueError(f"the program's code ends at 0x{code:x}, past 0x{STAMPS:x}")
        end = max([a + len(d) for a, d in self.loads]
                  + [a + e.size for _, a, e in self.expected if a >= L2_BASE])
        if end > cfg.l2_range[1]:
            raise ValueError(f"the program's data in L2 ends at 0x{end:x}; the cluster's L2 "
                             f"of {cfg.l2_bytes} bytes ends at 0x{cfg.l2_range[1]:x}")


def check_sizes(ita: ITAConfig, *, seq: int, emb: int, proj: int) -> None:
    """Raise ValueError unless S, E and P are multiples of M within the engine's sizes."""
    for name, v in (("seq", seq), ("emb", emb), ("proj", proj)):
        if v % ita.m or not 0 < v // ita.m <= ita.max_tiles:
            raise ValueError(f"attention {name} = {v}: must be a multiple of M = {ita.m} and "
                             f"at most {ita.max_tiles * ita.m}")


def l2(l1_address: int) -> int:
    """Where the programs keep the data of an L1 address in L2 (L2 mirrors the L1 image)."""
    return DATA + (l1_address - L1_BASE)


def _stamp(p: Program, phase: str) -> None:
    stamp(p, STAMPS + 4 * PHASES.index(phase))


def attention_program(cfg: ClusterConfig, *, seq: int, emb: int, proj: int, residual: int = 512,
                      seed: int = 0) -> AttentionProgram:
    """The program for a head of S=seq, E=emb, P=proj (multiples of M) on ``cfg``; the
    job's ITAMax shift and valid length are drawn with it (``sw.engine.random_jobs``)."""
    ita = cfg.ita_config()
    m = ita.m
    check_sizes(ita, seq=seq, emb=emb, proj=proj)
    job, steps = random_job(ita, Mode.ATTENTION, s=seq // m, e=emb // m, p=proj // m, seed=seed)
    place = place_job(ita, job, steps, L1_BASE)
    if place.end - L1_BASE > cfg.l1_bytes:
        raise ValueError(f"attention S={seq} E={emb} P={proj} needs {place.end - L1_BASE} "
                         f"bytes of L1; the cluster has {cfg.l1_bytes}")
    rng = np.random.default_rng(seed + 1)
    ra = rng.integers(-128, 128, residual, dtype=np.int8)
    rb = rng.integers(-128, 128, residual, dtype=np.int8)
    add = AddParams.for_ratios(0.6, 0.9, add=3)
    r_out = residual_add(ra, rb, add)
    aligned = -(-residual // 64) * 64
    res_a, res_b, res_out = place.end, place.end + aligned, place.end + 2 * aligned    # in L1
    if res_out + aligned - L1_BASE > cfg.l1_bytes:
        raise ValueError(f"attention S={seq} E={emb} P={proj} and a residual add of {residual} "
                         f"need {res_out + aligned - L1_BASE} bytes of L1; the cluster has "
                         f"{cfg.l1_bytes}")

    loads = [(l2(res_a), ra.tobytes()), (l2(res_b), rb.tobytes())]
    loads += [(l2(a), d) for a, d in place.loads]
    out_ptr = place.pointers["OUT"]
    y = next(e for what, a, e in place.expected if a == out_ptr)
    expected = [("residual add (L2)", l2(res_out), r_out.reshape(1, -1)),
                ("head output (L2)", l2(out_ptr), y)]
    expected += [(f"{what} (L1)", a, e) for what, a, e in place.expected]

    p = Program()
    p.csrr("a0", "mhartid").bnez("a0", "worker")
    # ---- core 0: inputs in, engine job, output out
    _stamp(p, "start")
    p.li("s0", DMA_BASE)
    queue_dma(p, l2(res_a), res_a, residual, "queue_a")
    queue_dma(p, l2(res_b), res_b, residual, "queue_b")
    p.mv("s10", "s11")
    for k, (address, data) in enumerate(place.loads):
        queue_dma(p, l2(address), address, len(data), f"queue{k}")
        if k == 1:          # the operands are surely in by now: release the other cores
            wait_until(p, "operands", "t3", DmaReg.DONE, "s0", "s10", "bgeu")
            p.li("t5", EVENT_BASE).sw("zero", EventReg.BARRIER, "t5")
    wait_until(p, "dma_in", "t3", DmaReg.DONE, "s0", "s11", "bgeu")
    _stamp(p, "dma_in")
    p.li("s1", ENGINE_BASE)
    p.lw("s2", REGMAP["ACQUIRE"].offset, "s1")
    for offset, value in job.registers(place.pointers).items():
        p.li("t1", value & 0xFFFF_FFFF).sw("t1", offset, "s1")
    p.sw("zero", REGMAP["TRIGGER"].offset, "s1")
    wait_until(p, "engine", "t3", REGMAP["FINISHED"].offset, "s1", "s2", "bgtu")
    _stamp(p, "engine")
    p.lw("t3", REGMAP["STATUS"].offset, "s1")
    p.li("t4", REGMAP["STATUS"].field("error").mask).and_("t3", "t3", "t4")
    p.li("a1", exit_word(2)).bnez("t3", "finish")
    queue_dma(p, out_ptr, l2(out_ptr), y.size, "queue_out")
    wait_until(p, "dma_out", "t3", DmaReg.DONE, "s0", "s11", "bgeu")
    _stamp(p, "dma_out")
    dma_error(p, "t3")
    p.li("a1", exit_word(3)).bnez("t3", "finish")
    p.li("a1", exit_word(0))
    p.label("finish")
    if cfg.cores == 1:
        p.li("a2", 0).li("a3", residual)
        residual_add_code(p, add, res_a, res_b, res_out, "single_")
    barrier(p, "final")
    _stamp(p, "barrier")
    queue_dma(p, res_out, l2(res_out), residual, "queue_sum")
    wait_until(p, "dma_sum", "t3", DmaReg.DONE, "s0", "s11", "bgeu")
    _stamp(p, "dma_sum")
    p.li("t0", CLUSTER_CTRL + CtrlReg.EXIT).sw("a1", 0, "t0")
    p.label("hang").wfi().j("hang")
    # ---- the other cores: a slice of the residual add each
    p.label("worker")
    if cfg.cores > 1:
        workers = cfg.cores - 1
        chunk = -(-residual // workers)
        p.addi("t0", "a0", -1).li("t1", chunk).mul("a2", "t0", "t1")     # first element
        p.add("a3", "a2", "t1").li("t1", residual)
        p.blt("a3", "t1", "clamped").mv("a3", "t1")
        p.label("clamped")
        barrier(p, "operands_in")
        residual_add_code(p, add, res_a, res_b, res_out)
        barrier(p, "worker_end")
    p.label("idle").wfi().j("idle")
    macs = build_streams(ita, job, steps).macs
    return AttentionProgram(p, loads, expected, macs)
