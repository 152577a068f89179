"""The L1 interconnect under stress: every initiator (cores, DMA and engine lanes) issues random
reads and writes to random banks for a long run; each read is checked against the initiator's
shadow copy, so a lost, duplicated, misplaced or reordered access fails, and every initiator
must make progress with a bounded wait."""

import pytest

from hw.cluster.l1 import MAX_STALL
from tb.cluster.l1_stress import run_l1_stress

#: The default cluster's L1 ports (8 cores, DMA 8 lanes, engine 8 lanes on 32 banks), and the
#: tightest legal one (the DMA takes every bank of 8; an engine of M = 16).
DEFAULT = {"size": 16 * 1024, "banks": 32, "narrow": 8, "wide": (8, 8)}
TIGHT = {"size": 4 * 1024, "banks": 8, "narrow": 3, "wide": (8, 2)}
#: No request waits longer than this many cycles for its grant.
WAIT_BOUND = 8 * MAX_STALL


def _check(results: list[dict], cycles: int) -> None:
    for i, g in enumerate(results):
        assert g["errors"] == 0, (
            f"initiator {i}: {g['errors']} wrong answers; first at 0x{g['error_addr']:x}: got "
            f"0x{g['error_got']:x}, expected 0x{g['error_expected']:x}")
        assert g["reads"] > cycles // 100, f"initiator {i} made little progress: {g}"
        assert g["max_wait"] <= WAIT_BOUND, f"initiator {i} waited {g['max_wait']} cycles"


@pytest.mark.parametrize("shape,seed,idle", [(DEFAULT, 1, 0), (DEFAULT, 2, 6), (TIGHT, 3, 0),
                                             (TIGHT, 4, 10)], ids=["default-busy",
                                                                   "default-idle", "tight-busy",
                                                                   "tight-idle"])
def test_l1_stress(shape, seed, idle):
    cycles = 200_000
    _check(run_l1_stress(**shape, seed=seed, idle=idle, cycles=cycles), cycles)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 14))
@pytest.mark.parametrize("shape", [DEFAULT, TIGHT], ids=["default", "tight"])
def test_l1_stress_long(shape, seed):
    cycles = 2_000_000
    _check(run_l1_stress(**shape, seed=seed, idle=seed % 8, cycles=cycles), cycles)


def test_stress_checks_catch_faults():
    """Faults injected into initiator 0's answers are reported (the checks can fail)."""
    flipped = run_l1_stress(**DEFAULT, seed=5, cycles=5_000, inject=1)[0]
    assert flipped["errors"] == flipped["reads"] > 0
    assert flipped["error_got"] ^ flipped["error_expected"] == 1
    dropped = run_l1_stress(**DEFAULT, seed=5, cycles=5_000, inject=2)
    assert dropped[0]["reads"] == 0 and dropped[0]["errors"] > 0
    assert all(g["errors"] == 0 for g in dropped[1:])
