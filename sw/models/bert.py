"""BERT-style encoders from a Hugging Face folder or zip, and their float NumPy reference.

A model folder holds ``config.json`` (``model_type`` "bert"), ``model.safetensors`` and
``tokenizer.json``; a sentence-transformers folder also says how to pool
(``1_Pooling/config.json``) and whether to normalise (a ``Normalize`` entry in
``modules.json``). :func:`load_bert` reads it with the ``safetensors`` and ``tokenizers``
packages; :func:`forward` runs the float model the way the original library does: embeddings
and their LayerNorm, the layers with an attention mask over padded keys, pooling over the real
tokens, normalisation.
"""

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from safetensors.numpy import load as load_safetensors
from tokenizers import Tokenizer

from hw.ita.config import Activation
from sw.golden import FloatEncoder, FloatHead, float_encoder_layer
from sw.golden.reference import layernorm_float

__all__ = ["BertConfig", "BertModel", "Batch", "load_bert", "embed", "mean_pool", "forward",
           "float_layer_outputs", "FloatRun"]

_ACTS = {"gelu": Activation.GELU, "relu": Activation.RELU}
_POOLINGS = ("mean", "cls")


@dataclass(frozen=True)
class BertConfig:
    """The shape of a BERT encoder (from its ``config.json``)."""

    layers: int
    emb: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    eps: float
    act: Activation

    @property
    def proj(self) -> int:
        return self.emb // self.heads


class Batch(NamedTuple):
    """Token ids (B, S), padded with the pad id, and the attention mask (B, S) of 0/1."""

    ids: np.ndarray
    mask: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """Real tokens of each sequence."""
        return self.mask.sum(axis=1)


@dataclass(frozen=True)
class BertModel:
    """A loaded encoder: embeddings, one :class:`FloatEncoder` per layer, the tokenizer and the
    pooling (``mean`` or ``cls``) with or without normalisation."""

    config: BertConfig
    word: np.ndarray
    position: np.ndarray
    token_type: np.ndarray
    ln_gamma: np.ndarray
    ln_beta: np.ndarray
    layers: tuple[FloatEncoder, ...]
    tokenizer: Tokenizer | None
    pooling: str = "mean"
    normalize: bool = True
    name: str = ""

    def tokenize(self, texts: list[str], *, multiple: int = 1) -> Batch:
        """Tokenise ``texts`` into one batch, padded to the longest sequence rounded up to a
        multiple of ``multiple``."""
        if not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"texts: {texts!r}; expected a non-empty list of strings")
        if self.tokenizer is None:
            raise ValueError(f"model {self.name!r} has no tokenizer; give one (a "
                             "tokenizer.json) or token ids")
        enc = self.tokenizer.encode_batch(texts)
        longest = max(len(e.ids) for e in enc)
        s = -(-longest // multiple) * multiple
        ids = np.zeros((len(texts), s), dtype=np.int64)
        mask = np.zeros((len(texts), s), dtype=np.int64)
        for i, e in enumerate(enc):
            ids[i, :len(e.ids)] = e.ids
            mask[i, :len(e.ids)] = 1
        return Batch(ids, mask)


def _open(path: Path):
    """A function reading a file of the model folder, or of the zip, by name (None if absent)."""
    if path.is_dir():
        return lambda name: (path / name).read_bytes() if (path / name).exists() else None
    if zipfile.is_zipfile(path):
        z = zipfile.ZipFile(path)
        names = set(z.namelist())
        root = min((n[:-len("config.json")] for n in names if n.endswith("config.json")),
                   key=len, default="")
        return lambda name: z.read(root + name) if root + name in names else None
    raise ValueError(f"model {str(path)!r}: neither a folder nor a zip file")


def _config(cfg: dict, where: str) -> BertConfig:
    if cfg.get("model_type") != "bert":
        raise ValueError(f"{where}: model_type {cfg.get('model_type')!r}; only 'bert' "
                         "encoders load (BERT, MiniLM, all-MiniLM and other BertModel exports)")
    act = cfg.get("hidden_act", "gelu")
    if act not in _ACTS:
        raise ValueError(f"{where}: hidden_act {act!r}; supported: {', '.join(_ACTS)}")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"{where}: position_embedding_type "
                         f"{cfg['position_embedding_type']!r}; only 'absolute' is supported")
    if cfg["hidden_size"] % cfg["num_attention_heads"]:
        raise ValueError(f"{where}: hidden_size {cfg['hidden_size']} is not a multiple of "
                         f"num_attention_heads {cfg['num_attention_heads']}")
    return BertConfig(cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"],
                      cfg["intermediate_size"], cfg["vocab_size"],
                      cfg["max_position_embeddings"], float(cfg.get("layer_norm_eps", 1e-12)),
                      _ACTS[act])


def _layer(t: dict[str, np.ndarray], i: int, c: BertConfig) -> FloatEncoder:
    p = f"encoder.layer.{i}."

    def lin(name: str) -> tuple[np.ndarray, np.ndarray]:    # torch keeps (out, in)
        return t[p + name + ".weight"].T.astype(np.float64), t[p + name + ".bias"]

    (wq, bq), (wk, bk), (wv, bv) = (lin(f"attention.self.{n}") for n in ("query", "key", "value"))
    wo, bo = lin("attention.output.dense")
    w1, b1 = lin("intermediate.dense")
    w2, b2 = lin("output.dense")
    heads = []
    for h in range(c.heads):
        cols = slice(h * c.proj, (h + 1) * c.proj)
        heads.append(FloatHead(wq[:, cols], wk[:, cols], wv[:, cols], wo[cols], bq[cols],
                               bk[cols], bv[cols]))
    return FloatEncoder(tuple(heads), bo, t[p + "attention.output.LayerNorm.weight"],
                        t[p + "attention.output.LayerNorm.bias"], w1, b1, w2, b2,
                        t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], c.act,
                        c.eps)


def load_bert(path: str | Path) -> BertModel:
    """Load a BERT-style encoder from a Hugging Face folder or a zip of one."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"model {str(path)!r}: no such folder or zip file")
    read = _open(path)
    files = {n: read(n) for n in ("config.json", "model.safetensors", "tokenizer.json")}
    missing = [n for n, data in files.items() if data is None]
    if missing:
        raise ValueError(f"model {str(path)!r}: missing {', '.join(missing)} (a Hugging Face "
                         "folder holds config.json, model.safetensors and tokenizer.json)")
    c = _config(json.loads(files["config.json"]), f"{path}/config.json")
    raw = load_safetensors(files["model.safetensors"])
    t = {k.removeprefix("bert."): v.astype(np.float64) for k, v in raw.items()
         if np.issubdtype(v.dtype, np.floating)}
    e = "embeddings."
    tok = Tokenizer.from_buffer(files["tokenizer.json"])
    tok.no_padding()
    tok.enable_truncation(c.max_positions)
    pool_cfg = read("1_Pooling/config.json")
    pooling = "mean"
    if pool_cfg is not None and json.loads(pool_cfg).get("pooling_mode_cls_token"):
        pooling = "cls"
    modules = read("modules.json")
    normalize = modules is not None and any(m.get("type", "").endswith("Normalize")
                                            for m in json.loads(modules))
    try:
        layers = tuple(_layer(t, i, c) for i in range(c.layers))
        return BertModel(c, t[e + "word_embeddings.weight"], t[e + "position_embeddings.weight"],
                         t[e + "token_type_embeddings.weight"], t[e + "LayerNorm.weight"],
                         t[e + "LayerNorm.bias"], layers, tok, pooling, normalize, path.name)
    except KeyError as err:
        raise ValueError(f"model {str(path)!r}: model.safetensors has no tensor {err}; is it a "
                         "BertModel export?") from None


def embed(model: BertModel, ids: np.ndarray) -> np.ndarray:
    """The input of the first layer for token ids (B, S): word + position + token type 0
    embeddings, normalised."""
    s = ids.shape[1]
    if s > model.config.max_positions:
        raise ValueError(f"sequence length {s} is over the model's "
                         f"{model.config.max_positions} positions")
    x = model.word[ids] + model.position[:s] + model.token_type[0]
    return layernorm_float(x, model.ln_gamma, model.ln_beta, model.config.eps)


def mean_pool(model: BertModel, h: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The sentence embeddings (B, E) of the last layer's output ``h`` (B, S, E): the mean over
    the real tokens (or the first token), normalised if the model says so."""
    if model.pooling == "cls":
        v = h[:, 0]
    else:
        m = mask[..., None].astype(np.float64)
        v = (h * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    if model.normalize:
        v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    return v


def float_layer_outputs(layer: FloatEncoder, x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The float layer on a padded batch (B, S, E), masking each sequence's padding."""
    return np.stack([float_encoder_layer(xi, layer, valid=int(n))["out"]
                     for xi, n in zip(x, lengths, strict=True)])


class FloatRun(NamedTuple):
    """The float model on a batch: each layer's input and output, and the embeddings."""

    inputs: list[np.ndarray]     #: (B, S, E) per layer
    outputs: list[np.ndarray]    #: (B, S, E) per layer
    embeddings: np.ndarray       #: (B, E)


def forward(model: BertModel, batch: Batch) -> FloatRun:
    """Run the float model on a batch, masking padded keys in every softmax."""
    x = embed(model, batch.ids)
    inputs, outputs = [], []
    for layer in model.layers:
        inputs.append(x)
        x = float_layer_outputs(layer, x, batch.lengths)
        outputs.append(x)
    return FloatRun(inputs, outputs, mean_pool(model, x, batch.mask))
