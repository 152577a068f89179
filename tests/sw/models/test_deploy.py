"""Pretrained encoders compiled onto the cluster, layer by layer: the functional executor on
every layer (each checked against the golden model), the same integers as the golden model's
run of the whole model, and MiniLM layers bit-exact on Verilator."""

import json

import numpy as np
import pytest

from hw.config import ClusterConfig
from sw.models.deploy import run_text
from sw.models.integer import QuantizedModel, quantize_model, run_integer
from sw.models.sentences import CALIBRATION
from tinyita.cli import main

from .conftest import functional, rtl

SMALL = ClusterConfig(cores=4, n=8, m=32, l1_bytes=64 * 1024, l1_banks=8)
TEXTS = ["the cat sleeps .", "a dog runs", "the dog sleeps", "a cat runs .", "the the cat",
         ". dog", "cat", "a dog sleeps . the cat runs ."]


def golden_output(q: QuantizedModel, text: str) -> np.ndarray:
    return run_integer(q, q.model.tokenize([text], multiple=q.cfg.m)).outputs[-1][0]


@pytest.fixture(scope="module")
def tiny_q(tiny_bert) -> QuantizedModel:
    return quantize_model(tiny_bert, tiny_bert.tokenize(TEXTS, multiple=SMALL.m),
                          SMALL.ita_config())


@pytest.fixture(scope="module")
def minilm_q(minilm) -> QuantizedModel:
    cfg = ClusterConfig().ita_config()
    return quantize_model(minilm, minilm.tokenize(list(CALIBRATION), multiple=cfg.m), cfg)


def test_a_tiny_model_on_the_small_cluster_is_the_golden_models(tiny_q):
    r = run_text(tiny_q, "a dog sleeps .", SMALL, functional)
    assert r.tokens == 6 and r.padded == 32 and len(r.layers) == 2
    assert np.array_equal(r.layers[-1].output, golden_output(tiny_q, "a dog sleeps ."))
    assert r.cosine > 0.95
    jobs = [t.job for t in r.layers[0].compiled.schedule.tiled.tiles if t.job is not None]
    assert {j.valid for j in jobs if j.mode.name == "ATTENTION"} == {6}


def test_a_padded_embedding_compiles_and_runs(tmp_path):
    """E = 40 and P = 20 padded to M = 32 by the quantizer, S padded and masked by the flow."""
    from sw.models.bert import load_bert

    from .conftest import write_tiny_bert

    model = load_bert(write_tiny_bert(tmp_path / "e40", emb=40, heads=2, ff=96))
    q = quantize_model(model, model.tokenize(TEXTS, multiple=SMALL.m), SMALL.ita_config())
    r = run_text(q, "the cat runs", SMALL, functional)
    assert r.layers[0].inputs["x"].shape == (32, 64)
    assert np.array_equal(r.layers[-1].output, golden_output(q, "the cat runs"))
    assert r.cosine > 0.95
    on_rtl = run_text(q, "the cat runs", SMALL, rtl)      # and bit-exact on Verilator
    assert np.array_equal(on_rtl.layers[-1].output, r.layers[-1].output)


def test_minilm_on_the_cluster_is_the_golden_models(minilm_q):
    """Six layers compiled for the default cluster, executed functionally: the integers the
    golden model gives for the whole model, and an embedding close to the float one."""
    text = "A kitten is napping on the sofa."
    r = run_text(minilm_q, text, ClusterConfig(), functional)
    assert np.array_equal(r.layers[-1].output, golden_output(minilm_q, text))
    assert r.cosine > 0.95
    kernels = {t.kernel for t in r.layers[0].compiled.schedule.tiled.tiles if t.kernel}
    assert "add_norm" in kernels


def test_one_minilm_layer_is_bit_exact_on_verilator(minilm_q):
    """The first layer of MiniLM (12 heads, both fused norms, three feed-forward groups, a
    padded sentence masked) on the default cluster: every tensor bit-exact, and the cost
    model within 10 % of the measured cycles."""
    first = QuantizedModel(minilm_q.model, minilm_q.layers[:1], minilm_q.cfg)
    r = run_text(first, "Yes.", ClusterConfig(), rtl)
    layer = r.layers[0]
    measured, predicted = sum(layer.measured), layer.compiled.manifest["predicted_cycles"]
    assert abs(predicted - measured) <= 0.1 * measured, (predicted, measured)


@pytest.mark.slow
def test_minilm_six_layers_are_bit_exact_on_verilator(minilm_q):
    r = run_text(minilm_q, "The cat sleeps.", ClusterConfig(), rtl)
    assert np.array_equal(r.layers[-1].output, golden_output(minilm_q, "The cat sleeps."))


def test_a_cluster_other_than_the_quantized_for_is_an_error(tiny_q):
    with pytest.raises(ValueError, match="quantized for ITAConfig.*the cluster has"):
        run_text(tiny_q, "a cat", ClusterConfig(), functional)


def test_run_model_on_the_command_line(tiny_bert_path, capsys):
    small = ["--cores", "4", "--n", "8", "--m", "32", "--l1-bytes", "65536", "--l1-banks", "8"]
    assert main(["run", "--model", str(tiny_bert_path), *small, "--executor", "functional",
                 "--text", "the cat", "--text", "a dog runs", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert [t["tokens"] for t in r["texts"]] == [4, 5]
    assert all(len(t["layers"]) == 2 and t["cosine"] > 0.9 for t in r["texts"])
    assert not r["texts"][0]["layers"][0]["measured"]
    assert main(["run", "--text", "x"]) == 2
    assert "--text needs --model" in capsys.readouterr().err
