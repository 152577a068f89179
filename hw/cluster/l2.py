"""The L2 memory: one wide SRAM behind a pipelined, round-robin shared port."""

from amaranth import Cat, Const, Module, Signal
from amaranth.lib import data
from amaranth.lib.wiring import In

from hw.bus import TCDMSignature
from hw.checked import CheckedComponent
from hw.config import L2_WORD_BYTES
from hw.sram import SRAM

from .round_robin import RoundRobin

__all__ = ["L2"]

_WORD_BITS = 8 * L2_WORD_BYTES


class L2(CheckedComponent):
    """``size`` bytes in words of 64 bytes; one access per cycle, read data ``latency``
    cycles after the grant.

    Every port requests with req/gnt; a round-robin arbiter grants one request per cycle, so a
    port waits at most one turn of the others. Granted requests travel down a pipeline of
    ``latency - 1`` stages to the SRAM (reads and writes alike, so accesses take effect in
    grant order), and read data come back in order.

    Parameters
    ----------
    size : int
        Bytes (a power of two); only the low ``log2(size)`` address bits are decoded.
    latency : int
        Cycles from grant to read data, 2 or more.
    narrow : int
        32-bit ports (the cores' data accesses).
    wide : int
        64-byte ports (instruction-cache refills, the DMA); their addresses are 64-byte aligned.

    Members
    -------
    narrow : In(TCDMSignature(32, 32)).array(narrow)
    wide : In(TCDMSignature(32, 512)).array(wide)
    """

    @staticmethod
    def check(size: int, latency: int, narrow: int, wide: int) -> None:
        if size & (size - 1) or size < 2 * L2_WORD_BYTES or latency < 2 or narrow + wide < 1:
            raise ValueError(f"L2 of {size} bytes, latency {latency}, {narrow}+{wide} ports: "
                             "need a power-of-two size, latency >= 2 and a port")

    def __init__(self, size: int, latency: int, narrow: int, wide: int):
        self.size, self.latency, self.n_narrow, self.n_wide = size, latency, narrow, wide
        super().__init__({
            "narrow": In(TCDMSignature(32, 32)).array(narrow),
            "wide": In(TCDMSignature(32, _WORD_BITS)).array(wide),
        })

    def elaborate(self, platform):
        m = Module()
        rows = self.size // L2_WORD_BYTES
        row_bits = (rows - 1).bit_length()
        ports = [*self.narrow, *self.wide]
        n = len(ports)
        m.submodules.sram = sram = SRAM(rows, _WORD_BITS)
        m.submodules.arbiter = rr = RoundRobin(n)
        m.d.comb += [rr.requests.eq(Cat(p.req for p in ports)), rr.advance.eq(1)]

        stage = data.StructLayout({"valid": 1, "we": 1, "row": row_bits, "port": range(n),
                                   "word": 4, "wdata": _WORD_BITS, "be": L2_WORD_BYTES})
        head = Signal(stage)
        for i, p in enumerate(ports):
            m.d.comb += p.gnt.eq(rr.grant[i])
            with m.If(rr.grant[i]):
                m.d.comb += [head.valid.eq(1), head.we.eq(p.we), head.port.eq(i),
                             head.row.eq(p.addr[6:6 + row_bits])]
                if i < self.n_narrow:
                    word = p.addr[2:6]
                    m.d.comb += [head.word.eq(word),
                                 head.wdata.eq(Cat(p.wdata for _ in range(16))),
                                 head.be.eq(p.be << Cat(Const(0, 2), word))]
                else:
                    m.d.comb += [head.wdata.eq(p.wdata), head.be.eq(p.be)]
        tail = head
        for k in range(self.latency - 1):
            nxt = Signal(stage, name=f"stage{k}")
            m.d.sync += nxt.eq(tail)
            tail = nxt
        m.d.comb += [sram.en.eq(tail.valid), sram.we.eq(tail.we), sram.addr.eq(tail.row),
                     sram.wdata.eq(tail.wdata), sram.be.eq(tail.be)]
        answered = Signal(range(n))
        word = Signal(4)
        reading = Signal()
        m.d.sync += [reading.eq(tail.valid & ~tail.we), answered.eq(tail.port),
                     word.eq(tail.word)]
        for i, p in enumerate(ports):
            m.d.comb += p.rvalid.eq(reading & (answered == i))
            if i < self.n_narrow:
                m.d.comb += p.rdata.eq(sram.rdata.word_select(word, 32))
            else:
                m.d.comb += p.rdata.eq(sram.rdata)
        return m
