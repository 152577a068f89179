"""The DMA's back end: realign source chunks to the destination and write them."""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.config import L2_WORD_BYTES

__all__ = ["DMAWriter", "RowLayout", "WriteLayout"]

B = L2_WORD_BYTES

#: One row of a transfer, as the reader hands it to the writer.
RowLayout = data.StructLayout({
    "dst": 32, "src_off": 6, "bytes": 32, "last": 1, "error": 1, "id": 32, "core": 3,
})

#: One 64-byte aligned write beat.
WriteLayout = data.StructLayout({"addr": 32, "data": 8 * B, "be": B})


class DMAWriter(wiring.Component):
    """For each row, turn the source's aligned 64-byte chunks (``chunks``, in order) into
    aligned destination beats (``write``) with byte enables.

    A row of ``L`` bytes from source offset ``s`` (its address mod 64) to destination offset
    ``d`` spans ``ceil((s + L) / 64)`` source chunks and ``ceil((d + L) / 64)`` destination
    beats. Destination beat ``j`` is a 64-byte window of the concatenation of two consecutive
    chunks, at a byte offset that is the same for the whole row: ``64 - ((d - s) mod 64)``.
    The writer holds the last two chunks, takes one (two when ``s > d``) before the first beat
    and one more before each further beat; past the row's last chunk it shifts in zeros (those
    bytes are never enabled). A row with ``error`` set is skipped.

    Members
    -------
    rows : In(stream.Signature(RowLayout))
    chunks : In(stream.Signature(512))
    write : Out(stream.Signature(WriteLayout))
    done : Out(stream.Signature(RowLayout))
        Valid for one cycle when a row has finished (its last beat was taken, or it was
        skipped); never waits for ``ready``.
    busy : Out(1)
    """

    def __init__(self):
        super().__init__({
            "rows": In(stream.Signature(RowLayout)), "chunks": In(stream.Signature(8 * B)),
            "write": Out(stream.Signature(WriteLayout)),
            "done": Out(stream.Signature(RowLayout, always_ready=True)), "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        row = Signal(RowLayout)
        prev, cur = Signal(8 * B), Signal(8 * B)
        n_rd, n_wr = Signal(27), Signal(27)       # chunks and beats of the row
        taken, beat = Signal(27), Signal(27)      # chunks taken, current beat
        need = Signal(2)                          # chunks to take before the next beat
        offset = Signal(range(B + 1))             # byte offset of a beat in {prev, cur}
        d_off = row.dst[:6]

        # take one chunk (a real one while the row has some, else zeros)
        real = taken < n_rd
        can_take = ~real | self.chunks.valid
        take = Signal()
        with m.If(take):
            m.d.sync += [prev.eq(cur), cur.eq(Mux(real, self.chunks.payload, 0)),
                         taken.eq(taken + 1)]
        m.d.comb += self.chunks.ready.eq(take & real)

        # the current beat
        lo = Mux(beat == 0, d_off, 0)
        end = (d_off + row.bytes - 1)[:6] + 1
        hi = Mux(beat == n_wr - 1, end, B)
        w = self.write.payload
        m.d.comb += [w.addr.eq(Cat(Const(0, 6), row.dst[6:]) + (beat << 6)[:32]),
                     w.data.eq((Cat(prev, cur) >> (offset * 8))[:8 * B]),
                     w.be.eq(((Const(1, B + 1) << hi) - 1)[:B]
                             & ~((Const(1, B + 1) << lo) - 1)[:B])]

        m.d.comb += self.done.payload.eq(row)
        with m.FSM() as fsm:
            with m.State("IDLE"):
                m.d.comb += self.rows.ready.eq(1)
                with m.If(self.rows.valid):
                    r = self.rows.payload
                    s_off, r_off = r.src_off, r.dst[:6]
                    m.d.sync += [row.eq(r), taken.eq(0), beat.eq(0),
                                 n_rd.eq((s_off + r.bytes + B - 1) >> 6),
                                 n_wr.eq((r_off + r.bytes + B - 1) >> 6),
                                 need.eq(Mux(s_off > r_off, 2, 1)),
                                 offset.eq(B - (r_off - s_off)[:6])]
                    with m.If(r.error):
                        m.d.comb += [self.done.valid.eq(1), self.done.payload.eq(r)]
                    with m.Else():
                        m.next = "FILL"
            with m.State("FILL"):
                m.d.comb += take.eq(can_take)
                with m.If(can_take):
                    m.d.sync += need.eq(need - 1)
                    with m.If(need == 1):
                        m.next = "WRITE"
            with m.State("WRITE"):
                m.d.comb += self.write.valid.eq(1)
                with m.If(self.write.ready):
                    with m.If(beat == n_wr - 1):
                        m.d.comb += self.done.valid.eq(1)
                        m.next = "IDLE"
                    with m.Else():
                        m.d.sync += beat.eq(beat + 1)
                        m.d.comb += take.eq(can_take)
                        with m.If(~can_take):
                            m.d.sync += need.eq(1)
                            m.next = "FILL"
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m
