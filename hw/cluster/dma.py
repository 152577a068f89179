"""The cluster DMA: 2D transfers between L2 and L1, queued, with transfer ids."""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, fifo, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature
from hw.config import L2_WORD_BYTES, DmaReg
from hw.hwpe.regbus import RegBusSignature

from .dma_writer import DMAWriter, RowLayout
from .regmap import DMA_REGS, DmaError

__all__ = ["DMA", "DmaError"]

B = L2_WORD_BYTES
L1_LANES = B // 8


STATUS = DMA_REGS["STATUS"]
_Desc = data.StructLayout({
    "src": 32, "dst": 32, "bytes": 32, "rows": 32, "src_stride": 32, "dst_stride": 32,
    "id": 32, "core": 3, "to_l1": 1,
})


class DMA(wiring.Component):
    """Copies 2D blocks: ``rows`` rows of ``bytes`` bytes, source and destination rows
    ``src_stride`` and ``dst_stride`` bytes apart, any byte alignment. One side must be in L1
    and the other in L2. Registers in ``hw.cluster.regmap.DMA_REGS``.

    Reading START queues the programmed transfer and returns its id (1, 2, ...), or 0 when the
    queue is full (nothing queued; retry) or the transfer is bad (STATUS.error). Transfers run
    in order; DONE is the id of the last finished one and the core that started it gets an
    event. Each row is checked against its memories when it starts; a row outside them is
    skipped and sets STATUS.error.

    The reader fetches 64-byte aligned source chunks (8 lanes of L1 together, or one L2 word)
    ahead of the writer into a buffer, and the writer realigns them to 64-byte destination beats
    (:class:`DMAWriter`): one beat per cycle in the steady state. A transfer in the other
    direction than the previous one waits until the writer has finished it.

    Members
    -------
    regs : In(RegBusSignature(8, id_bits))
    l1 : Out(TCDMSignature(32, 64)).array(8)
    l2 : Out(TCDMSignature(32, 512))
    evt : Out(cores)
    busy : Out(1)
    """

    def __init__(self, l1_range: tuple[int, int], l2_range: tuple[int, int], *, cores: int,
                 id_bits: int, queue: int, buffer: int):
        self.l1_range, self.l2_range = l1_range, l2_range
        self.cores, self.queue, self.buffer = cores, queue, buffer
        super().__init__({
            "regs": In(RegBusSignature(8, id_bits)),
            "l1": Out(TCDMSignature(32, 64)).array(L1_LANES),
            "l2": Out(TCDMSignature(32, 8 * B)), "evt": Out(cores), "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.regs

        def inside(addr, rng, size=1):
            end = addr + size                               # 33 bits: no wrap-around
            return (addr >= rng[0]) & (end <= rng[1])

        # ---- registers and queue
        prog = Signal(_Desc)
        m.submodules.queue = q = fifo.SyncFIFO(width=_Desc.size, depth=self.queue)
        next_id, done_id, error, error_id = Signal(32, init=1), Signal(32), Signal(2), Signal(32)
        write = bus.req & bus.we
        for reg, field in ((DmaReg.SRC, prog.src), (DmaReg.DST, prog.dst),
                           (DmaReg.ROW_BYTES, prog.bytes), (DmaReg.ROWS, prog.rows),
                           (DmaReg.SRC_STRIDE, prog.src_stride),
                           (DmaReg.DST_STRIDE, prog.dst_stride)):
            with m.If(write & (bus.addr == reg)):
                m.d.sync += field.eq(bus.wdata)
        to_l1 = inside(prog.src, self.l2_range) & inside(prog.dst, self.l1_range)
        to_l2 = inside(prog.src, self.l1_range) & inside(prog.dst, self.l2_range)
        good = (to_l1 | to_l2) & (prog.bytes != 0) & (prog.rows != 0)
        start = bus.req & ~bus.we & (bus.addr == DmaReg.START)
        queued = start & good & q.w_rdy
        new = Signal(_Desc)
        m.d.comb += [new.eq(prog), new.id.eq(next_id), new.core.eq(bus.id), new.to_l1.eq(to_l1),
                     q.w_data.eq(new), q.w_en.eq(queued)]
        with m.If(queued):
            m.d.sync += next_id.eq(Mux(next_id == 0xFFFF_FFFF, 1, next_id + 1))

        def fail(code, which):
            with m.If(error == 0):
                m.d.sync += [error.eq(code), error_id.eq(which)]

        with m.If(start & ~good):
            fail(DmaError.BAD_TRANSFER, next_id)
        clear = STATUS.field("error").extract(bus.wdata)[0]
        with m.If(write & (bus.addr == DmaReg.STATUS) & clear):
            m.d.sync += [error.eq(0), error_id.eq(0)]

        # ---- reader: rows and chunk reads
        m.submodules.writer = wr = DMAWriter()
        m.submodules.rows = rows = fifo.SyncFIFO(width=RowLayout.size, depth=4)
        m.submodules.chunks = chunks = fifo.SyncFIFO(width=8 * B, depth=self.buffer)
        cur = Signal(_Desc)
        rows_left = Signal(32)
        addr, left = Signal(32), Signal(27)            # next chunk, chunks left in the row
        held = Signal(range(self.buffer + 1))          # chunks requested, not yet written
        last_to_l1 = Signal()
        in_flight_rows = Signal(range(8))
        src_rng = [Mux(cur.to_l1, self.l2_range[i], self.l1_range[i]) for i in range(2)]
        dst_rng = [Mux(cur.to_l1, self.l1_range[i], self.l2_range[i]) for i in range(2)]
        row = Signal(RowLayout)
        m.d.comb += [row.dst.eq(cur.dst), row.src_off.eq(cur.src[:6]), row.bytes.eq(cur.bytes),
                     row.last.eq(rows_left == 1), row.id.eq(cur.id), row.core.eq(cur.core),
                     row.error.eq(~inside(cur.src, src_rng, cur.bytes)
                                  | ~inside(cur.dst, dst_rng, cur.bytes))]
        read_req, read_gnt = Signal(), Signal()
        with m.FSM() as reader:
            with m.State("IDLE"):
                head = data.View(_Desc, q.r_data)
                with m.If(q.r_rdy & ((head.to_l1 == last_to_l1) | (in_flight_rows == 0))):
                    m.d.comb += q.r_en.eq(1)
                    m.d.sync += [cur.eq(head), rows_left.eq(head.rows),
                                 last_to_l1.eq(head.to_l1)]
                    m.next = "ROW"
            with m.State("ROW"):
                m.d.comb += [rows.w_data.eq(row), rows.w_en.eq(rows.w_rdy)]
                with m.If(rows.w_rdy):
                    m.d.sync += [addr.eq(Cat(Const(0, 6), cur.src[6:])),
                                 left.eq((cur.src[:6] + cur.bytes + B - 1) >> 6)]
                    with m.If(row.error):
                        fail(DmaError.OUT_OF_RANGE, cur.id)
                        m.d.sync += left.eq(0)
                    m.next = "READ"
            with m.State("READ"):
                m.d.comb += read_req.eq((left != 0) & (held < self.buffer))
                with m.If((left == 0) | (read_gnt & (left == 1))):
                    m.d.sync += [rows_left.eq(rows_left - 1),
                                 cur.src.eq(cur.src + cur.src_stride),
                                 cur.dst.eq(cur.dst + cur.dst_stride)]
                    with m.If(rows_left == 1):
                        m.next = "IDLE"
                    with m.Else():
                        m.next = "ROW"
                with m.If(read_gnt):
                    m.d.sync += [addr.eq(addr + B), left.eq(left - 1)]

        # read ports: L1 (8 lanes together) or L2
        from_l1 = ~cur.to_l1
        l1_read = read_req & from_l1
        l2_read = read_req & ~from_l1
        m.d.comb += [self.l2.req.eq(l2_read), self.l2.addr.eq(addr), self.l2.we.eq(0)]
        for k, ln in enumerate(self.l1):
            m.d.comb += [ln.req.eq(l1_read), ln.addr.eq(addr + 8 * k), ln.we.eq(0)]
        m.d.comb += read_gnt.eq((l1_read & self.l1[0].gnt) | (l2_read & self.l2.gnt))
        l1_data = Cat(ln.rdata for ln in self.l1)
        m.d.comb += [chunks.w_en.eq(self.l1[0].rvalid | self.l2.rvalid),
                     chunks.w_data.eq(Mux(self.l1[0].rvalid, l1_data, self.l2.rdata))]
        m.d.sync += held.eq(held + read_gnt - (chunks.r_en & chunks.r_rdy))

        # ---- writer: realigned beats to L1 (lanes with enabled bytes) or L2
        m.d.comb += [wr.chunks.valid.eq(chunks.r_rdy), wr.chunks.payload.eq(chunks.r_data),
                     chunks.r_en.eq(wr.chunks.ready)]
        m.d.comb += [wr.rows.valid.eq(rows.r_rdy), wr.rows.payload.eq(rows.r_data),
                     rows.r_en.eq(wr.rows.ready)]
        beat = wr.write.payload
        writing_l1 = wr.write.valid & last_to_l1
        writing_l2 = wr.write.valid & ~last_to_l1
        l1_gnt = Signal()
        for k, ln in enumerate(self.l1):
            lane_be = beat.be[8 * k:8 * k + 8]
            with m.If(writing_l1):
                m.d.comb += [ln.req.eq(lane_be.any()), ln.addr.eq(beat.addr + 8 * k),
                             ln.we.eq(1), ln.be.eq(lane_be),
                             ln.wdata.eq(beat.data[64 * k:64 * k + 64])]
            with m.If(ln.req & ln.gnt):
                m.d.comb += l1_gnt.eq(1)
        with m.If(writing_l2):
            m.d.comb += [self.l2.req.eq(1), self.l2.addr.eq(beat.addr), self.l2.we.eq(1),
                         self.l2.be.eq(beat.be), self.l2.wdata.eq(beat.data)]
        m.d.comb += wr.write.ready.eq((writing_l1 & l1_gnt) | (writing_l2 & self.l2.gnt))

        # ---- completion: rows in order, a transfer ends with its last row
        done = wr.done
        m.d.sync += in_flight_rows.eq(in_flight_rows + (rows.w_en & rows.w_rdy) - done.valid)
        evt = Signal(self.cores)
        with m.If(done.valid & done.payload.last):
            m.d.sync += done_id.eq(done.payload.id)
            m.d.comb += evt.eq(1 << done.payload.core)
        m.d.sync += self.evt.eq(evt)
        m.d.comb += self.busy.eq(q.r_rdy | ~reader.ongoing("IDLE") | (in_flight_rows != 0))

        m.d.sync += [bus.rvalid.eq(bus.req & ~bus.we), bus.rdata.eq(0)]
        with m.If(bus.req & ~bus.we):
            with m.Switch(bus.addr):
                with m.Case(DmaReg.START):
                    m.d.sync += bus.rdata.eq(Mux(queued, next_id, 0))
                with m.Case(DmaReg.DONE):
                    m.d.sync += bus.rdata.eq(done_id)
                with m.Case(DmaReg.STATUS):
                    m.d.sync += bus.rdata.eq(STATUS.pack(busy=self.busy, queued=q.level,
                                                         error=error))
                with m.Case(DmaReg.ERROR_ID):
                    m.d.sync += bus.rdata.eq(error_id)
                for reg, field in ((DmaReg.SRC, prog.src), (DmaReg.DST, prog.dst),
                                   (DmaReg.ROW_BYTES, prog.bytes), (DmaReg.ROWS, prog.rows),
                                   (DmaReg.SRC_STRIDE, prog.src_stride),
                                   (DmaReg.DST_STRIDE, prog.dst_stride)):
                    with m.Case(reg):
                        m.d.sync += bus.rdata.eq(field)
        return m
