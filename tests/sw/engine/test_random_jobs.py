"""Random engine jobs: attention jobs draw ITAMax's shift and a valid length, and their golden
steps are computed with them."""

import numpy as np
import pytest

from hw.ita.config import ITAConfig, Mode
from hw.ita.steps import StepKind
from sw.engine.job import golden_valid
from sw.engine.random_jobs import random_head, random_job, random_mha
from sw.golden import itamax, matmul_step

CFG = ITAConfig(n=4, m=16, softmax_shift=5)


def _av_matches(job, steps, k: int, valid: int) -> bool:
    """Whether every AV step's output is A V of its logits with shift ``k`` and ``valid``."""
    for st in steps:
        if st.kind is StepKind.AV:
            a = itamax(st.a, group=CFG.n, k=k, valid=golden_valid(valid, st.a.shape[1]))
            out = matmul_step(a, st.b, None, job.rq[4], a_unsigned=True, cfg=CFG).out
            if not np.array_equal(out, st.out):
                return False
    return True


@pytest.mark.parametrize("mode", [Mode.ATTENTION, Mode.SINGLE_ATTENTION])
def test_attention_jobs_draw_a_shift_and_a_valid_length(mode):
    drawn = []
    for seed in range(24):
        job, steps = random_job(CFG, mode, s=2, e=1, p=1, seed=seed)
        assert 0 <= job.softmax_shift <= 7 and 0 <= job.valid <= 2 * CFG.m
        assert _av_matches(job, steps, job.softmax_shift, job.valid)
        drawn.append((job.softmax_shift, job.valid))
    shifts, valids = {k for k, _ in drawn}, [v for _, v in drawn]
    assert len(shifts) >= 5 and 0 in valids and len({v for v in valids if v}) >= 5


@pytest.mark.parametrize("mode", [Mode.ATTENTION, Mode.SINGLE_ATTENTION])
def test_a_given_shift_and_valid_length_are_used(mode):
    job, steps = random_job(CFG, mode, s=3, e=1, p=1, seed=4, softmax_shift=2, valid=21)
    assert (job.softmax_shift, job.valid) == (2, 21)
    assert _av_matches(job, steps, 2, 21)
    assert not _av_matches(job, steps, 2, 0) and not _av_matches(job, steps, 6, 21)
    job0, _ = random_job(CFG, mode, s=3, e=1, p=1, seed=4, softmax_shift=2, valid=0)
    assert job0.valid == 0


def test_the_head_of_a_random_attention_job():
    """random_head gives the head random_job runs (same seed and shift); a given shift keeps
    the input and the weights."""
    x, h = random_head(CFG, s=2, e=2, p=1, seed=8)
    job, steps = random_job(CFG, Mode.ATTENTION, s=2, e=2, p=1, seed=8)
    assert job.softmax_shift == h.softmax_shift and np.array_equal(steps[0].a, x)
    x2, h2 = random_head(CFG, s=2, e=2, p=1, seed=8, softmax_shift=(h.softmax_shift + 1) % 8)
    assert np.array_equal(x2, x) and np.array_equal(h2.wq, h.wq) and np.array_equal(h2.wo, h.wo)
    assert h2.softmax_shift == (h.softmax_shift + 1) % 8


def test_multihead_jobs_share_the_valid_length():
    """Every head masks the same keys, each with its own drawn shift."""
    mha, jobs = random_mha(CFG, s=2, e=1, p=1, heads=3, seed=5, valid=19)
    assert [j.valid for j, _ in jobs] == [19] * 3
    for (job, steps), r in zip(jobs, mha.heads, strict=True):
        assert _av_matches(job, steps, job.softmax_shift, 19)
        assert not r.softmax.a[:, 19:].any()
