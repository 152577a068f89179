"""The LayerNorm kernel on unicorn against ``sw.golden.layernorm``: rows of every kind (constant,
extreme, one outlier, random), row lengths from 1 to 1024, random constants and row slices."""

import numpy as np
import pytest

from sw.golden import LayerNormParams, Requant, layernorm
from sw.kernels.layernorm import layernorm_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT, run_on_unicorn


def run(x: np.ndarray, p: LayerNormParams, first: int, end: int) -> np.ndarray:
    rows, e = x.shape
    gamma, beta = DATA + x.size, DATA + x.size + e + (-e % 4)
    prog = Program()
    prog.li("a2", first).li("a3", end)
    layernorm_code(prog, p.rq, x=DATA, out=OUT, gamma=gamma, beta=beta, e=e)
    data = (x.astype(np.int8).tobytes() + p.gamma.astype(np.int8).tobytes() + bytes(-e % 4)
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
    assert not got[:first].any() and not got[end:].any(), "wrote outside its rows"


def test_row_length_is_checked():
    with pytest.raises(ValueError, match="row length 5000 is outside 1..4096"):
        layernorm_code(Program(), Requant(1, 0), x=0, out=0, gamma=0, beta=0, e=5000)
