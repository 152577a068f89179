"""The ablation of docs/accuracy.md: the integer arithmetic from the first version (int8
residual sums, one scale per tensor, one softmax shift, no mask) to the current one, one
change at a time, each measured with :func:`.accuracy.evaluate`."""

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from hw.ita.config import ITAConfig
from sw.golden import QuantizedEncoder, encoder_layer, quantize_encoder
from sw.golden.quantize_wide import WideOptions

from .accuracy import Accuracy, evaluate
from .bert import Batch, BertModel, embed, float_layer_outputs
from .integer import QuantizedModel, quantize_model

__all__ = ["Int8Layer", "quantize_int8", "VARIANTS", "ablation"]


@dataclass(frozen=True)
class Int8Layer:
    """A layer of :mod:`sw.golden.encoder` (int8 residual sums), with or without the mask."""

    q: QuantizedEncoder
    cfg: ITAConfig
    masked: bool

    @property
    def scale_in(self) -> float:
        return self.q.scale_in

    @property
    def scale_out(self) -> float:
        return self.q.scale_out

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        return self.q.quantize_input(x)

    def dequantize_output(self, y: np.ndarray) -> np.ndarray:
        return self.q.dequantize_output(y)

    def run(self, x: np.ndarray, valid: int | None = None) -> np.ndarray:
        return encoder_layer(x, self.q.params, cfg=self.cfg,
                             valid=valid if self.masked else None).out


def quantize_int8(model: BertModel, calib: Batch, cfg: ITAConfig, masked: bool
                  ) -> QuantizedModel:
    """Every layer with :func:`sw.golden.quantize_encoder` (the first quantizer)."""
    x = embed(model, calib.ids)
    layers = []
    for layer in model.layers:
        layers.append(Int8Layer(quantize_encoder(layer, x, lengths=calib.lengths, cfg=cfg),
                                cfg, masked))
        x = float_layer_outputs(layer, x, calib.lengths)
    return QuantizedModel(model, tuple(layers), cfg)


_PLAIN = WideOptions(alpha=0, gain_alpha=0, sort_units=False, balance_qk=False, gain_v=False,
                     softmax_shift=5)
_STEPS = (
    ("wide residual sums fused with LayerNorm", _PLAIN),
    ("+ softmax shift chosen per head", replace(_PLAIN, softmax_shift=None)),
    ("+ column gains on the outputs summed wide", replace(_PLAIN, softmax_shift=None,
                                                           gain_alpha=0.5)),
    ("+ column scales on the residual stream (the default)", WideOptions()),
    ("+ hidden units sorted into groups by size (not kept)",
     replace(WideOptions(), sort_units=True)),
    ("+ sorted, Q/K balanced, gains on V (not kept)",
     replace(WideOptions(), sort_units=True, balance_qk=True, gain_v=True)),
)
#: Each variant: a name and how it quantizes (model, calibration batch, engine).
VARIANTS: tuple[tuple[str, Callable[[BertModel, Batch, ITAConfig], QuantizedModel]], ...] = (
    ("int8 residual sums, one scale per tensor, k = 5, no mask",
     lambda m, b, c: quantize_int8(m, b, replace(c, softmax_shift=5), masked=False)),
    ("+ attention mask",
     lambda m, b, c: quantize_int8(m, b, replace(c, softmax_shift=5), masked=True)),
    *((name, lambda m, b, c, o=o: quantize_model(m, b, c, o)) for name, o in _STEPS),
)


def ablation(model: BertModel, cfg: ITAConfig, **evaluate_args) -> list[tuple[str, Accuracy]]:
    """Measure every variant of :data:`VARIANTS` (``evaluate_args`` go to ``evaluate``)."""
    from .sentences import CALIBRATION

    calib = model.tokenize(list(evaluate_args.pop("calibration", CALIBRATION)),
                           multiple=cfg.m)
    return [(name, evaluate(model, cfg, quantized=make(model, calib, cfg), **evaluate_args))
            for name, make in VARIANTS]
