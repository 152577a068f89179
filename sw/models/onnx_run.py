"""The last stages of the ONNX flow: inputs from ``.npz`` files, quantization of the imported
model, each sequence run on the cluster, and the agreement with onnxruntime running the same
file (onnxruntime is imported here only, for the reference and nothing else)."""

from functools import lru_cache
from pathlib import Path

import numpy as np

from hw.ita.config import ITAConfig
from sw.golden.activation import gelu_min_scale
from sw.golden.quantize import A_SCALE
from sw.golden.quantize_wide import GivenScales, WideOptions

from .accuracy import cosine
from .bert import Batch, forward, mean_pool
from .integer import QuantizedModel, quantize_model, run_integer
from .onnx import OnnxImport
from .onnx_fold import QDQ

__all__ = ["load_inputs", "pad_batch", "reference",
           "agreement", "given_scales", "quantize_import", "qdq_report"]


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



#: The roles of :attr:`OnnxImport.tensors` whose scale the wide quantizer can take as given.
_GIVEN = ("q", "k", "v", "context", "logits", "f1_pre", "f1")


def _symmetric(p: QDQ) -> float:
    """The pair's scale if int8 (-128 .. 127 around 0) holds its range, else the int8 scale
    that covers it (an asymmetric or unsigned pair)."""
    below, above = p.zero_point - p.qmin, p.qmax - p.zero_point
    return p.scale if below <= 128 and above <= 127 else p.scale * max(below, above) / 127


def given_scales(imp: OnnxImport) -> list[GivenScales | None]:
    """Per layer, the scales of its activation QDQ pairs on the tensors that have one scale
    per tensor in the integer arithmetic (Q, K, V, the context, the logits, F1 before and
    after the activation), in the float model's units; the first pair of a tensor wins.
    None for a layer without such pairs."""
    found: list[dict[str, float]] = [{} for _ in imp.model.layers]
    for p in imp.qdq:
        k, role, factor = imp.tensors.get(p.tensor, (None, "", 1.0))
        if k is not None and role in _GIVEN:
            found[k].setdefault(role, _symmetric(p) * factor)
    return [GivenScales(**d) if d else None for d in found]


def quantize_import(imp: OnnxImport, calib: Batch, cfg: ITAConfig,
                    options: WideOptions = WideOptions()) -> QuantizedModel:
    """Quantize an imported model on ``calib``: a QDQ graph's scales are used where the
    integer arithmetic has one scale per tensor (:func:`given_scales`); the rest is
    calibrated. Without QDQ pairs this is :func:`.quantize_model`."""
    given = given_scales(imp)
    return quantize_model(imp.model, calib, cfg, options,
                          given if any(g is not None for g in given) else None)


def _changed(x: float, used: np.ndarray, what: str) -> str:
    lo, hi = float(used.min()), float(used.max())
    if hi - lo <= 1e-9 * hi:
        return f"changed from {x:.4g} to {lo:.4g} (ratio {lo / x:.4g})"
    return (f"changed from {x:.4g} to {used.size} {what} scales of {lo / x:.3g} .. "
            f"{hi / x:.3g} times it")


def _same(x: float, used: np.ndarray) -> bool:
    return bool(np.all(np.abs(used / x - 1) < 1e-6))


_WHY = {
    "logits": "ITAMax reads logits at ln(2) / 2**k, k = 0..7: each head keeps the shift whose "
              "softmax is closest to the float one",
    "softmax": "ITAMax's output A has the fixed scale 1/255",
    "out": "the heads' outputs are summed wide (fused Add + LayerNorm), each head's with its "
           "own column scales; the graph's sum has no int8 tensor",
    "f2": "the groups' F2 outputs are summed wide (fused Add + LayerNorm), each with its own "
          "column scales; the graph's sum has no int8 tensor",
    "ln1": "the residual stream has one scale per column",
    "stream": "the residual stream has one scale per column",
}


_NAMES = {"q": "Q", "k": "K", "v": "V", "logits": "logits", "softmax": "softmax output",
          "context": "attention context", "out": "attention output", "add1": "attention "
          "residual sum", "ln1": "first LayerNorm's output", "f1_pre": "F1 pre-activation",
          "f1": "activation output", "f2": "F2 output", "add2": "feed-forward residual sum"}


def qdq_report(imp: OnnxImport, q: QuantizedModel) -> list[str]:
    """Per activation QDQ pair: its scale used as is, or changed from X to Y (the ratio) and
    why. Used: the one scale per tensor of Q, K, V, the context, F1 and its activation (and
    the logits when the scale is one ITAMax reads). Changed: the residual stream and the
    LayerNorm outputs (one scale per column), the logits' other scales and the softmax output
    (ITAMax's), an i-GELU input under :func:`.gelu_min_scale`, scales whose requantizer ratio
    would pass 255, asymmetric ranges (int8 is symmetric), the outputs summed wide. Not used:
    tensors the integer arithmetic does not form in int8."""
    lines = []
    for p in imp.qdq:
        head = f"{p.nodes[0]} on {p.tensor!r}"
        k = imp.stream.get(p.tensor)
        if k is not None:
            last = k == len(q.layers)
            used = np.atleast_1d(q.layers[-1].scale_out if last else q.layers[k].scale_in)
            where, role = "the last layer's output" if last else f"layer {k}'s input", "stream"
            x, factor = p.scale, 1.0
        elif p.tensor in imp.tensors:
            k, role, factor = imp.tensors[p.tensor]
            where, x = f"layer {k}'s {_NAMES[role]}", p.scale * factor
            scales = getattr(q.layers[k], "scales", {})
            if role in ("add1", "add2"):
                lines.append(f"{head} ({where}): scale {p.scale:.4g} not used (the residual "
                             "sum is wide inside the fused Add + LayerNorm: no int8 tensor)")
                continue
            used = (np.array([A_SCALE]) if role == "softmax"
                    else np.ravel(scales[role]) if role in scales else None)
            if used is None:
                lines.append(f"{head} ({where}): scale {p.scale:.4g} not used (this layer's "
                             "scales are not recorded)")
                continue
        else:
            lines.append(f"{head}: scale {p.scale:.4g} not used (a tensor the integer "
                         "arithmetic does not form in int8: embedding, LayerNorm or activation "
                         "internals, pooling)")
            continue
        units = ("" if abs(factor - 1) < 1e-6 else
                 f" ({x:.4g} in the float model's units: the graph's scalings are in Wq, Wv)")
        if _same(x, used):
            lines.append(f"{head} ({where}): scale {p.scale:.4g}{units} used as is")
            continue
        why = [_WHY[role]] if role in _WHY else []
        if _symmetric(p) != p.scale:
            why.append(f"int8 is symmetric: its range {p.qmin}..{p.qmax} around zero point "
                       f"{p.zero_point} needs {_symmetric(p):.4g}")
        if role == "f1_pre" and np.any(np.abs(used / gelu_min_scale() - 1) < 1e-9):
            why.append(f"i-GELU needs an input scale of at least {gelu_min_scale():.4g}")
        if not why:
            why.append("a requantizer ratio would pass 255")
        what = {"stream": "column", "ln1": "column", "out": "head column",
                "f2": "group column", "f1_pre": "group", "f1": "group"}.get(role, "head")
        lines.append(f"{head} ({where}): scale {_changed(x, used, what)}{units}: "
                     + "; ".join(why))
    return lines
