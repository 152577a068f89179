"""Models for the tests: the real all-MiniLM-L6-v2 (fetched into the cache on first use) and
a tiny random BERT folder written here, for fast tests of loading and of other shapes."""

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, processors

from sw.compiler.executor import check_l2, check_tensors, execute
from sw.models.bert import BertModel, load_bert
from sw.models.fetch import model_path
from tb.cluster.compiled import run_compiled

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


# -- ONNX encoders made here with onnx.helper, in the forms exporters write --------------------

def make_onnx_encoder(*, layers=2, emb=64, heads=2, ff=128, vocab=11, seed=0,
                      opset=17, ln="op", act="erf", weights="float", linear="matmul",
                      scale="div", shapes="dynamic", pooling="mean", qdq=False,
                      softmax_axis=-1, mask=True):
    """A random BERT encoder as an ONNX graph. ``ln``: "op" or "decomposed"; ``act``: "erf",
    "gelu" (the op, opset 20), "tanh" (GELU's tanh form), "relu"; ``weights``: "float",
    "int8" (int8 initializers, Cast and Mul) or "dq" (DequantizeLinear); ``linear``: "matmul"
    or "gemm" (on the input flattened to (B*S, E)); ``scale``: "div" (scores / sqrt(P)) or
    "mul_q" (Q times 1/sqrt(P) before the split); ``shapes``: "dynamic" (the Shape, Gather,
    Unsqueeze, Concat arithmetic) or "static"; ``pooling``: "mean", "cls" or "none"; ``qdq``:
    QuantizeLinear/DequantizeLinear on each layer's input (True, scale 0.05), or a dict of
    scales by tensor: "input", "q", "k", "v" (the projections' outputs), "logits" (after the
    Div), "softmax" (uint8), "context" (after the merge), "out", "ln1", "f1_pre", "f1",
    "f2"."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    proj = emb // heads
    nodes, inits = [], []
    count = [0]

    def name(op):
        count[0] += 1
        return f"{op}_{count[0]}"

    def init(value, label=None):
        label = label or name("w")
        inits.append(numpy_helper.from_array(np.asarray(value), label))
        return label

    def node(op, inputs, label=None, **attrs):
        label = label or name(op)
        out = label + "_out"
        nodes.append(helper.make_node(op, inputs, [out], name=label, **attrs))
        return out

    def w(*shape):
        return rng.normal(0, 1 / np.sqrt(shape[0]), shape).astype(np.float32)

    fake = {"input": 0.05} if qdq is True else dict(qdq or {})

    def fq(x, role, p):
        if role not in fake:
            return x
        sx = np.float32(fake[role])
        zp = np.uint8(0) if role == "softmax" else np.int8(0)
        return node("DequantizeLinear", [node("QuantizeLinear", [x, init(sx), init(zp)],
                                              p + role + ".quantize"), init(sx), init(zp)],
                    p + role + ".dequantize")

    def weight(value):
        if weights == "float":
            return init(value)
        s = np.float32(np.abs(value).max() / 127)
        qv = np.clip(np.rint(value / s), -127, 127).astype(np.int8)
        if weights == "int8":
            return node("Mul", [node("Cast", [init(qv)], to=TensorProto.FLOAT), init(s)])
        return node("DequantizeLinear", [init(qv), init(s), init(np.int8(0))])

    def lin(x, fin, fout, label):
        wv, bv = w(fin, fout), (0.1 * rng.normal(size=fout)).astype(np.float32)
        if linear == "gemm":
            flat = node("Reshape", [x, init(np.array([-1, fin]))])
            y = node("Gemm", [flat, weight(np.ascontiguousarray(wv.T)), init(bv)],
                     label, transB=1)
            return node("Reshape", [y, target(("b", "s", fout))])
        return node("Add", [init(bv), node("MatMul", [x, weight(wv)], label)])

    def dim(which):
        if shapes == "static":
            return init(np.array([0]))
        g = node("Gather", [node("Shape", ["input_ids"]), init(np.array(which))], axis=0)
        return node("Unsqueeze", [g, init(np.array([0]))])

    def target(dims):
        parts = []
        for d in dims:
            parts.append(dim(0) if d == "b" else dim(1) if d == "s" else init(np.array([d])))
        if shapes == "static":
            return init(np.array([0 if d in ("b", "s") else d for d in dims]))
        return node("Concat", parts, axis=0)

    def layernorm(x, label):
        gamma = (1 + 0.1 * rng.normal(size=emb)).astype(np.float32)
        beta = (0.1 * rng.normal(size=emb)).astype(np.float32)
        if ln == "op":
            return node("LayerNormalization", [x, init(gamma), init(beta)], label, axis=-1,
                        epsilon=1e-12)

        def mean(t):
            if opset >= 18:
                return node("ReduceMean", [t, init(np.array([-1]))])
            return node("ReduceMean", [t], axes=[-1])
        d = node("Sub", [x, mean(x)])
        var = mean(node("Pow", [d, init(np.float32(2))]))
        n = node("Div", [d, node("Sqrt", [node("Add", [var, init(np.float32(1e-12))])])],
                 label)
        return node("Add", [node("Mul", [n, init(gamma)]), init(beta)])

    def activation(x, label):
        if act == "relu":
            return node("Relu", [x], label)
        if act == "gelu":
            return node("Gelu", [x], label)
        if act == "tanh":
            inner = node("Mul", [node("Add", [x, node("Mul", [node(
                "Pow", [x, init(np.float32(3))]), init(np.float32(0.044715))])]),
                init(np.float32(np.sqrt(2 / np.pi)))])
            t = node("Add", [node("Tanh", [inner], label), init(np.float32(1))])
            return node("Mul", [node("Mul", [x, t]), init(np.float32(0.5))])
        e = node("Erf", [node("Div", [x, init(np.float32(np.sqrt(2)))])], label)
        return node("Mul", [node("Mul", [x, node("Add", [e, init(np.float32(1))])]),
                            init(np.float32(0.5))])

    # embedding
    word = node("Gather", [init(w(vocab, emb) * 3, "word_embeddings"), "input_ids"], "word")
    pos_ids = node("Slice", [init(np.arange(128)[None], "position_ids_buffer"),
                             init(np.array([0])), dim(1) if shapes == "dynamic"
                             else node("Unsqueeze", [node("Gather", [node(
                                 "Shape", ["input_ids"]), init(np.array(1))], axis=0),
                                 init(np.array([0]))]), init(np.array([1]))])
    pos = node("Gather", [init(w(128, emb), "position_embeddings"), pos_ids], "position")
    tt_ids = node("ConstantOfShape", [node("Shape", ["input_ids"])],
                  value=numpy_helper.from_array(np.array([0], dtype=np.int64)))
    tt = node("Gather", [init(w(2, emb), "token_type_embeddings"), tt_ids], "token_type")
    x = layernorm(node("Add", [node("Add", [word, tt]), pos]), "embeddings_ln")
    m = node("Cast", [node("Unsqueeze", ["attention_mask", init(np.array([1, 2]))])],
             to=TensorProto.FLOAT)
    additive = node("Mul", [node("Sub", [init(np.float32(1)), m]),
                            init(np.float32(np.finfo(np.float32).min))], "mask")
    for i in range(layers):
        p = f"layer{i}."
        x = fq(x, "input", p)
        q = fq(lin(x, emb, emb, p + "query"), "q", p)
        if scale == "mul_q":
            q = node("Mul", [q, init(np.float32(1 / np.sqrt(proj)))])
        k = fq(lin(x, emb, emb, p + "key"), "k", p)
        v = fq(lin(x, emb, emb, p + "value"), "v", p)
        split = target(("b", "s", heads, proj))
        qh = node("Transpose", [node("Reshape", [q, split])], perm=[0, 2, 1, 3])
        kt = node("Transpose", [node("Reshape", [k, split])], perm=[0, 2, 3, 1])
        vh = node("Transpose", [node("Reshape", [v, split])], perm=[0, 2, 1, 3])
        scores = node("MatMul", [qh, kt], p + "scores")
        if scale == "div":
            scores = node("Div", [scores, init(np.float32(np.sqrt(proj)))])
        scores = fq(scores, "logits", p)
        if mask:
            scores = node("Add", [scores, additive])
        a = fq(node("Softmax", [scores], p + "softmax", axis=softmax_axis), "softmax", p)
        ctx = node("Transpose", [node("MatMul", [a, vh])], perm=[0, 2, 1, 3])
        ctx = fq(node("Reshape", [ctx, target(("b", "s", emb))], p + "merge"), "context", p)
        o = fq(lin(ctx, emb, emb, p + "output"), "out", p)
        x1 = fq(layernorm(node("Add", [o, x]), p + "ln1"), "ln1", p)
        f1 = fq(lin(x1, emb, ff, p + "f1"), "f1_pre", p)
        f = fq(lin(fq(activation(f1, p + "act"), "f1", p), ff, emb, p + "f2"), "f2", p)
        x = layernorm(node("Add", [f, x1]), p + "ln2")
    outputs = [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "seq", emb])]
    if pooling == "mean":
        mm = node("Cast", [node("Unsqueeze", ["attention_mask", init(np.array([-1]))])],
                  to=TensorProto.FLOAT)
        total = node("ReduceSum", [node("Mul", [x, mm]), init(np.array([1]))], keepdims=0)
        count_ = node("Clip", [node("ReduceSum", [mm, init(np.array([1]))], keepdims=0),
                               init(np.float32(1e-9))])
        outputs = [helper.make_tensor_value_info(node("Div", [total, count_], "pooled"),
                                                 TensorProto.FLOAT, ["batch", emb])]
    elif pooling == "cls":
        outputs = [helper.make_tensor_value_info(
            node("Gather", [x, init(np.array(0))], "pooled", axis=1), TensorProto.FLOAT,
            ["batch", emb])]
    graph = helper.make_graph(nodes, "encoder", [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset <= 17 else 10
    onnx.checker.check_model(model)
    return model


def onnx_tokenizer() -> Tokenizer:
    """The ten-word tokenizer of the tiny models."""
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return tok


@pytest.fixture(scope="session")
def paraphrase():
    """paraphrase-MiniLM-L3-v2 as PyTorch 2.3 exported it, imported (fetched on first use)."""
    from sw.models.onnx import load_onnx

    return load_onnx(model_path("paraphrase-minilm-l3") / "model.onnx")


def functional(compiled, inputs):
    """A compiled layer on the functional executor: its tensors, no cycles (a runner of
    :func:`sw.models.deploy.run_sequence`)."""
    return execute(compiled, inputs), None


def rtl(compiled, inputs):
    """A compiled layer on Verilator: its tensors, checked against the functional executor's,
    with all of L2, and the cycles of each stage."""
    r = run_compiled(compiled)
    assert r["exit_code"] == 0, r
    check_tensors(compiled, r["tensors"], inputs)
    check_l2(compiled, r["l2"])
    return r["tensors"], r["stage_cycles"]
