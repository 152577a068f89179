"""The compiler's first stage: a small typed graph of the integer operations of an encoder.

A :class:`Graph` holds int8 tensors (name and shape) and the operations between them, in an
order where every operation's inputs are made before it. Each kind of operation is defined by
its golden function (``sw.golden``): :func:`evaluate` runs a graph through them, and that is
what every later stage and the executors are checked against.

| kind | inputs | output | parameters | golden function |
|---|---|---|---|---|
| ``attention_head`` | X (S, E) | Y_h (S, E) | ``HeadParams`` | ``attention_head`` (all 6 steps) |
| ``head_sum`` | Y_0 .. Y_H-1 (S, E) | (S, E) | ``Requant`` | requantized sum of the heads |
| ``residual_add`` | A, B (S, E) | (S, E) | ``AddParams`` | ``residual_add`` |
| ``layernorm`` | X (S, E) | (S, E) | ``LayerNormParams`` | ``layernorm`` |
| ``feedforward`` | X (S, E) | (S, E) | ``FFNParams`` | ``feedforward`` (F1 with activation, F2) |
| ``linear`` | X (S, E) | (S, P) | ``LinearParams`` | ``linear`` (one engine step, activation) |
| ``add_norm`` | X_0 .. X_n-1 (S, E) | (S, E) | ``AddNormParams`` | ``add_norm`` (sum, norm) |

A graph may have a valid length (``Graph.valid``): its input rows past it are padding, and
every attention head masks the keys past it.

Graphs come from :func:`from_encoder` (one or several chained ``EncoderParams``), from
:func:`from_wide_encoder` (chained ``WideEncoderParams``, for real models) or from a
:class:`GraphBuilder`; :func:`verify` checks the invariants and raises :class:`GraphError`
naming the operation and the value; :meth:`Graph.dump` prints it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from hw.ita.config import Activation, ITAConfig
from sw.golden import (
    AddParams,
    EncoderParams,
    FFNParams,
    GeluConstants,
    HeadParams,
    LayerNormParams,
    Requant,
    attention_head,
    feedforward,
    layernorm,
    linear,
    residual_add,
)
from sw.golden.add_norm import AddNormParams, add_norm
from sw.golden.layers import PASS, int8_matrix
from sw.golden.norm import MAX_NORM_SIZE
from sw.golden.wide_encoder import WideEncoderParams

__all__ = ["Tensor", "Op", "Graph", "GraphError", "LinearParams", "OpKind", "OP_KINDS",
           "GraphBuilder", "verify", "evaluate", "from_encoder", "from_wide_encoder"]


class GraphError(ValueError):
    """A graph breaks an invariant; the message names the operation and the value."""


@dataclass(frozen=True)
class LinearParams:
    """One engine matmul step with its activation: ``w`` (E, P) int8, ``b`` (P,) 24-bit."""

    w: np.ndarray
    b: np.ndarray
    rq: Requant
    act: Activation = Activation.IDENTITY
    rq_act: Requant = PASS
    gelu: GeluConstants | None = None


@dataclass(frozen=True)
class Tensor:
    """An int8 matrix: ``rows`` x ``cols`` (S x E for activations)."""

    name: str
    shape: tuple[int, int]

    def __str__(self) -> str:
        return f"{self.name}: int8[{self.shape[0]}, {self.shape[1]}]"


@dataclass(frozen=True)
class Op:
    """One operation: ``kind`` (a key of :data:`OP_KINDS`), its input and output tensor
    names and its constants."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    output: str
    params: object


@dataclass(frozen=True)
class OpKind:
    """What a kind of operation is: its parameter type, how many inputs it takes (None: one or
    more), the shape of its output from its input shapes (raising ValueError on a mismatch),
    and its golden function."""

    params: type
    arity: int | None
    shape: Callable[[list[tuple[int, int]], object], tuple[int, int]]
    run: Callable[[list[np.ndarray], object, ITAConfig, int | None], np.ndarray]


def _same(shapes: list[tuple[int, int]], what: str) -> tuple[int, int]:
    for s in shapes[1:]:
        if s != shapes[0]:
            raise ValueError(f"{what}: input shapes {shapes} differ")
    return shapes[0]


def _rows_of(shape: tuple[int, int], length: int, what: str) -> None:
    if shape[1] != length:
        raise ValueError(f"input has {shape[1]} columns, {what} expects {length}")


def _head_shape(shapes, h: HeadParams):
    _rows_of(shapes[0], h.emb, "the head's embedding (wq rows)")
    return shapes[0]


def _ffn_shape(shapes, p: FFNParams):
    _rows_of(shapes[0], p.w1.shape[0], "w1")
    if p.w2.shape != (p.w1.shape[1], p.w1.shape[0]):
        raise ValueError(f"w2 shape {p.w2.shape} does not match w1 {p.w1.shape} transposed")
    return shapes[0]


def _length(vector, length: int, what: str) -> None:
    if len(vector) != length:
        raise ValueError(f"{what} has {len(vector)} elements, expected {length}")


def _linear_shape(shapes, p: LinearParams):
    _rows_of(shapes[0], p.w.shape[0], "w")
    _length(p.b, p.w.shape[1], "the bias")
    return shapes[0][0], p.w.shape[1]


def _norm_shape(shapes, p: LayerNormParams):
    _rows_of(shapes[0], len(p.gamma), "gamma")
    _length(p.beta, len(p.gamma), "beta")
    if len(p.gamma) > MAX_NORM_SIZE:
        raise ValueError(f"rows of {len(p.gamma)} are longer than LayerNorm's {MAX_NORM_SIZE}")
    return shapes[0]


def _add_norm_shape(shapes, p: AddNormParams):
    if len(shapes) != p.inputs:
        raise ValueError(f"{len(shapes)} inputs, the constants have multipliers for "
                         f"{p.inputs}")
    _rows_of(shapes[0], p.emb, "the multipliers")
    return _same(shapes, "add_norm")


def _head_sum(xs, rq: Requant, cfg, valid):
    return rq(np.sum([x.astype(np.int64) for x in xs], axis=0))


#: Every kind of operation the graph knows.
OP_KINDS: dict[str, OpKind] = {
    "attention_head": OpKind(HeadParams, 1, _head_shape,
                             lambda xs, p, cfg, valid: attention_head(xs[0], p, cfg=cfg,
                                                                      valid=valid).out),
    "head_sum": OpKind(Requant, None, lambda shapes, p: _same(shapes, "head_sum"), _head_sum),
    "residual_add": OpKind(AddParams, 2, lambda shapes, p: _same(shapes, "residual_add"),
                           lambda xs, p, cfg, valid: residual_add(xs[0], xs[1], p)),
    "layernorm": OpKind(LayerNormParams, 1, _norm_shape,
                        lambda xs, p, cfg, valid: layernorm(xs[0], p)),
    "feedforward": OpKind(FFNParams, 1, _ffn_shape,
                          lambda xs, p, cfg, valid: feedforward(xs[0], p, cfg=cfg).out),
    "linear": OpKind(LinearParams, 1, _linear_shape,
                     lambda xs, p, cfg, valid: linear(xs[0], p.w, p.b, p.rq, p.act, p.rq_act,
                                                      p.gelu, cfg=cfg).out),
    "add_norm": OpKind(AddNormParams, None, _add_norm_shape,
                       lambda xs, p, cfg, valid: add_norm(xs, p).out),
}


@dataclass
class Graph:
    """Tensors by name, operations in execution order, and which tensors are the graph's
    inputs and outputs."""

    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    valid: int | None = None  #: real rows (and keys) of the inputs; None: all

    def dump(self) -> str:
        """The graph as text: inputs, one line per operation, outputs."""
        lines = [f"input  {self.tensors[t]}" for t in self.inputs]
        if self.valid is not None:
            lines.append(f"valid  {self.valid} rows (attention masks the keys after them)")
        for op in self.ops:
            lines.append(f"{op.name:16s} {op.kind:15s} {', '.join(op.inputs)} -> "
                         f"{self.tensors[op.output]}")
        lines += [f"output {self.tensors[t]}" for t in self.outputs]
        return "\n".join(lines) + "\n"


def verify(graph: Graph) -> None:
    """Check that every tensor is declared and made exactly once (by an input or one
    operation) before it is read, that each operation's kind, constants, input count and
    shapes agree, and that the outputs exist. Raises :class:`GraphError`."""
    for key, t in graph.tensors.items():
        if key != t.name:
            raise GraphError(f"tensor {t.name!r} is filed under the name {key!r}")
    for what, names in (("input", graph.inputs), ("output", graph.outputs)):
        if len(set(names)) != len(names):
            raise GraphError(f"a graph {what} is listed twice: {names}")
    rows = {graph.tensors[t].shape[0] for t in graph.inputs if t in graph.tensors}
    if graph.valid is not None and not all(1 <= graph.valid <= r for r in rows):
        raise GraphError(f"valid length {graph.valid} is outside 1..the input rows {rows}")
    made: set[str] = set()
    for name in graph.inputs:
        if name not in graph.tensors:
            raise GraphError(f"graph input {name!r} is not a declared tensor")
        made.add(name)
    names = set()
    for op in graph.ops:
        where = f"op {op.name!r} ({op.kind})"
        if op.name in names:
            raise GraphError(f"{where}: the name is used twice")
        names.add(op.name)
        kind = OP_KINDS.get(op.kind)
        if kind is None:
            raise GraphError(f"{where}: unknown kind; known: {', '.join(OP_KINDS)}")
        if not isinstance(op.params, kind.params):
            raise GraphError(f"{where}: constants are a {type(op.params).__name__}, expected "
                             f"{kind.params.__name__}")
        if kind.arity is None:
            arity_ok, expected = len(op.inputs) >= 1, "one or more"
        else:
            arity_ok, expected = len(op.inputs) == kind.arity, kind.arity
        if not arity_ok:
            raise GraphError(f"{where}: {len(op.inputs)} inputs, expected {expected}")
        for t in op.inputs:
            if t not in made:
                raise GraphError(f"{where}: input {t!r} is not made before it")
        if op.output not in graph.tensors:
            raise GraphError(f"{where}: output {op.output!r} is not a declared tensor")
        if op.output in made:
            raise GraphError(f"{where}: output {op.output!r} is already made")
        try:
            shape = kind.shape([graph.tensors[t].shape for t in op.inputs], op.params)
        except ValueError as e:
            raise GraphError(f"{where}: {e}") from None
        if shape != graph.tensors[op.output].shape:
            raise GraphError(f"{where}: output {op.output!r} is declared "
                             f"{graph.tensors[op.output].shape}, the op makes {shape}")
        made.add(op.output)
    for name in graph.outputs:
        if name not in made:
            raise GraphError(f"graph output {name!r} is not made by any op or input")


def evaluate(graph: Graph, inputs: dict[str, np.ndarray], *, cfg: ITAConfig
             ) -> dict[str, np.ndarray]:
    """Run ``graph`` through the golden functions; return every tensor's value."""
    values = {}
    for name in graph.inputs:
        if name not in inputs:
            raise GraphError(f"no value given for graph input {name!r}")
        try:
            x = int8_matrix(name, inputs[name])
        except ValueError as e:
            raise GraphError(f"graph input {e}") from None
        if x.shape != graph.tensors[name].shape:
            raise GraphError(f"graph input {name!r}: shape {x.shape}, declared "
                             f"{graph.tensors[name].shape}")
        values[name] = x.astype(np.int8)
    for op in graph.ops:
        values[op.output] = OP_KINDS[op.kind].run([values[t] for t in op.inputs], op.params,
                                                  cfg, graph.valid)
    return values


class GraphBuilder:
    """Build a graph op by op: each method adds an operation and returns its output tensor's
    name; :meth:`build` verifies the graph and returns it."""

    def __init__(self) -> None:
        self.graph = Graph()

    def input(self, name: str, shape: tuple[int, int]) -> str:
        if name in self.graph.tensors:
            raise GraphError(f"input {name!r}: a tensor of that name exists")
        self.graph.tensors[name] = Tensor(name, tuple(shape))
        self.graph.inputs += (name,)
        return name

    def op(self, kind: str, inputs: Sequence[str], params: object, name: str) -> str:
        """Add an operation of ``kind``; its output is named after the operation."""
        if kind not in OP_KINDS:
            raise GraphError(f"op {name!r}: unknown kind {kind!r}; known: {', '.join(OP_KINDS)}")
        if name in self.graph.tensors:
            raise GraphError(f"op {name!r}: a tensor of that name exists")
        for t in inputs:
            if t not in self.graph.tensors:
                raise GraphError(f"op {name!r} ({kind}): input {t!r} is not a tensor")
        try:
            shape = OP_KINDS[kind].shape([self.graph.tensors[t].shape for t in inputs], params)
        except (ValueError, AttributeError) as e:
            raise GraphError(f"op {name!r} ({kind}): {e}") from None
        self.graph.tensors[name] = Tensor(name, shape)
        self.graph.ops.append(Op(name, kind, tuple(inputs), name, params))
        return name

    def output(self, *names: str) -> None:
        self.graph.outputs += names

    def encoder_layer(self, x: str, p: EncoderParams, prefix: str) -> str:
        """Add the operations of one encoder layer on ``x``; return its output."""
        heads = [self.op("attention_head", [x], h, f"{prefix}head{i}")
                 for i, h in enumerate(p.heads)]
        mha = self.op("head_sum", heads, p.head_sum, f"{prefix}mha")
        add1 = self.op("residual_add", [x, mha], p.add1, f"{prefix}add1")
        ln1 = self.op("layernorm", [add1], p.ln1, f"{prefix}ln1")
        ffn = self.op("feedforward", [ln1], p.ffn, f"{prefix}ffn")
        add2 = self.op("residual_add", [ln1, ffn], p.add2, f"{prefix}add2")
        return self.op("layernorm", [add2], p.ln2, f"{prefix}ln2")

    def wide_encoder_layer(self, x: str, p: WideEncoderParams, prefix: str) -> str:
        """Add the operations of one :mod:`sw.golden.wide_encoder` layer on ``x``."""
        heads = [self.op("attention_head", [x], h, f"{prefix}head{i}")
                 for i, h in enumerate(p.heads)]
        n1 = self.op("add_norm", [x, *heads], p.norm1, f"{prefix}norm1")
        groups = [self.op("feedforward", [n1], f, f"{prefix}ffn{g}")
                  for g, f in enumerate(p.ffn)]
        return self.op("add_norm", [n1, *groups], p.norm2, f"{prefix}norm2")

    def build(self) -> Graph:
        verify(self.graph)
        return self.graph


def from_encoder(layers: Sequence[EncoderParams], seq: int) -> Graph:
    """The graph of ``layers`` chained (each layer's output is the next one's input) on an
    input ``x`` of ``seq`` rows; the output is the last layer's."""
    if not layers:
        raise GraphError("from_encoder: no layers")
    b = GraphBuilder()
    t = b.input("x", (seq, layers[0].emb))
    for i, p in enumerate(layers):
        t = b.encoder_layer(t, p, f"l{i}.")
    b.output(t)
    return b.build()


def from_wide_encoder(layers: Sequence[WideEncoderParams], seq: int, valid: int | None = None
                      ) -> Graph:
    """The graph of :mod:`sw.golden.wide_encoder` layers chained on an input ``x`` of ``seq``
    rows whose first ``valid`` rows are real tokens (default: all)."""
    if not layers:
        raise GraphError("from_wide_encoder: no layers")
    b = GraphBuilder()
    b.graph.valid = valid
    t = b.input("x", (seq, layers[0].emb))
    for i, p in enumerate(layers):
        t = b.wide_encoder_layer(t, p, f"l{i}.")
    b.output(t)
    return b.build()
