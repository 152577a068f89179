"""The LayerNorm kernel on unicorn against ``sw.golden.layernorm``: rows of every kind (constant,
extreme, one outlier, random), row lengths from 1 to 1024, random constants and row slices."""

import numpy as np
import pytest

from sw.golden import LayerNormParams, Requant, layernorm
from sw.kernels.layernorm import layernorm_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT, SENTINEL, run_on_unicorn


def run(x: np.ndarray, p: LayerNormParams, first: int, end: int) -> np.ndarray:
    rows, e = x.shape
    pad = -(x.size + e) % 4                       # beta is word aligned
    gamma, beta = DATA + x.size, DATA + x.size + e + pad
    prog = Program()
    prog.li("a2", first).li("a3", end)
    layernorm_code(prog, p.rq, x=DATA, out=OUT, gamma=gamma, beta=beta, e=e)
    data = (x.astype(np.int8).tobytes() + p.gamma.astype(np.int8).tobytes() + bytes(pad)
            + p.beta.astype("<i4").tobytes())
    return np.frombuffer(run_on_unicorn(prog, data, x.size), dtype=np.int8).reshape(x.shape)


def rows(rng: np.random.Generator, e: int) -> np.ndarray:
    kinds = [np.full(e, 7), np.full(e, -128), np.where(np.arange(e) % 2, 127, -128),
             np.r_[[127], np.zeros(e - 1)] if e > 1 else np.full(1, 127),
             rng.integers(-128, 128, e), rng.integers(-3, 4, e)]
    return np.array(kinds).astype(np.int64)


def params(rng: np.random.Generator, e: int) -> LayerNormParams:
    return LayerNormParams(rng.integers(-128, 128, e), rng.integers(-2 ** 23, 2 ** 23, e),
                           Requant(int(rng.integers(1, 256)), int(rng.integers(10, 24)),
                                   int(rng.integers(-128, 128))))


@pytest.mark.parametrize("e", [1, 2, 3, 16, 64, 96, 384, 1024])
def test_layernorm_matches_golden(e):
    rng = np.random.default_rng(e)
    x, p = rows(rng, e), params(rng, e)
    got = run(x, p, 0, x.shape[0])
    want = layernorm(x, p)
    bad = np.argwhere(got != want)
    assert bad.size == 0, (f"{len(bad)} differ; first at row {bad[0][0]} column {bad[0][1]}: "
                           f"got {got[tuple(bad[0])]}, expected {want[tuple(bad[0])]}")


@pytest.mark.parametrize("seed", range(3))
def test_row_slices(seed):
    rng = np.random.default_rng(100 + seed)
    e = int(rng.integers(1, 200))
    x, p = rng.integers(-128, 128, (7, e)), params(rng, e)
    first, end = sorted(rng.integers(0, 8, 2))
    got = run(x, p, first, end)
    np.testing.assert_array_equal(got[first:end], layernorm(x, p)[first:end])
    assert (got[:first] == SENTINEL).all() and (got[end:] == SENTINEL).all(), (
        "wrote outside its rows")


def test_row_length_and_alignment_are_checked():
    with pytest.raises(ValueError, match="row length 5000 is outside 1..4096"):
        layernorm_code(Program(), Requant(1, 0), x=0, out=0, gamma=0, beta=0, e=5000)
    with pytest.raises(ValueError, match="beta at 0x6 is not word aligned"):
        layernorm_code(Program(), Requant(1, 0), x=0, out=0, gamma=0, beta=6, e=8)


def test_two_layernorms_in_one_program():
    """An encoder layer has two LayerNorms: emitted twice with different prefixes, both are
    right (the second reads the first's output)."""
    rng = np.random.default_rng(9)
    e = 48
    x, p1, p2 = rng.integers(-128, 128, (4, e)), params(rng, e), params(rng, e)
    gamma, beta = DATA + x.size, DATA + x.size + 64
    mid = DATA + 0x4000
    prog = Program()
    prog.li("a2", 0).li("a3", 4)
    layernorm_code(prog, p1.rq, x=DATA, out=mid, gamma=gamma, beta=beta, e=e, prefix="a_")
    prog.li("a2", 0).li("a3", 4)
    layernorm_code(prog, p2.rq, x=mid, out=OUT, gamma=gamma + 256, beta=beta + 256, e=e,
                   prefix="b_")
    data = bytearray(0x300 + x.size)
    data[:x.size] = x.astype(np.int8).tobytes()
    for p, off in ((p1, 0), (p2, 256)):
        data[x.size + off:x.size + off + e] = p.gamma.astype(np.int8).tobytes()
        data[x.size + 64 + off:x.size + 64 + off + 4 * e] = p.beta.astype("<i4").tobytes()
    got = np.frombuffer(run_on_unicorn(prog, bytes(data), x.size), dtype=np.int8)
    np.testing.assert_array_equal(got.reshape(x.shape), layernorm(layernorm(x, p1), p2))


@pytest.mark.parametrize("e, tp, rotate, step", [(64, 3, 16, 1), (384, 7, 48, 2), (20, 5, 4, 3),
                                                 (18, 2, 8, 1), (128, 0, 16, 8)])
def test_rotated_sweeps_and_row_steps(e, tp, rotate, step):
    """Rows swept from a core's own column around (``tp * rotate mod e``), every ``step``-th
    row: the same result, and nothing written to the rows in between."""
    rng = np.random.default_rng(e + tp)
    x, p = rng.integers(-128, 128, (9, e)), params(rng, e)
    pad = -(x.size + e) % 4
    gamma, beta = DATA + x.size, DATA + x.size + e + pad
    prog = Program()
    prog.li("tp", tp).li("a2", 1).li("a3", 9)
    layernorm_code(prog, p.rq, x=DATA, out=OUT, gamma=gamma, beta=beta, e=e, step=step,
                   rotate=rotate)
    data = (x.astype(np.int8).tobytes() + p.gamma.astype(np.int8).tobytes() + bytes(pad)
            + p.beta.astype("<i4").tobytes())
    got = np.frombuffer(run_on_unicorn(prog, data, x.size), dtype=np.int8).reshape(x.shape)
    rows = list(range(1, 9, step))
    np.testing.assert_array_equal(got[rows], layernorm(x, p)[rows])
    others = [r for r in range(9) if r not in rows]
    assert (got[others] == SENTINEL).all(), "wrote rows outside its share"
