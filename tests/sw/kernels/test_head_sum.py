"""The head-sum kernel on unicorn against the golden head sum (``multi_head_attention``'s
``head_sum(sum_h Y_h)``): one to twelve heads, saturated inputs, small and large shifts, heads
far apart, and slices that start and end anywhere."""

import numpy as np
import pytest

from sw.golden import Requant
from sw.kernels.head_sum import head_sum_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT, SENTINEL, run_on_unicorn


def run(rq: Requant, ys: np.ndarray, first: int, end: int) -> np.ndarray:
    heads, n = ys.shape
    p = Program()
    p.li("a2", first).li("a3", end)
    head_sum_code(p, rq, [DATA + h * n for h in range(heads)], OUT)
    return np.frombuffer(run_on_unicorn(p, ys.astype(np.int8).tobytes(), n), dtype=np.int8)


@pytest.mark.parametrize("heads, n, rq", [
    (1, 300, Requant(1, 0)), (2, 500, Requant(128, 8, -3)), (3, 257, Requant(255, 10, 127)),
    (6, 1000, Requant(200, 11, -128)), (12, 64, Requant(255, 31, 5)), (4, 3000, Requant(77, 9)),
])
def test_head_sum_matches_golden(heads, n, rq):
    rng = np.random.default_rng(heads * 1000 + n)
    ys = rng.integers(-128, 128, (heads, n))
    ys[:, :8] = 127                          # saturated columns: the sum's extremes
    ys[:, 8:16] = -128
    got = run(rq, ys, 0, n)
    want = rq(ys.astype(np.int64).sum(axis=0))
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (f"{bad.size} differ; first at {bad[0]}: sum "
                           f"{ys[:, bad[0]].sum()} gives {got[bad[0]]}, expected {want[bad[0]]}")


@pytest.mark.parametrize("seed", range(4))
def test_slices(seed):
    rng = np.random.default_rng(seed)
    ys = rng.integers(-128, 128, (3, 400))
    first, end = sorted(rng.integers(0, 401, 2))
    rq = Requant(int(rng.integers(1, 256)), int(rng.integers(0, 16)), int(rng.integers(-128, 128)))
    got = run(rq, ys, first, end)
    np.testing.assert_array_equal(got[first:end], rq(ys.sum(axis=0))[first:end])
    assert (got[:first] == SENTINEL).all() and (got[end:] == SENTINEL).all(), (
        "wrote outside its slice")


def test_no_heads_is_an_error():
    with pytest.raises(ValueError, match="no heads"):
        head_sum_code(Program(), Requant(1, 0), [], OUT)
