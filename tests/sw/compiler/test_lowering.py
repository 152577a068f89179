"""Lowering: engine jobs for heads, feed-forward blocks and linear steps, core kernels for the
rest; sizes in tiles of M; errors that name the op."""

import dataclasses
import re

import numpy as np
import pytest

from hw.ita.config import Activation, ITAConfig, Mode
from sw.compiler.graph import GraphBuilder, GraphError, LinearParams, from_encoder
from sw.compiler.lowering import CoreTask, EngineTask, lower, verify_lowered
from sw.engine.random_jobs import random_head, random_job
from sw.golden import FFNParams, Requant, quantize_encoder, random_float_encoder
from sw.golden.layers import PASS

CFG = ITAConfig(n=8, m=16, softmax_shift=5, max_tiles=8)


def encoder(emb=64, heads=2, proj=32, ff=128):
    rng = np.random.default_rng(0)
    fe = random_float_encoder(rng, emb=emb, heads=heads, proj=proj, ff=ff, act=Activation.GELU)
    return quantize_encoder(fe, rng.normal(size=(64, emb)), cfg=CFG).params


def test_an_encoder_layer_lowers_to_three_jobs_and_five_kernels():
    p = encoder()
    low = lower(from_encoder([p], seq=48), CFG)
    kinds = [(type(t).__name__, t.job.mode if isinstance(t, EngineTask) else t.kernel)
             for t in low.tasks]
    assert kinds == [("EngineTask", Mode.ATTENTION), ("EngineTask", Mode.ATTENTION),
                     ("CoreTask", "head_sum"), ("CoreTask", "residual_add"),
                     ("CoreTask", "layernorm"), ("EngineTask", Mode.FEEDFORWARD),
                     ("CoreTask", "residual_add"), ("CoreTask", "layernorm")]
    head = low.tasks[0].job
    h = p.heads[0]
    assert (head.s, head.e, head.p) == (3, 4, 2) and all(t.fits for t in low.tasks[:2])
    assert head.rq == (h.rq_q, h.rq_k, h.rq_v, h.rq_qk, h.rq_av, h.rq_ow, PASS, PASS)
    ffn = low.tasks[5].job
    assert (ffn.s, ffn.e, ffn.f) == (3, 4, 8) and ffn.act is Activation.GELU
    assert ffn.rq[6:] == (p.ffn.rq_f1, p.ffn.rq_f2) and ffn.gelu == p.ffn.gelu
    assert low.tasks[2] == CoreTask(low.graph.ops[2], "head_sum", 48, 64)
    assert "l0.head0         engine attention         S=3 E=4 P=2 F=1 tiles" in low.dump()
    assert "l0.ln2           cores  layernorm         48 x 64" in low.dump()


@pytest.mark.parametrize("mode", [Mode.ATTENTION, Mode.FEEDFORWARD, Mode.LINEAR])
def test_jobs_are_the_engine_benches_jobs(mode):
    """The job lowering makes for an op is the job the engine's own benches run for it."""
    job, steps = random_job(CFG, mode, s=2, e=3, p=2, f=4, act=Activation.RELU, seed=7,
                            valid=0)            # the compiler masks no keys
    b = GraphBuilder()
    x = b.input("x", steps[0].a.shape)
    if mode is Mode.ATTENTION:
        _, head = random_head(CFG, s=2, e=3, p=2, seed=7)
        b.output(b.op("attention_head", [x], head, "h"))
    elif mode is Mode.FEEDFORWARD:
        f1, f2 = steps
        params = FFNParams(f1.b, f1.bias, f2.b, f2.bias, job.rq[6], job.rq[7], job.act,
                           job.act_rq, job.gelu)
        b.output(b.op("feedforward", [x], params, "ffn"))
    else:
        st = steps[0]
        params = LinearParams(st.b, st.bias, job.rq[6], job.act, job.act_rq, job.gelu)
        b.output(b.op("linear", [x], params, "lin"))
    (task,) = lower(b.build(), CFG).tasks
    assert task.job == job


def test_a_heads_softmax_shift_reaches_its_job():
    """A head's own ITAMax shift goes into its job, a head without one gets the engine's
    default; the verifier refuses a job with another shift."""
    p = encoder()
    own = dataclasses.replace(p, heads=[dataclasses.replace(p.heads[0], softmax_shift=2),
                                        dataclasses.replace(p.heads[1], softmax_shift=None)])
    low = lower(from_encoder([own], seq=48), CFG)
    assert [t.job.softmax_shift for t in low.tasks[:2]] == [2, CFG.softmax_shift]
    assert all(t.job.valid == 0 for t in low.tasks[:2])
    bad = dataclasses.replace(low.tasks[0], job=dataclasses.replace(low.tasks[0].job,
                                                                    softmax_shift=5))
    with pytest.raises(GraphError, match=r"op 'l0.head0' .* constants \(.*ITAMax's shift\) "
                                         "are not the op's"):
        verify_lowered(dataclasses.replace(low, tasks=[bad, *low.tasks[1:]]))


def test_sizes_not_multiples_of_m_are_named():
    p = encoder()
    with pytest.raises(GraphError, match=re.escape(
            "op 'l0.head0' (attention_head) on (40, 64): S = 40 is not a positive multiple of "
            "M = 16; sizes must be multiples of the engine's M")):
        lower(from_encoder([p], seq=40), CFG)


def test_jobs_over_max_tiles_are_marked_for_the_tiler():
    rng = np.random.default_rng(1)
    w = rng.integers(-128, 128, (64, 160), dtype=np.int8)
    b = GraphBuilder()
    t = b.input("x", (32, 64))
    b.output(b.op("linear", [t], LinearParams(w, np.zeros(160, int), Requant(1, 8)), "big"))
    (task,) = lower(b.build(), CFG).tasks
    assert (task.job.p, task.fits) == (10, False)
    assert "(over max_tiles: to split)" in lower(b.build(), CFG).dump()


def test_verify_names_the_op():
    low = lower(from_encoder([encoder()], seq=48), CFG)
    bad = dataclasses.replace(low.tasks[0], job=dataclasses.replace(low.tasks[0].job, p=3))
    with pytest.raises(GraphError, match=r"op 'l0.head0' \(attention_head\): job ATTENTION "
                                         r"S=3 E=4 P=3 F=1 tiles does not match the op"):
        verify_lowered(dataclasses.replace(low, tasks=[bad, *low.tasks[1:]]))
    wrong = dataclasses.replace(low.tasks[2], kernel="layernorm")
    with pytest.raises(GraphError, match="op 'l0.mha' .* lowered to kernel layernorm"):
        verify_lowered(dataclasses.replace(low, tasks=[*low.tasks[:2], wrong, *low.tasks[3:]]))
    with pytest.raises(GraphError, match="not the graph's ops"):
        verify_lowered(dataclasses.replace(low, tasks=low.tasks[1:]))

    def swap(k: int, task) -> None:
        verify_lowered(dataclasses.replace(low, tasks=[*low.tasks[:k], task,
                                                       *low.tasks[k + 1:]]))

    ffn = low.tasks[5]
    with pytest.raises(GraphError, match="op 'l0.ffn' .* constants .* are not the op's"):
        swap(5, dataclasses.replace(ffn, job=dataclasses.replace(ffn.job, act=Activation.RELU)))
    with pytest.raises(GraphError, match="op 'l0.ffn' .* marked fits=False for max_tiles 8"):
        swap(5, dataclasses.replace(ffn, fits=False))
    with pytest.raises(GraphError, match="op 'l0.mha' .* an engine job for an op the cores run"):
        swap(2, EngineTask(low.tasks[2].op, ffn.job, True))
