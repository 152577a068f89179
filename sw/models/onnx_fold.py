"""The first stage of the ONNX importer: read the file, take activation QDQ pairs out, and fold
every node whose value does not depend on the input's values.

A node is folded when none of its inputs depends on ``input_ids`` or ``attention_mask`` (a
``Shape`` or ``Size`` node depends on the input's shape only): the weights (also int8
initializers with ``Cast``/``Mul`` or ``DequantizeLinear`` in front), the shape arithmetic
exporters emit (``Shape``, ``Gather``, ``Unsqueeze``, ``Concat``, ...) once the input's shape is
fixed, the position and token type indices. The whole graph runs once on a probe batch with
``onnx.reference.ReferenceEvaluator`` (no onnxruntime): the folded nodes' values and every
other tensor's probe value, which the matcher uses to read shapes and to check each pattern it
recognises against the graph's own arithmetic.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference
from onnx.reference import ReferenceEvaluator

__all__ = ["OnnxImportError", "QDQ", "Folded", "fold", "node_label", "PROBE_SEQ"]

#: Sequence length of the probe batch (two sequences, the second one padded).
PROBE_SEQ = 13
#: Inputs fed constants while folding: token types are 0, positions count from 0.
_FOLDED_INPUTS = {"token_type_ids": "zeros", "position_ids": "arange"}


class OnnxImportError(ValueError):
    """A graph the flow cannot map; the message names every node at fault."""


@dataclass(frozen=True)
class QDQ:
    """An activation's QuantizeLinear/DequantizeLinear pair, taken out of the float graph."""

    tensor: str          #: the tensor the pair quantized
    scale: float
    zero_point: int
    nodes: tuple[str, str]
    qmin: int = -128     #: the quantized type's range (int8 unless the zero point says)
    qmax: int = 127


def node_label(node: onnx.NodeProto, index: int) -> str:
    """A node's name, or its op type and position when it has none."""
    return node.name or f"{node.op_type}#{index}"


@dataclass
class Folded:
    """A graph after folding: its nodes, which of them are folded, every tensor's probe value
    and the tensors' static shapes (for messages)."""

    path: str
    model: onnx.ModelProto
    nodes: list[onnx.NodeProto]
    ids: str                                  #: the token ids input
    mask: str                                 #: the attention mask input
    folded: set[int]                          #: indices of folded nodes
    taint: dict[str, frozenset[str]]          #: data inputs each tensor depends on
    values: dict[str, np.ndarray]             #: probe value of every tensor
    probe_ids: np.ndarray
    probe_mask: np.ndarray
    shapes: dict[str, str]                    #: static shape of each tensor, as text
    qdq: list[QDQ] = field(default_factory=list)
    producer: dict[str, int] = field(default_factory=dict)
    consumers: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def const(self, name: str) -> np.ndarray | None:
        """The value of a tensor that does not depend on the input's values, or None."""
        if not name or self.taint.get(name):
            return None
        return self.values.get(name)

    def label(self, i: int) -> str:
        return node_label(self.nodes[i], i)

    def shape_of(self, name: str) -> str:
        """A tensor's static shape, or its shape on the probe batch where the static one is
        not known."""
        text = self.shapes.get(name, "?")
        if ("?" in text or "unk__" in text) and name in self.values:
            return str(tuple(np.shape(self.values[name])))
        return text

    def describe(self, i: int) -> str:
        """A node for messages: name, op type and input shapes."""
        n = self.nodes[i]
        shapes = ", ".join(self.shape_of(x) for x in n.input if x)
        return f"node {self.label(i)!r} ({n.op_type}, inputs {shapes})"


def _strip_qdq(graph: onnx.GraphProto, inits: dict[str, np.ndarray]) -> list[QDQ]:
    """Take QuantizeLinear -> DequantizeLinear pairs on activations out of ``graph`` (their
    consumers read the float tensor); pairs on constants stay and are folded."""
    nodes = list(graph.node)
    made = {o: n for n in nodes for o in n.output}
    const_made = {n.output[0] for n in nodes if n.op_type == "Constant"}
    pairs, drop, rename = [], set(), {}
    for k, dq in enumerate(nodes):
        if dq.op_type != "DequantizeLinear" or dq.input[0] not in made:
            continue
        q = made[dq.input[0]]
        if q.op_type != "QuantizeLinear":
            continue
        src = q.input[0]
        if src in inits or src in const_made:
            continue
        scale = inits.get(q.input[1])
        zp = (inits.get(q.input[2]) if len(q.input) > 2 and q.input[2]
              else np.zeros(1, np.uint8))  # ONNX's default: uint8, zero point 0
        if scale is None or np.size(scale) != 1 or zp is None or \
                not np.issubdtype(zp.dtype, np.integer):
            continue       # per-axis scales, zero points not given as integers: left in
        info = np.iinfo(zp.dtype)
        pairs.append(QDQ(src, float(np.ravel(scale)[0]), int(np.ravel(zp)[0]),
                         (q.name or "QuantizeLinear", dq.name or "DequantizeLinear"),
                         int(info.min), int(info.max)))
        drop.add(k)
        rename[dq.output[0]] = src
    keep = [n for k, n in enumerate(nodes) if k not in drop]
    read = {x for n in keep for x in n.input}
    keep = [n for n in keep if not (n.op_type == "QuantizeLinear" and n.output[0] not in read
                                    and n.input[0] in rename.values())]
    for n in keep:
        for k, x in enumerate(n.input):
            if x in rename:
                n.input[k] = rename[x]
    for o in graph.output:
        if o.name in rename:
            o.name = rename[o.name]
    kept = [onnx.NodeProto.FromString(n.SerializeToString()) for n in keep]
    del graph.node[:]
    graph.node.extend(kept)
    return pairs


def _dequantize_constants(graph: onnx.GraphProto, inits: dict[str, np.ndarray]) -> None:
    """Replace each DequantizeLinear of initializers by a Constant of its value (NumPy; the
    reference evaluator lacks the op in early opsets); the Constant is then folded."""
    for k, n in enumerate(graph.node):
        if n.op_type != "DequantizeLinear" or not all(x in inits for x in n.input if x):
            continue
        x, scale = inits[n.input[0]].astype(np.float64), inits[n.input[1]].astype(np.float64)
        zp = inits[n.input[2]].astype(np.float64) if len(n.input) > 2 and n.input[2] else 0.0
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        if np.ndim(scale) == 1 and np.size(scale) > 1:
            shape = [1] * x.ndim
            shape[axis] = -1
            scale, zp = scale.reshape(shape), np.reshape(zp, shape) if np.ndim(zp) else zp
        value = ((x - zp) * scale).astype(np.float32)
        graph.node[k].CopyFrom(onnx.helper.make_node(
            "Constant", [], [n.output[0]], name=n.name, value=numpy_helper.from_array(value)))


def _inputs(model: onnx.ModelProto, path: str) -> tuple[str, str, list[str]]:
    inits = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in inits]
    ids = [n for n in names if n == "input_ids"] or [n for n in names if "ids" in n
                                                     and n not in _FOLDED_INPUTS]
    mask = [n for n in names if "mask" in n]
    other = [n for n in names if n not in ids[:1] + mask[:1] and n not in _FOLDED_INPUTS]
    if not ids or not mask or other:
        raise OnnxImportError(
            f"{path}: inputs {names}; supported: input_ids and attention_mask (B, S), and "
            f"optionally {' and '.join(_FOLDED_INPUTS)} (folded as zeros and 0 .. S-1)")
    return ids[0], mask[0], [n for n in names if n in _FOLDED_INPUTS]


def _vocab(model: onnx.ModelProto, ids: str) -> int:
    """The rows of the table the ids index (2 if not found before folding)."""
    dims = {t.name: list(t.dims) for t in model.graph.initializer}
    made = {o: n for n in model.graph.node for o in n.output}
    for n in model.graph.node:
        if n.op_type == "Gather" and n.input[1] == ids:
            table = n.input[0]
            while table not in dims and table in made and made[table].input:
                table = made[table].input[0]
            if table in dims and dims[table]:
                return int(dims[table][0])
    return 2


def _shape_text(vi: onnx.ValueInfoProto) -> str:
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return "?"
    dims = [str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
            for d in t.shape.dim]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def fold(path: str | Path) -> Folded:
    """Load ``path``, take activation QDQ pairs out and fold what does not depend on the
    input's values; every tensor gets its value on a probe batch."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"model {str(path)!r}: no such file")
    try:
        model = onnx.load(str(path))
    except Exception as e:      # protobuf's DecodeError and friends
        raise ValueError(f"model {str(path)!r}: not a readable ONNX file ({e})") from None
    return fold_model(model, str(path))


def fold_model(model: onnx.ModelProto, where: str = "model") -> Folded:
    """:func:`fold` on a model already in memory."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    qdq = _strip_qdq(g, inits)
    _dequantize_constants(g, inits)
    ids, mask, folded_inputs = _inputs(model, where)
    try:
        inferred = shape_inference.infer_shapes(model)
        shapes = {vi.name: _shape_text(vi) for vi in (*inferred.graph.value_info,
                                                       *inferred.graph.input,
                                                       *inferred.graph.output)}
    except Exception:           # shapes are for messages only
        shapes = {}
    shapes |= {name: str(tuple(v.shape)) for name, v in inits.items()}
    nodes = list(g.node)
    taint: dict[str, frozenset[str]] = {name: frozenset() for name in inits}
    taint |= {ids: frozenset({"ids"}), mask: frozenset({"mask"})}
    taint |= {name: frozenset() for name in folded_inputs}
    folded, producer, consumers = set(), {}, defaultdict(list)
    for i, n in enumerate(nodes):
        for x in n.input:
            if x:
                consumers[x].append(i)
        t = frozenset() if n.op_type in ("Shape", "Size") else frozenset().union(
            *(taint.get(x, frozenset()) for x in n.input if x))
        if not t:
            folded.add(i)
        for o in n.output:
            taint[o] = t
            producer[o] = i

    rng = np.random.default_rng(0)
    probe_ids = rng.integers(1, max(2, min(_vocab(model, ids), 1000)), (2, PROBE_SEQ))
    probe_mask = np.ones((2, PROBE_SEQ), dtype=np.int64)
    probe_mask[1, PROBE_SEQ - 4:] = 0
    probe_ids[1, PROBE_SEQ - 4:] = 0
    feeds = {ids: probe_ids, mask: probe_mask}
    for name in folded_inputs:
        feeds[name] = (np.zeros_like(probe_ids) if _FOLDED_INPUTS[name] == "zeros"
                       else np.broadcast_to(np.arange(PROBE_SEQ), probe_ids.shape).copy())
    types = {i.name: i.type.tensor_type.elem_type for i in g.input}
    for name in feeds:
        if types.get(name) == onnx.TensorProto.INT32:
            feeds[name] = feeds[name].astype(np.int32)
    unknown = [i for i, n in enumerate(nodes) if n.domain not in ("", "ai.onnx")]
    if unknown:
        raise OnnxImportError("\n".join(
            [f"{where}: {len(unknown)} node(s) of operator domains the flow does not read:"]
            + [f"  node {node_label(nodes[i], i)!r} ({nodes[i].domain}:{nodes[i].op_type}, "
               f"inputs {', '.join(shapes.get(x, '?') for x in nodes[i].input if x)})"
               for i in unknown]
            + ["  supported: the standard ONNX domain (export without contrib ops, e.g. no "
               "onnxruntime transformer optimizer)"]))
    try:
        values = ReferenceEvaluator(model).run(None, feeds, intermediate=True)
    except Exception as e:
        raise OnnxImportError(f"{where}: the graph does not run on a probe batch of "
                              f"{probe_ids.shape} tokens ({type(e).__name__}: {e})") from None
    values = ({k: np.asarray(v) for k, v in feeds.items()}
              | {k: np.asarray(v) for k, v in values.items()} | inits)
    return Folded(where, model, nodes, ids, mask, folded, taint, values, probe_ids, probe_mask,
                  shapes, qdq, producer, consumers)
