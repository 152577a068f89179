"""The fused residual sum and LayerNorm kernel on unicorn against ``sw.golden.add_norm``:
extreme and random rows, one to thirteen inputs, row lengths from 1 to 1024, row slices."""

import numpy as np
import pytest

from sw.golden.add_norm import BETA_MAX, GAMMA_MAX, MULT_MAX, AddNormParams, add_norm
from sw.kernels.add_norm import add_norm_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT, SENTINEL, run_on_unicorn


def _align(blob: bytes, n: int = 4) -> bytes:
    return blob + bytes(-len(blob) % n)


def run(xs: list[np.ndarray], p: AddNormParams, first: int, end: int) -> np.ndarray:
    rows, e = xs[0].shape
    blobs = [_align(x.astype(np.int8).tobytes()) for x in xs]
    blobs += [_align(p.mults.astype("<u2").tobytes()), _align(p.gamma.astype("<i2").tobytes()),
              p.beta.astype("<i4").tobytes()]
    addresses = [DATA + sum(len(b) for b in blobs[:i]) for i in range(len(blobs) + 1)]
    prog = Program()
    prog.li("a2", first).li("a3", end)
    add_norm_code(prog, p, inputs=addresses[:len(xs)], mults=addresses[-4],
                  gamma=addresses[-3], beta=addresses[-2], out=OUT, scratch=addresses[-1],
                  step=1)
    data = b"".join(blobs) + bytes(4 * e)
    got = run_on_unicorn(prog, data, rows * e)
    return np.frombuffer(got, dtype=np.int8).reshape(rows, e)


def case(rng: np.random.Generator, n: int, e: int, *, extreme: bool = False):
    rows = [np.full(e, 7), np.where(np.arange(e) % 2, 127, -128), np.full(e, -128),
            rng.integers(-128, 128, e), rng.integers(-3, 4, e)]
    xs = [np.array([r if extreme else rng.permutation(r) for r in rows]) for _ in range(n)]
    mults = (np.full((n, e), MULT_MAX) if extreme
             else rng.integers(0, MULT_MAX + 1, (n, e)))
    shift = 0 if extreme else int(rng.integers(6, 16))
    p = AddNormParams(mults, shift, rng.integers(-GAMMA_MAX, GAMMA_MAX + 1, e),
                      rng.integers(-BETA_MAX, BETA_MAX + 1, e), int(rng.integers(10, 31)))
    return xs, p


@pytest.mark.parametrize("n, e", [(1, 1), (2, 3), (3, 16), (13, 64), (4, 384), (2, 1024)])
@pytest.mark.parametrize("extreme", [False, True])
def test_add_norm_matches_golden(n, e, extreme):
    rng = np.random.default_rng(n * 1000 + e)
    xs, p = case(rng, n, e, extreme=extreme)
    got = run(xs, p, 0, xs[0].shape[0])
    want = add_norm(xs, p).out
    bad = np.argwhere(got != want)
    assert bad.size == 0, (f"{len(bad)} differ; first at row {bad[0][0]} column {bad[0][1]}: "
                           f"got {got[tuple(bad[0])]}, expected {want[tuple(bad[0])]}")


@pytest.mark.parametrize("seed", range(2))
def test_row_slices(seed):
    rng = np.random.default_rng(100 + seed)
    xs, p = case(rng, 3, int(rng.integers(1, 100)))
    first, end = sorted(rng.integers(0, 6, 2))
    got = run(xs, p, first, end)
    np.testing.assert_array_equal(got[first:end], add_norm(xs, p).out[first:end])
    assert (got[:first] == SENTINEL).all() and (got[end:] == SENTINEL).all(), (
        "wrote outside its rows")


@pytest.mark.parametrize("e, cols", [(48, 40), (64, 1), (384, 383)])
def test_statistics_over_the_real_columns_of_a_padded_row(e, cols):
    rng = np.random.default_rng(e + cols)
    xs, p = case(rng, 3, e)
    xs = [np.where(np.arange(e) < cols, x, 0) for x in xs]
    p = AddNormParams(p.mults, p.shift, np.where(np.arange(e) < cols, p.gamma, 0),
                      np.where(np.arange(e) < cols, p.beta, 0), p.out_shift, cols)
    want = add_norm(xs, p).out
    assert not want[:, cols:].any()
    np.testing.assert_array_equal(run(xs, p, 0, xs[0].shape[0]), want)


def test_misaligned_tables_are_errors():
    p = AddNormParams(np.ones((1, 8), dtype=int), 0, np.ones(8, dtype=int),
                      np.zeros(8, dtype=int), 0)
    with pytest.raises(ValueError, match="beta at 0x1002 is not 4-byte aligned"):
        add_norm_code(Program(), p, inputs=[0], mults=0, gamma=0, beta=0x1002, out=0,
                      scratch=0)
