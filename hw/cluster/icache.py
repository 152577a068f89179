"""A core's instruction cache: direct mapped, 64-byte lines, refilled from L2."""

from amaranth import Cat, Const, Module, Signal
from amaranth.lib import memory
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature
from hw.checked import CheckedComponent
from hw.config import L2_WORD_BYTES

__all__ = ["ICache"]


class ICache(CheckedComponent):
    """Serves a core's instruction port from ``lines`` lines of 64 bytes.

    A hit is granted at once and answered in the next cycle, so a loop that fits runs at one
    instruction per cycle. A hit on a line whose successor is missing fetches the successor
    (next-line prefetch), so straight-line code streams from L2 without waiting. A miss is
    not granted: the cache reads the line from L2 (one 64-byte access), fills it, and the
    core's request hits in the cycle after. Fetches outside
    ``[base, base + size)`` are granted and answered with 0 (an illegal instruction, so the
    core traps). ``flush`` (from ``fence.i``) invalidates every line and grants nothing in
    its cycle.

    Parameters
    ----------
    lines : int
        A power of two.
    base, size : int
        The cacheable range (L2).

    Members
    -------
    core : In(TCDMSignature(32, 32))
        The core's instruction port.
    refill : Out(TCDMSignature(32, 512))
        Line reads from L2.
    flush : In(1)
    """

    @staticmethod
    def check(lines: int, base: int, size: int) -> None:
        if lines < 2 or lines & (lines - 1):
            raise ValueError(f"ICache of {lines} lines: must be a power of two, 2 or more")

    def __init__(self, lines: int, base: int, size: int):
        self.lines, self.base, self.size = lines, base, size
        super().__init__({
            "core": In(TCDMSignature(32, 32)), "refill": Out(TCDMSignature(32, 512)),
            "flush": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        index_bits = (self.lines - 1).bit_length()
        tag_lo = 6 + index_bits
        req = self.core
        m.submodules.data = mem = memory.Memory(shape=8 * L2_WORD_BYTES, depth=self.lines,
                                                init=[])
        rd = mem.read_port(transparent_for=())
        wr = mem.write_port()
        valid = Signal(self.lines)
        tags = [Signal(32 - tag_lo, name=f"tag{i}") for i in range(self.lines)]

        index = req.addr[6:tag_lo]
        tag = req.addr[tag_lo:]
        offset = req.addr - self.base
        cacheable = (req.addr >= self.base) & (offset < self.size)

        def present(idx, tg):
            """Whether the line of index ``idx`` holds tag ``tg``."""
            here = Signal(32 - tag_lo)
            with m.Switch(idx):
                for i in range(self.lines):
                    with m.Case(i):
                        m.d.comb += here.eq(tags[i])
            return valid.bit_select(idx, 1) & (here == tg)

        hit = present(index, tag)
        grant = req.req & ((hit & ~self.flush) | ~cacheable)
        m.d.comb += [req.gnt.eq(grant), rd.addr.eq(index), rd.en.eq(grant)]

        answering, word, uncached = Signal(), Signal(4), Signal()
        m.d.sync += [answering.eq(grant & ~req.we), word.eq(req.addr[2:6]),
                     uncached.eq(~cacheable)]
        m.d.comb += [req.rvalid.eq(answering),
                     req.rdata.eq(rd.data.word_select(word, 32) & ~uncached.replicate(32))]

        # ---- refill: one line read at a time, requested from the cycle after the miss (so
        # that the L2 request does not depend on the core's request combinationally)
        busy, fill_index = Signal(), Signal(index_bits)
        fill_line = Signal(32 - 6)
        r = self.refill
        m.d.comb += [r.addr.eq(Cat(Const(0, 6), fill_line)), r.we.eq(0), r.be.eq(0),
                     r.wdata.eq(0)]
        # a hit on line L whose next line L+1 is missing fetches L+1 ahead (next-line
        # prefetch), so straight-line code does not wait for L2 at every line
        line = req.addr[6:]
        nxt = (line + 1)[:32 - 6]
        nxt_index, nxt_tag = nxt[:index_bits], nxt[index_bits:]
        nxt_present = present(nxt_index, nxt_tag)
        nxt_offset = Cat(Const(0, 6), nxt) - self.base
        nxt_cacheable = (Cat(Const(0, 6), nxt) >= self.base) & (nxt_offset < self.size)
        with m.If(req.req & cacheable & ~busy & ~self.flush):
            with m.If(~hit):
                m.d.sync += [busy.eq(1), fill_index.eq(index), fill_line.eq(line),
                             r.req.eq(1)]
            with m.Elif(~nxt_present & nxt_cacheable):
                m.d.sync += [busy.eq(1), fill_index.eq(nxt_index), fill_line.eq(nxt),
                             r.req.eq(1)]
        with m.If(r.req & r.gnt):
            m.d.sync += r.req.eq(0)
        m.d.comb += [wr.addr.eq(fill_index), wr.data.eq(r.rdata), wr.en.eq(r.rvalid)]
        with m.If(r.rvalid):
            m.d.sync += busy.eq(0)
            for i in range(self.lines):
                with m.If(fill_index == i):
                    m.d.sync += [tags[i].eq(fill_line[index_bits:]), valid[i].eq(1)]
        with m.If(self.flush):
            m.d.sync += valid.eq(0)
        return m
