"""A whole pretrained encoder in integers: every layer quantized on one calibration batch,
chained so that each layer's output scale is the next one's input scale, and run with the
golden model on padded, masked batches."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from hw.ita.config import ITAConfig
from sw.golden.quantize_wide import GivenScales, WideOptions, quantize_wide_encoder

from .bert import Batch, BertModel, embed, float_layer_outputs, mean_pool

__all__ = ["IntegerLayer", "QuantizedModel", "quantize_model", "IntegerRun", "run_integer"]


class IntegerLayer(Protocol):
    """A quantized layer: its input and output scales (one per column, or one) and its run."""

    scale_in: np.ndarray | float
    scale_out: np.ndarray | float

    def quantize_input(self, x: np.ndarray) -> np.ndarray: ...

    def dequantize_output(self, y: np.ndarray) -> np.ndarray: ...

    def run(self, x: np.ndarray, valid: int | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class QuantizedModel:
    """The quantized layers of ``model`` and the engine configuration they were made for."""

    model: BertModel
    layers: tuple[IntegerLayer, ...]
    cfg: ITAConfig

    def __post_init__(self) -> None:
        for i in range(1, len(self.layers)):
            out, into = self.layers[i - 1].scale_out, self.layers[i].scale_in
            if not np.array_equal(out, into):
                raise ValueError(f"layer {i}: its input scales are not layer {i - 1}'s output "
                                 "scales")


def quantize_model(model: BertModel, calib: Batch, cfg: ITAConfig,
                   options: WideOptions = WideOptions(),
                   scales: Sequence[GivenScales | None] | None = None) -> QuantizedModel:
    """Quantize every layer of ``model`` for ``cfg`` on the calibration batch ``calib``, each
    layer calibrated on the float output of the one before; layer ``i`` uses the activation
    scales ``scales[i]`` where given (a QDQ graph's; default: all calibrated)."""
    if scales is not None and len(scales) != len(model.layers):
        raise ValueError(f"scales: {len(scales)} entries for {len(model.layers)} layers")
    x = embed(model, calib.ids)
    layers = []
    for i, layer in enumerate(model.layers):
        layers.append(quantize_wide_encoder(layer, x, lengths=calib.lengths, cfg=cfg,
                                            options=options,
                                            scales=None if scales is None else scales[i]))
        x = float_layer_outputs(layer, x, calib.lengths)
    return QuantizedModel(model, tuple(layers), cfg)


class IntegerRun(NamedTuple):
    """The integer model on a batch: each layer's int8 output (B, S, E) and the embeddings of
    the dequantized last output, pooled on the host."""

    outputs: list[np.ndarray]
    embeddings: np.ndarray


def run_integer(q: QuantizedModel, batch: Batch) -> IntegerRun:
    """Run the quantized model on ``batch`` with the golden model (padded rows included)."""
    if batch.ids.shape[1] % q.cfg.m:
        raise ValueError(f"batch: sequence length {batch.ids.shape[1]} is not a multiple of "
                         f"M = {q.cfg.m}; tokenize with multiple={q.cfg.m}")
    x = q.layers[0].quantize_input(embed(q.model, batch.ids))
    outputs = []
    for layer in q.layers:
        x = np.stack([layer.run(xi, int(n)) for xi, n in zip(x, batch.lengths, strict=True)])
        outputs.append(x)
    h = q.layers[-1].dequantize_output(x)
    return IntegerRun(outputs, mean_pool(q.model, h, batch.mask))
