"""The compiler's second stage: each graph operation becomes an engine job or a core kernel.

| graph op | becomes | engine mode or kernel |
|---|---|---|
| ``attention_head`` | an engine job | Attention (Q, K, V, QK with ITAMax, AV, OW) |
| ``feedforward`` | an engine job | Feed-forward (F1 with its activation, F2) |
| ``linear`` | an engine job | Linear |
| ``head_sum`` | a core kernel | ``sw.kernels.head_sum`` |
| ``residual_add`` | a core kernel | ``sw.kernels.residual`` |
| ``layernorm`` | a core kernel | ``sw.kernels.layernorm`` |
| ``add_norm`` | a core kernel | ``sw.kernels.add_norm`` |

An engine job takes sizes in tiles of M: a size that is not a multiple of M is an error naming
the operation and the size (padding is to come). A job larger than ``max_tiles`` in some size
is lowered as one job and marked for the tiler (``fits`` False), which splits it.
"""

from dataclasses import dataclass

from hw.ita.config import ITAConfig
from sw.engine.job import ItaJob, SizeError, attention_job, feedforward_job, linear_job

from .graph import Graph, GraphError, Op, verify

__all__ = ["EngineTask", "CoreTask", "Lowered", "lower", "verify_lowered", "KERNELS"]

#: The graph ops the cores run, each by the kernel of the same name in ``sw/kernels/``.
KERNELS = ("head_sum", "residual_add", "layernorm", "add_norm")


@dataclass(frozen=True)
class EngineTask:
    """A graph op as one engine job (its mode, sizes in tiles and constants)."""

    op: Op
    job: ItaJob
    fits: bool           #: every size within the engine's max_tiles (else the tiler splits)


@dataclass(frozen=True)
class CoreTask:
    """A graph op as a core kernel over ``rows`` rows of ``cols`` elements."""

    op: Op
    kernel: str
    rows: int
    cols: int


@dataclass
class Lowered:
    """The graph, the engine it is lowered for, and one task per graph op, in graph order."""

    graph: Graph
    cfg: ITAConfig
    tasks: list[EngineTask | CoreTask]

    def dump(self) -> str:
        lines = []
        for t in self.tasks:
            if isinstance(t, EngineTask):
                j = t.job
                what = (f"engine {j.mode.name.lower():17s} S={j.s} E={j.e} P={j.p} F={j.f} "
                        f"tiles{'' if t.fits else ' (over max_tiles: to split)'}")
            else:
                what = f"cores  {t.kernel:17s} {t.rows} x {t.cols}"
            lines.append(f"{t.op.name:16s} {what}")
        return "\n".join(lines) + "\n"


def _job(op: Op, graph: Graph, cfg: ITAConfig) -> ItaJob:
    """The engine job of an op the engine runs."""
    seq = graph.tensors[op.inputs[0]].shape[0]
    p = op.params
    if op.kind == "attention_head":             # the graph's padding masked
        return attention_job(cfg, seq, p, graph.valid or 0)
    if op.kind == "feedforward":
        return feedforward_job(cfg, seq, p)
    if op.kind == "linear":
        return linear_job(cfg, seq, p.w.shape, p.rq, p.act, p.rq_act, p.gelu)
    raise GraphError(f"op {op.name!r} ({op.kind}): no engine job runs it")


def lower(graph: Graph, cfg: ITAConfig) -> Lowered:
    """Lower every op of a verified graph for the engine ``cfg``."""
    verify(graph)
    tasks = []
    for op in graph.ops:
        if op.kind in KERNELS:
            rows, cols = graph.tensors[op.output].shape
            tasks.append(CoreTask(op, op.kind, rows, cols))
            continue
        try:
            job = _job(op, graph, cfg)
        except SizeError as e:
            shapes = ", ".join(str(graph.tensors[t].shape) for t in op.inputs)
            raise GraphError(f"op {op.name!r} ({op.kind}) on {shapes}: {e}; sizes must be "
                             f"multiples of the engine's M (padding is not supported yet)"
                             ) from None
        fits = max(job.s, job.e, job.p, job.f) <= cfg.max_tiles
        tasks.append(EngineTask(op, job, fits))
    lowered = Lowered(graph, cfg, tasks)
    verify_lowered(lowered)
    return lowered


def verify_lowered(lowered: Lowered) -> None:
    """Check that every graph op is lowered once, in order, to the task its kind maps to, and
    that each task's sizes are its tensors' (engine jobs in tiles of M). Raises
    :class:`GraphError` naming the op."""
    g, m = lowered.graph, lowered.cfg.m
    if len(lowered.tasks) != len(g.ops) or any(
            t.op is not op for t, op in zip(lowered.tasks, g.ops, strict=False)):
        raise GraphError("the tasks are not the graph's ops, once each and in order")
    for t in lowered.tasks:
        where = f"op {t.op.name!r} ({t.op.kind})"
        out = g.tensors[t.op.output].shape
        if isinstance(t, CoreTask):
            if t.op.kind not in KERNELS or t.kernel != t.op.kind or (t.rows, t.cols) != out:
                raise GraphError(f"{where}: lowered to kernel {t.kernel} over {t.rows} x "
                                 f"{t.cols}, expected {t.op.kind} over {out}")
            continue
        j, p, kind = t.job, t.op.params, t.op.kind
        x = g.tensors[t.op.inputs[0]].shape
        if kind == "attention_head":
            mode, sizes, inner = "ATTENTION", (j.s, j.e, j.p), p.proj
        elif kind == "feedforward":
            mode, sizes, inner = "FEEDFORWARD", (j.s, j.e, j.f), p.w1.shape[1]
        elif kind == "linear":
            mode, sizes, inner = "LINEAR", (j.s, j.e, j.p), out[1]
        else:
            raise GraphError(f"{where}: an engine job for an op the cores run")
        if j.mode.name != mode or tuple(v * m for v in sizes) != (x[0], x[1], inner):
            raise GraphError(f"{where}: job {j.mode.name} S={j.s} E={j.e} P={j.p} F={j.f} "
                             f"tiles does not match the op ({mode}, S x E = {x}, inner "
                             f"{inner}) with M = {m}")
        if j != _job(t.op, g, lowered.cfg):
            raise GraphError(f"{where}: the job's constants (requantizers, activation, "
                             "ITAMax's shift) are not the op's")
        if t.fits != (max(j.s, j.e, j.p, j.f) <= lowered.cfg.max_tiles):
            raise GraphError(f"{where}: marked fits={t.fits} for max_tiles "
                             f"{lowered.cfg.max_tiles}")
