"""Models the compiler takes without a file: a random-weight encoder of any shape, quantized
layer by layer (each layer calibrated on the float output of the one before)."""

from dataclasses import dataclass

import numpy as np

from hw.ita.config import Activation, ITAConfig
from sw.golden import float_encoder_layer, quantize_encoder, random_float_encoder

from .graph import Graph, GraphBuilder, from_encoder

__all__ = ["EncoderShape", "random_encoder", "PARTS"]

#: What of the encoder to compile: all of it, or only its first layer's first attention head
#: (the job ``tinyita bench cluster`` runs by hand).
PARTS = ("encoder", "head")


@dataclass(frozen=True)
class EncoderShape:
    """The shape of an encoder: ``layers`` layers on ``seq`` rows of ``emb``, ``heads`` heads
    of ``proj``, a feed-forward of ``ff`` with activation ``act``."""

    layers: int = 1
    seq: int = 64
    emb: int = 128
    heads: int = 2
    proj: int = 64
    ff: int = 256
    act: Activation = Activation.GELU

    def __post_init__(self) -> None:
        for name in ("layers", "seq", "emb", "heads", "proj", "ff"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"EncoderShape.{name} = {value!r}: must be a positive int")


def random_encoder(shape: EncoderShape, cfg: ITAConfig, seed: int = 0, part: str = "encoder"
                   ) -> tuple[Graph, dict[str, np.ndarray]]:
    """A random float encoder of ``shape`` quantized for ``cfg``, as a graph (of ``part``, one
    of :data:`PARTS`), and an int8 input ``x`` (quantized from a standard normal draw)."""
    if part not in PARTS:
        raise ValueError(f"part {part!r}: one of {', '.join(PARTS)}")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(shape.seq, shape.emb))
    calib = x
    layers, first = [], None
    for _ in range(shape.layers):
        fe = random_float_encoder(rng, shape.emb, shape.heads, shape.proj, shape.ff, shape.act)
        q = quantize_encoder(fe, calib, cfg=cfg)
        first = first or q
        layers.append(q.params)
        calib = float_encoder_layer(calib, fe)["out"]
    inputs = {"x": first.quantize_input(x)}
    if part == "head":
        b = GraphBuilder()
        b.output(b.op("attention_head", [b.input("x", (shape.seq, shape.emb))],
                      layers[0].heads[0], "head"))
        return b.build(), inputs
    return from_encoder(layers, shape.seq), inputs
