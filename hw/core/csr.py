"""The machine-mode CSRs of the core."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .csrs import CSR_ADDRESSES, CSRS

__all__ = ["CSRFile"]

A = CSR_ADDRESSES
MSTATUS, MIP = CSRS["mstatus"], CSRS["mip"]


class CSRFile(wiring.Component):
    """mhartid, mcycle(h), minstret(h), mstatus, mtvec, mepc, mcause, mtval, mie, mip.

    Only M-mode exists: mstatus keeps MIE (bit 3) and MPIE (bit 7) and reads MPP as 3. mip
    reads MEIP (bit 11) as the core's pending event; writes to it are ignored. mepc and mtvec
    keep bits 1:0 at zero (direct mode). An access to any other address is illegal, and so is a
    write to the read-only mhartid (the core checks ``known`` and ``read_only``).

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
        An instruction retired (minstret counts it).
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
        mcycle, minstret = Signal(64), Signal(64)
        mstatus = MSTATUS.pack(mie=mie_bit, mpie=mpie, mpp=3)
        values = {
            "mstatus": mstatus, "mie": mie, "mtvec": self.mtvec, "mepc": self.mepc,
            "mcause": mcause, "mtval": mtval, "mip": MIP.pack(meip=self.event),
            "mcycle": mcycle[0:32], "minstret": minstret[0:32], "mcycleh": mcycle[32:64],
            "minstreth": minstret[32:64], "mhartid": self._hartid,
        }
        with m.Switch(self.addr):
            for name, value in values.items():
                with m.Case(A[name]):
                    m.d.comb += [self.rdata.eq(value), self.known.eq(1),
                                 self.read_only.eq(CSRS[name].access == "ro")]
        m.d.sync += [mcycle.eq(mcycle + 1), minstret.eq(minstret + self.retire)]
        w = self.wdata
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
                with m.Case(A["mcycle"]):
                    m.d.sync += mcycle[0:32].eq(w)
                with m.Case(A["mcycleh"]):
                    m.d.sync += mcycle[32:64].eq(w)
                with m.Case(A["minstret"]):
                    m.d.sync += minstret[0:32].eq(w)
                with m.Case(A["minstreth"]):
                    m.d.sync += minstret[32:64].eq(w)
        with m.If(self.trap):
            m.d.sync += [self.mepc.eq(self.epc), mcause.eq(self.cause), mtval.eq(self.tval),
                         mpie.eq(mie_bit), mie_bit.eq(0)]
        with m.Elif(self.mret):
            m.d.sync += [mie_bit.eq(mpie), mpie.eq(1)]
        return m
