"""The transpose kernel on unicorn: shapes with and without a remainder of four rows, wide
rows (offsets past a load's immediate) and slices of output rows."""

import numpy as np
import pytest

from sw.kernels.transpose import transpose_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT, SENTINEL, run_on_unicorn


def run(x: np.ndarray, first: int, end: int) -> np.ndarray:
    rows, cols = x.shape
    p = Program()
    p.li("a2", first).li("a3", end)
    transpose_code(p, DATA, OUT, rows, cols)
    out = run_on_unicorn(p, x.astype(np.int8).tobytes(), x.size)
    return np.frombuffer(out, dtype=np.int8).reshape(cols, rows)


@pytest.mark.parametrize("rows, cols", [(1, 1), (3, 5), (4, 4), (64, 32), (7, 700), (256, 64)])
def test_transpose(rows, cols):
    x = np.random.default_rng(rows * cols).integers(-128, 128, (rows, cols))
    np.testing.assert_array_equal(run(x, 0, cols), x.T)


def test_slices_of_output_rows():
    x = np.random.default_rng(1).integers(-128, 128, (10, 9))
    got = run(x, 2, 7)
    np.testing.assert_array_equal(got[2:7], x.T[2:7])
    assert (got[:2] == SENTINEL).all() and (got[7:] == SENTINEL).all()


def test_an_empty_matrix_is_an_error():
    with pytest.raises(ValueError, match="a 0 x 3 matrix"):
        transpose_code(Program(), DATA, OUT, 0, 3)
