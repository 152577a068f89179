"""The machine-mode CSRs of the core."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .csrs import CSR_ADDRESSES, CSRS, MISA_VALUE

__all__ = ["CSRFile"]

A = CSR_ADDRESSES
MSTATUS, MIP = CSRS["mstatus"], CSRS["mip"]


class CSRFile(wiring.Component):
    """The CSRs of :data:`~hw.core.csrs.CSRS`: mstatus, misa, mie, mtvec, mscratch, mepc,
    mcause, mtval, mip, mcycle(h), minstret(h), their Zicntr aliases cycle(h), time(h),
    instret(h), and mvendorid, marchid, mimpid, mhartid.

    Only M-mode exists: mstatus keeps MIE (bit 3) and MPIE (bit 7) and reads MPP as 3. misa
    reads RV32IM and ignores writes (WARL). mip reads MEIP (bit 11) as the core's pending
    event; writes to it are ignored. mepc and mtvec keep bits 1:0 at zero (direct mode). An
    access to any other address is illegal, and so is a write to a read-only CSR (the core
    checks ``known`` and ``read_only``).

    mcycle and minstret are 64-bit counters. A write to either half replaces that half, and
    the counter does not count in that cycle (mcycle) or for the writing instruction
    (minstret): the value written is the value the next instruction reads, as the privileged
    specification requires. ``time`` is an alias of mcycle.

    Members
    -------
    addr : In(12)
    rdata : Out(32)
    known : Out(1), read_only : Out(1)
    we : In(1), wdata : In(32)
        Write ``wdata`` to ``addr``.
    trap : In(1), cause : In(5), epc : In(32), tval : In(32)
        Take an exception: mepc, mcause, mtval, and MPIE = MIE, MIE = 0.
    mret : In(1)
        MIE = MPIE, MPIE = 1.
    retire : In(1)
        An instruction retires (minstret counts it). The core raises it when an instruction
        leaves execute without a trap: every such instruction retires, and a CSR read by the
        next instruction then sees it counted.
    event : In(1)
        The pending event (mip.MEIP).
    mtvec, mepc : Out(32)
    """

    def __init__(self, hartid: int = 0):
        self._hartid = hartid
        super().__init__({
            "addr": In(12), "rdata": Out(32), "known": Out(1), "read_only": Out(1),
            "we": In(1), "wdata": In(32),
            "trap": In(1), "cause": In(5), "epc": In(32), "tval": In(32), "mret": In(1),
            "retire": In(1), "event": In(1), "mtvec": Out(32), "mepc": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        mie_bit, mpie = Signal(), Signal()
        mcause, mtval, mie = Signal(32), Signal(32), Signal(32)
        mcycle, minstret, mscratch = Signal(64), Signal(64), Signal(32)
        mstatus = MSTATUS.pack(mie=mie_bit, mpie=mpie, mpp=3)
        values = {
            "mstatus": mstatus, "mie": mie, "mtvec": self.mtvec, "mepc": self.mepc,
            "mcause": mcause, "mtval": mtval, "mip": MIP.pack(meip=self.event),
            "mcycle": mcycle[0:32], "minstret": minstret[0:32], "mcycleh": mcycle[32:64],
            "minstreth": minstret[32:64], "mhartid": self._hartid,
            "misa": MISA_VALUE, "mscratch": mscratch,
            "cycle": mcycle[0:32], "time": mcycle[0:32], "instret": minstret[0:32],
            "cycleh": mcycle[32:64], "timeh": mcycle[32:64], "instreth": minstret[32:64],
            "mvendorid": 0, "marchid": 0, "mimpid": 0,
        }
        assert set(values) == {r.name for r in CSRS}, "every declared CSR is decoded"
        with m.Switch(self.addr):
            for name, value in values.items():
                with m.Case(A[name]):
                    m.d.comb += [self.rdata.eq(value), self.known.eq(1),
                                 self.read_only.eq(CSRS[name].access == "ro")]
        w = self.wdata

        def writes(name):
            return self.we & (self.addr == A[name])

        # a write to a counter replaces the increment (of this cycle, of this instruction)
        with m.If(writes("mcycle")):
            m.d.sync += mcycle.eq(Cat(w, mcycle[32:64]))
        with m.Elif(writes("mcycleh")):
            m.d.sync += mcycle.eq(Cat(mcycle[0:32], w))
        with m.Else():
            m.d.sync += mcycle.eq(mcycle + 1)
        with m.If(writes("minstret")):
            m.d.sync += minstret.eq(Cat(w, minstret[32:64]))
        with m.Elif(writes("minstreth")):
            m.d.sync += minstret.eq(Cat(minstret[0:32], w))
        with m.Elif(self.retire):
            m.d.sync += minstret.eq(minstret + 1)
        with m.If(self.we):
            with m.Switch(self.addr):
                with m.Case(A["mstatus"]):
                    m.d.sync += [mie_bit.eq(MSTATUS.field("mie").extract(w)),
                                 mpie.eq(MSTATUS.field("mpie").extract(w))]
                with m.Case(A["mie"]):
                    m.d.sync += mie.eq(w)
                with m.Case(A["mtvec"]):
                    m.d.sync += self.mtvec.eq(w & ~3)
                with m.Case(A["mepc"]):
                    m.d.sync += self.mepc.eq(w & ~3)
                with m.Case(A["mcause"]):
                    m.d.sync += mcause.eq(w)
                with m.Case(A["mtval"]):
                    m.d.sync += mtval.eq(w)
                with m.Case(A["mscratch"]):
                    m.d.sync += mscratch.eq(w)
        with m.If(self.trap):
            m.d.sync += [self.mepc.eq(self.epc), mcause.eq(self.cause), mtval.eq(self.tval),
                         mpie.eq(mie_bit), mie_bit.eq(0)]
        with m.Elif(self.mret):
            m.d.sync += [mie_bit.eq(mpie), mpie.eq(1)]
        return m
