"""The requantization kernel on unicorn against ``sw.golden.requantize``: every kind of
constant, the accumulator's edges, where the output saturates and its rounding points."""

import numpy as np
import pytest

from sw.golden import Requant, requantize
from sw.golden.requant import ACC_MAX, ACC_MIN
from sw.kernels.requant import requant_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT, run_on_unicorn

REQUANTS = [Requant(1, 0), Requant(255, 0, -128), Requant(255, 1, 5), Requant(3, 7, -9),
            Requant(200, 13, 127), Requant(255, 20), Requant(255, 21, -1), Requant(17, 24, 2),
            Requant(255, 31), Requant(1, 31, -128), Requant(0, 5, 77), Requant(0, 0, -100)]


@pytest.mark.parametrize("rq", REQUANTS, ids=str)
def test_requant_code_matches_golden(rq):
    rng = np.random.default_rng(rq.mult * 64 + rq.shift)
    edges = [0, 1, -1, ACC_MIN, ACC_MAX, ACC_MIN - 1, ACC_MAX + 1, -(2 ** 31), 2 ** 31 - 1]
    if rq.mult:                       # where the output saturates, and its rounding points
        b = -(-(1 << (rq.shift + 9)) // rq.mult)
        step = max(1, (1 << rq.shift) // rq.mult)
        edges += [b, b - 1, -b, -b + 1] + [j * step + d for j in range(-300, 300, 7)
                                           for d in (-1, 0, 1)]
    acc = np.concatenate([np.clip(edges, -(2 ** 31), 2 ** 31 - 1),
                          rng.integers(-(2 ** 31), 2 ** 31, 200),
                          rng.integers(-(2 ** 26), 2 ** 26, 200),
                          rng.integers(-(1 << min(30, rq.shift + 9)),
                                       1 << min(30, rq.shift + 9), 400)]).astype(np.int64)
    p = Program()
    p.li("s8", DATA).li("s9", OUT).li("s10", DATA + 4 * acc.size)
    p.label("loop").lw("s4", 0, "s8")
    requant_code(p, "s4", rq, "rq")
    p.sb("s4", 0, "s9").addi("s8", "s8", 4).addi("s9", "s9", 1).bne("s8", "s10", "loop")
    got = np.frombuffer(run_on_unicorn(p, acc.astype("<i4").tobytes(), acc.size), dtype=np.int8)
    want = requantize(acc, rq.mult, rq.shift, rq.add)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (f"{bad.size} differ; first: acc {acc[bad[0]]} gives {got[bad[0]]}, "
                           f"expected {want[bad[0]]}")
