import dataclasses

import numpy as np
import pytest

from hw.ita.config import ITAConfig
from sw.golden.wide_encoder import wide_encoder_layer
from sw.models.accuracy import cosine
from sw.models.bert import forward
from sw.models.integer import QuantizedModel, quantize_model, run_integer

TEXTS = ["the cat sleeps .", "a dog runs", "the dog sleeps", "a cat runs .", "the the cat",
         ". dog", "cat", "a dog sleeps . the cat runs ."]


def test_the_integer_model_tracks_the_float_one(tiny_bert):
    cfg = ITAConfig(n=8, m=16)
    batch = tiny_bert.tokenize(TEXTS, multiple=cfg.m)
    q = quantize_model(tiny_bert, batch, cfg)
    got = run_integer(q, batch)
    assert cosine(got.embeddings, forward(tiny_bert, batch).embeddings).min() > 0.97


def test_padding_the_heads_to_m_changes_no_result(tiny_bert):
    """P = 32 runs unpadded with M = 32 and padded to 64 with M = 64 (the same N): every layer
    gives the same integers."""
    small, big = ITAConfig(n=16, m=32), ITAConfig(n=16, m=64)
    batch = tiny_bert.tokenize(TEXTS, multiple=64)
    qs, qb = quantize_model(tiny_bert, batch, small), quantize_model(tiny_bert, batch, big)
    assert qb.layers[0].params.heads[0].proj == 64 and qs.layers[0].params.heads[0].proj == 32
    assert np.array_equal(run_integer(qs, batch).outputs[-1], run_integer(qb, batch).outputs[-1])


def test_a_feedforward_not_a_multiple_of_m_is_padded(tmp_path):
    from sw.models.bert import load_bert

    from .conftest import write_tiny_bert

    model = load_bert(write_tiny_bert(tmp_path / "f100", ff=100))
    cfg = ITAConfig(n=8, m=16)
    batch = model.tokenize(TEXTS, multiple=cfg.m)
    q = quantize_model(model, batch, cfg)
    assert q.layers[0].params.ffn[0].w1.shape == (64, 112)
    got = run_integer(q, batch).embeddings
    assert cosine(got, forward(model, batch).embeddings).min() > 0.97


def test_an_embedding_not_a_multiple_of_m_is_padded(tmp_path):
    """E = 40 with M = 16: every layer runs on 48 columns, the padded ones stay 0, and the
    result tracks the float model."""
    from sw.models.bert import load_bert

    from .conftest import write_tiny_bert

    model = load_bert(write_tiny_bert(tmp_path / "e40", emb=40, heads=2, ff=64))
    cfg = ITAConfig(n=8, m=16)
    batch = model.tokenize(TEXTS, multiple=cfg.m)
    q = quantize_model(model, batch, cfg)
    assert q.layers[0].params.emb == 48 and q.layers[0].params.norm1.real == 40
    run = run_integer(q, batch)
    assert all(not out[..., 40:].any() for out in run.outputs)
    assert cosine(run.embeddings, forward(model, batch).embeddings).min() > 0.97


def test_a_layer_runs_only_on_the_engine_it_was_quantized_for(tiny_bert):
    cfg = ITAConfig(n=8, m=16)
    batch = tiny_bert.tokenize(TEXTS, multiple=16)
    layer = quantize_model(tiny_bert, batch, cfg).layers[0]
    x = layer.quantize_input(np.zeros((16, 64)))
    with pytest.raises(ValueError, match="quantized for ITAConfig.*quantize it again"):
        wide_encoder_layer(x, layer.params, cfg=ITAConfig(n=16, m=16))


def test_layers_whose_scales_do_not_chain_are_rejected(tiny_bert):
    cfg = ITAConfig(n=8, m=16)
    q = quantize_model(tiny_bert, tiny_bert.tokenize(TEXTS, multiple=16), cfg)
    wrong = dataclasses.replace(q.layers[1], scale_in=q.layers[1].scale_in * 2)
    with pytest.raises(ValueError, match="layer 1: its input scales are not layer 0's output"):
        QuantizedModel(q.model, (q.layers[0], wrong), cfg)


def test_a_batch_not_padded_to_m_is_an_error(tiny_bert):
    cfg = ITAConfig(n=8, m=16)
    q = quantize_model(tiny_bert, tiny_bert.tokenize(TEXTS, multiple=16), cfg)
    with pytest.raises(ValueError, match="sequence length 4 is not a multiple of M = 16"):
        run_integer(q, tiny_bert.tokenize(["the cat"]))
