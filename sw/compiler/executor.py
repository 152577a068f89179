"""The functional executor: a compiled schedule run in Python, without RTL.

L1 and L2 are byte arrays. Stage by stage, DMA transfers copy bytes, engine jobs read their
matrices at their pointers and run through the golden functions with the job's constants (its
requantizers, activation, ITAMax's shift and valid length), kernels likewise, and the
results are written back as bytes. Everything a stage starts runs at the same time on the
hardware, so the executor records what each action reads and writes and reports:

- a **race**: two actions of one stage where one writes bytes the other reads or writes (a
  load into a buffer the engine still reads, a store of a block a kernel is writing);
- a **stale read**: an action reads bytes no action has written, or bytes of an L1 buffer
  whose lifetime has ended (each buffer's bytes are forgotten after its last stage);
- a **wrong result**: a tensor in L2 that differs from the graph's golden evaluation
  (``sw.compiler.graph.evaluate``), named with its first differing element.

All three raise :class:`ExecutionError`.
"""

from dataclasses import dataclass

import numpy as np

from hw.ita.config import Mode
from sw.engine.job import golden_valid
from sw.engine.placement import matrices, matrix_bytes
from sw.golden import (
    FFNParams,
    HeadParams,
    attention_head,
    feedforward,
    layernorm,
    linear,
    matmul_step,
    residual_add,
)
from sw.golden.add_norm import AddNormParams, add_norm
from sw.golden.itamax import itamax_stages
from sw.golden.norm import LayerNormParams

from .codegen import Compiled
from .graph import GraphError, evaluate
from .schedule import EngineRun, KernelRun, Schedule, Transfer

__all__ = ["ExecutionError", "Access", "execute", "read_tensors", "l2_after", "check_l2"]


class ExecutionError(GraphError):
    """A race, a stale read or a wrong result in a compiled schedule."""


@dataclass(frozen=True)
class Access:
    """Bytes ``lo..hi`` (absolute addresses) an action reads or writes."""

    lo: int
    hi: int
    write: bool


class _Memory:
    """L1 and the data part of L2 as bytes, with a mask of the bytes that hold a value."""

    def __init__(self, s: Schedule):
        self.l1_base, l1_end = s.cluster.l1_range
        self.l2_base, l2_end = s.memory.data_start, s.cluster.l2_range[1]
        self.l1 = np.zeros(l1_end - self.l1_base, np.uint8)
        self.l2 = np.zeros(l2_end - self.l2_base, np.uint8)
        self.valid1 = np.zeros(self.l1.size, bool)
        self.valid2 = np.zeros(self.l2.size, bool)

    def where(self, lo: int, hi: int):
        for base, data, valid in ((self.l1_base, self.l1, self.valid1),
                                  (self.l2_base, self.l2, self.valid2)):
            if base <= lo and hi <= base + data.size:
                return data, valid, lo - base
        raise ExecutionError(f"bytes 0x{lo:x}..0x{hi:x} are outside L1 and the data of L2")

    def read(self, lo: int, size: int, what: str) -> np.ndarray:
        data, valid, at = self.where(lo, lo + size)
        if not valid[at:at + size].all():
            bad = lo + int(np.argmin(valid[at:at + size]))
            raise ExecutionError(f"{what} reads 0x{bad:x}, which holds no value (never written, "
                                 "or its buffer's lifetime ended)")
        return data[at:at + size].copy()

    def write(self, lo: int, raw: np.ndarray) -> None:
        data, valid, at = self.where(lo, lo + raw.size)
        data[at:at + raw.size] = raw.reshape(-1).view(np.uint8)
        valid[at:at + raw.size] = True

    def forget(self, lo: int, size: int) -> None:
        _, valid, at = self.where(lo, lo + size)
        valid[at:at + size] = False


def _rows(t: Transfer, src: bool, merge: bool = True) -> list[tuple[int, int]]:
    """The byte ranges a transfer reads (``src``) or writes, row by row (merged into one
    when the rows are contiguous and ``merge``)."""
    base, stride = (t.src, t.src_stride) if src else (t.dst, t.dst_stride)
    if merge and stride == t.row_bytes:
        return [(base, base + t.size)]
    return [(base + r * stride, base + r * stride + t.row_bytes) for r in range(t.rows)]


def _matrix_extents(run: EngineRun, m: int) -> dict[str, tuple[tuple[int, int], bool]]:
    """The shape of every matrix the job uses (``matrices``) and whether the job writes it."""
    t = run.tile
    return {name: (shape, name == t.writes or name in dict(t.scratch))
            for name, shape in matrices(t.job, m).items()}


def _accesses(action, m: int) -> list[Access]:
    if isinstance(action, Transfer):
        return ([Access(lo, hi, False) for lo, hi in _rows(action, True)]
                + [Access(lo, hi, True) for lo, hi in _rows(action, False)])
    if isinstance(action, EngineRun):
        return [Access(action.pointers[name], action.pointers[name] + matrix_bytes(shape), w)
                for name, (shape, w) in _matrix_extents(action, m).items()]
    t = action.tile
    out = [Access(a, a + b.size, False) for a, b in zip(action.inputs, t.inputs, strict=True)]
    if action.consts is not None:
        out.append(Access(action.consts, action.consts + t.consts.size, False))
    return out + [Access(action.output, action.output + t.output.size, True)]


def _name(action) -> str:
    if isinstance(action, Transfer):
        return f"DMA transfer {action.id} ({action.what} of {action.tile!r})"
    if isinstance(action, EngineRun):
        return f"engine job {action.index} ({action.tile.name!r})"
    return f"kernel {action.tile.kernel} ({action.tile.name!r})"


def _check_races(stage: int, actions: list, m: int) -> None:
    spans = []
    for i, a in enumerate(actions):
        spans += [(acc.lo, acc.hi, acc.write, i) for acc in _accesses(a, m)]
    spans.sort()
    for k, (_, hi, w, i) in enumerate(spans):
        for lo2, _hi2, w2, j in spans[k + 1:]:
            if lo2 >= hi:
                break
            if i != j and (w or w2):
                raise ExecutionError(f"stage {stage}: race at 0x{lo2:x}: {_name(actions[i])} "
                                     f"{'writes' if w else 'reads'} it while "
                                     f"{_name(actions[j])} {'writes' if w2 else 'reads'} it")


def _int8(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return raw.view(np.int8).reshape(rows, cols).astype(np.int64)


def _run_engine(mem: _Memory, run: EngineRun, cfg) -> None:
    ext = _matrix_extents(run, cfg.m)
    j = run.tile.job
    what = _name(run)

    def get(name):
        (rows, cols), _ = ext[name]
        raw = mem.read(run.pointers[name], matrix_bytes((rows, cols)), what)
        return raw.view("<i4").astype(np.int64) if cols == 0 else _int8(raw, rows, cols)

    def put(name, value):
        mem.write(run.pointers[name], np.ascontiguousarray(value, dtype=np.int8))

    mode = Mode(j.mode)
    if mode is Mode.ATTENTION:
        h = HeadParams(get("W0").T, get("W1").T, get("W2").T, get("W3").T, get("B0"),
                       get("B1"), get("B2"), get("B3"), *j.rq[:6],
                       softmax_shift=j.softmax_shift)
        x = get("IN")
        r = attention_head(x, h, cfg=cfg, valid=golden_valid(j.valid, x.shape[0]))
        for name, value in (("T0", r.q.out), ("T1", r.k.out), ("T2", r.v.out.T),
                            ("T3", r.qk.out), ("T4", r.av.out), ("OUT", r.out)):
            put(name, value)
    elif mode is Mode.FEEDFORWARD:
        p = FFNParams(get("W0").T, get("B0"), get("W1").T, get("B1"), j.rq[6], j.rq[7], j.act,
                      j.act_rq, j.gelu)
        r = feedforward(get("IN"), p, cfg=cfg)
        put("T0", r.f1.out)
        put("OUT", r.out)
    elif mode is Mode.SINGLE_ATTENTION:
        qk = matmul_step(get("T0"), get("T1").T, None, j.rq[3], cfg=cfg)
        a = itamax_stages(qk.out, group=cfg.n, k=j.softmax_shift,
                          valid=golden_valid(j.valid, qk.out.shape[1])).a
        put("T3", qk.out)
        put("T4", matmul_step(a, get("T2").T, None, j.rq[4], a_unsigned=True, cfg=cfg).out)
    elif mode is Mode.LINEAR:
        put("OUT", linear(get("IN"), get("W0").T, get("B0"), j.rq[6], j.act, j.act_rq, j.gelu,
                          cfg=cfg).out)
    else:
        raise ExecutionError(f"{what}: mode {mode.name} is not executed")


def _run_kernel(mem: _Memory, k: KernelRun) -> None:
    t, what = k.tile, _name(k)
    rows, cols = t.output.shape
    xs = [_int8(mem.read(a, b.size, what), *b.shape) for a, b in zip(k.inputs, t.inputs,
                                                                     strict=True)]
    p = t.params
    if t.kernel == "residual_add":
        y = residual_add(xs[0], xs[1], p)
    elif t.kernel == "head_sum":
        y = p(np.sum(xs, axis=0))
    elif t.kernel == "transpose":
        y = xs[0].T
    elif t.kernel == "layernorm":
        parts = dict(t.consts.parts)
        gamma = mem.read(k.consts + parts["gamma"], cols, what).view(np.int8).astype(np.int64)
        beta = mem.read(k.consts + parts["beta"], 4 * cols, what).view("<i4").astype(np.int64)
        y = layernorm(xs[0], LayerNormParams(gamma, beta, p.rq))
    elif t.kernel == "add_norm":              # the constants as the cores read them
        parts = dict(t.consts.parts)
        n = len(xs)
        mults = mem.read(k.consts + parts["mults"], 2 * n * cols, what).view("<u2")
        gamma = mem.read(k.consts + parts["gamma"], 2 * cols, what).view("<i2")
        beta = mem.read(k.consts + parts["beta"], 4 * cols, what).view("<i4")
        y = add_norm(xs, AddNormParams(mults.reshape(n, cols).astype(np.int64),
                                       p.shift, gamma.astype(np.int64), beta.astype(np.int64),
                                       p.out_shift, p.cols)).out
    else:
        raise ExecutionError(f"{what}: unknown kernel")
    mem.write(k.output, np.ascontiguousarray(y, dtype=np.int8))


def read_tensors(compiled: Compiled, read) -> dict[str, np.ndarray]:
    """Every tensor of the compiled graph, read through ``read(address, size) -> bytes``."""
    s = compiled.schedule
    out = {}
    for name, tensor in s.tiled.tensors.items():
        r = s.memory.l2[name]
        out[name] = np.frombuffer(bytes(read(r.address, r.size)), np.int8).reshape(tensor.shape)
    return out


def check_tensors(compiled: Compiled, got: dict[str, np.ndarray],
                  inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Compare every tensor of the graph in ``got`` with the golden evaluation; return the
    golden values. Raises :class:`ExecutionError` at the first tensor that differs."""
    g = compiled.schedule.tiled.lowered.graph
    want = evaluate(g, inputs, cfg=compiled.schedule.tiled.lowered.cfg)
    for name in g.tensors:
        bad = np.argwhere(got[name] != want[name])
        if bad.size:
            r, c = bad[0]
            raise ExecutionError(f"tensor {name!r}: {len(bad)} of {want[name].size} elements "
                                 f"differ from the golden model; first at [{r}, {c}]: "
                                 f"{got[name][r, c]}, expected {want[name][r, c]}")
    return want


def _run(compiled: Compiled) -> _Memory:
    """Run the schedule stage by stage, checking races and stale reads; return the memories."""
    s = compiled.schedule
    cfg = s.tiled.lowered.cfg
    mem = _Memory(s)
    for address, data in compiled.image.segments:
        if address >= mem.l2_base:
            mem.write(address, np.frombuffer(data, np.uint8))
    ends: dict[int, list] = {}
    for b in s.memory.l1:
        ends.setdefault(b.last, []).append(b)
    for st in s.stages:
        actions = [*st.transfers, *st.jobs, *st.kernels]
        _check_races(st.index, actions, cfg.m)
        for t in st.transfers:
            src, dst = _rows(t, True, False), _rows(t, False, False)
            for (a, b), (c, _) in zip(src, dst, strict=True):
                mem.write(c, mem.read(a, b - a, _name(t)))
        for run in st.jobs:
            _run_engine(mem, run, cfg)
        for k in st.kernels:
            _run_kernel(mem, k)
        for b in ends.get(st.index, ()):
            mem.forget(b.address, b.size)
    return mem


def execute(compiled: Compiled, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run ``compiled`` functionally on the inputs it was compiled with, check it (module
    docstring) and return every tensor as the program leaves it in L2."""
    mem = _run(compiled)
    got = read_tensors(compiled, lambda a, n: mem.read(a, n, "reading the results").tobytes())
    check_tensors(compiled, got, inputs)
    return got


def l2_after(compiled: Compiled) -> np.ndarray:
    """The data part of L2 (from the plan's ``data_start`` to the end of L2) as the functional
    run leaves it, as bytes; the cycle stamps are zero there."""
    return _run(compiled).l2


def check_l2(compiled: Compiled, data: bytes) -> None:
    """Compare the whole data part of L2 after a run (``data``: from the plan's
    ``data_start`` to the end of L2) with what the functional run leaves there, byte for
    byte, except the cycle stamps: a stray write anywhere (into an input, the constants,
    another tensor or unused bytes) fails. Raises :class:`ExecutionError` naming the first
    differing address and the region it lies in."""
    s = compiled.schedule
    want = l2_after(compiled)
    got = np.frombuffer(data, np.uint8)
    if got.size != want.size:
        raise ExecutionError(f"{got.size} bytes of L2 data to check, expected {want.size}")
    differ = got != want
    stamps = s.memory.l2["stamps"]
    differ[stamps.address - s.memory.data_start:][:stamps.size] = False
    if differ.any():
        at = int(np.argmax(differ))
        address = s.memory.data_start + at
        where = next((f"{r.kind} {r.name!r}" for r in s.memory.l2.values()
                      if r.address <= address < r.address + r.size), "no region")
        raise ExecutionError(f"L2 after the run: {int(differ.sum())} bytes differ from the "
                             f"functional run; first at 0x{address:x} ({where}): "
                             f"0x{got[at]:02x}, expected 0x{want[at]:02x}")
