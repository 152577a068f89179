"""The integer encoder layer: the whole Transformer block the cluster runs.

    M  = multi_head_attention(X)                 # heads, head sum
    A1 = residual_add(X, M)
    N1 = layernorm(A1)
    F  = feedforward(N1)                         # F1 with activation, F2
    A2 = residual_add(N1, F)
    Y  = layernorm(A2)
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hw.ita.config import ITAConfig

from .layers import (
    DEFAULT,
    FFNParams,
    FFNResult,
    HeadParams,
    MHAResult,
    feedforward,
    multi_head_attention,
)
from .norm import AddParams, LayerNormParams, layernorm, residual_add
from .requant import Requant

__all__ = ["EncoderParams", "EncoderResult", "encoder_layer"]


@dataclass(frozen=True)
class EncoderParams:
    """Every int8 weight, 24-bit bias and requantizer constant of one encoder layer."""

    heads: tuple[HeadParams, ...]
    head_sum: Requant
    add1: AddParams
    ln1: LayerNormParams
    ffn: FFNParams
    add2: AddParams
    ln2: LayerNormParams

    @property
    def emb(self) -> int:
        return self.heads[0].emb


class EncoderResult(NamedTuple):
    """Every intermediate of an encoder layer; ``out`` is the layer's int8 output."""

    mha: MHAResult
    add1: np.ndarray
    ln1: np.ndarray
    ffn: FFNResult
    add2: np.ndarray
    out: np.ndarray


def encoder_layer(x, p: EncoderParams, *, cfg: ITAConfig = DEFAULT,
                  valid: int | None = None) -> EncoderResult:
    """Run one integer encoder layer on int8 ``x`` (S, E) whose first ``valid`` rows are real
    tokens (default: all)."""
    mha = multi_head_attention(x, list(p.heads), p.head_sum, cfg=cfg, valid=valid)
    add1 = residual_add(x, mha.out, p.add1)
    ln1 = layernorm(add1, p.ln1)
    ffn = feedforward(ln1, p.ffn, cfg=cfg)
    add2 = residual_add(ln1, ffn.out, p.add2)
    return EncoderResult(mha, add1, ln1, ffn, add2, layernorm(add2, p.ln2))
