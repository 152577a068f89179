"""The compiler's third stage: every lowered task becomes tiles small enough for L1.

A :class:`Tile` is one unit of work on one unit of the cluster: an engine job or a core kernel
over a block of its operation's output (rows ``r0..r1`` and columns ``c0..c1``), with the
blocks of the input tensors it reads and the constants it needs (an engine job's weights and
biases in the engine's layout, LayerNorm's gamma and beta). Each tile reads its inputs from
L2 into L1, computes there and writes its output block back; the tile's L1 footprint is the
sum of those buffers and the engine's intermediates.

How each task may be split (sizes of engine tiles in multiples of M, within ``max_tiles``):

| task | split by |
|---|---|
| Attention head | not split (the whole sequence takes part in each softmax row) |
| Feed-forward | sequence rows; or as its two linear steps through an S x F tensor in L2 |
| Linear | sequence rows and output columns |
| core kernels | rows |

(A feed-forward split into its linear steps tiles F1 by rows and F columns and F2 by rows and
output columns.)

Among the legal tilings :func:`tile` takes the one the cost model (``sw.compiler.cost``)
predicts fastest, preferring tilings whose footprint leaves room for double buffering (half
of L1). A task no tiling fits is an error naming the op, its shape and the L1 it needs.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from hw.config import ClusterConfig
from hw.ita.config import Mode
from sw.engine.job import ItaJob, linear_job, single_attention_job
from sw.engine.placement import matrices, matrix_bytes

from .cost import STAGE_CYCLES, dma_cycles, engine_cycles, kernel_cycles
from .graph import GraphError, LinearParams, Op, Tensor
from .lowering import CoreTask, EngineTask, Lowered

__all__ = ["Block", "Consts", "Tile", "Tiled", "tile", "verify_tiled", "ALIGN",
           "aligned"]

#: Alignment of every buffer in L1 and region in L2 (bytes): the engine's and the DMA's port.
ALIGN = 64


def aligned(size: int) -> int:
    """``size`` rounded up to :data:`ALIGN`."""
    return -(-size // ALIGN) * ALIGN


@dataclass(frozen=True)
class Block:
    """Rows ``r0..r1`` and columns ``c0..c1`` of an int8 tensor."""

    tensor: str
    r0: int
    r1: int
    c0: int
    c1: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.r1 - self.r0, self.c1 - self.c0

    @property
    def size(self) -> int:
        return (self.r1 - self.r0) * (self.c1 - self.c0)

    def __str__(self) -> str:
        return f"{self.tensor}[{self.r0}:{self.r1}, {self.c0}:{self.c1}]"


@dataclass(frozen=True)
class Consts:
    """A tile's constants as one blob: ``parts`` maps a name (an engine pointer such as
    ``"W0"``, or ``"gamma"``/``"beta"``) to its offset in ``data``."""

    name: str
    data: bytes = field(repr=False)
    parts: tuple[tuple[str, int], ...]

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Tile:
    """One engine job or core kernel on a block of its op's output."""

    name: str
    op: Op
    unit: str                       #: "engine" or "cores"
    inputs: tuple[Block, ...]
    output: Block
    consts: Consts | None
    job: ItaJob | None = None       #: the engine's job (sizes of this tile)
    kernel: str | None = None       #: the cores' kernel
    #: the engine's intermediates this tile needs in L1: (pointer, bytes)
    scratch: tuple[tuple[str, int], ...] = ()
    #: the engine's pointers of the input blocks, in order, and of the output block
    reads: tuple[str, ...] = ("IN",)
    writes: str = "OUT"
    #: the kernel's constants (``sw.golden`` parameters: ``AddParams``, a ``Requant``, ...)
    params: object = None

    @property
    def footprint(self) -> int:
        """Bytes of L1 the tile uses while it computes."""
        return (sum(aligned(b.size) for b in self.inputs) + aligned(self.output.size)
                + (aligned(self.consts.size) if self.consts else 0)
                + sum(aligned(s) for _, s in self.scratch))


@dataclass
class Tiled:
    """The lowered graph's tiles in execution order, the intermediate tensors tiling added
    (a split feed-forward's S x F), and the cluster they are for."""

    lowered: Lowered
    cluster: ClusterConfig
    tiles: list[Tile]
    tensors: dict[str, Tensor]

    def dump(self) -> str:
        lines = []
        for t in self.tiles:
            what = (f"engine {t.job.mode.name.lower()} S={t.job.s} E={t.job.e} P={t.job.p} "
                    f"F={t.job.f}" if t.job else f"cores  {t.kernel}")
            lines.append(f"{t.name:28s} {what:42s} -> {t.output}  L1 {t.footprint} B")
        return "\n".join(lines) + "\n"


#: Little-endian types of the constants that are not int8 (int8 matrices and vectors are
#: stored as they are).
_TYPES = {"beta": "<i4", "mults": "<u2", "gamma16": "<i2"}


def _blob(name: str, parts: list[tuple[str, np.ndarray]]) -> Consts:
    """Pack constants: int8 matrices as they are (weights already transposed), biases (``B*``)
    as little-endian int32, the others as :data:`_TYPES` says, each part aligned."""
    data, offsets = bytearray(), []
    for key, array in parts:
        offsets.append((key.removesuffix("16"), len(data)))
        dtype = "<i4" if key.startswith("B") else _TYPES.get(key, np.int8)
        raw = np.ascontiguousarray(np.asarray(array, dtype=dtype)).tobytes()
        data += raw + bytes(aligned(len(raw)) - len(raw))
    return Consts(name, bytes(data), tuple(offsets))


def _head_consts(op: Op) -> Consts:
    h = op.params
    return _blob(f"{op.name}.w", [("W0", h.wq.T), ("W1", h.wk.T), ("W2", h.wv.T),
                                  ("W3", h.wo.T), ("B0", h.bq), ("B1", h.bk), ("B2", h.bv),
                                  ("B3", h.bo)])


def _ffn_consts(op: Op) -> Consts:
    p = op.params
    return _blob(f"{op.name}.w", [("W0", p.w1.T), ("W1", p.w2.T), ("B0", p.b1), ("B1", p.b2)])


def _linear_consts(name: str, w: np.ndarray, b: np.ndarray, c0: int, c1: int) -> Consts:
    return _blob(f"{name}.w[{c0}:{c1}]", [("W0", w[:, c0:c1].T), ("B0", b[c0:c1])])


def _spans(total: int, step: int) -> list[tuple[int, int]]:
    return [(a, min(a + step, total)) for a in range(0, total, step)]


def _choices(total: int, unit: int, limit: int) -> list[int]:
    """Tile sizes to try along a dimension: multiples of ``unit`` up to ``limit``, each
    giving a different number of tiles."""
    seen, out = set(), []
    for size in range(min(total, limit), 0, -unit):
        n = -(-total // size)
        if n not in seen:
            seen.add(n)
            out.append(size)
    return out


class _Tiler:
    def __init__(self, lowered: Lowered, cluster: ClusterConfig):
        self.g, self.cluster, self.cfg = lowered.graph, cluster, lowered.cfg
        self.m = self.cfg.m
        self.tensors = dict(lowered.graph.tensors)

    def engine(self, name: str, op: Op, x: Block | tuple[Block, ...], y: Block,
               consts: Consts | None, job: ItaJob, reads: tuple[str, ...] = ("IN",),
               writes: str = "OUT") -> Tile:
        xs = x if isinstance(x, tuple) else (x,)
        scratch = tuple((k, matrix_bytes(v)) for k, v in matrices(job, self.m).items()
                        if k.startswith("T") and k not in reads and k != writes)
        return Tile(name, op, "engine", xs, y, consts, job, scratch=scratch, reads=reads,
                    writes=writes)

    def cost(self, tiles: list[Tile]) -> int:
        """Predicted cycles of a tiling run as a pipeline: a tile computes while the next
        one's inputs come in and the last one's output goes out, when two tiles fit L1 at
        once; else each tile's transfers and its compute follow each other."""
        compute = [engine_cycles(t.job, self.cfg) if t.job else
                   kernel_cycles(t.kernel, t.output.shape, len(t.inputs), self.cluster.cores)
                   for t in tiles]
        loads = [dma_cycles(sum(b.size for b in t.inputs) + (t.consts.size if t.consts else 0),
                            len(t.inputs) + 1) for t in tiles]
        stores = [dma_cycles(t.output.size, 1) for t in tiles]
        if 2 * max(t.footprint for t in tiles) > self.cluster.l1_bytes:
            return sum(compute) + sum(loads) + sum(stores) + 3 * len(tiles) * STAGE_CYCLES
        n = len(tiles)
        stages = [max(compute[i], (loads[i + 1] if i + 1 < n else 0)
                      + (stores[i - 1] if i else 0)) for i in range(n)]
        return loads[0] + sum(stages) + stores[-1] + (n + 2) * STAGE_CYCLES

    def best(self, op: Op, candidates: list[list[Tile]]) -> list[Tile]:
        legal = [c for c in candidates if max(t.footprint for t in c) <= self.cluster.l1_bytes]
        if not legal:
            need = min(max(t.footprint for t in c) for c in candidates) if candidates else 0
            shapes = ", ".join(str(self.g.tensors[t].shape) for t in op.inputs)
            raise GraphError(f"op {op.name!r} ({op.kind}) on {shapes}: its smallest tile needs "
                             f"{need} bytes of L1; the cluster has {self.cluster.l1_bytes}")
        return min(legal, key=self.cost)

    # --- engine tasks ---------------------------------------------------------------------
    def attention(self, task: EngineTask) -> list[list[Tile]]:
        op = task.op
        s, e = self.g.tensors[op.output].shape
        self.max_size("S", s, op, ": every query row takes all keys")
        self.max_size("E", e, op)
        whole = [self.engine(op.name, op, Block(op.inputs[0], 0, s, 0, e),
                             Block(op.output, 0, s, 0, e), _head_consts(op), task.job)]
        return [whole, self.attention_steps(task)]

    def attention_steps(self, task: EngineTask) -> list[Tile]:
        """A head step by step: Q, K and V as Linear jobs, V transposed on the cores, QK,
        ITAMax and AV as one Single-attention job, and the output projection as Linear
        jobs; Q, K, V, V^T and O go through L2."""
        op, h = task.op, task.op.params
        x = op.inputs[0]
        s, e = self.g.tensors[op.output].shape
        pr = h.proj
        names = {part: f"{op.name}.{part}" for part in ("q", "k", "v", "vt", "o")}
        for part, shape in (("q", (s, pr)), ("k", (s, pr)), ("v", (s, pr)), ("vt", (pr, s)),
                            ("o", (s, pr))):
            self.tensors[names[part]] = Tensor(names[part], shape)
        tiles = []
        for part, w, b, rq in (("q", h.wq, h.bq, h.rq_q), ("k", h.wk, h.bk, h.rq_k),
                               ("v", h.wv, h.bv, h.rq_v)):
            tiles += self.linear(op, x, names[part], (s, e, pr), LinearParams(w, b, rq), part)
        rows = max(1, -(-s // 2))
        tiles += [Tile(f"{op.name}.vt[{r0}:{r1}]", op, "cores",
                       (Block(names["v"], r0, r1, 0, pr),), Block(names["vt"], 0, pr, r0, r1),
                       None, kernel="transpose", params=None) for r0, r1 in _spans(s, rows)]
        whole = {part: Block(name, 0, self.tensors[name].shape[0], 0,
                             self.tensors[name].shape[1]) for part, name in names.items()}
        tiles.append(self.engine(
            f"{op.name}.attention", op, (whole["q"], whole["k"], whole["vt"]), whole["o"], None,
            single_attention_job(self.cfg, s, pr, h.rq_qk, h.rq_av, h.softmax_shift,
                                 self.g.valid or 0),
            ("T0", "T1", "T2"), "T4"))
        tiles += self.linear(op, names["o"], op.output, (s, pr, e),
                             LinearParams(h.wo, h.bo, h.rq_ow), "ow")
        return tiles

    def max_size(self, what: str, size: int, op: Op, why: str = "") -> None:
        if size > self.cfg.max_size:
            raise GraphError(f"op {op.name!r} ({op.kind}): {what} = {size} is over the "
                             f"engine's largest size max_tiles * M = {self.cfg.max_size}, and "
                             f"this op cannot be split along {what}{why}")

    def feedforward(self, task: EngineTask) -> list[list[Tile]]:
        op, p = task.op, task.op.params
        s, e = self.g.tensors[op.output].shape
        f = p.w1.shape[1]
        self.max_size("E", e, op)
        candidates = []
        if f <= self.cfg.max_size and not p.f2_chunks:
            consts = _ffn_consts(op)
            for rows in _choices(s, self.m, self.cfg.max_size):
                candidates.append([
                    self.engine(f"{op.name}[{r0}:{r1}]", op, Block(op.inputs[0], r0, r1, 0, e),
                                Block(op.output, r0, r1, 0, e), consts,
                                replace(task.job, s=(r1 - r0) // self.m))
                    for r0, r1 in _spans(s, rows)])
        f1 = f"{op.name}.f1"
        first = self.linear(op, op.inputs[0], f1, (s, e, f), LinearParams(
            p.w1, p.b1, p.rq_f1, p.act, p.rq_act, p.gelu), "f1")
        if p.f2_chunks:                 # F2 by chunks of F, summed on the cores
            second, parts = [], []
            for c, ((a, b), rq) in enumerate(zip(p.chunk_spans(), p.f2_chunks, strict=True)):
                parts.append(f"{op.name}.f2c{c}")
                self.tensors[parts[-1]] = Tensor(parts[-1], (s, e))
                bias = p.b2 if c == 0 else np.zeros_like(p.b2)
                second += self.linear(op, f1, parts[-1], (s, b - a, e),
                                      LinearParams(p.w2[a:b], bias, rq), f"f2c{c}", x_c0=a)
            second += min(self.rows(op, f"{op.name}.sum", "head_sum", parts, op.output,
                                    (s, e), p.rq_f2), key=self.cost)
        else:
            second = self.linear(op, f1, op.output, (s, f, e),
                                 LinearParams(p.w2, p.b2, p.rq_f2), "f2")
        if first and second:
            self.tensors[f1] = Tensor(f1, (s, f))
            candidates.append(first + second)
        if not candidates:
            self.max_size("F", f, op, ": it is the inner dimension of F2, and the engine "
                          "keeps no partial sums")
        return candidates

    def linear(self, op: Op, x: str, y: str, sizes: tuple[int, int, int], p: LinearParams,
               part: str = "", x_c0: int = 0) -> list[Tile]:
        """The best row x column tiling of one linear step ``y = x W`` (sizes S, E, P; ``x``
        from its column ``x_c0``), or [] when its inner dimension is too large for the
        engine."""
        s, e, cols = sizes
        if e > self.cfg.max_size:
            return []
        name = f"{op.name}.{part}" if part else op.name
        options = []
        for rows in _choices(s, self.m, self.cfg.max_size):
            for width in _choices(cols, self.m, self.cfg.max_size):
                options.append([
                    self.engine(f"{name}[{r0}:{r1},{c0}:{c1}]", op,
                                Block(x, r0, r1, x_c0, x_c0 + e),
                                Block(y, r0, r1, c0, c1), _linear_consts(name, p.w, p.b, c0, c1),
                                linear_job(self.cfg, r1 - r0, (e, c1 - c0), p.rq, p.act,
                                           p.rq_act, p.gelu))
                    for r0, r1 in _spans(s, rows) for c0, c1 in _spans(cols, width)])
        fitting = [o for o in options if max(t.footprint for t in o) <= self.cluster.l1_bytes]
        return min(fitting, key=self.cost) if fitting else options[-1]

    # --- core tasks -----------------------------------------------------------------------
    def kernel(self, task: CoreTask) -> list[list[Tile]]:
        op = task.op
        consts, scratch = None, ()
        if task.kernel == "layernorm":
            consts = _blob(f"{op.name}.gb", [("gamma", op.params.gamma),
                                             ("beta", op.params.beta)])
        if task.kernel == "add_norm":           # a row of 32-bit sums for each core
            consts = _blob(f"{op.name}.gb", [("mults", op.params.mults),
                                             ("gamma16", op.params.gamma),
                                             ("beta", op.params.beta)])
            scratch = (("scratch", 4 * task.cols * self.cluster.cores),)
        return self.rows(op, op.name, task.kernel, list(op.inputs), op.output,
                         (task.rows, task.cols), op.params, consts, scratch)

    def rows(self, op: Op, name: str, kernel: str, inputs: list[str], output: str,
             shape: tuple[int, int], params: object, consts: Consts | None = None,
             scratch: tuple[tuple[str, int], ...] = ()) -> list[list[Tile]]:
        """Tilings of a core kernel by rows: 1 to 16 tiles of equal rows."""
        s, e = shape
        sizes = sorted({-(-s // n) for n in range(1, min(s, 16) + 1)}, reverse=True)
        return [[Tile(f"{name}[{r0}:{r1}]", op, "cores",
                      tuple(Block(t, r0, r1, 0, e) for t in inputs),
                      Block(output, r0, r1, 0, e), consts, kernel=kernel, params=params,
                      scratch=scratch)
                 for r0, r1 in _spans(s, rows)]
                for rows in sizes]


def tile(lowered: Lowered, cluster: ClusterConfig) -> Tiled:
    """Split every task of ``lowered`` into tiles for ``cluster`` (see the module docstring)."""
    if cluster.ita_config() != lowered.cfg:
        raise GraphError(f"the graph is lowered for {lowered.cfg}, the cluster has "
                         f"{cluster.ita_config()}")
    t = _Tiler(lowered, cluster)
    tiles: list[Tile] = []
    for task in lowered.tasks:
        if isinstance(task, CoreTask):
            candidates = t.kernel(task)
        elif task.op.kind == "attention_head":
            candidates = t.attention(task)
        elif task.op.kind == "feedforward":
            candidates = t.feedforward(task)
        else:
            s, e = lowered.graph.tensors[task.op.inputs[0]].shape
            p: LinearParams = task.op.params
            t.max_size("E", e, task.op)
            candidates = [t.linear(task.op, task.op.inputs[0], task.op.output,
                                   (s, e, p.w.shape[1]), p)]
        tiles += t.best(task.op, candidates)
    used = {b.tensor for x in tiles for b in (*x.inputs, x.output)}
    tensors = {k: v for k, v in t.tensors.items() if k in used or k in lowered.graph.tensors}
    tiled = Tiled(lowered, cluster, tiles, tensors)
    verify_tiled(tiled)
    return tiled


def verify_tiled(tiled: Tiled) -> None:
    """Check that the tiles of each op cover its output exactly once, that every block lies
    in its tensor, that each engine tile's job matches its blocks (sizes in tiles of M within
    ``max_tiles``) and that every tile fits L1. Raises :class:`GraphError` naming the tile."""
    cfg, tensors = tiled.lowered.cfg, tiled.tensors
    written: dict[str, np.ndarray] = {}
    for t in tiled.tiles:
        where = f"tile {t.name!r} ({t.op.kind})"
        for b in (*t.inputs, t.output):
            shape = tensors[b.tensor].shape if b.tensor in tensors else None
            if shape is None or not (0 <= b.r0 < b.r1 <= shape[0] and 0 <= b.c0 < b.c1
                                     <= shape[1]):
                raise GraphError(f"{where}: block {b} is outside its tensor ({shape})")
        cover = written.setdefault(t.output.tensor, np.zeros(tensors[t.output.tensor].shape,
                                                            dtype=np.int32))
        cover[t.output.r0:t.output.r1, t.output.c0:t.output.c1] += 1
        if t.footprint > tiled.cluster.l1_bytes:
            raise GraphError(f"{where}: needs {t.footprint} bytes of L1; the cluster has "
                             f"{tiled.cluster.l1_bytes}")
        if t.job is not None:
            j, m = t.job, cfg.m
            s, e, p = j.s * m, j.e * m, j.p * m
            expected = {Mode.ATTENTION: ([(s, e)], (s, e)), Mode.FEEDFORWARD: ([(s, e)], (s, e)),
                        Mode.LINEAR: ([(s, e)], (s, p)),
                        Mode.SINGLE_ATTENTION: ([(s, p), (s, p), (p, s)], (s, p))}[Mode(j.mode)]
            got = ([b.shape for b in t.inputs], t.output.shape)
            if got != expected or max(j.s, j.e, j.p, j.f) > cfg.max_tiles:
                raise GraphError(f"{where}: job {j.mode.name} S={j.s} E={j.e} P={j.p} F={j.f} "
                                 f"tiles expects blocks {expected[0]} -> {expected[1]}, the tile "
                                 f"has {got[0]} -> {got[1]} (M = {m}, max_tiles = "
                                 f"{cfg.max_tiles})")
    for op in tiled.lowered.graph.ops:
        cover = written.get(op.output)
        if cover is None or not (cover == 1).all():
            raise GraphError(f"op {op.name!r} ({op.kind}): its tiles do not write every "
                             "element of its output exactly once")
