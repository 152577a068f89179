"""The ITA bench's host side: the job word and the streams of jobs run back to back."""

import numpy as np
import pytest

from hw.ita.config import ITAConfig, Mode
from hw.ita.layouts import job_layout
from sw.engine.random_jobs import random_job
from sw.engine.streams import ItaJob, build_streams
from tb.ita.bench import concat_streams, job_bits

CFG = ITAConfig(n=4, m=16, softmax_shift=5)


def test_the_job_word_carries_the_shift_and_the_valid_length():
    word = job_layout(CFG).from_bits(job_bits(ItaJob(Mode.ATTENTION, 3, softmax_shift=6,
                                                     valid=37), CFG))
    assert (word.mode, word.s, word.k, word.valid) == (int(Mode.ATTENTION), 3, 6, 37)
    full = job_layout(CFG).from_bits(job_bits(ItaJob(Mode.ATTENTION, 1, valid=CFG.max_size),
                                              CFG))
    assert full.valid == CFG.max_size
    with pytest.raises(ValueError, match="valid 129"):
        job_bits(ItaJob(Mode.ATTENTION, 1, valid=CFG.max_size + 1), CFG)


def test_streams_of_two_jobs_follow_each_other():
    parts = [build_streams(CFG, *random_job(CFG, mode, s=2, e=1, p=1, seed=seed))
             for mode, seed in ((Mode.ATTENTION, 1), (Mode.SINGLE_ATTENTION, 2))]
    both = concat_streams(parts)
    for name in ("inp", "weight", "bias", "out"):
        assert np.array_equal(getattr(both, name),
                              np.concatenate([getattr(p, name) for p in parts]))
    n0 = parts[0].out.shape[0]
    assert both.spans[:len(parts[0].spans)] == parts[0].spans
    assert [(a - n0, b - n0) for _, a, b in both.spans[len(parts[0].spans):]] == \
        [(a, b) for _, a, b in parts[1].spans]
