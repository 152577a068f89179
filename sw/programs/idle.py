"""A program that keeps every core busy and the engine idle: the idle run of ``tinyita bench
sim``."""

from hw.config import L1_BASE
from sw.kernels.asm import barrier, exit_with
from sw.rv32 import Program

__all__ = ["idle_program", "IDLE_ITERATIONS"]

#: Loop iterations of each core (about 280 000 cycles on the default cluster): long enough
#: that the simulator's start is negligible.
IDLE_ITERATIONS = 40_000


def idle_program(iterations: int = IDLE_ITERATIONS) -> Program:
    """Every core increments its own L1 word ``iterations`` times, then all meet at the
    barrier and core 0 exits with 0 if its word holds ``iterations`` (the engine stays idle)."""
    p = Program()
    p.csrr("a0", "mhartid").slli("a1", "a0", 6).li("a2", L1_BASE).add("a1", "a1", "a2")
    p.sw("zero", 0, "a1").li("a3", iterations)
    p.label("loop").lw("t0", 0, "a1").addi("t0", "t0", 1).sw("t0", 0, "a1")
    p.addi("a3", "a3", -1).bnez("a3", "loop")
    barrier(p, "meet")
    p.bnez("a0", "park")
    p.lw("t0", 0, "a1").li("t1", iterations).sub("a0", "t0", "t1")
    exit_with(p, "a0")
    p.label("park").wfi().j("park")
    return p
