"""The cost model: cycles of engine jobs, DMA transfers, core kernels and schedule stages.

A stage takes its slowest unit's cycles plus its own (``predict``): the engine's jobs, the
DMA's bytes over 64 per cycle plus a cost per transfer, the largest core's share of the
kernel from measured cycles per element (``KERNEL_CYCLES``). The engine's part:

The engine issues one row chunk per cycle: a step of R x I x C tiles issues
``R * I * C * M * M / N`` cycles, and a job issues the sum over its steps (``step_list``).
Around that come a fixed fill and drain per job, and, in the attention modes, a wait of 23
cycles per QK/AV row pair (ITAMax's pipeline between the logits and A):

| mode | cycles beyond the issue cycles |
|---|---|
| Linear | 17 + M |
| Feed-forward | 32 + M |
| Single-attention | 17 + M + 23 S |
| Attention | 47 + 2 M + 23 S |

(S in tiles.) Fitted to, and exact to the cycle on, the RTL engine alone on its streams
without stalls (``tinyita bench ita``) for N=16/M=64, N=8/M=32 and N=4/M=16 over every mode
(tests/sw/compiler/test_cost.py checks a table of those measurements and runs new shapes on
Verilator).
"""

from hw.ita.config import ITAConfig, Mode
from hw.ita.steps import step_dims, step_list
from sw.engine.job import ItaJob

__all__ = ["issue_cycles", "engine_cycles", "ITAMAX_PAIR_CYCLES", "dma_cycles",
           "kernel_cycles", "stage_parts", "predict", "STAGE_CYCLES", "JOB_START_CYCLES",
           "DMA_BYTES_PER_CYCLE", "DMA_TRANSFER_CYCLES", "KERNEL_CYCLES"]

#: Cycles the engine waits per QK/AV row pair (ITAMax between the logits and A).
ITAMAX_PAIR_CYCLES = 23


def issue_cycles(job: ItaJob, cfg: ITAConfig) -> int:
    """Cycles in which the engine's array works: its MACs over N x M."""
    m, n = cfg.m, cfg.n
    return sum(r * i * c * m * (m // n)
               for kind, _ in step_list(job.mode, job.s)
               for r, i, c in [step_dims(kind, job.mode, job.s, job.e, job.p, job.f)])


def engine_cycles(job: ItaJob, cfg: ITAConfig) -> int:
    """Cycles of one job on the engine, from its start to its last output, when its streams
    never stall."""
    m = cfg.m
    pairs = ITAMAX_PAIR_CYCLES * job.s
    overhead = {Mode.LINEAR: 17 + m, Mode.FEEDFORWARD: 32 + m,
                Mode.SINGLE_ATTENTION: 17 + m + pairs,
                Mode.ATTENTION: 47 + 2 * m + pairs}[Mode(job.mode)]
    return issue_cycles(job, cfg) + overhead


#: Bytes the DMA moves per cycle (one 64-byte L2 word) and its cycles per transfer beyond
#: that (measured on the cluster: an 8 KiB store takes a stage of 176 cycles).
DMA_BYTES_PER_CYCLE = 64
DMA_TRANSFER_CYCLES = 20


def dma_cycles(size: int, transfers: int) -> int:
    """Cycles the DMA needs to move ``size`` bytes in ``transfers`` transfers."""
    return -(-size // DMA_BYTES_PER_CYCLE) + DMA_TRANSFER_CYCLES * transfers


#: Cycles of each core kernel on the cluster per element on one core, as (cycles per
#: element, more per input beyond the first, more per row), measured with ``tinyita run``
#: on the default cluster (docs/compiler.md).
KERNEL_CYCLES = {"residual_add": (11.6, 0.0, 0), "head_sum": (7.9, 2.5, 0),
                 "layernorm": (24.0, 0.0, 364), "transpose": (5.3, 0.0, 0),
                 "add_norm": (55.1, 6.8, 400)}
#: The kernels whose cores share rows of the output (the others share elements).
ROW_KERNELS = ("layernorm", "transpose", "add_norm")
#: Cycles each core spends on a kernel call beyond its elements (its slice, the set-up).
KERNEL_CALL_CYCLES = 50


def kernel_cycles(kernel: str, shape: tuple[int, int], inputs: int, cores: int) -> int:
    """Cycles ``cores`` cores need for ``kernel`` over a (rows, columns) block with
    ``inputs`` input blocks: the largest share (the norms share rows, the others elements)."""
    per, per_input, per_row = KERNEL_CYCLES[kernel]
    rows, cols = shape
    if kernel in ROW_KERNELS:
        share = -(-rows // cores)
        return int(share * (cols * (per + per_input * (inputs - 1)) + per_row)
                   + KERNEL_CALL_CYCLES)
    share = -(-rows * cols // cores)
    return int(share * (per + per_input * (inputs - 1)) + KERNEL_CALL_CYCLES)


#: Cycles a stage of the schedule costs beyond its work: core 0 waits, everybody meets at
#: the barrier.
STAGE_CYCLES = 30
#: Cycles a job's stage takes beyond the job: core 0 triggers it (it was programmed during
#: the stage before) and wakes up when it has finished (measured on the cluster).
JOB_START_CYCLES = 66


def stage_parts(stage, cluster) -> dict[str, int]:
    """Predicted cycles of each unit's work in a schedule stage (``sw.compiler.schedule``):
    the engine (with its start), the DMA and the cores."""
    cfg = cluster.ita_config() if cluster.ita else None
    return {
        "engine": sum(JOB_START_CYCLES + engine_cycles(r.tile.job, cfg) for r in stage.jobs),
        "dma": sum(dma_cycles(t.size, 1) for t in stage.transfers),
        "cores": sum(kernel_cycles(k.tile.kernel, k.tile.output.shape, len(k.tile.inputs),
                                   cluster.cores - (len(stage.jobs) > 1 and cluster.cores > 1))
                     for k in stage.kernels),
    }


def predict(schedule) -> list[int]:
    """Predicted cycles of every stage of ``schedule``: its slowest unit plus the stage's
    own cost."""
    return [max(stage_parts(st, schedule.cluster).values()) + STAGE_CYCLES
            for st in schedule.stages]
