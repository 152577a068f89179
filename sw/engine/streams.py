"""The stream order of the ITA engine, in NumPy: what each stream carries for a job, built
from golden-model matrices, and the packing of a job into the engine's configuration.

Every beat is a row of M bytes. For a step with R x I x C tiles (``hw.ita.steps``), the engine
walks, outermost first, row tiles ``rt``, column tiles ``ct`` and inner tiles ``it``:

- ``weight``: per (rt, ct, it), M beats: beat c holds ``B[it*M:(it+1)*M, ct*M + c]`` (one
  column of the weight matrix over one inner tile: a row of B^T);
- ``inp``: per (rt, ct, it), M beats: beat r holds ``A[rt*M + r, it*M:(it+1)*M]``;
- ``bias`` (steps with bias): per (rt, ct), 4 beats of M/4 int32: the tile's M biases,
  ``bias[ct*M : ct*M + M]`` (or ``bias[rt*M : rt*M + M]`` for V, whose bias runs along rows);
- ``out``: per (rt, ct), M beats: beat r holds ``out[rt*M + r, ct*M : ct*M + M]``.

Steps follow each other in the job's order (``hw.ita.steps.step_list``). V is computed
transposed: ``V^T = Wv^T X^T`` (A = Wv^T, B = X^T, out = V^T).
"""

from dataclasses import dataclass, field

import numpy as np

from hw.ita.config import Activation, ITAConfig
from hw.ita.steps import BIAS_STEPS, StepKind, step_list
from sw.engine.job import ItaJob, attention_job, feedforward_job, linear_job, single_attention_job
from sw.golden import (
    FFNParams,
    FFNResult,
    GeluConstants,
    HeadParams,
    HeadResult,
    Requant,
    StepResult,
)

__all__ = ["ItaJob", "StepData", "Streams", "attention_steps", "feedforward_steps",
           "linear_steps", "single_attention_steps", "build_streams", "output_matrix"]


@dataclass(frozen=True)
class StepData:
    """One step's operands and expected output (all int matrices; ``a`` uint8-free: the A*V
    step takes the int8 logits, which the engine normalises itself)."""

    kind: StepKind
    at: int
    a: np.ndarray
    b: np.ndarray
    bias: np.ndarray | None
    out: np.ndarray


def _rows(x: np.ndarray, at: int, m: int) -> np.ndarray:
    return x[at * m:(at + 1) * m]


def _pairs(q: np.ndarray, k: np.ndarray, v: np.ndarray, qk: StepResult, av: StepResult,
           m: int) -> list[StepData]:
    steps = []
    for at in range(q.shape[0] // m):
        steps.append(StepData(StepKind.QK, at, _rows(q, at, m), k.T, None,
                              _rows(qk.out, at, m)))
        steps.append(StepData(StepKind.AV, at, _rows(qk.out, at, m), v, None,
                              _rows(av.out, at, m)))
    return steps


def attention_steps(x: np.ndarray, h: HeadParams, r: HeadResult, cfg: ITAConfig,
                    valid: int = 0) -> tuple[ItaJob, list[StepData]]:
    """Job and steps of one attention head, from its golden result (computed with the valid
    length ``valid``, 0 for none)."""
    m = cfg.m
    steps = [StepData(StepKind.Q, 0, x, h.wq, h.bq, r.q.out),
             StepData(StepKind.K, 0, x, h.wk, h.bk, r.k.out),
             StepData(StepKind.V, 0, h.wv.T, x.T, h.bv, r.v.out.T),
             *_pairs(r.q.out, r.k.out, r.v.out, r.qk, r.av, m),
             StepData(StepKind.OW, 0, r.av.out, h.wo, h.bo, r.ow.out)]
    return attention_job(cfg, x.shape[0], h, valid), steps


def single_attention_steps(q: np.ndarray, k: np.ndarray, v: np.ndarray, rq_qk: Requant,
                           rq_av: Requant, qk: StepResult, av: StepResult, cfg: ITAConfig,
                           softmax_shift: int | None = None, valid: int = 0
                           ) -> tuple[ItaJob, list[StepData]]:
    """Job and steps of Single-attention (QK, ITAMax, AV on given Q, K, V), from golden
    results computed with ITAMax's shift ``softmax_shift`` (None: ``cfg.softmax_shift``) and
    the valid length ``valid`` (0 for none)."""
    job = single_attention_job(cfg, q.shape[0], q.shape[1], rq_qk, rq_av, softmax_shift,
                               valid)
    return job, _pairs(q, k, v, qk, av, cfg.m)


def feedforward_steps(x: np.ndarray, p: FFNParams, r: FFNResult, cfg: ITAConfig
                      ) -> tuple[ItaJob, list[StepData]]:
    """Job and steps of a feed-forward block, from its golden result."""
    steps = [StepData(StepKind.F1, 0, x, p.w1, p.b1, r.f1.out),
             StepData(StepKind.F2, 0, r.f1.out, p.w2, p.b2, r.f2.out)]
    return feedforward_job(cfg, x.shape[0], p), steps


def linear_steps(x: np.ndarray, w: np.ndarray, b: np.ndarray, rq: Requant,
                 act: Activation, rq_act: Requant, gelu: GeluConstants | None,
                 out: np.ndarray, cfg: ITAConfig) -> tuple[ItaJob, list[StepData]]:
    """Job and step of a linear layer (the F1 requantizer and the activation)."""
    job = linear_job(cfg, x.shape[0], w.shape, rq, act, rq_act, gelu)
    return job, [StepData(StepKind.F1, 0, x, w, b, out)]


@dataclass
class Streams:
    """Every beat of a job's four streams, and where each step's outputs are."""

    inp: np.ndarray      #: (beats, M) int8
    weight: np.ndarray   #: (beats, M) int8
    bias: np.ndarray     #: (beats, M/4) int64
    out: np.ndarray      #: (beats, M) int8, expected
    spans: list[tuple[StepData, int, int]] = field(default_factory=list)  #: output beats

    @property
    def macs(self) -> int:
        """Multiply-accumulates the job performs (M*M per input row)."""
        return self.inp.shape[0] * self.inp.shape[1] ** 2


def _step_beats(cfg: ITAConfig, st: StepData):
    m = cfg.m
    rows, inner, cols = st.a.shape[0] // m, st.a.shape[1] // m, st.b.shape[1] // m
    a = np.asarray(st.a, dtype=np.int8).reshape(rows, m, inner, m).transpose(0, 2, 1, 3)
    inp = np.broadcast_to(a[:, None], (rows, cols, inner, m, m)).reshape(-1, m)
    b = np.asarray(st.b, dtype=np.int8).reshape(inner, m, cols, m).transpose(2, 0, 3, 1)
    weight = np.broadcast_to(b[None], (rows, cols, inner, m, m)).reshape(-1, m)
    if st.kind in BIAS_STEPS:
        bias = np.asarray(st.bias, dtype=np.int64)
        tiles = (bias.reshape(rows, 1, m) if st.kind is StepKind.V
                 else bias.reshape(1, cols, m))
        bias = np.broadcast_to(tiles, (rows, cols, m)).reshape(-1, m // 4)
    else:
        bias = np.zeros((0, m // 4), dtype=np.int64)
    out = (np.asarray(st.out, dtype=np.int8).reshape(rows, m, cols, m)
           .transpose(0, 2, 1, 3).reshape(-1, m))
    return inp, weight, bias, out


def build_streams(cfg: ITAConfig, job: ItaJob, steps: list[StepData]) -> Streams:
    """Return every beat of the job's streams, checking the steps match the job's program."""
    program = step_list(job.mode, job.s)
    got = [(st.kind, st.at) for st in steps]
    if got != program:
        raise ValueError(f"steps {got} do not match the program of {job.mode.name}: {program}")
    parts = [_step_beats(cfg, st) for st in steps]
    spans, start = [], 0
    for st, p in zip(steps, parts, strict=True):
        spans.append((st, start, start + p[3].shape[0]))
        start += p[3].shape[0]
    inp, weight, bias, out = (np.concatenate([p[i] for p in parts]) for i in range(4))
    return Streams(inp, weight, bias, out, spans)


def output_matrix(cfg: ITAConfig, st: StepData, beats: np.ndarray) -> np.ndarray:
    """Rebuild a step's output matrix from its output beats (the inverse of the out order)."""
    m = cfg.m
    rows, cols = st.out.shape[0] // m, st.out.shape[1] // m
    return beats.reshape(rows, cols, m, m).transpose(0, 2, 1, 3).reshape(rows * m, cols * m)
