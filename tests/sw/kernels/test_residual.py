"""The residual-add kernel on unicorn against ``sw.golden.residual_add``: every int8 pair at
the constants' edges, random constants, and slices (a core's share) that start and end
anywhere."""

import numpy as np
import pytest

from sw.golden import AddParams, residual_add
from sw.kernels.residual import residual_add_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT, SENTINEL, run_on_unicorn

PAIRS = np.array(np.meshgrid(np.arange(-128, 128), np.arange(-128, 128))).reshape(2, -1)
CONSTANTS = [AddParams(1, 1, 0), AddParams(255, 255, 0, 127), AddParams(255, 1, 31, -128),
             AddParams(128, 64, 7, -3), AddParams(0, 200, 8, 5), AddParams(37, 91, 1)]


def run(add: AddParams, a: np.ndarray, b: np.ndarray, first: int, end: int) -> np.ndarray:
    n = a.size
    p = Program()
    p.li("a2", first).li("a3", end)
    residual_add_code(p, add, DATA, DATA + n, OUT)
    out = run_on_unicorn(p, a.astype(np.int8).tobytes() + b.astype(np.int8).tobytes(), n)
    return np.frombuffer(out, dtype=np.int8)


@pytest.mark.parametrize("add", CONSTANTS, ids=str)
def test_every_pair_at_edge_constants(add):
    a, b = PAIRS
    got = run(add, a, b, 0, a.size)
    want = residual_add(a, b, add)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (f"{bad.size} differ; first: a {a[bad[0]]} b {b[bad[0]]} gives "
                           f"{got[bad[0]]}, expected {want[bad[0]]}")


@pytest.mark.parametrize("seed", range(6))
def test_random_constants_and_slices(seed):
    rng = np.random.default_rng(seed)
    add = AddParams(int(rng.integers(0, 256)), int(rng.integers(0, 256)),
                    int(rng.integers(0, 32)), int(rng.integers(-128, 128)))
    n = int(rng.integers(1, 700))
    a, b = rng.integers(-128, 128, (2, n))
    first, end = sorted(rng.integers(0, n + 1, 2))
    got = run(add, a, b, first, end)
    want = residual_add(a, b, add)
    np.testing.assert_array_equal(got[first:end], want[first:end], err_msg=str(add))
    assert (got[:first] == SENTINEL).all() and (got[end:] == SENTINEL).all(), (
        "wrote outside its slice")


def test_two_adds_in_one_program():
    """An encoder layer has two residual adds: emitted twice with different prefixes."""
    rng = np.random.default_rng(11)
    n = 200
    a, b = rng.integers(-128, 128, (2, n))
    add1, add2 = AddParams(100, 60, 7, 1), AddParams(30, 200, 8, -2)
    p = Program()
    p.li("a2", 0).li("a3", n)
    residual_add_code(p, add1, DATA, DATA + n, DATA + 2 * n, "first_")
    p.li("a2", 0).li("a3", n)
    residual_add_code(p, add2, DATA + 2 * n, DATA, OUT, "second_")
    got = np.frombuffer(run_on_unicorn(p, a.astype(np.int8).tobytes() + b.astype(np.int8)
                                       .tobytes() + bytes(n), n), dtype=np.int8)
    np.testing.assert_array_equal(got, residual_add(residual_add(a, b, add1), a, add2))
