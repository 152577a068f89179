"""The encoder layer for real models: residual sums kept wide, the feed-forward in groups.

    Y_h = attention_head(X)                  for each head (int8, (S, E))
    N1  = add_norm([X, Y_0 .. Y_{H-1}])      # sum and LayerNorm, no int8 sum in between
    F_g = feedforward(N1, group g)           for each group of hidden units (int8, (S, E))
    Y   = add_norm([N1, F_0 .. F_{G-1}])

Each feed-forward group is an ordinary feed-forward block over some of the hidden units (the
quantizer sorts the units by size, so each group has a scale that fits it); its output is its
share of F2. Compared with :mod:`.encoder`, no int8 tensor holds a sum of heads, of groups or
of the residual, and every head carries its own softmax shift. Each step is still one of the
engine's steps or the core kernel :func:`.add_norm.add_norm`.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hw.ita.config import ITAConfig

from .add_norm import AddNormParams, AddNormResult, add_norm
from .checks import instance
from .layers import FFNParams, FFNResult, HeadParams, HeadResult, attention_head, feedforward

__all__ = ["WideEncoderParams", "WideEncoderResult", "wide_encoder_layer"]


@dataclass(frozen=True)
class WideEncoderParams:
    """Every integer constant of one layer, and the engine configuration it was quantized for
    (:func:`wide_encoder_layer` runs it on no other)."""

    heads: tuple[HeadParams, ...]
    norm1: AddNormParams
    ffn: tuple[FFNParams, ...]
    norm2: AddNormParams
    cfg: ITAConfig

    def __post_init__(self) -> None:
        for name, items, cls in (("heads", self.heads, HeadParams), ("ffn", self.ffn, FFNParams)):
            instance(f"WideEncoderParams.{name}", items, tuple | list)
            for i, item in enumerate(items):
                instance(f"WideEncoderParams.{name}[{i}]", item, cls)
        for name in ("norm1", "norm2"):
            instance(f"WideEncoderParams.{name}", getattr(self, name), AddNormParams)
        instance("WideEncoderParams.cfg", self.cfg, ITAConfig)
        if not self.heads or not self.ffn:
            raise ValueError("a layer needs at least one head and one feed-forward group")
        if self.norm1.inputs != 1 + len(self.heads):
            raise ValueError(f"norm1: {self.norm1.inputs} inputs; expected the input and "
                             f"{len(self.heads)} heads")
        if self.norm2.inputs != 1 + len(self.ffn):
            raise ValueError(f"norm2: {self.norm2.inputs} inputs; expected N1 and "
                             f"{len(self.ffn)} feed-forward groups")
        for g, f in enumerate(self.ffn):
            if f.f2_chunks:
                raise ValueError(f"ffn[{g}]: a group has no F2 chunks of its own")

    @property
    def emb(self) -> int:
        return self.heads[0].emb


class WideEncoderResult(NamedTuple):
    """Every intermediate of :func:`wide_encoder_layer`; ``out`` is the layer's int8 output."""

    heads: list[HeadResult]
    norm1: AddNormResult
    ffn: list[FFNResult]
    norm2: AddNormResult

    @property
    def out(self) -> np.ndarray:
        return self.norm2.out


def wide_encoder_layer(x, p: WideEncoderParams, *, cfg: ITAConfig,
                       valid: int | None = None) -> WideEncoderResult:
    """Run the layer on int8 ``x`` (S, E) whose first ``valid`` rows are real tokens (default
    all) on the engine configuration ``cfg``, which must be the one ``p`` was quantized for."""
    instance("p", p, WideEncoderParams)
    instance("cfg", cfg, ITAConfig)
    if cfg != p.cfg:
        raise ValueError(f"the layer was quantized for {p.cfg}, not for {cfg}: quantize it "
                         "again for this engine")
    heads = [attention_head(x, h, cfg=cfg, valid=valid) for h in p.heads]
    n1 = add_norm([x] + [h.out for h in heads], p.norm1)
    ffn = [feedforward(n1.out, f, cfg=cfg) for f in p.ffn]
    return WideEncoderResult(heads, n1, ffn, add_norm([n1.out] + [f.out for f in ffn], p.norm2))
