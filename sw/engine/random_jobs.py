"""Random but well-scaled engine jobs for tests and benchmarks.

Requantizers are calibrated on the data (each maps its accumulators' standard deviation to
about 40 steps), so outputs spread over the int8 range instead of saturating or vanishing.
Attention heads draw ITAMax's shift k (0..7), and attention jobs a valid length (half of them
none, the others 1..S*M), unless the caller gives them.
"""

import math

import numpy as np

from hw.ita.config import Activation, ITAConfig, Mode
from sw.golden import (
    FFNParams,
    GeluConstants,
    HeadParams,
    MHAResult,
    Requant,
    attention_head,
    derive_gelu,
    feedforward,
    itamax,
    linear,
    matmul_step,
    multi_head_attention,
    requant_for,
)
from sw.golden.layers import PASS

from .job import golden_valid
from .streams import (
    ItaJob,
    StepData,
    attention_steps,
    feedforward_steps,
    linear_steps,
    single_attention_steps,
)

__all__ = ["random_job", "random_head", "random_mha"]

TARGET_STD = 40.0


def _calibrated(acc: np.ndarray) -> Requant:
    return requant_for(min(255.0, TARGET_STD / max(1.0, float(acc.std()))))


def _int8(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(-128, 128, shape).astype(np.int8)


def _bias(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    return np.clip(rng.normal(0, scale, n), -(2 ** 23), 2 ** 23 - 1).astype(np.int64)


def _step(a, b, bias, *, unsigned: bool = False, cfg: ITAConfig) -> Requant:
    """The requantizer calibrated on the step's accumulators."""
    return _calibrated(matmul_step(a, b, bias, PASS, a_unsigned=unsigned, cfg=cfg).acc)


def _valid(rng: np.random.Generator, keys: int) -> int:
    """A random valid length over ``keys`` keys: 0 (none masked) half the time, else
    1..keys."""
    return int(rng.integers(1, keys + 1)) if rng.random() < 0.5 else 0


def _head(rng, cfg: ITAConfig, s: int, e: int, p: int, x: np.ndarray | None = None,
          softmax_shift: int | None = None):
    m = cfg.m
    x = _int8(rng, (s * m, e * m)) if x is None else x
    w = {n: _int8(rng, (e * m, p * m)) for n in ("q", "k", "v")}
    wo = _int8(rng, (p * m, e * m))
    acc_std = math.sqrt(e * m) * 74 * 74
    b = {n: _bias(rng, p * m, acc_std) for n in ("q", "k", "v")}
    bo = _bias(rng, e * m, math.sqrt(p * m) * 74 * 40)
    shift = int(rng.integers(0, 8))      # drawn always, so a given shift keeps the weights
    shift = shift if softmax_shift is None else softmax_shift
    rq = {n: _step(x, w[n], b[n], cfg=cfg) for n in ("q", "k", "v")}
    q, k, v = (matmul_step(x, w[n], b[n], rq[n], cfg=cfg).out for n in ("q", "k", "v"))
    rq_qk = _step(q, k.T, None, cfg=cfg)
    logits = matmul_step(q, k.T, None, rq_qk, cfg=cfg).out
    a = itamax(logits, group=cfg.n, k=shift)
    rq_av = _step(a, v, None, unsigned=True, cfg=cfg)
    o = matmul_step(a, v, None, rq_av, a_unsigned=True, cfg=cfg).out
    rq_ow = _step(o, wo, bo, cfg=cfg)
    return x, HeadParams(w["q"], w["k"], w["v"], wo, b["q"], b["k"], b["v"], bo,
                         rq["q"], rq["k"], rq["v"], rq_qk, rq_av, rq_ow, softmax_shift=shift)


def _ffn(rng, cfg: ITAConfig, s: int, e: int, f: int, act: Activation):
    m = cfg.m
    x = _int8(rng, (s * m, e * m))
    w1, w2 = _int8(rng, (e * m, f * m)), _int8(rng, (f * m, e * m))
    b1 = _bias(rng, f * m, math.sqrt(e * m) * 74 * 74)
    b2 = _bias(rng, e * m, math.sqrt(f * m) * 74 * 40)
    rq1 = _step(x, w1, b1, cfg=cfg)
    gelu: GeluConstants | None = None
    if act is Activation.GELU:
        # F1 outputs have a std of ~40 steps; call that one unit of the GELU's input
        gelu, rq_act = derive_gelu(1 / TARGET_STD, 1.5 / TARGET_STD)
    elif act is Activation.RELU:
        rq_act = Requant(1, 0, -20)
    else:
        rq_act = Requant(192, 8, 3)
    h = linear(x, w1, b1, rq1, act, rq_act, gelu, cfg=cfg).out
    rq2 = _step(h, w2, b2, cfg=cfg)
    return x, FFNParams(w1, b1, w2, b2, rq1, rq2, act, rq_act, gelu)


def random_job(cfg: ITAConfig, mode: Mode, *, s: int, e: int = 1, p: int = 1, f: int = 1,
               act: Activation = Activation.IDENTITY, seed: int = 0,
               softmax_shift: int | None = None, valid: int | None = None
               ) -> tuple[ItaJob, list[StepData]]:
    """A random job of ``mode`` with sizes in tiles, and its golden steps.

    Attention and Single-attention use ITAMax's shift ``softmax_shift`` and the valid length
    ``valid`` (0: no key masked); None draws them (k in 0..7; no mask half the time, else
    1..S*M). Other modes ignore both.
    """
    rng = np.random.default_rng(seed)
    mode, act = Mode(mode), Activation(act)
    keys = s * cfg.m
    if valid is None and mode in (Mode.ATTENTION, Mode.SINGLE_ATTENTION):
        valid = _valid(np.random.default_rng([seed, 1]), keys)
    if mode is Mode.ATTENTION:
        x, h = random_head(cfg, s=s, e=e, p=p, seed=seed, softmax_shift=softmax_shift)
        r = attention_head(x, h, cfg=cfg, valid=golden_valid(valid, keys))
        return attention_steps(x, h, r, cfg, valid)
    if mode is Mode.SINGLE_ATTENTION:
        x, h = _head(rng, cfg, s, e, p, softmax_shift=softmax_shift)
        r = attention_head(x, h, cfg=cfg, valid=golden_valid(valid, keys))
        return single_attention_steps(r.q.out, r.k.out, r.v.out, h.rq_qk, h.rq_av, r.qk,
                                      r.av, cfg, h.softmax_shift, valid)
    if mode is Mode.FEEDFORWARD:
        x, ffn = _ffn(rng, cfg, s, e, f, act)
        return feedforward_steps(x, ffn, feedforward(x, ffn, cfg=cfg), cfg)
    x, ffn = _ffn(rng, cfg, s, e, p, act)
    lin = linear(x, ffn.w1, ffn.b1, ffn.rq_f1, act, ffn.rq_act, ffn.gelu, cfg=cfg)
    return linear_steps(x, ffn.w1, ffn.b1, ffn.rq_f1, act, ffn.rq_act, ffn.gelu, lin.out,
                        cfg)


def random_head(cfg: ITAConfig, *, s: int, e: int, p: int, seed: int = 0,
                softmax_shift: int | None = None) -> tuple[np.ndarray, HeadParams]:
    """The input and attention head of ``random_job(cfg, Mode.ATTENTION, ...)`` with the same
    sizes (in tiles), seed and ``softmax_shift`` (None: drawn; the head carries it). A given
    shift changes the requantizers calibrated after ITAMax, never the input or the weights."""
    return _head(np.random.default_rng(seed), cfg, s, e, p, softmax_shift=softmax_shift)


def random_mha(cfg: ITAConfig, *, s: int, e: int, p: int, heads: int, seed: int = 0,
               valid: int | None = None
               ) -> tuple[MHAResult, list[tuple[ItaJob, list[StepData]]]]:
    """Multi-head attention on one input: the golden result and one job per head. Each head
    draws its shift; every head masks the keys from ``valid`` on (None: drawn as in
    :func:`random_job`; 0: none)."""
    rng = np.random.default_rng(seed)
    x = _int8(rng, (s * cfg.m, e * cfg.m))
    params = [_head(rng, cfg, s, e, p, x)[1] for _ in range(heads)]
    keys = s * cfg.m
    valid = _valid(rng, keys) if valid is None else valid
    masked = golden_valid(valid, keys)
    head_outs = [attention_head(x, h, cfg=cfg, valid=masked) for h in params]
    total = np.sum([r.out.astype(np.int64) for r in head_outs], axis=0)
    mha = multi_head_attention(x, params, _calibrated(total), cfg=cfg, valid=masked)
    return mha, [attention_steps(x, h, r, cfg, valid)
                 for h, r in zip(params, mha.heads, strict=True)]
