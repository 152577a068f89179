"""Engine jobs as software describes them: ITAMax's shift and valid length in the builders
and in the HWPE registers."""

from dataclasses import replace

import numpy as np
import pytest

from hw.hwpe.regmap import REGMAP
from hw.ita.config import Activation, ITAConfig, Mode
from sw.engine.job import (
    ItaJob,
    attention_job,
    feedforward_job,
    golden_valid,
    single_attention_job,
)
from sw.engine.random_jobs import _ffn, random_head
from sw.golden.layers import PASS

CFG = ITAConfig(n=4, m=16, softmax_shift=5)
SOFTMAX = REGMAP["SOFTMAX"]


def test_registers_carry_the_shift_and_the_valid_length():
    regs = ItaJob(Mode.ATTENTION, 2, softmax_shift=3, valid=20).registers({"IN": 0x40})
    assert SOFTMAX.decode(regs[SOFTMAX.offset]) == {"k": 3, "valid": 20}
    assert regs[REGMAP["IN"].offset] == 0x40
    assert SOFTMAX.decode(ItaJob(Mode.LINEAR, 1).registers({})[SOFTMAX.offset]) == \
        {"k": 5, "valid": 0}
    with pytest.raises(ValueError, match="field k: value 8 is outside 0..7"):
        ItaJob(Mode.ATTENTION, 1, softmax_shift=8).registers({})
    with pytest.raises(ValueError, match="field valid: value 65536 is outside 0..65535"):
        ItaJob(Mode.ATTENTION, 1, valid=65536).registers({})


@pytest.mark.parametrize("own", [None, 0, 7])
def test_attention_jobs_take_the_heads_shift_else_the_configurations(own):
    _, h = random_head(CFG, s=2, e=1, p=1, seed=3)
    h = replace(h, softmax_shift=own)
    want = CFG.softmax_shift if own is None else own
    job = attention_job(CFG, 32, h, valid=17)
    assert (job.mode, job.softmax_shift, job.valid) == (Mode.ATTENTION, want, 17)
    assert attention_job(CFG, 32, h).valid == 0
    sa = single_attention_job(CFG, 32, 16, h.rq_qk, h.rq_av, own, valid=5)
    assert (sa.mode, sa.softmax_shift, sa.valid) == (Mode.SINGLE_ATTENTION, want, 5)
    assert single_attention_job(CFG, 32, 16, PASS, PASS).softmax_shift == CFG.softmax_shift


def test_other_modes_keep_the_defaults():
    _, ffn = _ffn(np.random.default_rng(0), CFG, 1, 1, 1, Activation.RELU)
    job = feedforward_job(CFG, 16, ffn)
    assert (job.softmax_shift, job.valid) == (5, 0)


def test_golden_valid():
    assert golden_valid(0, 48) is None
    assert golden_valid(48, 48) is None and golden_valid(60, 48) is None
    assert golden_valid(1, 48) == 1 and golden_valid(47, 48) == 47
