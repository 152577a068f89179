"""A TCDM memory model: a RAM behind bank-width ports that grant with random stalls."""

from pathlib import Path

from amaranth import Cat, ClockSignal, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.bus import LANE_BITS, TCDMSignature

from .stalls import Stalls

__all__ = ["TCDMMemory", "RAM_VERILOG"]

#: The Verilog of the RAM (add it to the build with ``sim.build(..., extra_verilog=...)``).
RAM_VERILOG = (Path(__file__).parent / "tb_ram.v").read_text()


class TCDMMemory(wiring.Component):
    """Serve a wide TCDM port from a RAM of ``size`` bytes at ``base``.

    Each lane is granted on its own (:class:`~.stalls.Stalls`, one channel per lane, seeded
    from ``seed``; ``stall`` is the level, ``profile`` uniform or bursts), so a beat's lanes
    are granted in different cycles under stalls, and returns read data one cycle after the
    grant. An access outside the memory sets ``oob``.
    The RAM is the instance ``ram`` (array ``mem`` of 64-bit words).

    Members
    -------
    tcdm : In(TCDMSignature()).array(lanes)
    stall : In(8), seed : In(32), profile : In(1)
    oob : Out(1)
        Sticky: an access fell outside the memory.
    """

    def __init__(self, lanes: int, base: int, size: int):
        self._lanes, self._base, self._size = lanes, base, size
        self.words = size // 8
        super().__init__({"tcdm": In(TCDMSignature()).array(lanes), "stall": In(8),
                          "seed": In(32), "profile": In(1), "oob": Out(1)})

    def elaborate(self, platform):
        m = Module()
        lanes = self._lanes
        aw = max(1, (self.words - 1).bit_length())
        en, we = Signal(lanes), Signal(lanes)
        addr = Signal(lanes * aw)
        wdata, be = Signal(lanes * LANE_BITS), Signal(lanes * 8)
        rdata = Signal(lanes * LANE_BITS)
        m.submodules.ram = Instance("tinyita_tb_ram", p_LANES=lanes, p_WORDS=self.words,
                                    p_AW=aw, i_clk=ClockSignal(), i_en=en, i_we=we,
                                    i_addr=addr, i_wdata=wdata, i_be=be, o_rdata=rdata)
        bad = []
        m.submodules.stalls = stalls = Stalls(lanes)
        m.d.comb += [stalls.seed.eq(self.seed), stalls.level.eq(self.stall),
                     stalls.profile.eq(self.profile)]
        for i, lane in enumerate(self.tcdm):
            offset = lane.addr - self._base
            inside = (lane.addr >= self._base) & (offset < self._size)
            grant = lane.req & stalls.go[i]
            m.d.comb += [lane.gnt.eq(grant), en[i].eq(grant & inside), we[i].eq(lane.we),
                         addr[i * aw:(i + 1) * aw].eq(offset[3:]),
                         wdata[i * LANE_BITS:(i + 1) * LANE_BITS].eq(lane.wdata),
                         be[i * 8:(i + 1) * 8].eq(lane.be),
                         lane.rdata.eq(rdata[i * LANE_BITS:(i + 1) * LANE_BITS])]
            m.d.sync += lane.rvalid.eq(grant & ~lane.we)
            bad.append(grant & ~inside)
        with m.If(Cat(*bad).any()):
            m.d.sync += self.oob.eq(1)
        return m
