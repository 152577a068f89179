"""ONNX encoders into the flow: graphs made here with ``onnx.helper`` in the forms exporters
write (each imported, its float model against onnxruntime, quantized and compiled, the
cluster's integers the golden model's), the error cases with their messages, and one imported
model on Verilator."""

import numpy as np
import pytest

from hw.config import ClusterConfig
from sw.models.bert import forward
from sw.models.deploy import run_sequence
from sw.models.integer import quantize_model, run_integer
from sw.models.onnx import OnnxImportError, import_proto
from sw.models.onnx_fold import fold_model
from sw.models.onnx_run import (
    agreement,
    given_scales,
    pad_batch,
    qdq_report,
    quantize_import,
    reference,
)

from .conftest import functional, make_onnx_encoder, onnx_tokenizer, rtl

SMALL = ClusterConfig(cores=4, n=8, m=32, l1_bytes=64 * 1024, l1_banks=8)
TEXTS = ["the cat sleeps .", "a dog runs", "the dog sleeps", "a cat runs .", "the the cat",
         ". dog", "cat", "a dog sleeps . the cat runs ."]

VARIANTS = {
    "pytorch": {},
    "decomposed layernorm": {"ln": "decomposed"},
    "decomposed layernorm, opset 18": {"ln": "decomposed", "opset": 18},
    "gelu op": {"act": "gelu", "opset": 20},
    "relu": {"act": "relu"},
    "int8 weights with cast and mul": {"weights": "int8"},
    "dequantized weights": {"weights": "dq"},
    "gemm on flattened input": {"linear": "gemm"},
    "scale on q": {"scale": "mul_q"},
    "static shapes": {"shapes": "static"},
    "cls pooling": {"pooling": "cls"},
    "last hidden state": {"pooling": "none"},
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_exporter_variants_import_and_run(variant):
    """Every node folded or mapped; the float model is onnxruntime's to 1e-5; the integer
    model on the cluster is the golden model's and close to onnxruntime's result."""
    imp = import_proto(make_onnx_encoder(**VARIANTS[variant]), onnx_tokenizer(), variant)
    assert "folded" in imp.roles.values() or VARIANTS[variant].get("shapes") == "static"
    assert len(imp.roles) == len(fold_model(make_onnx_encoder(**VARIANTS[variant])).nodes)
    model = imp.model
    assert (model.config.layers, model.config.heads, model.config.proj) == (2, 2, 32)
    batch = model.tokenize(TEXTS, multiple=SMALL.m)
    ref = reference(imp, batch)
    assert np.abs(forward(model, batch).embeddings - ref).max() < 1e-5
    q = quantize_model(model, batch, SMALL.ita_config())
    cos, diff = agreement(imp, q, batch)
    assert cos.mean() > 0.97 and diff.max() < 1e-5
    one = model.tokenize(["a dog sleeps ."], multiple=SMALL.m)
    r = run_sequence(q, one.ids[0], int(one.lengths[0]), SMALL, functional)
    assert np.array_equal(r.layers[-1].output, run_integer(q, one).outputs[-1][0])
    assert np.allclose(r.embedding, run_integer(q, one).embeddings[0])


def test_activation_qdq_scales_are_reported():
    imp = import_proto(make_onnx_encoder(qdq=True, weights="dq"), onnx_tokenizer())
    assert [p.tensor for p in imp.qdq] == list(imp.stream)[:2]
    assert given_scales(imp) == [None, None]        # the stream has column scales
    batch = imp.model.tokenize(TEXTS, multiple=SMALL.m)
    q = quantize_import(imp, batch, SMALL.ita_config())
    lines = qdq_report(imp, q)
    assert len(lines) == 2 and all("scale changed from 0.05 to 64 column scales of" in x
                                   and "one scale per column" in x for x in lines), lines
    assert "layer 0's input" in lines[0] and "layer 1's input" in lines[1]
    cos, _ = agreement(imp, q, batch)       # against the graph's own fake quantization
    assert cos.mean() > 0.9


#: QDQ scales on every tensor the test graph can fake-quantize (measured ranges on the
#: calibration texts: Q, K, V up to 3.7 .. 4.2, the context 2.2, F1 3.7).
QDQ_SCALES = {"input": 0.05, "q": 0.03, "k": 0.035, "v": 0.035, "logits": 0.03,
              "softmax": 1 / 255, "context": 0.02, "out": 0.025, "ln1": 0.035,
              "f1_pre": 0.035, "f1": 0.035, "f2": 0.03}


def test_qdq_scales_are_used_where_the_arithmetic_has_one_per_tensor():
    """Q, K, V, the context and F1's scales are the graph's (the requantizers are made from
    them), the cluster runs the result bit-exactly; the logits' 0.03 is no ITAMax scale and
    the softmax's 1/255 is, the residual stream and the sums have column scales."""
    from sw.golden.quantize import A_SCALE
    from sw.golden.requant import requant_for

    imp = import_proto(make_onnx_encoder(qdq=QDQ_SCALES, weights="dq"), onnx_tokenizer())
    assert len(imp.qdq) == 2 * len(QDQ_SCALES)
    g = given_scales(imp)[0]                    # float32 scales, in float64
    assert (g.q, g.k, g.v, g.context, g.f1_pre, g.f1, g.logits) == pytest.approx(
        (0.03, 0.035, 0.035, 0.02, 0.035, 0.035, 0.03), rel=1e-6)
    batch = imp.model.tokenize(TEXTS, multiple=SMALL.m)
    q = quantize_import(imp, batch, SMALL.ita_config())
    for layer, float_layer in zip(q.layers, imp.model.layers, strict=True):
        s = layer.scales
        assert np.array_equal(s["q"], [g.q, g.q]) and np.array_equal(s["k"], [g.k, g.k])
        assert np.array_equal(s["context"], [g.context] * 2)
        assert np.array_equal(s["f1_pre"], [g.f1_pre]) and np.array_equal(s["f1"], [g.f1])
        for h, head in enumerate(layer.params.heads):
            wq = layer.scale_in[:, None] * float_layer.heads[h].wq
            assert head.rq_q == requant_for(np.abs(wq).max() / 127 / g.q)
            assert head.rq_av == requant_for(A_SCALE * g.v / g.context)
        w1 = layer.scales["ln1"][:, None] * float_layer.w1
        assert layer.params.ffn[0].rq_f1 == requant_for(np.abs(w1).max() / 127 / g.f1_pre)
    lines = qdq_report(imp, q)
    assert len(lines) == len(imp.qdq)
    by_role = {role: next(x for x in lines if x.startswith(f"layer0.{role}.quantize "))
               for role in QDQ_SCALES}
    for role in ("q", "k", "v", "softmax", "context", "f1_pre", "f1"):
        assert by_role[role].endswith("used as is"), by_role[role]
    logits = by_role["logits"]
    used = q.layers[0].scales["logits"]
    assert f"changed from 0.03 to {used[0]:.4g} (ratio {used[0] / 0.03:.4g})" in logits \
        or "changed from 0.03 to 2 scales of" in logits, logits
    assert "ITAMax reads logits at ln(2) / 2**k" in logits
    for role in ("out", "ln1", "f2"):
        assert "changed from" in by_role[role] and "column scales" in by_role[role]
    one = imp.model.tokenize(["a dog sleeps ."], multiple=SMALL.m)
    r = run_sequence(q, one.ids[0], int(one.lengths[0]), SMALL, functional)
    assert np.array_equal(r.layers[-1].output, run_integer(q, one).outputs[-1][0])
    used_cos = agreement(imp, q, batch)[0].mean()
    own_cos = agreement(imp, quantize_model(imp.model, batch, SMALL.ita_config()),
                        batch)[0].mean()
    assert used_cos > 0.995 and own_cos > 0.995, (used_cos, own_cos)  # 0.9995 both


def test_a_logit_scale_itamax_reads_is_used_as_its_shift():
    """The logits at ln(2) / 2**3 give every head the shift 3; an i-GELU input scale under
    the smallest the polynomial allows is raised to it, with the ratio reported."""
    from sw.golden import gelu_min_scale
    from sw.golden.quantize import logit_scale

    imp = import_proto(make_onnx_encoder(qdq={"q": 0.03, "logits": logit_scale(3),
                                              "f1_pre": 0.005}, layers=1, scale="mul_q"),
                       onnx_tokenizer())
    q = quantize_import(imp, imp.model.tokenize(TEXTS, multiple=SMALL.m), SMALL.ita_config())
    assert [h.softmax_shift for h in q.layers[0].params.heads] == [3, 3]   # own: 4, 5
    assert np.array_equal(q.layers[0].scales["f1_pre"], [gelu_min_scale()])
    lines = qdq_report(imp, q)
    assert len(lines) == 3 and all(x.endswith("used as is") for x in lines[:2]), lines
    ratio = gelu_min_scale() / np.float32(0.005)
    assert f"scale changed from 0.005 to {gelu_min_scale():.4g} (ratio {ratio:.4g}): i-GELU " \
           "needs an input scale of at least" in lines[2], lines[2]


def test_unsupported_nodes_are_listed_at_once():
    with pytest.raises(OnnxImportError) as e:
        import_proto(make_onnx_encoder(act="tanh"))
    msg = str(e.value)
    assert "2 node(s) the flow cannot map" in msg
    assert "node 'layer0.act' (Tanh, inputs (" in msg and "node 'layer1.act' (Tanh" in msg
    assert "128)" in msg and "export with approximate='none'" in msg


@pytest.mark.parametrize("change, message", [
    ({"softmax_axis": 2}, r"node 'layer0.softmax' \(Softmax, inputs \(2, 2, 13, 13\)\): "
     "layer 0: Softmax over axis 2; expected the keys"),
    ({"mask": False}, "node 'layer0.softmax' .*attention without an additive key mask"),
])
def test_unsupported_patterns_name_the_node(change, message):
    with pytest.raises(OnnxImportError, match=message):
        import_proto(make_onnx_encoder(**change))


def test_unsupported_shapes_name_the_node():
    """The context reshaped to (B, S, E) without moving the heads next to P first: a graph
    that runs, but not the merge of the heads."""
    from onnx import helper

    model = make_onnx_encoder(layers=1)
    merge = next(n for n in model.graph.node if n.name == "layer0.merge")
    before = next(n for n in model.graph.node if n.output[0] == merge.input[0])
    before.CopyFrom(helper.make_node("Transpose", before.input, before.output,
                                     name="layer0.wrong", perm=[0, 1, 2, 3]))
    with pytest.raises(OnnxImportError, match=r"node 'layer0.merge' \(Reshape, inputs "
                       r"\(2, 2, 13, 32\), \(3,\)\): a Reshape of \(2, 2, 13, 32\) \(axes "
                       r"\('b', 'h', 's', 'p'\)\) into \(2, 13, 64\); expected the head split"):
        import_proto(model)


def test_other_domains_and_inputs_are_errors():
    from onnx import helper

    model = make_onnx_encoder(layers=1)
    node = model.graph.node[-1]
    model.graph.node.append(helper.make_node("FastGelu", [node.output[0]], ["extra"],
                                             name="fast", domain="com.microsoft"))
    with pytest.raises(OnnxImportError, match="node 'fast' \\(com.microsoft:FastGelu"):
        import_proto(model)
    model = make_onnx_encoder(layers=1)
    model.graph.input[1].name = "lengths"
    with pytest.raises(OnnxImportError, match="inputs \\['input_ids', 'lengths'\\]; "
                       "supported: input_ids and attention_mask"):
        import_proto(model)


def test_an_imported_model_is_bit_exact_on_verilator():
    imp = import_proto(make_onnx_encoder(layers=1, weights="int8", ln="decomposed"),
                       onnx_tokenizer())
    batch = imp.model.tokenize(TEXTS, multiple=SMALL.m)
    q = quantize_model(imp.model, batch, SMALL.ita_config())
    one = pad_batch(imp.model.tokenize(["the cat runs"]), SMALL.m)
    r = run_sequence(q, one.ids[0], int(one.lengths[0]), SMALL, rtl)
    assert np.array_equal(r.layers[0].output, run_integer(q, one).outputs[0][0])
    assert r.layers[0].measured and sum(r.layers[0].measured) > 0


# -- the real file -----------------------------------------------------------------------------

def test_the_real_file_is_folded_or_mapped_entirely(paraphrase):
    """paraphrase-MiniLM-L3-v2 as PyTorch 2.3 exported it: all 354 nodes folded (the shape
    arithmetic among them) or in a pattern; its float model is onnxruntime's."""
    counts = paraphrase.counts()
    assert sum(counts.values()) == len(paraphrase.roles) == 354
    assert counts["folded"] == 232 and not any("unmapped" in r for r in paraphrase.roles)
    c = paraphrase.model.config
    assert (c.layers, c.emb, c.heads, c.proj, c.ff) == (3, 384, 12, 32, 1536)
    assert paraphrase.pooled and paraphrase.model.pooling == "mean"
    assert not paraphrase.model.normalize
    batch = paraphrase.model.tokenize(["The cat sleeps.", "Where is the nearest train station?"])
    assert np.abs(forward(paraphrase.model, batch).embeddings
                  - reference(paraphrase, batch)).max() < 1e-5


@pytest.fixture(scope="module")
def paraphrase_q(paraphrase):
    from sw.models.sentences import CALIBRATION

    cfg = ClusterConfig().ita_config()
    return quantize_model(paraphrase.model, paraphrase.model.tokenize(
        list(CALIBRATION), multiple=cfg.m), cfg)


def test_the_real_file_meets_the_cosine_target(paraphrase, paraphrase_q):
    """The integer model's pooled embeddings against onnxruntime running the file, on the 60
    built-in sentences (measured: mean 0.991, min 0.985)."""
    from sw.models.sentences import SENTENCES

    cos, diff = agreement(paraphrase, paraphrase_q, paraphrase.model.tokenize(list(SENTENCES)))
    assert len(cos) == 60 and diff.max() < 1e-5
    assert cos.mean() >= 0.98 and cos.min() >= 0.975, (cos.mean(), cos.min())


def test_the_real_file_on_the_cluster_is_the_golden_models(paraphrase, paraphrase_q):
    text = "A kitten is napping on the sofa."
    one = paraphrase.model.tokenize([text], multiple=paraphrase_q.cfg.m)
    r = run_sequence(paraphrase_q, one.ids[0], int(one.lengths[0]), ClusterConfig(),
                     functional)
    assert np.array_equal(r.layers[-1].output, run_integer(paraphrase_q, one).outputs[-1][0])
    ref = reference(paraphrase, paraphrase.model.tokenize([text]))[0]
    cos = float(r.embedding @ ref / np.linalg.norm(r.embedding) / np.linalg.norm(ref))
    assert cos > 0.98


# -- the command line ----------------------------------------------------------------------

@pytest.fixture
def onnx_file(tmp_path):
    import onnx

    path = tmp_path / "tiny.onnx"
    onnx.save(make_onnx_encoder(weights="int8"), str(path))
    return path


def test_compile_and_run_an_onnx_file_on_the_command_line(onnx_file, tmp_path, capsys):
    import json

    from tinyita.cli import main

    tok = onnx_tokenizer()
    enc = [tok.encode(t).ids for t in TEXTS]
    s = max(map(len, enc))
    ids = np.array([e + [0] * (s - len(e)) for e in enc])
    mask = (np.arange(s)[None] < np.array([len(e) for e in enc])[:, None]).astype(np.int64)
    np.savez(tmp_path / "calib.npz", input_ids=ids, attention_mask=mask)
    np.savez(tmp_path / "x.npz", input_ids=ids[:2], attention_mask=mask[:2])
    small = ["--cores", "4", "--n", "8", "--m", "32", "--l1-bytes", "65536", "--l1-banks", "8"]
    assert main(["compile", str(onnx_file), "--calib", str(tmp_path / "calib.npz"), *small,
                 "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "layer1" / "program.elf").exists()
    assert "2 layers for 6 tokens padded to 32" in capsys.readouterr().err
    assert main(["run", str(onnx_file), "--input", str(tmp_path / "x.npz"), "--calib",
                 str(tmp_path / "calib.npz"), *small, "--executor", "functional",
                 "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["reference"] == "onnxruntime" and [t["tokens"] for t in r["texts"]] == [6, 5]
    assert all(t["cosine"] > 0.95 and len(t["layers"]) == 2 for t in r["texts"])
    assert "folded" in r["import"] and "0 mapped" not in r["import"]


def test_command_line_errors_name_the_file(onnx_file, tmp_path, capsys):
    from tinyita.cli import main

    assert main(["run", str(onnx_file), "--executor", "functional"]) == 2
    assert "has no tokenizer.json beside it: give --calib" in capsys.readouterr().err
    np.savez(tmp_path / "bad.npz", input_ids=np.array([[2, 99, 3]]))
    assert main(["run", str(onnx_file), "--input", str(tmp_path / "bad.npz"), "--calib",
                 str(tmp_path / "bad.npz"), "--executor", "functional"]) == 2
    assert "token ids 2 .. 99 outside the model's vocabulary of 11" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "none.onnx")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["run", "--input", str(tmp_path / "bad.npz")]) == 2
    assert "--input and --calib need an ONNX model" in capsys.readouterr().err
