"""A pretrained encoder on the cluster: tokenise and embed on the host, the encoder layers
compiled onto the cluster and run (functional executor or Verilator), pooling on the host,
and the result against the float model."""

from dataclasses import dataclass

import numpy as np

from hw.config import ClusterConfig
from sw.compiler.codegen import Compiled
from sw.compiler.flow import compile_graph
from sw.compiler.graph import from_wide_encoder

from .accuracy import cosine
from .bert import embed, forward, mean_pool
from .integer import QuantizedModel

__all__ = ["Deployed", "compile_text", "finish"]


@dataclass
class Deployed:
    """One text compiled for the cluster: the program, its int8 input, the padded batch and
    the float model's embedding."""

    text: str
    compiled: Compiled
    inputs: dict[str, np.ndarray]
    tokens: int
    float_embedding: np.ndarray


def compile_text(q: QuantizedModel, text: str, cluster: ClusterConfig) -> Deployed:
    """Tokenise ``text`` (padded to a multiple of M, the padding masked) and compile every
    layer of ``q`` for ``cluster``, whose engine must be the one ``q`` was quantized for."""
    if cluster.ita_config() != q.cfg:
        raise ValueError(f"the model was quantized for {q.cfg}, the cluster has "
                         f"{cluster.ita_config()}")
    batch = q.model.tokenize([text], multiple=q.cfg.m)
    n = int(batch.lengths[0])
    x = q.layers[0].quantize_input(embed(q.model, batch.ids))[0]
    graph = from_wide_encoder([layer.params for layer in q.layers], x.shape[0], valid=n)
    inputs = {"x": x}
    return Deployed(text, compile_graph(graph, cluster, inputs), inputs, n,
                    forward(q.model, batch).embeddings[0])


def finish(q: QuantizedModel, d: Deployed, tensors: dict[str, np.ndarray]) -> dict:
    """Pool the last layer's output from a run's ``tensors`` and compare it with the float
    model: the embedding's cosine."""
    out = d.compiled.schedule.tiled.lowered.graph.outputs[0]
    h = q.layers[-1].dequantize_output(tensors[out])[None]
    mask = (np.arange(h.shape[1]) < d.tokens)[None].astype(np.int64)
    e = mean_pool(q.model, h, mask)[0]
    return {"text": d.text, "tokens": d.tokens, "padded": h.shape[1],
            "cosine": float(cosine(e, d.float_embedding))}
