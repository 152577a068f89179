"""Where a job's matrices are: which pointer register each step reads and writes, and the
extent of each matrix. Shared by the walkers, the job checker and software (plain Python
tables plus their Amaranth selectors)."""

from amaranth import Const, Mux, Value

from hw.ita.config import Mode
from hw.ita.steps import StepKind

from .regmap import POINTERS

__all__ = ["A_POINTER", "B_POINTER", "BIAS_POINTER", "OUT_POINTER", "EXTENTS",
           "pointer_index", "select_pointer"]

K = StepKind
#: Pointer of each step's input rows (matrix A).
A_POINTER = {K.Q: "IN", K.K: "IN", K.V: "W2", K.QK: "T0", K.AV: "T3", K.OW: "T4", K.F1: "IN",
             K.F2: "T0"}
#: Pointer of each step's weight rows (rows of B^T).
B_POINTER = {K.Q: "W0", K.K: "W1", K.V: "IN", K.QK: "T1", K.AV: "T2", K.OW: "W3", K.F1: "W0",
             K.F2: "W1"}
#: Pointer of each step's biases (int32 each).
BIAS_POINTER = {K.Q: "B0", K.K: "B1", K.V: "B2", K.OW: "B3", K.F1: "B0", K.F2: "B1"}
#: Pointer of each step's output rows; F1 writes T0 in Feed-forward and OUT in Linear.
OUT_POINTER = {K.Q: "T0", K.K: "T1", K.V: "T2", K.QK: "T3", K.AV: "T4", K.OW: "OUT",
               K.F1: "OUT", K.F2: "OUT"}

#: (mode, pointer) -> (rows, columns): sizes by name ("s", "e", "p", "f"); columns "bias"
#: means one int32 per row (a bias vector of ``rows`` elements). Pointers a mode does not use
#: are absent.
EXTENTS: dict[tuple[Mode, str], tuple[str, str]] = {
    (Mode.ATTENTION, "IN"): ("s", "e"), (Mode.ATTENTION, "W0"): ("p", "e"),
    (Mode.ATTENTION, "W1"): ("p", "e"), (Mode.ATTENTION, "W2"): ("p", "e"),
    (Mode.ATTENTION, "W3"): ("e", "p"), (Mode.ATTENTION, "B0"): ("p", "bias"),
    (Mode.ATTENTION, "B1"): ("p", "bias"), (Mode.ATTENTION, "B2"): ("p", "bias"),
    (Mode.ATTENTION, "B3"): ("e", "bias"), (Mode.ATTENTION, "T0"): ("s", "p"),
    (Mode.ATTENTION, "T1"): ("s", "p"), (Mode.ATTENTION, "T2"): ("p", "s"),
    (Mode.ATTENTION, "T3"): ("s", "s"), (Mode.ATTENTION, "T4"): ("s", "p"),
    (Mode.ATTENTION, "OUT"): ("s", "e"),
    (Mode.SINGLE_ATTENTION, "T0"): ("s", "p"), (Mode.SINGLE_ATTENTION, "T1"): ("s", "p"),
    (Mode.SINGLE_ATTENTION, "T2"): ("p", "s"), (Mode.SINGLE_ATTENTION, "T3"): ("s", "s"),
    (Mode.SINGLE_ATTENTION, "T4"): ("s", "p"),
    (Mode.FEEDFORWARD, "IN"): ("s", "e"), (Mode.FEEDFORWARD, "W0"): ("f", "e"),
    (Mode.FEEDFORWARD, "W1"): ("e", "f"), (Mode.FEEDFORWARD, "B0"): ("f", "bias"),
    (Mode.FEEDFORWARD, "B1"): ("e", "bias"), (Mode.FEEDFORWARD, "T0"): ("s", "f"),
    (Mode.FEEDFORWARD, "OUT"): ("s", "e"),
    (Mode.LINEAR, "IN"): ("s", "e"), (Mode.LINEAR, "W0"): ("p", "e"),
    (Mode.LINEAR, "B0"): ("p", "bias"), (Mode.LINEAR, "OUT"): ("s", "p"),
}


def pointer_index(name: str) -> int:
    return POINTERS.index(name)


def select_pointer(table: dict, kind: Value, mode: Value, pointers) -> Value:
    """The pointer ``table[kind]`` (F1's output depends on the mode) from ``pointers``, a
    sequence of 32-bit values indexed like ``POINTERS``."""
    out = Const(0, 32)
    for k, name in table.items():
        value = pointers[pointer_index(name)]
        if table is OUT_POINTER and k is StepKind.F1:
            value = Mux(mode == Mode.FEEDFORWARD, pointers[pointer_index("T0")], value)
        out = Mux(kind == k, value, out)
    return out
