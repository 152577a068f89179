"""The cost model's engine part: the cycles of one engine job, from its mode and sizes.

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

__all__ = ["issue_cycles", "engine_cycles", "ITAMAX_PAIR_CYCLES"]

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
