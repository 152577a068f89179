"""The last stages of the ONNX flow: inputs from ``.npz`` files, quantization of the imported
model, each sequence run on the cluster, and the agreement with onnxruntime running the same
file (onnxruntime is imported here only, for the reference and nothing else)."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from hw.config import ClusterConfig
from sw.compiler.flow import compile_graph
from sw.compiler.graph import from_wide_encoder

from .accuracy import cosine
from .bert import Batch, embed, forward, mean_pool
from .deploy import LayerRun, Runner
from .integer import QuantizedModel, run_integer
from .onnx import OnnxImport

__all__ = ["load_inputs", "pad_batch", "reference", "SequenceRun",
           "run_sequence", "agreement", "qdq_report"]


def load_inputs(path: str | Path, vocab: int, ids_name: str = "input_ids",
                mask_name: str = "attention_mask") -> Batch:
    """Token ids and attention mask from an ``.npz`` (keys: the graph's input names, or
    ``input_ids`` and ``attention_mask``; no mask: every token is real); each row's mask is
    ones then zeros."""
    try:
        z = np.load(path)
    except (ValueError, OSError) as e:
        raise ValueError(f"{path}: not a readable .npz file ({e})") from None
    with z:
        keys = set(z.files)
        ids_key = next((k for k in (ids_name, "input_ids") if k in keys), None)
        if ids_key is None:
            raise ValueError(f"{path}: no {ids_name!r} array (it has {sorted(keys)})")
        ids = np.atleast_2d(z[ids_key]).astype(np.int64)
        mask_key = next((k for k in (mask_name, "attention_mask") if k in keys), None)
        mask = (np.atleast_2d(z[mask_key]).astype(np.int64) if mask_key
                else np.ones_like(ids))
    if ids.ndim != 2 or mask.shape != ids.shape:
        raise ValueError(f"{path}: input_ids {ids.shape} and attention_mask {mask.shape}; "
                         "expected two (B, S) arrays")
    n = mask.sum(axis=1)
    prefix = np.arange(ids.shape[1])[None, :] < n[:, None]
    if not np.array_equal(mask.astype(bool), prefix) or n.min() < 1:
        raise ValueError(f"{path}: each attention_mask row must be ones followed by zeros "
                         "(right padding), with at least one real token")
    if ids.min() < 0 or ids.max() >= vocab:
        raise ValueError(f"{path}: token ids {ids.min()} .. {ids.max()} outside the model's "
                         f"vocabulary of {vocab}")
    return Batch(ids, mask)


def pad_batch(batch: Batch, multiple: int) -> Batch:
    """``batch`` padded (ids 0, mask 0) to a multiple of ``multiple`` tokens."""
    s = -(-batch.ids.shape[1] // multiple) * multiple
    pad = ((0, 0), (0, s - batch.ids.shape[1]))
    return Batch(np.pad(batch.ids, pad), np.pad(batch.mask, pad))


def reference(imp: OnnxImport, batch: Batch) -> np.ndarray:
    """The embeddings (B, E) onnxruntime computes from the file (QDQ pairs included), pooled
    on the host the same way when the file's output is the last hidden state."""
    sess = _session(imp.source)
    dtype = {7: np.int64, 6: np.int32}
    feeds = {}
    for name, elem in imp.inputs.items():
        if name == imp.ids:
            value = batch.ids
        elif name == imp.mask:
            value = batch.mask
        elif "position" in name:
            value = np.broadcast_to(np.arange(batch.ids.shape[1]), batch.ids.shape)
        else:
            value = np.zeros_like(batch.ids)
        feeds[name] = np.ascontiguousarray(value, dtype=dtype.get(elem, np.int64))
    out = sess.run([imp.output], feeds)[0].astype(np.float64)
    return out if imp.pooled else mean_pool(imp.model, out, batch.mask)


@lru_cache(maxsize=4)
def _session(source: bytes | str):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    # the basic optimizations keep the float arithmetic; the extended ones would run a
    # DequantizeLinear weight's MatMul in integers on dynamically quantized activations
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    return ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])


@dataclass
class SequenceRun:
    """One sequence through the model on the cluster."""

    tokens: int
    padded: int
    layers: list[LayerRun]
    embedding: np.ndarray


def run_sequence(q: QuantizedModel, ids: np.ndarray, n: int, cluster: ClusterConfig,
                 runner: Runner) -> SequenceRun:
    """Run token ids (S,) with ``n`` real tokens (S a multiple of M) through every layer of
    ``q`` compiled for ``cluster``; pool on the host."""
    if cluster.ita_config() != q.cfg:
        raise ValueError(f"the model was quantized for {q.cfg}, the cluster has "
                         f"{cluster.ita_config()}")
    x = q.layers[0].quantize_input(embed(q.model, ids[None]))[0]
    runs = []
    for layer in q.layers:
        graph = from_wide_encoder([layer.params], x.shape[0], valid=n)
        inputs = {"x": x}
        compiled = compile_graph(graph, cluster, inputs)
        tensors, measured = runner(compiled, inputs)
        x = tensors[graph.outputs[0]]
        runs.append(LayerRun(compiled, inputs, x, measured))
    mask = (np.arange(len(ids)) < n)[None].astype(np.int64)
    h = q.layers[-1].dequantize_output(x)[None]
    return SequenceRun(n, len(ids), runs, mean_pool(q.model, h, mask)[0])


def agreement(imp: OnnxImport, q: QuantizedModel, batch: Batch, size: int = 16
              ) -> tuple[np.ndarray, np.ndarray]:
    """The cosines of the integer model's embeddings (golden model) against onnxruntime's, and
    the largest difference of the imported float model's, over ``batch`` in parts of
    ``size``."""
    cos, diff = [], []
    for i in range(0, len(batch.ids), size):
        part = Batch(batch.ids[i:i + size], batch.mask[i:i + size])
        n = int(part.lengths.max())
        part = pad_batch(Batch(part.ids[:, :n], part.mask[:, :n]), q.cfg.m)
        ref = reference(imp, part)
        diff.append(np.abs(forward(imp.model, part).embeddings - ref).max(axis=-1))
        cos.append(cosine(run_integer(q, part).embeddings, ref))
    return np.concatenate(cos), np.concatenate(diff)



def qdq_report(imp: OnnxImport, q: QuantizedModel) -> list[str]:
    """What became of each activation QDQ pair's scale. The residual stream between layers
    (the layers' inputs and outputs) has one scale per column in the integer arithmetic: a
    graph scale there is replaced by the column scales, whose range against it is given. The
    other tensors are requantized inside a layer with the scales the quantizer calibrates."""
    lines = []
    for p in imp.qdq:
        k = imp.stream.get(p.tensor)
        if k is None:
            lines.append(f"{p.nodes[0]} on {p.tensor!r}: scale {p.scale:.4g} not used (inside a "
                         "layer: the quantizer calibrates its own)")
            continue
        used = np.atleast_1d(q.layers[k].scale_in if k < len(q.layers)
                             else q.layers[-1].scale_out)
        where = f"layer {k}'s input" if k < len(q.layers) else "the last layer's output"
        lo, hi = float(used.min()) / p.scale, float(used.max()) / p.scale
        same = abs(lo - 1) < 1e-6 and abs(hi - 1) < 1e-6
        lines.append(f"{p.nodes[0]} on {p.tensor!r} ({where}): scale {p.scale:.4g} "
                     + ("kept" if same else
                        f"changed to {len(used)} column scales of {lo:.3g} .. {hi:.3g} times "
                        "it (the residual stream has one scale per column)"))
    return lines
