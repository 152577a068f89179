"""Engine jobs at the edges of the arithmetic, for the engine's coverage matrix
(docs/verification.md): operands all -128, accumulators as far as int8 operands and a 24-bit
bias reach at ``max_tiles``, requantizers with ``mult`` 0 and 255 and ``shift`` 0 and 31,
and rows of identical logits, masked and not. Random jobs (:mod:`.random_jobs`) are
well-scaled by design and never go there.

Each job comes with its golden steps, like :func:`~sw.engine.random_jobs.random_job`.
"""

import numpy as np

from hw.ita.config import BIAS_BITS, Activation, ITAConfig
from sw.golden import (
    FFNParams,
    HeadParams,
    Requant,
    attention_head,
    derive_gelu,
    feedforward,
    itamax,
    linear,
    matmul_step,
    requant_for,
)

from .job import golden_valid
from .streams import (
    ItaJob,
    StepData,
    attention_steps,
    feedforward_steps,
    linear_steps,
    single_attention_steps,
)

__all__ = ["extreme_jobs", "EXTREMES"]

BIAS_MIN, BIAS_MAX = -(2 ** (BIAS_BITS - 1)), 2 ** (BIAS_BITS - 1) - 1

#: The extreme cases, by name, with what each reaches.
EXTREMES = {
    "acc_max": "Linear, E = max_tiles, every operand -128 and the bias at its maximum: the "
               "largest accumulator an int8 product and a 24-bit bias reach",
    "acc_min": "the same with weights 127 and the bias at its minimum: the most negative",
    "ffn_all_min": "Feed-forward with F = max_tiles (F2's inner dimension at the limit), "
                   "every operand -128, ReLU",
    "attention_all_min": "Attention with every input and weight -128 (biases spread): "
                         "every row the same",
    "identical_logits": "Single-attention with K = 0 (every logit equal), no mask",
    "identical_logits_masked": "the same, with the keys masked from the middle of a group",
    "requant_mult0": "Linear with mult 0 (every output is add) and an extreme add",
    "requant_mult255_shift0": "Linear with mult 255, shift 0: every output saturates",
    "requant_shift31": "Linear with mult 255, shift 31: every product rounds to 0, the "
                       "output is add",
    "gelu_saturated": "Linear with GELU on outputs saturated by mult 255, shift 0",
}


def _linear(cfg: ITAConfig, x, w, b, rq: Requant, act: Activation = Activation.IDENTITY,
            rq_act: Requant | None = None, gelu=None) -> tuple[ItaJob, list[StepData]]:
    rq_act = rq_act or Requant(1, 0)
    out = linear(x, w, b, rq, act, rq_act, gelu, cfg=cfg).out
    return linear_steps(x, w, b, rq, act, rq_act, gelu, out, cfg)


def _biases(n: int, sign: int) -> np.ndarray:
    """``n`` biases from 0 to the bias's extreme of ``sign``: the columns' accumulators spread
    from the product alone to the largest sum, so outputs differ by column."""
    return np.linspace(0, BIAS_MAX if sign > 0 else BIAS_MIN, n).round().astype(np.int64)


def _spread(largest: int) -> Requant:
    """The requantizer that maps an accumulator of ``largest`` magnitude to 120."""
    return requant_for(120 / largest)


def _single_attention(cfg: ITAConfig, q, k, v, valid: int, shift: int):
    rq_qk, rq_av = Requant(7, 4, 3), Requant(1, 1)
    qk = matmul_step(q, k.T, None, rq_qk, cfg=cfg)
    a = itamax(qk.out, group=cfg.n, k=shift, valid=golden_valid(valid, k.shape[0]))
    av = matmul_step(a, v, None, rq_av, a_unsigned=True, cfg=cfg)
    return single_attention_steps(q, k, v, rq_qk, rq_av, qk, av, cfg, shift, valid)


def extreme_jobs(cfg: ITAConfig, seed: int = 0) -> dict[str, tuple[ItaJob, list[StepData]]]:
    """Every job of :data:`EXTREMES` for the engine ``cfg``, with its golden steps."""
    rng = np.random.default_rng(seed)
    m, big = cfg.m, cfg.max_size
    low = np.full((m, big), -128, np.int8)
    rand = rng.integers(-128, 128, (m, m)).astype(np.int8)
    wrand = rng.integers(-128, 128, (m, m)).astype(np.int8)
    brand = rng.integers(-1000, 1000, m)
    product = big * 128 * 128                 # every operand -128, inner dimension at max
    jobs = {
        "acc_max": _linear(cfg, low, np.full((big, m), -128, np.int8), _biases(m, 1),
                           _spread(product + BIAS_MAX)),
        "acc_min": _linear(cfg, low, np.full((big, m), 127, np.int8), _biases(m, -1),
                           _spread(product + BIAS_MAX)),
        "requant_mult0": _linear(cfg, rand, wrand, brand, Requant(0, 0, -128)),
        "requant_mult255_shift0": _linear(cfg, rand, wrand, brand, Requant(255, 0, 0)),
        "requant_shift31": _linear(cfg, rand, wrand, brand, Requant(255, 31, -3)),
    }
    gelu, rq_act = derive_gelu(1 / 40, 1.5 / 40)
    jobs["gelu_saturated"] = _linear(cfg, rand, wrand, brand, Requant(255, 0, 0),
                                     Activation.GELU, rq_act, gelu)
    x = np.full((m, m), -128, np.int8)
    f1_largest = m * 128 * 128 + BIAS_MAX
    ffn = FFNParams(np.full((m, big), -128, np.int8), _biases(big, 1),
                    np.full((big, m), -128, np.int8), _biases(m, -1), _spread(f1_largest),
                    _spread(big * 120 * 128 + BIAS_MAX), Activation.RELU, Requant(1, 0))
    jobs["ffn_all_min"] = feedforward_steps(x, ffn, feedforward(x, ffn, cfg=cfg), cfg)
    w = np.full((m, m), -128, np.int8)
    b = _biases(m, -1)
    rq = _spread(m * 128 * 128 + BIAS_MAX)
    head = HeadParams(w, w, w, w, b, b, b, b, rq, rq, rq, rq, Requant(1, 1), rq,
                      softmax_shift=5)
    xs = np.full((2 * m, m), -128, np.int8)
    jobs["attention_all_min"] = attention_steps(xs, head, attention_head(xs, head, cfg=cfg),
                                                cfg)
    q = rng.integers(-128, 128, (2 * m, m)).astype(np.int8)
    v = rng.integers(-128, 128, (2 * m, m)).astype(np.int8)
    k = np.zeros((2 * m, m), np.int8)
    jobs["identical_logits"] = _single_attention(cfg, q, k, v, 0, 0)
    jobs["identical_logits_masked"] = _single_attention(cfg, q, k, v, m + cfg.n // 2 + 1, 7)
    assert set(jobs) == set(EXTREMES)
    return jobs
