"""The golden model: the one NumPy definition of tinyita's integer arithmetic.

Public API used by hardware tests and outside checks: :func:`requantize` and :func:`itamax`.
"""

from .activation import (
    GeluConstants,
    activation,
    derive_gelu,
    gelu_min_scale,
    gelu_scale,
    i_gelu,
    relu,
)
from .encoder import EncoderParams, EncoderResult, encoder_layer
from .itamax import ItamaxStages, itamax, itamax_stages, softmax_rs
from .layers import (
                     FFNParams,
                     FFNResult,
                     HeadParams,
                     HeadResult,
                     LinearResult,
                     MHAResult,
                     StepResult,
                     attention_head,
                     feedforward,
                     linear,
                     matmul_step,
                     multi_head_attention,
)
from .norm import AddParams, LayerNormParams, isqrt, layernorm, residual_add
from .quantize import QuantizedEncoder, logit_scale, quantize_encoder, quantize_tensor
from .reference import FloatEncoder, FloatHead, float_encoder_layer, random_float_encoder
from .requant import Requant, clip_acc, requant_for, requantize, round_shift

__all__ = [
    "requantize", "Requant", "requant_for", "round_shift", "clip_acc",
    "itamax", "itamax_stages", "ItamaxStages", "softmax_rs",
    "relu", "i_gelu", "gelu_scale", "gelu_min_scale", "GeluConstants", "derive_gelu", "activation",
    "matmul_step", "StepResult", "HeadParams", "HeadResult", "attention_head",
    "MHAResult", "multi_head_attention", "FFNParams", "FFNResult", "feedforward",
    "LinearResult", "linear",
    "isqrt", "LayerNormParams", "layernorm", "AddParams", "residual_add",
    "EncoderParams", "EncoderResult", "encoder_layer",
    "FloatHead", "FloatEncoder", "random_float_encoder", "float_encoder_layer",
    "QuantizedEncoder", "quantize_encoder", "quantize_tensor", "logit_scale",
]
