"""The compiler's graph: built from encoder layers or by hand, evaluated through the golden
functions, and verified with errors that name the operation."""

import dataclasses
import re

import numpy as np
import pytest

from hw.ita.config import Activation, ITAConfig
from sw.compiler.graph import (
    Graph,
    GraphBuilder,
    GraphError,
    LinearParams,
    Op,
    Tensor,
    evaluate,
    from_encoder,
    verify,
)
from sw.golden import Requant, encoder_layer, linear, quantize_encoder, random_float_encoder

CFG = ITAConfig(n=8, m=16, softmax_shift=5)     # sizes in multiples of 16


def quantized(seed: int, emb=64, heads=2, proj=32, ff=128, act=Activation.GELU):
    rng = np.random.default_rng(seed)
    fe = random_float_encoder(rng, emb=emb, heads=heads, proj=proj, ff=ff, act=act)
    q = quantize_encoder(fe, rng.normal(size=(128, emb)), cfg=CFG)
    return q, q.quantize_input(rng.normal(size=(48, emb)))


@pytest.mark.parametrize("seed", [0, 1])
def test_chained_layers_match_the_golden_encoder(seed):
    q, x = quantized(seed, act=[Activation.GELU, Activation.RELU][seed])
    g = from_encoder([q.params, q.params], seq=x.shape[0])
    values = evaluate(g, {"x": x}, cfg=CFG)
    first = encoder_layer(x, q.params, cfg=CFG)
    second = encoder_layer(first.out, q.params, cfg=CFG)
    np.testing.assert_array_equal(values["l0.mha"], first.mha.out)
    np.testing.assert_array_equal(values["l0.add1"], first.add1)
    np.testing.assert_array_equal(values["l0.ln1"], first.ln1)
    np.testing.assert_array_equal(values["l0.ffn"], first.ffn.out)
    np.testing.assert_array_equal(values["l0.ln2"], first.out)
    np.testing.assert_array_equal(values[g.outputs[0]], second.out)
    assert g.outputs == ("l1.ln2",) and len(g.ops) == 2 * (2 + 6)
    assert [op.kind for op in g.ops[8:]] == [op.kind for op in g.ops[:8]]


def test_dump_lists_inputs_ops_and_outputs():
    q, x = quantized(0)
    text = from_encoder([q.params], seq=48).dump()
    assert text.startswith("input  x: int8[48, 64]\n")
    assert "l0.head1         attention_head  x -> l0.head1: int8[48, 64]" in text
    assert "l0.mha           head_sum        l0.head0, l0.head1 -> l0.mha: int8[48, 64]" in text
    assert text.endswith("output l0.ln2: int8[48, 64]\n")


def test_builder_linear_step():
    rng = np.random.default_rng(3)
    w = rng.integers(-128, 128, (64, 32), dtype=np.int8)
    b = rng.integers(-1000, 1000, 32)
    p = LinearParams(w, b, Requant(9, 12, 0), Activation.RELU)
    gb = GraphBuilder()
    x = gb.input("x", (16, 64))
    gb.output(gb.op("linear", [x], p, "proj"))
    g = gb.build()
    assert g.tensors["proj"].shape == (16, 32)
    xv = rng.integers(-128, 128, (16, 64), dtype=np.int8)
    np.testing.assert_array_equal(evaluate(g, {"x": xv}, cfg=CFG)["proj"],
                                  linear(xv, w, b, p.rq, p.act, cfg=CFG).out)


def test_builder_names_the_op_with_a_bad_shape():
    q, _ = quantized(0)
    gb = GraphBuilder()
    x = gb.input("x", (48, 32))
    with pytest.raises(GraphError, match=r"op 'h' \(attention_head\): input has 32 columns, "
                                         r"the head's embedding \(wq rows\) expects 64"):
        gb.op("attention_head", [x], q.params.heads[0], "h")
    with pytest.raises(GraphError, match="unknown kind 'conv'"):
        gb.op("conv", [x], None, "c")
    with pytest.raises(GraphError, match=r"op 'n' \(layernorm\): input 'y' is not a tensor"):
        gb.op("layernorm", ["y"], q.params.ln1, "n")
    with pytest.raises(GraphError, match="input 'x': a tensor of that name exists"):
        gb.input("x", (48, 32))
    short = dataclasses.replace(q.params.ln1, beta=q.params.ln1.beta[:5])
    with pytest.raises(GraphError, match=r"op 'n' \(layernorm\): beta has 5 elements, "
                                         r"expected 64"):
        gb.op("layernorm", [gb.input("z", (48, 64))], short, "n")


def _one_layer() -> Graph:
    q, _ = quantized(0)
    return from_encoder([q.params], seq=48)


def _replace_op(g: Graph, name: str, **changes) -> Graph:
    ops = [dataclasses.replace(op, **changes) if op.name == name else op for op in g.ops]
    return dataclasses.replace(g, ops=ops)


@pytest.mark.parametrize("change, message", [
    (lambda g: _replace_op(g, "l0.add1", kind="add"), "op 'l0.add1' (add): unknown kind"),
    (lambda g: _replace_op(g, "l0.ln1", params=Requant(1, 0, 0)),
     "op 'l0.ln1' (layernorm): constants are a Requant, expected LayerNormParams"),
    (lambda g: _replace_op(g, "l0.add1", inputs=("x",)),
     "op 'l0.add1' (residual_add): 1 inputs, expected 2"),
    (lambda g: _replace_op(g, "l0.mha", inputs=()),
     "op 'l0.mha' (head_sum): 0 inputs, expected one or more"),
    (lambda g: _replace_op(g, "l0.add1", inputs=("x", "l0.ln2")),
     "op 'l0.add1' (residual_add): input 'l0.ln2' is not made before it"),
    (lambda g: _replace_op(g, "l0.ffn", output="l0.ln1"),
     "op 'l0.ffn' (feedforward): output 'l0.ln1' is already made"),
    (lambda g: dataclasses.replace(g, tensors={**g.tensors,
                                               "l0.ln1": Tensor("l0.ln1", (48, 63))}),
     "op 'l0.ln1' (layernorm): output 'l0.ln1' is declared (48, 63), the op makes (48, 64)"),
    (lambda g: dataclasses.replace(g, outputs=("y",)),
     "graph output 'y' is not made by any op or input"),
    (lambda g: dataclasses.replace(g, inputs=("x", "x")), "a graph input is listed twice"),
    (lambda g: dataclasses.replace(g, inputs=("w",)), "graph input 'w' is not a declared tensor"),
    (lambda g: dataclasses.replace(g, tensors={**g.tensors, "y": g.tensors["x"]}),
     "tensor 'x' is filed under the name 'y'"),
    (lambda g: dataclasses.replace(g, ops=[*g.ops, g.ops[0]]),
     "op 'l0.head0' (attention_head): the name is used twice"),
    (lambda g: dataclasses.replace(g, ops=[*g.ops, Op("z", "layernorm", ("l0.ln2",), "zz",
                                                      g.ops[-1].params)]),
     "op 'z' (layernorm): output 'zz' is not a declared tensor"),
])
def test_verify_names_the_op_and_the_value(change, message):
    g = _one_layer()
    verify(g)
    with pytest.raises(GraphError, match=re.escape(message)):
        verify(change(g))


def test_evaluate_checks_its_inputs():
    g = _one_layer()
    with pytest.raises(GraphError, match="no value given for graph input 'x'"):
        evaluate(g, {}, cfg=CFG)
    with pytest.raises(GraphError, match=r"graph input 'x': shape \(4, 64\), declared \(48, 64\)"):
        evaluate(g, {"x": np.zeros((4, 64), dtype=int)}, cfg=CFG)
    with pytest.raises(GraphError, match="graph input x: value 300 is outside -128..127"):
        evaluate(g, {"x": np.full((48, 64), 300)}, cfg=CFG)
    with pytest.raises(GraphError, match="from_encoder: no layers"):
        from_encoder([], seq=4)
