"""Models for the tests: the real all-MiniLM-L6-v2 (fetched into the cache on first use) and
a tiny random BERT folder written here, for fast tests of loading and of other shapes."""

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, processors

from sw.models.bert import BertModel, load_bert
from sw.models.fetch import model_path

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "dog", "sleeps", "runs", "a", "."]


def write_tiny_bert(folder: Path, *, layers=2, emb=64, heads=2, ff=128, seed=0,
                    config_changes: dict | None = None) -> Path:
    """A random BERT with a ten-word vocabulary, saved as a Hugging Face folder."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    config = {"model_type": "bert", "hidden_size": emb, "num_attention_heads": heads,
              "num_hidden_layers": layers, "intermediate_size": ff, "vocab_size": len(WORDS),
              "max_position_embeddings": 128, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
    config |= config_changes or {}
    (folder / "config.json").write_text(json.dumps(config))

    def w(*shape):
        return rng.normal(0, 1 / np.sqrt(shape[-1]), shape).astype(np.float32)

    t = {"embeddings.word_embeddings.weight": w(len(WORDS), emb),
         "embeddings.position_embeddings.weight": w(128, emb),
         "embeddings.token_type_embeddings.weight": w(2, emb),
         "embeddings.LayerNorm.weight": np.ones(emb, np.float32),
         "embeddings.LayerNorm.bias": np.zeros(emb, np.float32)}
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name, (out, inp) in {"attention.self.query": (emb, emb),
                                 "attention.self.key": (emb, emb),
                                 "attention.self.value": (emb, emb),
                                 "attention.output.dense": (emb, emb),
                                 "intermediate.dense": (ff, emb),
                                 "output.dense": (emb, ff)}.items():
            t[p + name + ".weight"] = w(out, inp)
            t[p + name + ".bias"] = (0.1 * rng.normal(size=out)).astype(np.float32)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[p + ln + ".weight"] = (1 + 0.1 * rng.normal(size=emb)).astype(np.float32)
            t[p + ln + ".bias"] = (0.1 * rng.normal(size=emb)).astype(np.float32)
    save_file(t, str(folder / "model.safetensors"))
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tok.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture(scope="session")
def tiny_bert_path(tmp_path_factory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("tiny") / "tiny-bert")


@pytest.fixture(scope="session")
def tiny_bert(tiny_bert_path) -> BertModel:
    return load_bert(tiny_bert_path)


@pytest.fixture(scope="session")
def minilm() -> BertModel:
    return load_bert(model_path("minilm"))
