"""Place an engine job's matrices in memory, as the HWPE expects them (docs/hwpe.md).

Every matrix is dense and row-major: int8 matrices with rows of their column count, biases as
little-endian int32. Weights are stored transposed (rows of B^T), V is produced transposed.
Matrices the job writes are only expected, never loaded: they are filled with noise first so
that a read before a write shows.
"""

from dataclasses import dataclass, field

import numpy as np

from hw.hwpe.layout import A_POINTER, B_POINTER, BIAS_POINTER, EXTENTS, OUT_POINTER
from hw.ita.config import ITAConfig, Mode
from hw.ita.steps import StepKind
from sw.engine.job import ItaJob

from .streams import StepData

__all__ = ["Placement", "place_job", "matrices", "matrix_bytes", "ALIGN"]

#: Alignment of every matrix (bytes).
ALIGN = 64


@dataclass
class Placement:
    pointers: dict[str, int]
    loads: list[tuple[int, bytes]] = field(default_factory=list)
    #: (what, address, expected int8 matrix) per step output
    expected: list[tuple[str, int, np.ndarray]] = field(default_factory=list)
    #: (address, bytes) of every region the job writes
    outputs: list[tuple[int, int]] = field(default_factory=list)
    end: int = 0


def _out_pointer(kind: StepKind, mode: Mode) -> str:
    if kind is StepKind.F1 and mode is Mode.FEEDFORWARD:
        return "T0"
    return OUT_POINTER[kind]


def matrices(job: ItaJob, m: int) -> dict[str, tuple[int, int]]:
    """(rows, columns) of every matrix the job's mode uses, by pointer (``EXTENTS``); a bias
    vector has 0 columns (``rows`` int32)."""
    size = {"s": job.s * m, "e": job.e * m, "p": job.p * m, "f": job.f * m}
    return {name: (size[rows], 0 if cols == "bias" else size[cols])
            for (mode, name), (rows, cols) in EXTENTS.items() if mode is Mode(job.mode)}


def matrix_bytes(shape: tuple[int, int]) -> int:
    """Bytes of a matrix of :func:`matrices` (int8, or int32 for a bias)."""
    rows, cols = shape
    return rows * (cols or 4)


def place_job(cfg: ITAConfig, job: ItaJob, steps: list[StepData], base: int) -> Placement:
    """Allocate every pointer the job's mode uses from ``base`` and say what to load and what
    to expect."""
    m = cfg.m
    mode = Mode(job.mode)
    pointers, addr = {}, base
    for name, shape in matrices(job, m).items():
        pointers[name] = addr
        addr += -(-matrix_bytes(shape) // ALIGN) * ALIGN
    placement = Placement(pointers, end=addr)
    written = {_out_pointer(st.kind, mode) for st in steps}
    loaded = set()

    def load(name: str, offset: int, data: bytes) -> None:
        if name not in written and (name, offset) not in loaded:
            loaded.add((name, offset))
            placement.loads.append((pointers[name] + offset, data))

    for st in steps:
        row0 = st.at * m if st.kind in (StepKind.QK, StepKind.AV) else 0
        a = np.asarray(st.a, dtype=np.int8)
        load(A_POINTER[st.kind], row0 * a.shape[1], a.tobytes())
        load(B_POINTER[st.kind], 0, np.ascontiguousarray(np.asarray(st.b, np.int8).T).tobytes())
        if st.kind in BIAS_POINTER:
            load(BIAS_POINTER[st.kind], 0, np.asarray(st.bias, dtype="<i4").tobytes())
        out = np.asarray(st.out, dtype=np.int8)
        where = pointers[_out_pointer(st.kind, mode)] + row0 * out.shape[1]
        placement.expected.append((f"{st.kind.name}(at={st.at})", where, out))
        placement.outputs.append((where, out.size))
    return placement
