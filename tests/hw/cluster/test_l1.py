"""The L1 interconnect under stress: every initiator (cores, DMA and engine lanes) issues random
reads and writes to random banks for a long run; each read is checked against the initiator's
shadow copy, so a lost, duplicated, misplaced or reordered access fails, and every initiator
must make progress with a bounded wait. At the end all of L1 must equal the shadows, so a
write that landed in another initiator's region fails even if nobody read it back."""

import pytest

from hw.cluster.l1 import MAX_STALL
from tb.cluster.l1_stress import run_l1_stress, trace_l1_grants

#: The default cluster's L1 ports (8 cores, DMA 8 lanes, engine 8 lanes on 32 banks), and the
#: tightest legal one (the DMA takes every bank of 8; an engine of M = 16).
DEFAULT = {"size": 16 * 1024, "banks": 32, "narrow": 8, "wide": (8, 8)}
TIGHT = {"size": 4 * 1024, "banks": 8, "narrow": 3, "wide": (8, 2)}
#: Three wide ports on 8 banks: the one shape here in which a wide port starves.
THREE_WIDE = {"size": 4 * 1024, "banks": 8, "narrow": 3, "wide": (4, 8, 2)}
#: No request waits longer than this many cycles for its grant.
WAIT_BOUND = 8 * MAX_STALL


def _check(results: list[dict], cycles: int) -> None:
    for i, g in enumerate(results):
        assert g["errors"] == 0, (
            f"initiator {i}: {g['errors']} wrong answers; first at 0x{g['error_addr']:x}: got "
            f"0x{g['error_got']:x}, expected 0x{g['error_expected']:x}")
        assert g["reads"] > cycles // 100, f"initiator {i} made little progress: {g}"
        assert g["max_wait"] <= WAIT_BOUND, f"initiator {i} waited {g['max_wait']} cycles"
        assert g["image_errors"] == 0, (
            f"initiator {i}: {g['image_errors']} words of its region in L1 differ from its "
            f"shadow after the run; the first at 0x{g['image_first']:x}")


@pytest.mark.parametrize("shape,seed,idle", [(DEFAULT, 1, 0), (DEFAULT, 2, 6), (TIGHT, 3, 0),
                                             (TIGHT, 4, 10)], ids=["default-busy",
                                                                   "default-idle", "tight-busy",
                                                                   "tight-idle"])
def test_l1_stress(shape, seed, idle):
    cycles = 200_000
    _check(run_l1_stress(**shape, seed=seed, idle=idle, cycles=cycles), cycles)


#: The rules of the policy that need contention (``L1Policy.seen``).
CONTENTION = ("cores meet on a bank", "a starving core's bank stops a wide port")
JUMP = "a starving wide port jumps the turn"


@pytest.mark.parametrize("shape,seed,idle,rules", [
    (DEFAULT, 5, 0, CONTENTION), (DEFAULT, 6, 6, CONTENTION),
    (THREE_WIDE, 7, 4, (*CONTENTION, JUMP))], ids=["default-busy", "default-idle", "three-wide"])
def test_l1_grants_follow_the_policy(shape, seed, idle, rules):
    """Every cycle's grants, to every lane, are the ones the documented policy gives for that
    cycle's requests (``tb.cluster.l1_policy``): round robin per bank, wide ports in turn and
    all lanes together, starving cores closing their bank, starving wide ports first. The
    stress test bounds waits; this pins down who is served. Each rule that needs contention
    must have decided something in the trace (a wide port starves only with few banks and
    three wide ports)."""
    r = trace_l1_grants(**shape, seed=seed, idle=idle, cycles=20_000)
    assert r["mismatch"] is None, f"grants differ from the policy: {r['mismatch']}"
    assert r["granted"] > 20_000
    for rule in rules:
        assert r["seen"].get(rule, 0) > 0, f"the trace never shows: {rule} ({r['seen']})"


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
    region = DEFAULT["size"] // 16                  # 8 cores and 2 wide ports: 16 regions
    poked = run_l1_stress(**DEFAULT, seed=5, cycles=5_000, poke=3 * region + 13)
    assert [g["image_errors"] for g in poked] == [0, 0, 0, 1] + [0] * 6
    assert poked[3]["image_first"] == 3 * region + 12 and poked[3]["errors"] == 0
