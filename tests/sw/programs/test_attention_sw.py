"""The software baseline's kernels, run on unicorn (QEMU's RV32 model) against the golden
model: the dot-product kernel and ITAMax (requantization: tests/sw/kernels/test_requant.py)."""

import numpy as np
import pytest

from sw.golden import Requant, itamax, requant_for, requantize
from sw.programs.attention_sw import itamax_code, matvec_code
from sw.rv32 import Program

from ..unicorn import DATA, OUT
from ..unicorn import run_on_unicorn as _run


@pytest.mark.parametrize("unsigned", [False, True])
@pytest.mark.parametrize("seed,skew", [(0, 0), (1, 8), (2, 20)])
def test_matvec_code_matches_golden(unsigned, seed, skew):
    rng = np.random.default_rng(seed)
    k, n_out, stride = 24, 10, 3
    row = rng.integers(0 if unsigned else -128, 256 if unsigned else 128, k)
    w = rng.integers(-128, 128, (n_out, k))
    bias = rng.integers(-(2 ** 14), 2 ** 14, n_out)
    acc = w @ row + bias
    rq = requant_for(40 / acc.std(), add=int(rng.integers(-20, 20)))      # outputs spread out
    w_at, bias_at = DATA + 64, DATA + 64 + n_out * k
    data = bytearray(bias_at + 4 * n_out - DATA)
    data[:k] = row.astype(np.uint8 if unsigned else np.int8).tobytes()
    data[64:64 + n_out * k] = w.astype(np.int8).tobytes()
    data[bias_at - DATA:] = bias.astype("<i4").tobytes()
    p = Program()
    p.li("s8", DATA).li("s9", OUT).li("a1", skew)
    matvec_code(p, "mv", row="s8", w=w_at, n_out=n_out, k=k, out="s9", out_stride=stride,
                rq=rq, bias=bias_at, unsigned=unsigned, skew="a1")
    got = np.frombuffer(_run(p, bytes(data), n_out * stride), dtype=np.int8)[::stride]
    want = requantize(acc, rq.mult, rq.shift, rq.add)
    assert np.abs(want).max() < 127                 # none saturated: every sum matters
    np.testing.assert_array_equal(got, want)


def test_matvec_code_rejects_k_not_a_multiple_of_4():
    with pytest.raises(ValueError, match="k = 6 must be a positive multiple of 4"):
        matvec_code(Program(), "mv", row="s8", w=0, n_out=1, k=6, out="s9", out_stride=1,
                    rq=Requant(1, 0))


@pytest.mark.parametrize("cols,group,k", [(64, 16, 5), (70, 16, 5), (33, 4, 0), (16, 1, 7),
                                          (5, 8, 3), (128, 64, 2)])
def test_itamax_code_matches_golden(cols, group, k):
    rng = np.random.default_rng(cols * 8 + k)
    rows = [rng.integers(-128, 128, cols), np.full(cols, -128), np.full(cols, 127),
            np.where(np.arange(cols) == cols // 2, 127, -128),
            rng.integers(-128, -120, cols), np.sort(rng.integers(-128, 128, cols))]
    x = np.array(rows, dtype=np.int8)
    p = Program()
    p.li("a5", DATA).li("a6", OUT).li("a4", len(rows))
    p.label("row")
    itamax_code(p, "sm", src="a5", dst="a6", cols=cols, group=group, k=k)
    p.addi("a5", "a5", cols).addi("a6", "a6", cols).addi("a4", "a4", -1).bnez("a4", "row")
    got = np.frombuffer(_run(p, x.tobytes(), x.size), dtype=np.uint8).reshape(x.shape)
    np.testing.assert_array_equal(got, itamax(x, group=group, k=k))
