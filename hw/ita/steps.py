"""The step program of the engine: which matrix steps a mode runs, in which order, and the
sizes of each (in tiles). Shared by the sequencers in hardware (as Amaranth expressions) and by
software (``step_list``, plain Python) so both follow one definition.

| step | rows R | inner I | columns C | bias | notes |
|---|---|---|---|---|---|
| Q, K | S | E | P | per column | Q = X Wq, K = X Wk |
| V | P | E | S | per row | V^T = Wv^T X^T: V comes out transposed |
| QK | 1 (row tile ``at``) | P | S | no | ITAMax stage 1 on the output |
| AV | 1 (row tile ``at``) | S | P | no | input normalised by ITAMax stage 3 |
| OW | S | P | E | per column | |
| F1 | S | E | F (P in Linear) | per column | activation |
| F2 | S | F | E | per column | |

Attention runs Q, K, V, then QK(at), AV(at) for every row tile ``at``, then OW;
Single-attention only the QK/AV pairs; Feed-forward F1, F2; Linear F1 alone.
"""

from amaranth import Mux, Value
from amaranth.lib import enum

from .config import Mode

__all__ = ["StepKind", "BIAS_STEPS", "step_list", "step_dims", "first_step", "next_step",
           "step_has_bias", "step_bias_per_row", "step_needs_drain",
           "step_weights_need_drain", "step_dims_hw"]


class StepKind(enum.Enum, shape=3):
    """Matrix steps; the value is also the index of the step's requantizer."""

    Q = 0
    K = 1
    V = 2
    QK = 3
    AV = 4
    OW = 5
    F1 = 6
    F2 = 7


BIAS_STEPS = (StepKind.Q, StepKind.K, StepKind.V, StepKind.OW, StepKind.F1, StepKind.F2)


def step_list(mode: Mode, s: int) -> list[tuple[StepKind, int]]:
    """Return the steps of a job as ``(kind, at)`` pairs (``at``: row tile of QK/AV)."""
    pairs = [p for at in range(s) for p in ((StepKind.QK, at), (StepKind.AV, at))]
    return {
        Mode.ATTENTION: [(StepKind.Q, 0), (StepKind.K, 0), (StepKind.V, 0), *pairs,
                         (StepKind.OW, 0)],
        Mode.SINGLE_ATTENTION: pairs,
        Mode.FEEDFORWARD: [(StepKind.F1, 0), (StepKind.F2, 0)],
        Mode.LINEAR: [(StepKind.F1, 0)],
    }[Mode(mode)]


def step_dims(kind: StepKind, mode: Mode, s: int, e: int, p: int, f: int
              ) -> tuple[int, int, int]:
    """Return ``(R, I, C)`` of a step in tiles (plain Python)."""
    return {
        StepKind.Q: (s, e, p), StepKind.K: (s, e, p), StepKind.V: (p, e, s),
        StepKind.QK: (1, p, s), StepKind.AV: (1, s, p), StepKind.OW: (s, p, e),
        StepKind.F1: (s, e, p if Mode(mode) is Mode.LINEAR else f), StepKind.F2: (s, f, e),
    }[kind]


# --- the same program as Amaranth expressions -------------------------------------------------

def first_step(mode: Value) -> Value:
    """The first step of a mode."""
    return Mux(mode == Mode.ATTENTION, StepKind.Q.value,
               Mux(mode == Mode.SINGLE_ATTENTION, StepKind.QK.value, StepKind.F1.value))


def next_step(mode: Value, kind: Value, at: Value, s: Value) -> tuple[Value, Value, Value]:
    """Return ``(kind, at, end)`` of the step after ``(kind, at)``."""
    last_pair = at + 1 == s
    nk = Mux(kind == StepKind.Q, StepKind.K.value,
         Mux(kind == StepKind.K, StepKind.V.value,
         Mux(kind == StepKind.V, StepKind.QK.value,
         Mux(kind == StepKind.QK, StepKind.AV.value,
         Mux(kind == StepKind.AV, Mux(last_pair, StepKind.OW.value, StepKind.QK.value),
         StepKind.F2.value)))))
    nat = Mux(kind == StepKind.QK, at, Mux((kind == StepKind.AV) & ~last_pair, at + 1, 0))
    end = (((kind == StepKind.AV) & last_pair & (mode != Mode.ATTENTION))
           | (kind == StepKind.OW) | (kind == StepKind.F2)
           | ((kind == StepKind.F1) & (mode != Mode.FEEDFORWARD)))
    return nk, nat, end


def step_has_bias(kind: Value) -> Value:
    """Whether a step adds a bias (all but QK and AV)."""
    return (kind != StepKind.QK) & (kind != StepKind.AV)


def step_bias_per_row(kind: Value) -> Value:
    """Whether the step's bias runs along rows (V, computed transposed) instead of columns."""
    return kind == StepKind.V


def step_needs_drain(kind: Value, at: Value) -> Value:
    """Whether a step's inputs are outputs of earlier steps of the job (Q for the first QK,
    the logits for AV, O for OW, F1 for F2): its first input row may be read only when they
    have left the engine."""
    return (((kind == StepKind.QK) & (at == 0)) | (kind == StepKind.AV)
            | (kind == StepKind.OW) | (kind == StepKind.F2))


def step_weights_need_drain(kind: Value, at: Value) -> Value:
    """Whether a step's weights are outputs of the job (K for the first QK). Other steps load
    their first weight tile while the previous step finishes."""
    return (kind == StepKind.QK) & (at == 0)


def step_dims_hw(kind: Value, mode: Value, s: Value, e: Value, p: Value, f: Value
                 ) -> tuple[Value, Value, Value]:
    """Return ``(R, I, C)`` in tiles as Amaranth expressions."""
    qk_ = (kind == StepKind.Q) | (kind == StepKind.K)
    r = Mux((kind == StepKind.QK) | (kind == StepKind.AV), 1, Mux(kind == StepKind.V, p, s))
    i = Mux(qk_ | (kind == StepKind.V) | (kind == StepKind.F1), e,
        Mux((kind == StepKind.QK) | (kind == StepKind.OW), p,
        Mux(kind == StepKind.AV, s, f)))
    c = Mux(qk_ | (kind == StepKind.AV), p,
        Mux((kind == StepKind.QK) | (kind == StepKind.V), s,
        Mux(kind == StepKind.F1, Mux(mode == Mode.LINEAR, p, f), e)))
    return r, i, c
