"""How closely the integer model tracks the float model: per-layer and embedding cosines and
the rank correlation of sentence-pair similarities."""

from dataclasses import asdict, dataclass

import numpy as np

from hw.ita.config import ITAConfig
from sw.golden.quantize_wide import WideOptions

from .bert import BertModel, forward
from .integer import QuantizedModel, quantize_model, run_integer
from .sentences import CALIBRATION, SENTENCES

__all__ = ["Accuracy", "cosine", "spearman", "evaluate"]


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity along the last axis."""
    return (a * b).sum(-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1),
                                        1e-30)


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(len(v))
    for value in np.unique(v[np.r_[False, np.diff(v[order]) == 0]] if len(v) else []):
        tied = v == value                       # ties share their mean rank
        r[tied] = r[tied].mean()
    return r


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two vectors."""
    ra, rb = _ranks(np.asarray(a)), _ranks(np.asarray(b))
    return float(np.corrcoef(ra, rb)[0, 1])


@dataclass(frozen=True)
class Accuracy:
    """Integer against float on a set of sentences.

    ``layers``: per layer, the (mean, min) over sentences of the cosine between the integer
    layer's output and the float layer's output over the real tokens, both given the float
    model's input to that layer. ``embedding``: (mean, min) of the embeddings' cosine after all
    layers run in integers. ``spearman``: rank correlation of the cosine similarities of all
    sentence pairs, integer against float.
    """

    sentences: int
    layers: list[tuple[float, float]]
    embedding: tuple[float, float]
    spearman: float

    def as_dict(self) -> dict:
        return asdict(self)


def _batches(texts: list[str], size: int) -> list[list[str]]:
    return [texts[i:i + size] for i in range(0, len(texts), size)]


def evaluate(model: BertModel, cfg: ITAConfig, texts: tuple[str, ...] = SENTENCES, *,
             calibration: tuple[str, ...] = CALIBRATION,
             options: WideOptions = WideOptions(), batch: int = 16,
             quantized: QuantizedModel | None = None) -> Accuracy:
    """Quantize ``model`` for ``cfg`` on ``calibration`` (one padded batch) with ``options``
    (or take ``quantized``) and measure it on ``texts``, run in padded, masked batches of
    ``batch``."""
    q = quantized or quantize_model(model, model.tokenize(list(calibration), multiple=cfg.m),
                                    cfg, options)
    layer_cos: list[list[float]] = [[] for _ in model.layers]
    emb_int, emb_float = [], []
    for part in _batches(list(texts), batch):
        b = model.tokenize(part, multiple=cfg.m)
        fr = forward(model, b)
        emb_float.append(fr.embeddings)
        emb_int.append(run_integer(q, b).embeddings)
        for i, layer in enumerate(q.layers):
            xs = layer.quantize_input(fr.inputs[i])
            for x, n, want in zip(xs, b.lengths, fr.outputs[i], strict=True):
                n = int(n)
                got = layer.run(x, n)[:n]
                layer_cos[i].append(float(cosine(layer.dequantize_output(got).ravel(),
                                                 want[:n].ravel())))
    ei, ef = np.concatenate(emb_int), np.concatenate(emb_float)
    c = cosine(ei, ef)
    upper = np.triu_indices(len(ei), 1)
    sim_i, sim_f = (cosine(e[:, None], e[None, :])[upper] for e in (ei, ef))
    rho = spearman(sim_i, sim_f) if len(ei) > 2 else float("nan")
    return Accuracy(len(ei), [(float(np.mean(v)), float(np.min(v))) for v in layer_cos],
                    (float(c.mean()), float(c.min())), rho)
