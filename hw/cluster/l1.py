"""The L1 TCDM: word-interleaved 64-bit banks and the interconnect in front of them."""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib.wiring import In

from hw.bus import LANE_BITS, TCDMSignature
from hw.checked import CheckedComponent
from hw.sram import SRAM

from .round_robin import RoundRobin

__all__ = ["L1", "MAX_STALL"]

#: Consecutive denied cycles after which an initiator takes priority over the other class.
MAX_STALL = 4


class L1(CheckedComponent):
    """``banks`` banks of 64 bit holding ``size`` bytes; 64-bit word ``w`` is in bank
    ``w % banks``. Every bank serves one access per cycle and answers a read in the next cycle.

    Initiators:

    - ``narrow[i]``: 32-bit ports (the cores). Per bank a round-robin arbiter chooses among the
      cores that want it.
    - ``wide_k``: ports of several 64-bit lanes (the DMA, the engine). All lanes of a wide
      port that request in a cycle are granted together or not at all. Their addresses must be
      on distinct banks (consecutive words are).

    Wide ports go first (in rotating order among themselves, each needing all of its banks
    free); a core then gets any bank they left. So that nobody starves, an initiator denied
    ``MAX_STALL`` cycles in a row is *starving*: a starving core's bank is closed to wide
    ports that are not starving themselves, and a starving wide port goes before the others.
    Every initiator is therefore served within a bounded number of cycles.

    Addresses are byte addresses; only their low ``log2(size)`` bits are decoded (the cluster
    sends only L1 addresses here).

    Parameters
    ----------
    size : int
        Bytes (a power of two).
    banks : int
    narrow : int
        Narrow initiators.
    wide : tuple[int, ...]
        Lanes of each wide initiator.

    Members
    -------
    narrow : In(TCDMSignature(32, 32)).array(narrow)
    wide_0, wide_1, ... : In(TCDMSignature(32, 64)).array(lanes)
    """

    @staticmethod
    def check(size: int, banks: int, narrow: int, wide: tuple[int, ...]) -> None:
        bad = [w for w in wide if not 1 <= w <= banks]
        if size % (8 * banks) or banks & (banks - 1) or size & (size - 1) or bad:
            raise ValueError(f"L1 of {size} bytes in {banks} banks with wide ports {wide}: "
                             "size and banks must be powers of two and each wide port at most "
                             "as many lanes as banks")

    def __init__(self, size: int, banks: int, narrow: int, wide: tuple[int, ...]):
        self.size, self.banks, self.n_narrow, self.wide_lanes = size, banks, narrow, tuple(wide)
        members = {"narrow": In(TCDMSignature(32, 32)).array(narrow)}
        for k, lanes in enumerate(wide):
            members[f"wide_{k}"] = In(TCDMSignature(32, LANE_BITS)).array(lanes)
        super().__init__(members)

    def wide(self, k: int):
        return getattr(self, f"wide_{k}")

    def elaborate(self, platform):
        m = Module()
        nb = self.banks
        bank_bits = (nb - 1).bit_length()
        rows = self.size // (8 * nb)
        row_bits = (rows - 1).bit_length()
        nw = len(self.wide_lanes)

        def bank_of(addr):
            return addr[3:3 + bank_bits]

        def row_of(addr):
            return addr[3 + bank_bits:3 + bank_bits + row_bits]

        srams = []
        for b in range(nb):
            sram = SRAM(rows, 64)
            m.submodules[f"bank{b}"] = sram
            srams.append(sram)

        # ---- requests
        narrow = list(self.narrow)
        wide_req = [Signal(name=f"wide{k}_req") for k in range(nw)]
        wide_mask = [Signal(nb, name=f"wide{k}_banks") for k in range(nw)]
        for k in range(nw):
            lanes = list(self.wide(k))
            m.d.comb += wide_req[k].eq(Cat(ln.req for ln in lanes).any())
            m.d.comb += wide_mask[k].eq(
                Cat(Cat(ln.req & (bank_of(ln.addr) == b) for ln in lanes).any()
                    for b in range(nb)))

        # ---- starvation counters
        def stall_counter(name, req, gnt):
            count = Signal(range(MAX_STALL + 1), name=name)
            with m.If(req & ~gnt):
                with m.If(count != MAX_STALL):
                    m.d.sync += count.eq(count + 1)
            with m.Else():
                m.d.sync += count.eq(0)
            return count == MAX_STALL

        narrow_gnt = [Signal(name=f"narrow{i}_gnt") for i in range(len(narrow))]
        wide_gnt = [Signal(name=f"wide{k}_gnt") for k in range(nw)]
        narrow_starving = [stall_counter(f"narrow{i}_stalls", p.req, narrow_gnt[i])
                           for i, p in enumerate(narrow)]
        wide_starving = [stall_counter(f"wide{k}_stalls", wide_req[k], wide_gnt[k])
                         for k in range(nw)]

        # banks closed to non-starving wide ports: those of starving cores
        closed = Signal(nb)
        starving = list(zip(narrow_starving, narrow, strict=True))
        m.d.comb += closed.eq(Cat(
            Cat(s & p.req & (bank_of(p.addr) == b) for s, p in starving).any()
            for b in range(nb)))

        # ---- wide ports, in rotating order (starving ones first)
        taken = Signal(nb)
        if nw:
            first = Signal(range(max(2, nw)))
            choice = Signal(range(max(2, nw)))
            m.d.comb += choice.eq(first)
            for k in reversed(range(nw)):        # any starving port goes first
                with m.If(wide_starving[k] & ~Cat(wide_starving).bit_select(first, 1)):
                    m.d.comb += choice.eq(k)
            for f in range(nw):
                with m.If(choice == f):
                    used = Const(0, nb)
                    for j in range(nw):
                        k = (f + j) % nw
                        ok = (wide_req[k] & ((wide_mask[k] & used) == 0)
                              & (wide_starving[k] | ((wide_mask[k] & closed) == 0)))
                        m.d.comb += wide_gnt[k].eq(ok)
                        used = used | Mux(ok, wide_mask[k], 0)
                    m.d.comb += taken.eq(used)
            with m.If(wide_gnt[0] if nw == 1 else Cat(wide_gnt).bit_select(choice, 1)):
                m.d.sync += first.eq(Mux(choice == nw - 1, 0, choice + 1))

        # ---- per bank: cores on the banks the wide ports left
        for b, sram in enumerate(srams):
            rr = RoundRobin(len(narrow))
            m.submodules[f"arbiter{b}"] = rr
            wants = Cat(p.req & (bank_of(p.addr) == b) for p in narrow)
            m.d.comb += [rr.requests.eq(Mux(taken[b], 0, wants)), rr.advance.eq(1)]
            for i in range(len(narrow)):
                with m.If(rr.grant[i]):
                    m.d.comb += narrow_gnt[i].eq(1)
            # the bank's access: a wide lane if taken, else the granted core
            en, we, row = Signal(), Signal(), Signal(row_bits)
            wdata, be = Signal(64), Signal(8)
            for i, p in enumerate(narrow):
                with m.If(rr.grant[i]):
                    m.d.comb += [en.eq(1), we.eq(p.we), row.eq(row_of(p.addr)),
                                 wdata.eq(Cat(p.wdata, p.wdata)),
                                 be.eq(Mux(p.addr[2], p.be << 4, p.be))]
            for k in range(nw):
                for ln in self.wide(k):
                    with m.If(wide_gnt[k] & ln.req & (bank_of(ln.addr) == b)):
                        m.d.comb += [en.eq(1), we.eq(ln.we), row.eq(row_of(ln.addr)),
                                     wdata.eq(ln.wdata), be.eq(ln.be)]
            m.d.comb += [sram.en.eq(en), sram.we.eq(we), sram.addr.eq(row),
                         sram.wdata.eq(wdata), sram.be.eq(be)]

        # ---- grants and read data (one cycle after a granted read)
        bank_data = [s.rdata for s in srams]

        def respond(port, gnt, lane_bits):
            m.d.comb += port.gnt.eq(gnt)
            was_read = Signal()
            which = Signal(bank_bits)
            half = Signal()
            m.d.sync += [was_read.eq(gnt & ~port.we), which.eq(bank_of(port.addr)),
                         half.eq(port.addr[2])]
            data = Signal(64)
            with m.Switch(which):
                for b in range(nb):
                    with m.Case(b):
                        m.d.comb += data.eq(bank_data[b])
            m.d.comb += port.rvalid.eq(was_read)
            if lane_bits == 32:
                m.d.comb += port.rdata.eq(Mux(half, data[32:], data[:32]))
            else:
                m.d.comb += port.rdata.eq(data)

        for i, p in enumerate(narrow):
            respond(p, narrow_gnt[i], 32)
        for k in range(nw):
            for ln in self.wide(k):
                respond(ln, wide_gnt[k] & ln.req, 64)
        return m
