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

from .checks import instance
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

    def __post_init__(self) -> None:
        instance("EncoderParams.heads", self.heads, tuple | list)
        if not self.heads:
            raise ValueError("EncoderParams.heads: empty; a layer needs at least one head")
        for h, head in enumerate(self.heads):
            instance(f"EncoderParams.heads[{h}]", head, HeadParams)
            if head.emb != self.heads[0].emb:
                raise ValueError(f"EncoderParams.heads[{h}]: embedding {head.emb} does not "
                                 f"match heads[0]'s {self.heads[0].emb}")
        for name, cls in (("head_sum", Requant), ("add1", AddParams), ("ln1", LayerNormParams),
                          ("ffn", FFNParams), ("add2", AddParams), ("ln2", LayerNormParams)):
            instance(f"EncoderParams.{name}", getattr(self, name), cls)
        if np.shape(self.ffn.w1)[0] != self.emb:
            raise ValueError(f"EncoderParams.ffn: w1 has {np.shape(self.ffn.w1)[0]} rows, not the "
                             f"heads' embedding {self.emb}")

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
    instance("p", p, EncoderParams)
    mha = multi_head_attention(x, list(p.heads), p.head_sum, cfg=cfg, valid=valid)
    add1 = residual_add(x, mha.out, p.add1)
    ln1 = layernorm(add1, p.ln1)
    ffn = feedforward(ln1, p.ffn, cfg=cfg)
    add2 = residual_add(ln1, ffn.out, p.add2)
    return EncoderResult(mha, add1, ln1, ffn, add2, layernorm(add2, p.ln2))
