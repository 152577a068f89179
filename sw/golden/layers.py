"""The matrix steps of the ITA engine and the layers built from them.

Every step is ``out = requant(clip26(A @ B + bias))`` with int8 (or, for A*V, uint8) left
operand, int8 right operand and a 24-bit bias added once. Attention runs, per head,

    Q  = requant_q(X Wq + bq)            K = requant_k(X Wk + bk)     V = requant_v(X Wv + bv)
    L  = requant_qk(Q K^T)               A = itamax(L, group=N, k)    (uint8)
    O  = requant_av(A V)                 Y = requant_ow(O Wo + bo)

multi-head attention sums the heads' int8 outputs and requantizes the sum (the head sum),
feed-forward is ``F1 = act(requant_f1(X W1 + b1))``, ``F2 = requant_f2(F1 W2 + b2)``, and a
linear layer is one step followed by an activation. Each function returns every intermediate
so that hardware can be compared step by step.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hw.ita.config import BIAS_BITS, Activation, ITAConfig

from .activation import GeluConstants, activation
from .checks import instance, int_array, int_scalar, multiple_of, same
from .itamax import ItamaxStages, itamax_stages
from .requant import Requant

__all__ = ["BIAS_MIN", "BIAS_MAX", "StepResult", "matmul_step", "HeadParams", "HeadResult",
           "attention_head", "MHAResult", "multi_head_attention", "FFNParams", "FFNResult",
           "feedforward", "LinearResult", "linear", "int8_matrix"]

BIAS_MIN = -(2 ** (BIAS_BITS - 1))
BIAS_MAX = 2 ** (BIAS_BITS - 1) - 1
DEFAULT = ITAConfig()
#: The requantizer that passes an int8 value through unchanged.
PASS = Requant(1, 0, 0)


def int8_matrix(name: str, x, *, unsigned: bool = False) -> np.ndarray:
    """Check that ``x`` is a matrix of int8 (or uint8) values and return it as int64."""
    lo, hi = (0, 255) if unsigned else (-128, 127)
    return int_array(name, x, lo, hi, ndim=2)


def _shaped(name: str, x: np.ndarray, shape: tuple[int, ...]) -> None:
    if x.shape != shape:
        raise ValueError(f"{name}: shape {x.shape}, expected {shape}")


def _bias(name: str, b, size: int) -> np.ndarray:
    b = int_array(name, b, BIAS_MIN, BIAS_MAX, ndim=1)
    same(name, b.shape[0], size, "the output columns")
    return b


def _exact_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer matrix product through float64, exact while every sum stays below 2**53."""
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


class StepResult(NamedTuple):
    """One matrix step: the accumulator (before clipping) and the requantized output."""

    acc: np.ndarray  #: int64, A @ B + bias
    out: np.ndarray  #: int8


def matmul_step(a, b, bias, rq: Requant, *, a_unsigned: bool = False,
                cfg: ITAConfig = DEFAULT) -> StepResult:
    """Run one engine step: ``requant(clip26(a @ b + bias))``.

    Parameters
    ----------
    a : (R, I) int8 matrix, or uint8 when ``a_unsigned`` (the A*V step)
    b : (I, C) int8 matrix
    bias : (C,) 24-bit signed vector, or None for no bias
    rq : Requant
    cfg : ITAConfig
        R, I and C must be positive multiples of ``cfg.m``.
    """
    instance("rq", rq, Requant)
    instance("cfg", cfg, ITAConfig)
    a = int8_matrix("a", a, unsigned=a_unsigned)
    b = int8_matrix("b", b)
    multiple_of("a rows", a.shape[0], cfg.m)
    multiple_of("a columns", a.shape[1], cfg.m)
    same("b rows", b.shape[0], a.shape[1], "a columns")
    multiple_of("b columns", b.shape[1], cfg.m)
    acc = _exact_matmul(a, b)
    if bias is not None:
        acc = acc + _bias("bias", bias, b.shape[1])
    return StepResult(acc, rq(acc))


@dataclass(frozen=True)
class HeadParams:
    """Weights and constants of one attention head (E = embedding, P = projection).

    ``wq``, ``wk``, ``wv`` are (E, P) int8, ``wo`` is (P, E) int8; ``bq``, ``bk``, ``bv`` are
    (P,) and ``bo`` is (E,) 24-bit biases; one requantizer per step.
    """

    wq: np.ndarray
    wk: np.ndarray
    wv: np.ndarray
    wo: np.ndarray
    bq: np.ndarray
    bk: np.ndarray
    bv: np.ndarray
    bo: np.ndarray
    rq_q: Requant
    rq_k: Requant
    rq_v: Requant
    rq_qk: Requant
    rq_av: Requant
    rq_ow: Requant
    #: ITAMax's shift ``k`` for this head, or None for the engine's ``cfg.softmax_shift``.
    softmax_shift: int | None = None

    def __post_init__(self) -> None:
        e, p = int8_matrix("HeadParams.wq", self.wq).shape
        for name, shape in (("wk", (e, p)), ("wv", (e, p)), ("wo", (p, e))):
            _shaped(f"HeadParams.{name}", int8_matrix(f"HeadParams.{name}",
                                                      getattr(self, name)), shape)
        for name, size in (("bq", p), ("bk", p), ("bv", p), ("bo", e)):
            _bias(f"HeadParams.{name}", getattr(self, name), size)
        for name in ("rq_q", "rq_k", "rq_v", "rq_qk", "rq_av", "rq_ow"):
            instance(f"HeadParams.{name}", getattr(self, name), Requant)
        if self.softmax_shift is not None:
            int_scalar("HeadParams.softmax_shift", self.softmax_shift, 0, 7)

    @property
    def emb(self) -> int:
        return np.shape(self.wq)[0]

    @property
    def proj(self) -> int:
        return np.shape(self.wq)[1]


class HeadResult(NamedTuple):
    """Every intermediate of one attention head."""

    q: StepResult
    k: StepResult
    v: StepResult
    qk: StepResult        #: ``qk.out`` are the int8 logits
    softmax: ItamaxStages  #: ``softmax.a`` is A (uint8)
    av: StepResult
    ow: StepResult        #: ``ow.out`` is the head's int8 output (S, E)

    @property
    def out(self) -> np.ndarray:
        return self.ow.out


def attention_head(x, head: HeadParams, *, cfg: ITAConfig = DEFAULT,
                   valid: int | None = None) -> HeadResult:
    """Run one attention head on int8 ``x`` (S, E); see the module docstring. ``valid`` is the
    number of real tokens: ITAMax masks the keys after them (default: none masked)."""
    instance("head", head, HeadParams)
    x = int8_matrix("x", x)
    same("x columns", x.shape[1], head.emb, "the head's embedding (wq rows)")
    q = matmul_step(x, head.wq, head.bq, head.rq_q, cfg=cfg)
    k = matmul_step(x, head.wk, head.bk, head.rq_k, cfg=cfg)
    v = matmul_step(x, head.wv, head.bv, head.rq_v, cfg=cfg)
    qk = matmul_step(q.out, k.out.T, None, head.rq_qk, cfg=cfg)
    shift = cfg.softmax_shift if head.softmax_shift is None else head.softmax_shift
    sm = itamax_stages(qk.out, group=cfg.n, k=shift, valid=valid)
    av = matmul_step(sm.a, v.out, None, head.rq_av, a_unsigned=True, cfg=cfg)
    ow = matmul_step(av.out, head.wo, head.bo, head.rq_ow, cfg=cfg)
    return HeadResult(q, k, v, qk, sm, av, ow)


class MHAResult(NamedTuple):
    """Multi-head attention: each head, the int64 sum of their outputs and the output."""

    heads: list[HeadResult]
    head_sum: np.ndarray  #: int64, sum of the heads' int8 outputs
    out: np.ndarray       #: int8, requantized head sum


def multi_head_attention(x, heads: list[HeadParams], head_sum: Requant, *,
                         cfg: ITAConfig = DEFAULT, valid: int | None = None) -> MHAResult:
    """Run every head on ``x``, sum their int8 outputs and requantize: ``head_sum(sum_h Y_h)``."""
    if not heads:
        raise ValueError("heads: an empty list; multi-head attention needs at least one head")
    instance("head_sum", head_sum, Requant)
    results = [attention_head(x, h, cfg=cfg, valid=valid) for h in heads]
    total = np.sum([r.out.astype(np.int64) for r in results], axis=0)
    return MHAResult(results, total, head_sum(total))


@dataclass(frozen=True)
class FFNParams:
    """Weights and constants of a feed-forward block: ``w1`` (E, F), ``w2`` (F, E) int8,
    biases ``b1`` (F,), ``b2`` (E,), requantizers, the activation and its constants.

    ``f2_chunks``, when not empty, splits F2 along its inner dimension F into that many equal
    chunks, for an F over the engine's largest size (its accumulator holds no longer sums):
    chunk ``c`` is ``f2_chunks[c](F1[:, chunk] W2[chunk] + (b2 if c == 0))``, and F2 is
    ``rq_f2`` of the sum of the chunks' int8 outputs, as the head sum is of the heads'.
    """

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    rq_f1: Requant
    rq_f2: Requant
    act: Activation = Activation.IDENTITY
    rq_act: Requant = PASS
    gelu: GeluConstants | None = None
    f2_chunks: tuple[Requant, ...] = ()

    def __post_init__(self) -> None:
        e, f = int8_matrix("FFNParams.w1", self.w1).shape
        _shaped("FFNParams.w2", int8_matrix("FFNParams.w2", self.w2), (f, e))
        _bias("FFNParams.b1", self.b1, f)
        _bias("FFNParams.b2", self.b2, e)
        for name in ("rq_f1", "rq_f2", "rq_act"):
            instance(f"FFNParams.{name}", getattr(self, name), Requant)
        if isinstance(self.act, bool) or self.act not in set(Activation):
            raise ValueError(f"FFNParams.act: {self.act!r} is not a valid Activation "
                             f"({', '.join(a.name for a in Activation)})")
        if self.gelu is not None:
            instance("FFNParams.gelu", self.gelu, GeluConstants)
        instance("FFNParams.f2_chunks", self.f2_chunks, tuple | list)
        for c, rq in enumerate(self.f2_chunks):
            instance(f"FFNParams.f2_chunks[{c}]", rq, Requant)

    def chunk_spans(self) -> list[tuple[int, int]]:
        """The columns of F1 (rows of W2) of each F2 chunk."""
        f, n = self.w1.shape[1], max(1, len(self.f2_chunks))
        if f % n:
            raise ValueError(f"F = {f} does not split into {n} equal chunks")
        return [(c * f // n, (c + 1) * f // n) for c in range(n)]


class LinearResult(NamedTuple):
    """A step followed by an activation: ``out = act_rq(act(step.out))``."""

    step: StepResult
    out: np.ndarray


def linear(x, w, b, rq: Requant, act: Activation = Activation.IDENTITY,
           rq_act: Requant = PASS, gelu: GeluConstants | None = None, *,
           cfg: ITAConfig = DEFAULT) -> LinearResult:
    """Run a linear layer: ``act_rq(act(requant(x @ w + b)))``; the identity activation with
    ``PASS`` passes the step's output through unchanged."""
    step = matmul_step(x, w, b, rq, cfg=cfg)
    return LinearResult(step, activation(step.out, act, rq_act, gelu))


class FFNResult(NamedTuple):
    """Both steps of a feed-forward block; ``f1.out`` is after the activation."""

    f1: LinearResult
    f2: StepResult

    @property
    def out(self) -> np.ndarray:
        return self.f2.out


def feedforward(x, ffn: FFNParams, *, cfg: ITAConfig = DEFAULT) -> FFNResult:
    """Run a feed-forward block on int8 ``x`` (S, E)."""
    instance("ffn", ffn, FFNParams)
    f1 = linear(x, ffn.w1, ffn.b1, ffn.rq_f1, ffn.act, ffn.rq_act, ffn.gelu, cfg=cfg)
    if not ffn.f2_chunks:
        return FFNResult(f1, matmul_step(f1.out, ffn.w2, ffn.b2, ffn.rq_f2, cfg=cfg))
    total = sum(matmul_step(f1.out[:, a:b], ffn.w2[a:b], ffn.b2 if c == 0 else None, rq,
                            cfg=cfg).out.astype(np.int64)
                for c, ((a, b), rq) in enumerate(zip(ffn.chunk_spans(), ffn.f2_chunks,
                                                     strict=True)))
    return FFNResult(f1, StepResult(total, ffn.rq_f2(total)))
