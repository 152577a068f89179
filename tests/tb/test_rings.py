"""Ring-buffer stream source and sink (tb.hdl) with their cocotb drivers (tb.rings): many
more beats than the rings hold, through a FIFO, with stalls on both sides."""

import cocotb
import numpy as np
import pytest
from amaranth import Module
from amaranth.lib import data, fifo, wiring
from amaranth.lib.wiring import In, Out
from cocotb.triggers import ClockCycles

from tb import sim
from tb.cocotb_util import start, wait_high
from tb.hdl import RING_STORES, StreamSink, StreamSource
from tb.rings import RingSink, RingSource

LANES = 3
SHAPE = data.ArrayLayout(24, LANES)


class Loopback(wiring.Component):
    """Source -> FIFO -> sink, with the ring handshakes at the top level."""

    start: In(1)
    stall: In(8)
    seed: In(32)
    data_limit: In(32)
    data_sent: Out(32)
    data_low: Out(1)
    out_limit: In(32)
    out_received: Out(32)
    out_high: Out(1)
    total: In(32)
    finished: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.submodules.data_src = src = StreamSource(SHAPE, 64)
        m.submodules.out_sink = sink = StreamSink(SHAPE, 32)
        m.submodules.fifo = q = fifo.SyncFIFOBuffered(width=SHAPE.size, depth=4)
        m.d.comb += [src.start.eq(self.start), sink.start.eq(self.start),
                     src.stall.eq(self.stall), sink.stall.eq(self.stall),
                     src.seed.eq(self.seed), sink.seed.eq(self.seed),
                     src.limit.eq(self.data_limit), self.data_sent.eq(src.sent),
                     self.data_low.eq(src.low), sink.limit.eq(self.out_limit),
                     self.out_received.eq(sink.received), self.out_high.eq(sink.high),
                     q.w_data.eq(src.o.payload), q.w_en.eq(src.o.valid),
                     src.o.ready.eq(q.w_rdy),
                     sink.i.payload.eq(q.r_data), sink.i.valid.eq(q.r_rdy),
                     q.r_en.eq(sink.i.ready),
                     self.finished.eq(~self.start & (sink.received == self.total))]
        return m


@cocotb.test()
async def ring_loopback(dut):
    p = sim.params()
    rng = np.random.default_rng(p["seed"])
    beats = rng.integers(-(2 ** 23), 2 ** 23, (p["beats"], LANES))
    await start(dut)
    src, sink = RingSource(dut, "data", beats, 24), RingSink(dut, "out", LANES, 24)
    src.prime()
    sink.prime()
    dut.stall.value, dut.seed.value, dut.total.value = p["stall"], p["seed"], p["beats"]
    dut.start.value = 1
    await ClockCycles(dut.clk, 1)
    dut.start.value = 0
    await ClockCycles(dut.clk, 1)
    tasks = [cocotb.start_soon(src.feed()), cocotb.start_soon(sink.drain())]
    await wait_high(dut, dut.finished, max_cycles=p["beats"] * 20 + 100)
    for t in tasks:
        t.cancel()
    got = sink.collect()
    assert got.shape == beats.shape
    np.testing.assert_array_equal(got, beats, err_msg=f"seed {p['seed']}")


@pytest.mark.parametrize("stall", [0, 100])
def test_ring_loopback(stall):
    build = sim.build(Loopback(), name="ring_loopback", public=RING_STORES)
    sim.run(build, __name__, tests="ring_loopback",
            params={"seed": 5 + stall, "beats": 1000, "stall": stall})
