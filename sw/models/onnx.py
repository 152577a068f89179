"""Float encoders from ONNX files: the graph exporters write, folded (:mod:`.onnx_fold`) and
pattern-matched into the model structure :mod:`.bert` loads from Hugging Face folders, so the
quantizer, the compiler and the cluster run take it as they take a BERT folder.

Recognised, on the tensors that depend on the input's values:

- the embedding: ``Gather`` of a table by ``input_ids``, plus the position table gathered by
  0 .. S-1 and constant rows (token type 0), summed by ``Add``, then a LayerNorm;
- per layer: Q, K, V as ``MatMul`` (or ``Gemm``, also on a flattened (B*S, E) input) with a
  constant weight and ``Add`` of a bias; the head split and merge as ``Reshape`` to
  (B, S, H, P) and ``Transpose``; the scores ``MatMul`` scaled by ``Div``/``Mul`` constants
  (any scale: it is folded into Q), an additive key mask computed from ``attention_mask`` (its
  value is checked: 0 on real keys, <= -100 on padding), ``Softmax`` over the keys; the output
  projection, the residual ``Add`` and a LayerNorm (``LayerNormalization`` or its decomposed
  ``ReduceMean``/``Sub``/``Pow``/``Sqrt``/``Div``/``Mul``/``Add`` form); the feed-forward's two
  linears with GELU (``Erf`` form or ``Gelu``) or ``Relu`` between, the residual and a
  LayerNorm;
- the output: mean pooling over the real tokens or the first token, with or without
  normalisation (checked against the graph's pooled output), or the last hidden state.

Every pattern is checked against the graph's own arithmetic on the probe batch (each layer's
output within 1e-3 of the graph's); every node ends up folded or in a pattern, or the import
fails, naming all the nodes it could not map.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import onnx
from tokenizers import Tokenizer

from hw.ita.config import Activation
from sw.golden import FloatEncoder, FloatHead, float_encoder_layer
from sw.golden.reference import gelu, layernorm_float

from .bert import BertConfig, BertModel, embed, mean_pool
from .onnx_fold import QDQ, Folded, OnnxImportError, fold, fold_model

__all__ = ["OnnxImport", "OnnxImportError", "load_onnx", "import_model", "SUPPORTED"]

SUPPORTED = ("MatMul or Gemm with a constant weight (+ Add of a bias), Reshape/Transpose "
             "splitting and merging heads as (B, S, H, P), Softmax over the keys with an "
             "additive mask, LayerNormalization or ReduceMean/Sub/Pow/Sqrt/Div, GELU (Erf "
             "form or Gelu), Relu, residual Add, mean or CLS pooling")

#: Op types allowed on the tensors that depend on the token ids (the data path).
_DATA_OPS = {"MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Reshape", "Transpose", "Softmax",
             "LayerNormalization", "ReduceMean", "Pow", "Sqrt", "Reciprocal", "Erf", "Gelu",
             "Relu", "Gather", "Cast", "Identity", "ReduceSum", "Clip", "Concat", "Squeeze",
             "Unsqueeze", "Max", "ReduceL2", "Expand", "Where", "Equal", "Not"}
_HINTS = {
    "Tanh": "GELU in its tanh approximation: the engine computes the erf GELU; export with "
            "approximate='none'",
    "Split": "a fused QKV projection: export Q, K and V as three MatMuls",
    "Slice": "a fused QKV projection or a sliced tensor: export Q, K and V as three MatMuls",
    "Attention": "a fused attention op (onnxruntime's transformer optimizer): import the "
                 "model before optimization",
    "Sigmoid": "SiLU/Swish: the engine has GELU and ReLU",
    "Conv": "convolutions: the flow maps Transformer encoders only",
}
_LN_OPS = {"ReduceMean", "Sub", "Pow", "Mul", "Div", "Add", "Sqrt", "Reciprocal"}
_ACT_OPS = {"Div", "Mul", "Erf", "Add", "Relu", "Gelu", "Tanh", "Pow"}
_TOL = 1e-3


@dataclass
class OnnxImport:
    """An imported ONNX encoder: the float model, what became of every node, and what the
    graph's own float result is to be compared with."""

    model: BertModel
    path: str                       #: the file (or "model" for one built in memory)
    source: bytes | str             #: what onnxruntime loads (the file, QDQ pairs included)
    ids: str                        #: the token ids input
    mask: str                       #: the attention mask input
    inputs: dict[str, int]          #: every input and its ONNX element type
    output: str                     #: the graph output the embedding is compared with
    pooled: bool                    #: the output is pooled (else the last hidden state)
    roles: dict[str, str]           #: node -> "folded" or the pattern it is part of
    qdq: list[QDQ] = field(default_factory=list)
    stream: dict[str, int] = field(default_factory=dict)  #: layer k's input tensor -> k
    #: a tensor inside layer k -> (k, its role, the factor that takes a scale of the graph's
    #: tensor to the float model's: Q, K, V and the logits have the graph's constant scalings
    #: folded into Wq and Wv); roles: "q", "k", "v", "logits", "softmax", "context", "out",
    #: "add1", "ln1", "f1_pre", "f1", "f2", "add2"
    tensors: dict[str, tuple[int, str, float]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Nodes folded and nodes mapped, by pattern kind."""
        out: dict[str, int] = {}
        for role in self.roles.values():
            kind = role.split(":")[0]
            out[kind] = out.get(kind, 0) + 1
        return out


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(float(np.abs(b).max()), 1e-12))


class _Matcher:
    """The pattern matcher over a folded graph; ``roles`` collects what each node became."""

    def __init__(self, f: Folded):
        self.f = f
        self.roles: dict[int, str] = {i: "folded" for i in f.folded}
        b, s = f.probe_ids.shape
        self.b, self.s = b, s
        self.lengths = f.probe_mask.sum(axis=1)
        self.e = 0
        self.hp: tuple[int, int] | None = None      #: heads and P of the current layer
        self.tensors: dict[str, tuple[int, str, float]] = {}

    def note(self, name: str, k: int, role: str, factor: float = 1.0) -> None:
        """Record ``name`` as the tensor of ``role`` in layer ``k`` (see
        :attr:`OnnxImport.tensors`)."""
        self.tensors.setdefault(name, (k, role, abs(factor)))

    # -- helpers ---------------------------------------------------------------------------
    def fail(self, i: int, msg: str, hint: str = SUPPORTED) -> OnnxImportError:
        return OnnxImportError(f"{self.f.path}: {self.f.describe(i)}: {msg}; supported: {hint}")

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(np.shape(self.f.values[name]))

    def users(self, name: str) -> list[int]:
        return [i for i in self.f.consumers.get(name, ()) if i not in self.f.folded]

    def only_user(self, name: str, what: str) -> int:
        users = self.users(name)
        if len(users) != 1:
            at = self.f.producer.get(name)
            listed = ", ".join(repr(self.f.label(j)) for j in users) or "none"
            msg = f"its output goes to {listed}; expected only {what}"
            if at is None:
                raise OnnxImportError(f"{self.f.path}: input {name!r}: {msg}")
            raise self.fail(at, msg)
        return users[0]

    def node(self, i: int) -> onnx.NodeProto:
        return self.f.nodes[i]

    def attr(self, i: int, name: str, default=None):
        for a in self.node(i).attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def take(self, nodes: Iterable[int], role: str) -> None:
        for i in nodes:
            self.roles.setdefault(i, role)

    def other(self, i: int, value: str) -> str:
        """The other input of a two-input node."""
        ins = [x for x in self.node(i).input]
        if len(ins) != 2 or value not in ins:
            raise self.fail(i, "expected a two-input op")
        return ins[1] if ins[0] == value else ins[0]

    def scalar(self, name: str) -> float | None:
        c = self.f.const(name)
        return float(np.ravel(c)[0]) if c is not None and np.size(c) == 1 else None

    # -- op types --------------------------------------------------------------------------
    def check_op_types(self) -> None:
        bad = [i for i, n in enumerate(self.f.nodes) if i not in self.f.folded
               and n.op_type not in _DATA_OPS]
        if bad:
            lines = [f"{self.f.path}: {len(bad)} node(s) the flow cannot map:"]
            for i in bad:
                hint = _HINTS.get(self.node(i).op_type, SUPPORTED)
                lines.append(f"  {self.f.describe(i)}: supported instead: {hint}")
            raise OnnxImportError("\n".join(lines))

    # -- linears ---------------------------------------------------------------------------
    def linear(self, i: int, x: str) -> tuple[np.ndarray, np.ndarray, str, list[int]] | None:
        """The linear layer that starts at node ``i`` reading ``x``: (W (in, out), bias, output,
        nodes), or None if ``i`` starts none."""
        nodes, flat = [], None
        n = self.node(i)
        if n.op_type == "Reshape" and n.input[0] == x:
            shp = self.shape(n.output[0])
            users = self.users(n.output[0])
            if len(shp) != 2 or len(users) != 1 or self.node(users[0]).op_type not in (
                    "MatMul", "Gemm"):
                return None
            flat = self.shape(x)
            nodes.append(i)
            i = users[0]
            n = self.node(i)
            x = n.input[0]
        if n.op_type == "MatMul" and n.input[0] == x:
            w = self.f.const(n.input[1])
            if w is None:
                return None
            if w.ndim != 2:
                raise self.fail(i, f"weight of shape {w.shape}; a linear layer's weight is 2-D")
            w = w.astype(np.float64)
            b = np.zeros(w.shape[1])
        elif n.op_type == "Gemm" and n.input[0] == x:
            w = self.f.const(n.input[1])
            if w is None or self.attr(i, "transA", 0):
                raise self.fail(i, "Gemm with a non-constant or transposed first weight")
            w = w.astype(np.float64)
            w = (w.T if self.attr(i, "transB", 0) else w) * self.attr(i, "alpha", 1.0)
            c = self.f.const(n.input[2]) if len(n.input) > 2 and n.input[2] else None
            b = np.zeros(w.shape[1]) if c is None else np.broadcast_to(
                np.ravel(c) * self.attr(i, "beta", 1.0), (w.shape[1],)).astype(np.float64)
        else:
            return None
        nodes.append(i)
        out = n.output[0]
        for _ in range(2):          # the bias Add, before or after the reshape back
            users = self.users(out)
            if len(users) == 1 and self.node(users[0]).op_type == "Add":
                c = self.f.const(self.other(users[0], out))
                if c is not None and np.size(c) == w.shape[1]:
                    b = b + np.ravel(c)
                    nodes.append(users[0])
                    out = self.node(users[0]).output[0]
            if flat is not None and len(users) == 1 and \
                    self.node(users[0]).op_type == "Reshape" and \
                    self.shape(self.node(users[0]).output[0]) == flat[:-1] + (w.shape[1],):
                nodes.append(users[0])
                out = self.node(users[0]).output[0]
                flat = None
        if flat is not None:
            raise self.fail(nodes[-1], f"a linear on a flattened {flat} input not reshaped back")
        return w, b, out, nodes

    def linear_user(self, x: str, what: str) -> tuple[np.ndarray, np.ndarray, str, list[int]]:
        users = self.users(x)
        found = [r for r in (self.linear(i, x) for i in users) if r is not None]
        if len(found) != 1:
            at = self.f.producer[x]
            raise self.fail(at, f"expected its output to feed {what} (a MatMul or Gemm with a "
                            f"constant weight), found {len(found)} such among "
                            f"{[self.node(i).op_type for i in users]}")
        return found[0]

    # -- heads -----------------------------------------------------------------------------
    def relabel(self, i: int, labels: tuple, old: tuple, new: tuple) -> tuple:
        if labels == ("b", "s", "e") and len(new) == 4 and new[:2] == old[:2] \
                and new[2] * new[3] == old[2]:
            if self.hp is None:
                self.hp = new[2:]
            if self.hp != new[2:]:
                raise self.fail(i, f"heads {new[2:]} differ from the layer's other {self.hp}")
            return ("b", "s", "h", "p")
        if labels == ("b", "s", "h", "p") and new == old[:2] + (old[2] * old[3],):
            return ("b", "s", "e")
        raise self.fail(i, f"a Reshape of {old} (axes {labels}) into {new}; expected the head "
                        f"split (B, S, E) -> (B, S, H, P) or the merge back (B = {self.b}, "
                        f"S = {self.s} on the probe)")

    def to_matmul(self, value: str, labels: tuple, role: str
                  ) -> tuple[int, int, tuple, float, list[int], list[tuple[str, float]]]:
        """Follow ``value`` through the head split to the attention MatMul it feeds: (that
        node, which input, the axes, the scale met on the way, the nodes, each tensor on the
        way with the scale met before it)."""
        factor, nodes, seen = 1.0, [], [(value, 1.0)]
        while True:
            i = self.only_user(value, f"the head split of {role}")
            n = self.node(i)
            if n.op_type == "Reshape" and n.input[0] == value:
                labels = self.relabel(i, labels, self.shape(value), self.shape(n.output[0]))
            elif n.op_type == "Transpose":
                perm = self.attr(i, "perm", list(range(len(labels)))[::-1])
                labels = tuple(labels[p] for p in perm)
            elif n.op_type in ("Mul", "Div") and self.scalar(self.other(i, value)) is not None \
                    and (n.op_type == "Mul" or n.input[0] == value):
                c = self.scalar(self.other(i, value))
                factor *= c if n.op_type == "Mul" else 1 / c
            elif n.op_type == "MatMul" and self.f.const(self.other(i, value)) is None:
                return i, list(n.input).index(value), labels, factor, nodes, seen
            else:
                raise self.fail(i, f"on the way from {role} to the attention; expected Reshape, "
                                "Transpose or a scalar Mul/Div")
            nodes.append(i)
            value = n.output[0]
            seen.append((value, factor))

    def mask_ok(self, i: int, mask_value: str, factor: float) -> None:
        m = self.f.values[mask_value].astype(np.float64) * factor
        h = self.hp[0]
        try:
            m = np.broadcast_to(m, (self.b, h, self.s, self.s))
        except ValueError:
            raise self.fail(i, f"an additive mask of shape {m.shape}; expected one that "
                            f"broadcasts to (B, H, S, S)") from None
        keys = self.f.probe_mask[:, None, None, :].astype(bool)
        keys = np.broadcast_to(keys, m.shape)
        if np.abs(m[keys]).max(initial=0) > 1e-3 or m[~keys].max(initial=-1e9) > -100:
            raise self.fail(i, "the value added to the scores is not a key mask computed from "
                            "attention_mask (0 on real keys, <= -100 on padded ones)")
        self.take(self.ancestors(mask_value), "attention mask")

    def ancestors(self, value: str) -> list[int]:
        out, todo = [], [value]
        seen = set()
        while todo:
            v = todo.pop()
            i = self.f.producer.get(v)
            if i is None or i in seen or i in self.f.folded:
                continue
            seen.add(i)
            out.append(i)
            todo.extend(x for x in self.node(i).input if x)
        return out

    # -- regions (LayerNorm, activation) ---------------------------------------------------
    def region(self, start: str, ops: set[str]) -> list[int]:
        """Nodes reachable from ``start`` through ``ops`` whose non-constant inputs all come
        from ``start`` or the region, in graph order."""
        inside, values = set(), {start}
        changed = True
        while changed:
            changed = False
            for v in list(values):
                for i in self.users(v):
                    n = self.node(i)
                    if i in inside or n.op_type not in ops:
                        continue
                    if all(x in values or self.f.const(x) is not None for x in n.input if x):
                        inside.add(i)
                        values.update(n.output)
                        changed = True
        return sorted(inside)

    def layernorm(self, s: str, role: str) -> tuple[np.ndarray, np.ndarray, float, str]:
        users = self.users(s)
        e = self.shape(s)[-1]
        if len(users) == 1 and self.node(users[0]).op_type == "LayerNormalization":
            i = users[0]
            n = self.node(i)
            if self.attr(i, "axis", -1) not in (-1, len(self.shape(s)) - 1):
                raise self.fail(i, f"LayerNormalization over axis {self.attr(i, 'axis')}; "
                                "expected the last axis")
            gamma = self.f.const(n.input[1])
            beta = self.f.const(n.input[2]) if len(n.input) > 2 and n.input[2] else np.zeros(e)
            if gamma is None or beta is None:
                raise self.fail(i, "LayerNormalization with non-constant scale or bias")
            eps, out, nodes = float(self.attr(i, "epsilon", 1e-5)), n.output[0], [i]
        else:
            nodes = self.region(s, _LN_OPS)
            ops = [self.node(i).op_type for i in nodes]
            if ops.count("ReduceMean") != 2 or "Sqrt" not in ops:
                at = users[0] if users else self.f.producer[s]
                raise self.fail(at, f"expected a LayerNorm of the {role} (found {ops or 'no'} "
                                "ops of its decomposed form)")
            out = self.node(nodes[-1]).output[0]
            gamma, beta, eps = np.ones(e), np.zeros(e), 0.0
            for i in nodes:
                n = self.node(i)
                consts = [self.f.const(x) for x in n.input if self.f.const(x) is not None]
                if n.op_type == "Add" and consts and np.size(consts[0]) == 1 and \
                        any(self.node(j).op_type == "Sqrt" for j in self.users(n.output[0])):
                    eps = float(np.ravel(consts[0])[0])
                elif n.op_type == "Mul" and consts and np.size(consts[0]) == e:
                    gamma = np.ravel(consts[0])
                elif n.op_type == "Add" and consts and np.size(consts[0]) == e:
                    beta = np.ravel(consts[0])
        gamma, beta = np.ravel(gamma).astype(np.float64), np.ravel(beta).astype(np.float64)
        got = layernorm_float(self.f.values[s].astype(np.float64), gamma, beta, eps)
        if _rel(got, self.f.values[out]) > _TOL:
            raise self.fail(nodes[-1], f"the {role}'s LayerNorm pattern does not compute a "
                            "LayerNorm over the last axis")
        self.take(nodes, f"layernorm: {role}")
        return gamma, beta, eps, out

    def activation(self, a: str, role: str) -> tuple[Activation, str]:
        nodes = self.region(a, _ACT_OPS)
        ops = [self.node(i).op_type for i in nodes]
        if not nodes:
            raise self.fail(self.f.producer[a], f"expected GELU or ReLU after the {role}")
        if "Tanh" in ops:
            raise self.fail(nodes[ops.index("Tanh")], "GELU in its tanh approximation",
                            _HINTS["Tanh"])
        out = self.node(nodes[-1]).output[0]
        if "Relu" in ops:
            act, ref = Activation.RELU, np.maximum(self.f.values[a].astype(np.float64), 0)
        elif "Gelu" in ops or "Erf" in ops:
            i = nodes[ops.index("Gelu")] if "Gelu" in ops else None
            if i is not None and self.attr(i, "approximate", "none") != "none":
                raise self.fail(i, "GELU in its tanh approximation", _HINTS["Tanh"])
            act, ref = Activation.GELU, gelu(self.f.values[a].astype(np.float64))
        else:
            raise self.fail(nodes[0], f"expected GELU or ReLU after the {role}, found {ops}")
        if _rel(ref, self.f.values[out]) > _TOL:
            raise self.fail(nodes[-1], f"the activation after the {role} ({ops}) does not "
                            f"compute {act.name}")
        self.take(nodes, f"activation: {role}")
        return act, out

    def residual(self, y: str, x: str, role: str) -> str:
        i = self.only_user(y, f"the residual Add of the {role}")
        if self.node(i).op_type != "Add" or self.other(i, y) != x:
            raise self.fail(i, f"expected the residual Add of the {role} with the layer's input")
        self.take([i], f"residual: {role}")
        return self.node(i).output[0]

    # -- a layer ---------------------------------------------------------------------------
    def layer(self, x: str, k: int) -> tuple[FloatEncoder, str]:
        where = f"layer {k}"
        self.hp = None
        linears = [r for r in (self.linear(i, x) for i in self.users(x)) if r is not None]
        if len(linears) != 3:
            raise self.fail(self.f.producer[x], f"{where}: its input feeds {len(linears)} "
                            "linears; expected Q, K and V (three MatMuls)")
        parts = {}
        for w, b, out, nodes in linears:
            mm, pos, labels, factor, chain, seen = self.to_matmul(out, ("b", "s", "e"), where)
            if pos == 0 and labels == ("b", "h", "s", "p"):
                kind = "q"
            elif pos == 1 and labels == ("b", "h", "p", "s"):
                kind = "k"
            elif pos == 1 and labels == ("b", "h", "s", "p"):
                kind = "v"
            else:
                raise self.fail(mm, f"{where}: an attention MatMul reading axes {labels} as its "
                                f"input {pos}; expected Q (b,h,s,p) @ K (b,h,p,s) and A @ V "
                                "(b,h,s,p)")
            if kind in parts:
                raise self.fail(mm, f"{where}: two projections act as {kind.upper()}")
            parts[kind] = (w, b, factor, mm, seen)
            self.take(nodes + chain, f"attention: {where} {kind}")
        if set(parts) != {"q", "k", "v"} or parts["q"][3] != parts["k"][3]:
            raise self.fail(parts.get("q", parts["v"])[3], f"{where}: Q and K do not meet in "
                            "one scores MatMul")
        heads, proj = self.hp
        scores = parts["q"][3]
        self.take([scores], f"attention: {where} scores")
        value, factor, masked = self.node(scores).output[0], 1.0, None
        logits = [(value, 1.0)]
        while True:
            i = self.only_user(value, "the softmax")
            n = self.node(i)
            c = self.scalar(self.other(i, value)) if n.op_type in ("Mul", "Div") else None
            if c is not None and (n.op_type == "Mul" or n.input[0] == value):
                factor *= c if n.op_type == "Mul" else 1 / c
            elif n.op_type == "Add" and masked is None and \
                    self.f.taint.get(self.other(i, value)) == frozenset({"mask"}):
                masked = (i, self.other(i, value), factor)
            elif n.op_type == "Softmax":
                axis = self.attr(i, "axis", -1)
                if axis not in (-1, 3):
                    raise self.fail(i, f"{where}: Softmax over axis {axis}; expected the keys "
                                    "(-1)")
                if masked is None:
                    raise self.fail(i, f"{where}: attention without an additive key mask "
                                    "(the flow masks padded keys, this graph would attend to "
                                    "them)")
                self.mask_ok(masked[0], masked[1], factor / masked[2])   # scaled after it
                self.take([i], f"attention: {where} softmax")
                break
            else:
                raise self.fail(i, f"{where}: between the scores and the softmax; expected "
                                "a scalar Mul/Div and the Add of the mask")
            self.take([i], f"attention: {where} scores")
            value = n.output[0]
            logits.append((value, factor))
        self.note(self.node(i).output[0], k, "softmax")
        context = self.only_user(self.node(i).output[0], "the A @ V MatMul")
        if context != parts["v"][3] or self.node(context).input[0] != self.node(i).output[0]:
            raise self.fail(context, f"{where}: the softmax does not feed the A @ V MatMul")
        self.take([context], f"attention: {where} context")
        value, labels = self.node(context).output[0], ("b", "h", "s", "p")
        self.note(value, k, "context")
        while labels != ("b", "s", "e"):
            i = self.only_user(value, "the merge of the heads")
            n = self.node(i)
            if n.op_type == "Transpose":
                labels = tuple(labels[p] for p in self.attr(i, "perm", [3, 2, 1, 0]))
            elif n.op_type == "Reshape":
                labels = self.relabel(i, labels, self.shape(value), self.shape(n.output[0]))
            else:
                raise self.fail(i, f"{where}: merging the heads; expected Transpose and Reshape "
                                "back to (B, S, E)")
            self.take([i], f"attention: {where} merge")
            value = n.output[0]
            self.note(value, k, "context")
        wo, bo, y, nodes = self.linear_user(value, f"{where}'s output projection")
        self.take(nodes, f"attention: {where} output")
        add1 = self.residual(y, x, f"{where} attention")
        ln1 = self.layernorm(add1, f"{where} attention")
        w1, b1, f1, nodes = self.linear_user(ln1[3], f"{where}'s feed-forward")
        self.take(nodes, f"feed-forward: {where} F1")
        act, a = self.activation(f1, f"{where} F1")
        w2, b2, f2, nodes = self.linear_user(a, f"{where}'s second feed-forward linear")
        self.take(nodes, f"feed-forward: {where} F2")
        add2 = self.residual(f2, ln1[3], f"{where} feed-forward")
        ln2 = self.layernorm(add2, f"{where} feed-forward")

        wq, bq, fq, _, q_seen = parts["q"]
        wk, bk, fk, _, k_seen = parts["k"]
        wv, bv, fv, _, v_seen = parts["v"]
        r = fq * fk * factor * math.sqrt(proj)      # the scores' scale over 1/sqrt(P)
        # a graph tensor met after a scale f on the way is the float model's Q times f / r,
        # K times f, V times f / fv, logits times f / factor
        for role, seen, unit in (("q", q_seen, r), ("k", k_seen, 1.0), ("v", v_seen, fv),
                                 ("logits", logits, factor)):
            for name, f in seen:
                self.note(name, k, role, unit / f)
        for name, role in ((y, "out"), (add1, "add1"), (ln1[3], "ln1"), (f1, "f1_pre"),
                           (a, "f1"), (f2, "f2"), (add2, "add2")):
            self.note(name, k, role)
        wq, bq, wv, bv = wq * r, bq * r, wv * fv, bv * fv
        hs = []
        for h in range(heads):
            c = slice(h * proj, (h + 1) * proj)
            hs.append(FloatHead(wq[:, c], wk[:, c], wv[:, c], wo[c], bq[c], bk[c], bv[c]))
        enc = FloatEncoder(tuple(hs), bo, ln1[0], ln1[1], w1, b1, w2, b2, ln2[0], ln2[1], act,
                           ln2[2])
        if abs(ln1[2] - ln2[2]) > 1e-3 * max(ln1[2], 1e-30):
            raise self.fail(self.f.producer[ln1[3]], f"{where}: LayerNorm epsilons {ln1[2]} "
                            f"and {ln2[2]} differ; the float model has one per layer")
        xs, want = self.f.values[x].astype(np.float64), self.f.values[ln2[3]]
        for row, n in enumerate(self.lengths):
            got = float_encoder_layer(xs[row], enc, valid=int(n))["out"][:n]
            if _rel(got, want[row, :n]) > _TOL:
                raise self.fail(self.f.producer[ln2[3]], f"{where}: the matched layer differs "
                                f"from the graph by {_rel(got, want[row, :n]):.2e} (relative)")
        return enc, ln2[3]

    # -- embedding -------------------------------------------------------------------------
    def embedding_terms(self, value: str, terms: dict) -> None:
        i = self.f.producer.get(value)
        if i is None:
            c = self.f.const(value)
            if c is None:
                raise OnnxImportError(f"{self.f.path}: embedding input {value!r} is not a "
                                      "constant")
            terms.setdefault("rows", []).append(np.ravel(c))
            return
        n = self.node(i)
        if n.op_type == "Add":
            self.take([i], "embedding")
            for x in n.input:
                self.embedding_terms(x, terms)
            return
        if n.op_type == "Gather":
            table = self.f.const(n.input[0])
            if table is None or table.ndim != 2:
                raise self.fail(i, "an embedding Gather from a non-constant or non 2-D table")
            idx = self.f.values[n.input[1]]
            if self.f.taint.get(n.input[1]) == frozenset({"ids"}):
                src = n.input[1]
                while src != self.f.ids and self.f.producer.get(src) is not None and \
                        self.node(self.f.producer[src]).op_type == "Cast":
                    self.take([self.f.producer[src]], "embedding")
                    src = self.node(self.f.producer[src]).input[0]
                if src != self.f.ids:
                    raise self.fail(i, "the word embedding's indices are not input_ids")
                if "word" in terms:
                    raise self.fail(i, "a second table gathered by input_ids")
                terms["word"] = table
                self.take([i], "embedding")
                return
            if self.f.taint.get(n.input[1]):
                raise self.fail(i, "an embedding gathered by indices computed from the mask")
            if np.array_equal(np.broadcast_to(idx, (self.b, self.s)),
                              np.broadcast_to(np.arange(self.s), (self.b, self.s))):
                terms["position"] = table
                return
            if np.size(idx) and np.all(idx == np.ravel(idx)[0]):
                terms.setdefault("rows", []).append(table[int(np.ravel(idx)[0])])
                return
            raise self.fail(i, f"an embedding gathered by indices {np.ravel(idx)[:8]}...; "
                            "expected 0 .. S-1 (positions) or one row (token type)")
        if i in self.f.folded and np.shape(self.f.values[value])[-1:] and \
                np.size(self.f.values[value]) == np.shape(self.f.values[value])[-1]:
            terms.setdefault("rows", []).append(np.ravel(self.f.values[value]))
            return
        raise self.fail(i, "expected the embedding sum: Gather of tables by input_ids and by "
                        "positions, and constant rows, added by Add")

    def embedding(self) -> tuple[dict, str]:
        gathers = [i for i in self.users(self.f.ids)
                   if self.node(i).op_type in ("Gather", "Cast")]
        if not gathers:
            raise OnnxImportError(f"{self.f.path}: input {self.f.ids!r} feeds no Gather; "
                                  "expected a word embedding table")
        value = self.node(gathers[0]).output[0]
        if self.node(gathers[0]).op_type == "Cast":
            value = self.node(self.only_user(value, "the word Gather")).output[0]
        while True:                     # up the Add chain to the LayerNorm
            users = self.users(value)
            if len(users) == 1 and self.node(users[0]).op_type == "Add":
                value = self.node(users[0]).output[0]
            else:
                break
        terms: dict = {}
        self.embedding_terms(value, terms)
        if "word" not in terms or "position" not in terms:
            raise self.fail(self.f.producer[value], "the embedding sum has no "
                            f"{'word' if 'word' not in terms else 'position'} table")
        gamma, beta, eps, out = self.layernorm(value, "embedding")
        self.e = terms["word"].shape[1]
        row = np.zeros(self.e)
        for r in terms.get("rows", []):
            row = row + r
        terms |= {"row": row, "gamma": gamma, "beta": beta, "eps": eps, "out": out}
        return terms, out

    # -- output ----------------------------------------------------------------------------
    def output(self, model: BertModel, last: str) -> tuple[BertModel, str, bool]:
        g = self.f.model.graph
        outs = [o.name for o in g.output if self.f.taint.get(o.name, frozenset()) >= {"ids"}
                and np.issubdtype(self.f.values[o.name].dtype, np.floating)]
        pooled = [o for o in outs if self.shape(o) == (self.b, self.e)]
        for o in g.output:          # inputs passed through
            i = self.f.producer.get(o.name)
            if i is not None and self.node(i).op_type == "Identity" and \
                    self.node(i).input[0] in (self.f.ids, self.f.mask):
                self.take([i], "output: an input passed through")
        h = self.f.values[last].astype(np.float64)
        for o in pooled:
            for pooling in ("mean", "cls"):
                for normalize in (False, True):
                    m = replace(model, pooling=pooling, normalize=normalize)
                    if _rel(mean_pool(m, h, self.f.probe_mask), self.f.values[o]) < _TOL:
                        self.take(self.ancestors(o), f"pooling: {pooling}"
                                  + (", normalised" if normalize else ""))
                        return m, o, True
        if pooled:
            raise self.fail(self.f.producer[pooled[0]], "the pooled output is neither the mean "
                            "over the real tokens nor the first token (normalised or not) of "
                            "the last layer's output")
        if last in outs:
            return replace(model, pooling="mean", normalize=False), last, False
        raise OnnxImportError(f"{self.f.path}: no output is the last layer's output "
                              f"{last!r} or a (B, E) pooling of it; outputs: {outs}")

    def unmapped(self) -> None:
        left = [i for i in range(len(self.f.nodes)) if i not in self.roles]
        if left:
            lines = [f"{self.f.path}: {len(left)} node(s) not part of any pattern the flow "
                     "maps:"] + [f"  {self.f.describe(i)}" for i in left]
            lines.append(f"  supported: {SUPPORTED}")
            raise OnnxImportError("\n".join(lines))


def import_model(f: Folded, source: bytes | str, tokenizer: Tokenizer | None = None,
                 name: str = "") -> OnnxImport:
    """Match a folded graph into a float :class:`BertModel`."""
    m = _Matcher(f)
    m.check_op_types()
    terms, x = m.embedding()
    layers, stream = [], {}
    while any(m.linear(i, x) for i in m.users(x)):
        stream[x] = len(layers)
        enc, x = m.layer(x, len(layers))
        layers.append(enc)
    stream[x] = len(layers)
    if not layers:
        raise m.fail(m.f.producer[x], "the embedding feeds no encoder layer")
    first = layers[0]
    if any(layer.act != first.act for layer in layers):
        raise m.fail(m.f.producer[x], "layers with different activations")
    word, position = terms["word"].astype(np.float64), terms["position"].astype(np.float64)
    cfg = BertConfig(len(layers), m.e, len(first.heads), first.w1.shape[1], word.shape[0],
                     position.shape[0], terms["eps"], first.act)
    model = BertModel(cfg, word, position, terms["row"][None], terms["gamma"], terms["beta"],
                      tuple(layers), tokenizer, "mean", False, name)
    x0 = terms["out"]
    if _rel(embed(model, f.probe_ids), f.values[x0]) > _TOL:
        raise m.fail(f.producer[x0], "the matched embedding differs from the graph's")
    model, output, pooled = m.output(model, x)
    m.unmapped()
    inputs = {i.name: i.type.tensor_type.elem_type for i in f.model.graph.input
              if i.name not in {t.name for t in f.model.graph.initializer}}
    roles = {f.label(i): role for i, role in sorted(m.roles.items())}
    return OnnxImport(model, f.path, source, f.ids, f.mask, inputs, output, pooled, roles,
                      f.qdq, stream, m.tensors)


def _tokenizer(path: Path, tokenizer: str | Path | None) -> Tokenizer | None:
    where = Path(tokenizer) if tokenizer else path.parent / "tokenizer.json"
    if where.is_dir():
        where = where / "tokenizer.json"
    if not where.exists():
        if tokenizer:
            raise ValueError(f"tokenizer {str(where)!r}: no such file")
        return None
    tok = Tokenizer.from_file(str(where))
    tok.no_padding()
    return tok


def load_onnx(path: str | Path, tokenizer: str | Path | None = None) -> OnnxImport:
    """Import the ONNX encoder at ``path``; texts are tokenised with ``tokenizer`` (a
    ``tokenizer.json`` or a folder holding one; default: the one beside the file, if any)."""
    path = Path(path)
    f = fold(path)
    tok = _tokenizer(path, tokenizer)
    imp = import_model(f, str(path), tok, path.parent.name if path.name == "model.onnx"
                       else path.stem)
    if tok is not None:
        tok.enable_truncation(imp.model.config.max_positions)
        if tok.get_vocab_size() > imp.model.config.vocab:
            raise ValueError(f"tokenizer {tok.get_vocab_size()} words, the model's table "
                             f"{imp.model.config.vocab}")
    return imp


def import_proto(model: onnx.ModelProto, tokenizer: Tokenizer | None = None,
                 name: str = "model") -> OnnxImport:
    """Import a model built in memory (tests, or a graph made with ``onnx.helper``)."""
    return import_model(fold_model(model, name), model.SerializeToString(), tokenizer, name)
