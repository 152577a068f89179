"""The simulation runner, proven on a small stream component and cocotb tests."""

import os
import random
import time

import cocotb
import pytest
from amaranth import Module, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out
from cocotb.triggers import RisingEdge

from tb import sim, toolchain
from tb.cocotb_util import CycleLimitExceeded, signal, start, wait_high


class RunningSum(wiring.Component):
    """Add a stream of int8 values; output the running sum as a 16-bit stream.

    Members
    -------
    i : In(stream.Signature(signed(8)))
    o : Out(stream.Signature(signed(16)))
    count : Out(16)
        Values accepted since reset.
    """

    i: In(stream.Signature(signed(8)))
    o: Out(stream.Signature(signed(16)))
    count: Out(16)

    def elaborate(self, platform):
        m = Module()
        total = Signal(signed(16))
        m.d.comb += [self.i.ready.eq(~self.o.valid | self.o.ready), self.o.payload.eq(total)]
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [total.eq(total + self.i.payload), self.o.valid.eq(1),
                         self.count.eq(self.count + 1)]
        return m


# --- cocotb tests (run inside the simulator) --------------------------------------------------

@cocotb.test()
async def running_sum(dut):
    p = sim.params()
    rng = random.Random(p["seed"])
    values = [rng.randrange(-128, 128) for _ in range(p["n"])]
    await start(dut)
    got = []

    async def drive():
        for v in values:
            while rng.random() < p["stall"]:
                dut.i__valid.value = 0
                await RisingEdge(dut.clk)
            dut.i__valid.value = 1
            dut.i__payload.value = v
            await RisingEdge(dut.clk)
            while not int(dut.i__ready.value):
                await RisingEdge(dut.clk)
        dut.i__valid.value = 0

    cocotb.start_soon(drive())
    while len(got) < len(values):
        dut.o__ready.value = int(rng.random() >= p["stall"])
        await RisingEdge(dut.clk)
        if int(dut.o__valid.value) and int(dut.o__ready.value):
            got.append(dut.o__payload.value.to_signed())
    running, want = 0, []
    for v in values:
        running += v
        want.append(running)
    assert got == want, f"seed {p['seed']}"


@cocotb.test()
async def cycle_limit_reports_state(dut):
    await start(dut)
    dut.i__valid.value = 0
    try:
        await wait_high(dut, dut.o__valid, max_cycles=50,
                        state=lambda: f"count={int(dut.count.value)}")
    except CycleLimitExceeded as e:
        assert "stayed low for 50 cycles" in str(e) and "count=0" in str(e)
    else:
        raise AssertionError("wait_high did not hit its limit")


@cocotb.test()
async def internal_signal(dut):
    """The running sum ``total`` is visible only when the build listed it."""
    await start(dut)
    dut.i__valid.value, dut.i__payload.value, dut.o__ready.value = 1, -5, 1
    await RisingEdge(dut.clk)
    dut.i__valid.value = 0
    await RisingEdge(dut.clk)
    if sim.params()["listed"]:
        assert signal(dut, "total").value.to_signed() == -5
    else:
        with pytest.raises(AttributeError, match=r"running_sum\.total is not visible.*public="):
            signal(dut, "total")


@cocotb.test()
async def deliberately_failing(dut):
    await start(dut)
    assert int(dut.count.value) == 1, "this test must fail"


# --- pytest ---------------------------------------------------------------------------------

MODULE = __name__


@pytest.fixture(scope="module")
def model():
    return sim.build(RunningSum(), name="running_sum")


@pytest.mark.parametrize("stall", [0.0, 0.4])
@pytest.mark.parametrize("seed", [1, 2])
def test_running_sum(model, seed, stall):
    sim.run(model, MODULE, tests="running_sum", params={"seed": seed, "n": 300, "stall": stall})


def test_cycle_limit(model):
    sim.run(model, MODULE, tests="cycle_limit_reports_state")


def test_failures_are_reported(model):
    with pytest.raises(sim.SimulationFailed, match="deliberately_failing"):
        sim.run(model, MODULE, tests="deliberately_failing")


def test_no_tests_is_a_failure(model):
    with pytest.raises(sim.SimulationFailed, match="no test ran"):
        sim.run(model, MODULE, tests="no_such_test")


def test_build_is_cached(model):
    t = time.monotonic()
    again = sim.build(RunningSum(), name="running_sum")
    assert again == model and time.monotonic() - t < 5


@pytest.mark.parametrize("listed", [False, True])
def test_only_listed_signals_are_visible(model, listed):
    build = sim.build(RunningSum(), name="running_sum", public=["total"]) if listed else model
    sim.run(build, MODULE, tests="internal_signal", params={"listed": listed})


def test_waves(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYITA_RUNS", str(tmp_path))
    traced = sim.build(RunningSum(), name="running_sum", waves=True)
    sim.run(traced, MODULE, tests="running_sum", params={"seed": 3, "n": 20, "stall": 0.2})
    files = list(tmp_path.glob(f"*/waves.{sim.wave_format()}"))
    assert len(files) == 1 and files[0].stat().st_size > 100


def test_missing_tools_are_named(monkeypatch):
    toolchain.check_toolchain.cache_clear()
    monkeypatch.setattr(toolchain.shutil, "which", lambda name: None)
    try:
        with pytest.raises(toolchain.ToolchainError) as e:
            toolchain.check_toolchain()
    finally:
        toolchain.check_toolchain.cache_clear()
    assert "C++ compiler" in str(e.value) and "make" in str(e.value)
    assert "apt install" in str(e.value)


def test_environment_is_set():
    toolchain.check_toolchain()
    assert os.environ["VERILATOR_ROOT"] == str(toolchain.verilator_root())
    assert "CFG_CXXFLAGS_PCH_I=-include" in os.environ["MAKEFLAGS"]
    assert os.environ["PATH"].startswith(str(toolchain.verilator_root() / "bin"))
