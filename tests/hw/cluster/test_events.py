"""The event unit on the cluster: a barrier across all cores, many times over, with ``wfi``."""

import numpy as np

from hw.config import L1_BASE
from sw.kernels.asm import barrier, exit_with
from sw.rv32 import Program

from .programs import SMALL, run

COUNTERS = L1_BASE + 0x400       # one word per core
ERRORS = L1_BASE + 0x500         # one word per core
ROUNDS = 12


def test_barrier_keeps_all_cores_in_step(tmp_path):
    """Each round every core bumps its counter, waits at the barrier, and checks that every
    core's counter has reached the round; core 0 exits after the last round."""
    n = SMALL.cores
    p = Program()
    p.csrr("a0", "mhartid").slli("a1", "a0", 2)
    p.li("s1", COUNTERS).add("s2", "s1", "a1")         # s2: my counter
    p.li("s3", ERRORS).add("s3", "s3", "a1")           # s3: my error count
    p.li("s4", 0)                                      # round
    p.label("round")
    p.addi("s4", "s4", 1).sw("s4", 0, "s2")
    # uneven work before the barrier: core k spins 40 * k iterations
    p.li("t0", 40).mul("t0", "t0", "a0")
    p.label("spin").beqz("t0", "spun").addi("t0", "t0", -1).j("spin")
    p.label("spun")
    barrier(p, "meet")
    for k in range(n):
        p.lw("t1", 4 * k, "s1").bge("t1", "s4", f"ok{k}")
        p.lw("t2", 0, "s3").addi("t2", "t2", 1).sw("t2", 0, "s3")
        p.label(f"ok{k}")
    barrier(p, "checked")          # nobody starts the next round before all have checked
    p.li("t0", ROUNDS).blt("s4", "t0", "round")
    p.bnez("a0", "rest")
    p.li("a1", 0)
    exit_with(p, "a1")
    p.label("rest").wfi().j("rest")
    loads = [(COUNTERS, bytes(4 * n)), (ERRORS, bytes(4 * n))]
    r = run(p, tmp_path, loads=loads, reads=[(COUNTERS, 4 * n), (ERRORS, 4 * n)],
            max_cycles=200_000)
    assert r["exit_code"] == 0, r
    counters = np.frombuffer(r["memory"][0], dtype="<u4").tolist()
    errors = np.frombuffer(r["memory"][1], dtype="<u4").tolist()
    assert errors == [0] * n, f"cores passed the barrier early: {errors}"
    assert counters == [ROUNDS] * n
