"""Share one wide TCDM port between beat ports, one beat at a time."""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.bus import LANE_BITS, BeatPortSignature, TCDMSignature

__all__ = ["TCDMMux"]


class TCDMMux(wiring.Component):
    """Round-robin arbiter from ``ports`` beat ports to one wide port of ``lanes`` lanes.

    The chosen beat drives every lane (lane i at ``addr + 8*i``) until each lane has been
    granted, lanes granted early dropping out; the beat port's ``gnt`` then pulses and the next
    beat is chosen in the same cycle. Read data is gathered per lane as it arrives (one cycle
    after each lane's grant) and handed to the beat's owner whole. Because a beat's lanes are
    all granted before the next beat's first one, at most one beat is being gathered.

    Members
    -------
    ports : In(BeatPortSignature(lanes)).array(ports)
    tcdm : Out(TCDMSignature()).array(lanes)
    """

    def __init__(self, ports: int, lanes: int):
        self._n, self._lanes = ports, lanes
        super().__init__({
            "ports": In(BeatPortSignature(lanes)).array(ports),
            "tcdm": Out(TCDMSignature()).array(lanes),
        })

    def elaborate(self, platform):
        m = Module()
        n, lanes = self._n, self._lanes
        # --- request side
        locked = Signal()                    # a beat is partly granted
        owner = Signal(range(max(2, n)))
        pending = Signal(lanes)              # lanes of the locked beat not yet granted
        rr = Signal(range(max(2, n)))        # round-robin start
        reqs = Cat(*[p.req for p in self.ports])
        pick = Signal.like(owner)
        found = Signal()
        # the first requesting port at or after rr
        for k in reversed(range(n)):
            idx = (rr + k) % n if n & (n - 1) == 0 else Mux(rr + k >= n, rr + k - n, rr + k)
            with m.If(reqs.bit_select(idx, 1)):
                m.d.comb += [pick.eq(idx), found.eq(1)]
        cur = Mux(locked, owner, pick)
        active = locked | found
        lanes_req = Mux(locked, pending, (1 << lanes) - 1)
        chosen = self.ports[0]
        addr = Signal(32)
        we = Signal()
        wdata = Signal(lanes * LANE_BITS)
        m.d.comb += [addr.eq(chosen.addr), we.eq(chosen.we), wdata.eq(chosen.wdata)]
        for k in range(1, n):
            with m.If(cur == k):
                p = self.ports[k]
                m.d.comb += [addr.eq(p.addr), we.eq(p.we), wdata.eq(p.wdata)]
        granted = Signal(lanes)
        for i, lane in enumerate(self.tcdm):
            m.d.comb += [lane.req.eq(active & lanes_req[i]), lane.addr.eq(addr + 8 * i),
                         lane.we.eq(we), lane.be.eq(0xFF),
                         lane.wdata.eq(wdata[i * LANE_BITS:(i + 1) * LANE_BITS]),
                         granted[i].eq(lane.req & lane.gnt)]
        left = lanes_req & ~granted
        complete = active & (left == 0)
        for k, p in enumerate(self.ports):
            m.d.comb += p.gnt.eq(complete & (cur == k))
        with m.If(active):
            m.d.sync += [locked.eq(~complete), owner.eq(cur), pending.eq(left)]
        with m.If(complete):
            m.d.sync += rr.eq(Mux(cur == n - 1, 0, cur + 1))

        # --- response side: gather a read beat's lanes
        expect = Signal(lanes)               # lanes whose read data arrive this cycle
        expect_owner = Signal.like(owner)
        m.d.sync += [expect.eq(Mux(we, 0, granted)), expect_owner.eq(cur)]
        got = Signal(lanes)                  # lanes of the beat gathered so far
        data = Signal(lanes * LANE_BITS)
        data_owner = Signal.like(owner)
        merged = Signal(lanes * LANE_BITS)
        for i, lane in enumerate(self.tcdm):
            sl = slice(i * LANE_BITS, (i + 1) * LANE_BITS)
            m.d.comb += merged[sl].eq(Mux(expect[i], lane.rdata, data[sl]))
        have = got | expect
        beat_owner = Mux(got.any(), data_owner, expect_owner)
        whole = have.all() & expect.any()
        for k, p in enumerate(self.ports):
            m.d.comb += [p.rvalid.eq(whole & (beat_owner == k)), p.rdata.eq(merged)]
        with m.If(expect.any()):
            m.d.sync += [data.eq(merged), data_owner.eq(beat_owner),
                         got.eq(Mux(whole, 0, have))]
        return m
