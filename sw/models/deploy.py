"""A pretrained encoder on the cluster: tokenise and embed on the host, each encoder layer
compiled onto the cluster as its own program (a layer's weights fit L2, a whole model's do
not) and run (functional executor or Verilator), the next layer fed the output the run left,
pooling on the host, and the result against the float model."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hw.config import ClusterConfig
from sw.compiler.codegen import Compiled
from sw.compiler.flow import compile_graph
from sw.compiler.graph import from_wide_encoder

from .accuracy import cosine
from .bert import embed, forward, mean_pool
from .integer import QuantizedModel

__all__ = ["LayerRun", "TextRun", "SequenceRun", "Runner", "run_sequence", "run_text"]

#: Runs a compiled program on its inputs; returns every tensor as the run left it in L2 and
#: the measured cycles of each stage (None when nothing measures them).
Runner = Callable[[Compiled, dict[str, np.ndarray]],
                  tuple[dict[str, np.ndarray], list[int] | None]]


@dataclass
class LayerRun:
    """One layer's program and its run."""

    compiled: Compiled
    inputs: dict[str, np.ndarray]
    output: np.ndarray
    measured: list[int] | None


@dataclass
class TextRun:
    """A text through the whole model on the cluster."""

    text: str
    tokens: int                 #: real tokens ([CLS] and [SEP] included)
    padded: int                 #: rows of each layer's input (a multiple of M)
    layers: list[LayerRun]
    cosine: float               #: embedding against the float model's


@dataclass
class SequenceRun:
    """One sequence of token ids through the whole model on the cluster."""

    tokens: int                 #: real tokens ([CLS] and [SEP] included)
    padded: int                 #: rows of each layer's input (a multiple of M)
    layers: list[LayerRun]
    embedding: np.ndarray       #: pooled on the host


def run_sequence(q: QuantizedModel, ids: np.ndarray, n: int, cluster: ClusterConfig,
                 runner: Runner) -> SequenceRun:
    """Run token ids (S,) with ``n`` real tokens (S a multiple of M, the rest masked) through
    every layer of ``q`` compiled for ``cluster`` with ``runner``; pool on the host."""
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


def run_text(q: QuantizedModel, text: str, cluster: ClusterConfig, runner: Runner) -> TextRun:
    """Tokenise ``text`` (padded to a multiple of M, the padding masked), run it through the
    model on the cluster (:func:`run_sequence`), and compare with the float model."""
    batch = q.model.tokenize([text], multiple=q.cfg.m)
    r = run_sequence(q, batch.ids[0], int(batch.lengths[0]), cluster, runner)
    return TextRun(text, r.tokens, r.padded, r.layers,
                   float(cosine(r.embedding, forward(q.model, batch).embeddings[0])))
