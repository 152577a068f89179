"""A five-stage pipelined RV32IM core with Zicsr, machine mode only."""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature
from hw.checked import CheckedComponent

from .alu import ALU
from .csr import CSRFile
from .decoder import DecodedLayout, Decoder, OperandA, OperandB
from .divider import Divider
from .fetch import Fetch
from .isa import Cause, MemSize
from .multiplier import Multiplier

__all__ = ["Core", "RetireLayout"]

RetireLayout = data.StructLayout({
    "valid": 1, "pc": 32, "insn": 32, "rd": 5, "rd_we": 1, "rd_value": 32,
    "mem": 1, "mem_we": 1, "mem_addr": 32, "mem_data": 32, "trap": 1, "cause": 5, "tval": 32,
})
"""One retired instruction (or one that trapped: ``trap``, ``cause``, the ``tval`` written to
mtval, no register write)."""

_X = data.StructLayout({"valid": 1, "pc": 32, "insn": 32, "d": DecodedLayout,
                        "rs1_val": 32, "rs2_val": 32, "pred_taken": 1})
_M = data.StructLayout({"valid": 1, "pc": 32, "insn": 32, "rd": 5, "rd_we": 1, "result": 32,
                        "load": 1, "store": 1, "size": MemSize, "load_unsigned": 1,
                        "addr": 32, "store_data": 32, "be": 4, "granted": 1,
                        "trap": 1, "cause": 5, "tval": 32})


class Core(CheckedComponent):
    """An in-order RV32IM core: fetch, decode, execute, memory, writeback.

    - Fetch keeps up to three instructions requested or buffered; decode predicts ``jal`` and
      backward branches taken (one bubble), execute resolves branches and ``jalr`` (two
      bubbles on a redirect).
    - Operands are forwarded into execute from memory and writeback (load data straight from
      the data port), so dependent ALU instructions run back to back and a load's consumer
      waits one cycle.
    - The multiplier is single-cycle; the divider takes 33 cycles.
    - Exceptions (illegal instruction or CSR, ecall, ebreak, misaligned jump target, load or
      store address) are taken in execute, precisely: older instructions complete, younger
      ones are dropped. ``mret`` returns to mepc; ``wfi`` waits for ``event``; ``fence`` is a
      no-op and ``fence.i`` refetches the next instruction.
    - Both ports tolerate any number of wait states (req/gnt, then read data in order one or
      more cycles after the grant).

    Parameters
    ----------
    hartid : int
    reset_pc : int

    Members
    -------
    ibus, dbus : Out(TCDMSignature(32, 32))
        Instruction and data ports (word address, byte enables).
    event : In(1)
        Wakes ``wfi`` (remembered when it comes earlier; also mip.MEIP).
    retire : Out(RetireLayout)
        The instruction leaving writeback this cycle.
    sleeping : Out(1)
        A ``wfi`` waits for an event.
    fence_i : Out(1)
        A ``fence.i`` completes (its refetch is requested in the same cycle): an instruction
        cache must drop its lines now.
    """

    @staticmethod
    def check(hartid: int = 0, reset_pc: int = 0x8000_0000) -> None:
        for name, value in (("hartid", hartid), ("reset_pc", reset_pc)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"Core {name} must be an int, got {value!r}")
        if not 0 <= hartid < 2 ** 32:
            raise ValueError(f"Core hartid = {hartid}: must be in 0..{2 ** 32 - 1} (mhartid)")
        if not 0 <= reset_pc < 2 ** 32:
            raise ValueError(f"Core reset_pc = {reset_pc}: must be in 0..0x{2 ** 32 - 4:x}")
        if reset_pc % 4:
            raise ValueError(f"Core reset_pc 0x{reset_pc:x}: must be a multiple of 4")

    def __init__(self, hartid: int = 0, reset_pc: int = 0x8000_0000):
        self.hartid, self.reset_pc = hartid, reset_pc
        super().__init__({
            "ibus": Out(TCDMSignature(32, 32)), "dbus": Out(TCDMSignature(32, 32)),
            "event": In(1), "retire": Out(RetireLayout), "sleeping": Out(1),
            "fence_i": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.fetch = fetch = Fetch(self.reset_pc)
        m.submodules.decoder = dec = Decoder()
        m.submodules.alu = alu = ALU()
        m.submodules.multiplier = mul = Multiplier()
        m.submodules.divider = div = Divider()
        m.submodules.csr = csr = CSRFile(self.hartid)
        m.submodules.regfile = regfile = memory.Memory(shape=32, depth=32, init=[])
        rd1, rd2 = regfile.read_port(domain="comb"), regfile.read_port(domain="comb")
        rwr = regfile.write_port()
        wiring.connect(m, fetch.bus, wiring.flipped(self.ibus))
        dbus = self.dbus

        x = Signal(_X)
        mm = Signal(_M)
        w = Signal(_M)

        # ------------------------------------------------------------------ writeback
        shift = Cat(Const(0, 3), w.addr[0:2])
        raw = dbus.rdata >> shift
        load_data = Signal(32)
        with m.Switch(w.size):
            with m.Case(MemSize.BYTE):
                m.d.comb += load_data.eq(Mux(w.load_unsigned, raw[0:8], raw[0:8].as_signed()))
            with m.Case(MemSize.HALF):
                m.d.comb += load_data.eq(Mux(w.load_unsigned, raw[0:16],
                                             raw[0:16].as_signed()))
            with m.Default():
                m.d.comb += load_data.eq(dbus.rdata)
        w_done = ~w.valid | ~w.load | dbus.rvalid
        w_value = Signal(32)
        m.d.comb += w_value.eq(Mux(w.load, load_data, w.result))
        w_write = w.valid & w_done & w.rd_we & (w.rd != 0)
        m.d.comb += [rwr.addr.eq(w.rd), rwr.data.eq(w_value), rwr.en.eq(w_write)]
        r = self.retire
        m.d.comb += [r.valid.eq(w.valid & w_done), r.pc.eq(w.pc), r.insn.eq(w.insn),
                     r.rd.eq(w.rd), r.rd_we.eq(w_write), r.rd_value.eq(w_value),
                     r.mem.eq(w.load | w.store), r.mem_we.eq(w.store), r.mem_addr.eq(w.addr),
                     r.mem_data.eq(Mux(w.store, w.store_data, w_value)), r.trap.eq(w.trap),
                     r.cause.eq(w.cause), r.tval.eq(w.tval)]

        # ------------------------------------------------------------------ memory
        m_mem = mm.valid & (mm.load | mm.store)
        m.d.comb += [dbus.req.eq(m_mem & ~mm.granted), dbus.addr.eq(Cat(Const(0, 2),
                                                                        mm.addr[2:32])),
                     dbus.we.eq(mm.store), dbus.be.eq(mm.be), dbus.wdata.eq(mm.store_data)]
        granted_now = dbus.req & dbus.gnt
        m_done = ~m_mem | mm.granted | granted_now
        w_free = ~w.valid | w_done
        m_advance = mm.valid & m_done & w_free
        with m.If(m_advance):
            m.d.sync += [w.eq(mm), w.valid.eq(1)]
        with m.Elif(w_done):
            m.d.sync += w.valid.eq(0)
        with m.If(granted_now & ~m_advance):
            m.d.sync += mm.granted.eq(1)

        # ------------------------------------------------------------------ execute
        d = x.d

        def forward(rs, held):
            """(value, ready) of register ``rs`` for execute."""
            from_m = mm.valid & mm.rd_we & (mm.rd == rs)
            from_w = w.valid & w.rd_we & (w.rd == rs)
            value = Mux(rs == 0, 0, Mux(from_m, mm.result, Mux(from_w, w_value, held)))
            ready = (rs == 0) | Mux(from_m, ~mm.load, Mux(from_w, ~w.load | dbus.rvalid, 1))
            return value, ready

        op1, ready1 = forward(d.rs1, x.rs1_val)
        op2, ready2 = forward(d.rs2, x.rs2_val)
        v1, v2 = Signal(32), Signal(32)
        m.d.comb += [v1.eq(op1), v2.eq(op2)]
        ops_ready = (ready1 | ~d.use_rs1) & (ready2 | ~d.use_rs2)

        m.d.comb += [alu.a.eq(Mux(d.op_a == OperandA.PC, x.pc,
                                  Mux(d.op_a == OperandA.ZERO, 0, v1))),
                     alu.b.eq(Mux(d.op_b == OperandB.IMM, d.imm, v2)), alu.op.eq(d.alu_op),
                     mul.a.eq(v1), mul.b.eq(v2), mul.f3.eq(d.muldiv_f3),
                     div.a.eq(v1), div.b.eq(v2), div.f3.eq(d.muldiv_f3)]
        # branches and jumps
        eq, lt, ltu = v1 == v2, v1.as_signed() < v2.as_signed(), v1 < v2
        cond = Signal()
        with m.Switch(d.branch_f3):
            for f3, c in ((0, eq), (1, ~eq), (4, lt), (5, ~lt), (6, ltu), (7, ~ltu)):
                with m.Case(f3):
                    m.d.comb += cond.eq(c)
        taken = (d.branch & cond) | d.jal | d.jalr
        target = Signal(32)
        m.d.comb += target.eq(Mux(d.jalr, (v1 + d.imm) & ~1, x.pc + d.imm))
        link = x.pc + 4
        bad_target = taken & target[1]
        # loads and stores
        addr = Signal(32)
        m.d.comb += addr.eq(v1 + d.imm)
        mem_op = d.load | d.store
        misaligned = mem_op & Mux(d.size == MemSize.HALF, addr[0],
                                  Mux(d.size == MemSize.WORD, addr[0:2] != 0, 0))
        store_data = Mux(d.size == MemSize.BYTE, v2[0:8].replicate(4),
                         Mux(d.size == MemSize.HALF, v2[0:16].replicate(2), v2))
        be = Mux(d.size == MemSize.BYTE, Const(1, 4) << addr[0:2],
                 Mux(d.size == MemSize.HALF, Const(3, 4) << Cat(0, addr[1]), 0xF))
        # CSRs
        csr_src = Mux(d.csr_imm, d.imm[0:5], v1)
        csr_writes = d.csr & ((d.csr_op == 1) | (d.rs1 != 0))
        csr_new = Mux(d.csr_op == 1, csr_src, Mux(d.csr_op == 2, csr.rdata | csr_src,
                                                  csr.rdata & ~csr_src))
        csr_bad = d.csr & (~csr.known | (csr_writes & csr.read_only))
        m.d.comb += [csr.addr.eq(d.csr_addr), csr.wdata.eq(csr_new)]
        # exceptions
        cause, tval = Signal(Cause), Signal(32)
        trap = Signal()
        with m.If(d.illegal | csr_bad):
            m.d.comb += [trap.eq(1), cause.eq(Cause.ILLEGAL), tval.eq(x.insn)]
        with m.Elif(d.ecall):
            m.d.comb += [trap.eq(1), cause.eq(Cause.ECALL_M)]
        with m.Elif(d.ebreak):
            m.d.comb += [trap.eq(1), cause.eq(Cause.BREAKPOINT), tval.eq(x.pc)]
        with m.Elif(bad_target):
            m.d.comb += [trap.eq(1), cause.eq(Cause.INSN_MISALIGNED), tval.eq(target)]
        with m.Elif(misaligned):
            m.d.comb += [trap.eq(1), tval.eq(addr),
                         cause.eq(Mux(d.load, Cause.LOAD_MISALIGNED, Cause.STORE_MISALIGNED))]
        # the divider
        div_started, div_ready = Signal(), Signal()
        div_result = Signal(32)
        m.d.comb += div.start.eq(x.valid & d.div & ~d.illegal & ops_ready & ~div_started)
        with m.If(div.start):
            m.d.sync += div_started.eq(1)
        with m.If(div.done):
            m.d.sync += [div_ready.eq(1), div_result.eq(div.y)]
        # wfi
        event_pending = Signal()
        m.d.comb += csr.event.eq(event_pending)
        woken = event_pending | self.event
        waiting_wfi = d.wfi & ~trap & ~woken
        m.d.comb += self.sleeping.eq(x.valid & waiting_wfi)
        # fence.i refetches only after older stores have written (granted in an earlier cycle)
        store_pending = mm.valid & mm.store & ~mm.granted
        x_done = (x.valid & ops_ready & ~(d.div & ~trap & ~div_ready) & ~waiting_wfi
                  & ~(d.fence_i & store_pending))
        m_free = ~mm.valid | m_advance
        x_advance = x_done & m_free
        result = Mux(d.jal | d.jalr, link, Mux(d.csr, csr.rdata, Mux(d.mul, mul.y,
                                                                        Mux(d.div, div_result,
                                                                            alu.y))))
        mispredict = (d.branch | d.jal) & (taken != x.pred_taken)
        x_redirect = x_advance & (trap | d.mret | d.fence_i | d.jalr | mispredict)
        x_target = Mux(trap, csr.mtvec, Mux(d.mret, csr.mepc,
                       Mux(d.fence_i, link, Mux(taken, target, link))))
        # minstret counts an instruction as it leaves execute without a trap: it retires
        # (nothing later traps), and the next instruction's CSR read sees it counted
        m.d.comb += [csr.we.eq(x_advance & csr_writes & ~trap), csr.retire.eq(x_advance & ~trap),
                     csr.trap.eq(x_advance & trap), csr.epc.eq(x.pc), csr.cause.eq(cause),
                     csr.tval.eq(tval), csr.mret.eq(x_advance & d.mret & ~trap),
                     self.fence_i.eq(x_advance & d.fence_i & ~trap)]
        with m.If(self.event):
            m.d.sync += event_pending.eq(1)
        with m.If(x_advance & d.wfi & ~trap):
            m.d.sync += event_pending.eq(0)
        with m.If(x_advance):
            m.d.sync += [mm.valid.eq(1), mm.pc.eq(x.pc), mm.insn.eq(x.insn), mm.rd.eq(d.rd),
                         mm.rd_we.eq(d.rd_we & ~trap & (d.rd != 0)), mm.result.eq(result),
                         mm.load.eq(d.load & ~trap), mm.store.eq(d.store & ~trap),
                         mm.size.eq(d.size), mm.load_unsigned.eq(d.load_unsigned),
                         mm.addr.eq(addr), mm.store_data.eq(store_data), mm.be.eq(be),
                         mm.granted.eq(0), mm.trap.eq(trap), mm.cause.eq(cause),
                         mm.tval.eq(tval), div_started.eq(0), div_ready.eq(0)]
        with m.Elif(m_advance):
            m.d.sync += mm.valid.eq(0)

        # ------------------------------------------------------------------ decode
        f = fetch.out.payload
        d_valid = fetch.out.valid & ~x_redirect
        x_free = ~x.valid | x_advance
        d_fire = d_valid & x_free
        m.d.comb += [dec.insn.eq(f.insn), fetch.out.ready.eq(d_fire)]
        dd = dec.d
        m.d.comb += [rd1.addr.eq(dd.rs1), rd2.addr.eq(dd.rs2)]
        rs1_val = Mux(w_write & (w.rd == dd.rs1), w_value, rd1.data)
        rs2_val = Mux(w_write & (w.rd == dd.rs2), w_value, rd2.data)
        d_target = Signal(32)
        m.d.comb += d_target.eq(f.pc + dd.imm)
        predict = ~dd.illegal & (dd.jal | (dd.branch & dd.imm[31])) & ~d_target[1]
        d_redirect = d_fire & predict
        m.d.comb += [fetch.redirect.eq(x_redirect | d_redirect),
                     fetch.target.eq(Mux(x_redirect, x_target, d_target))]
        with m.If(d_fire):
            m.d.sync += [x.valid.eq(1), x.pc.eq(f.pc), x.insn.eq(f.insn), x.d.eq(dd),
                         x.rs1_val.eq(rs1_val), x.rs2_val.eq(rs2_val), x.pred_taken.eq(predict)]
        with m.Else():
            with m.If(x_advance):
                m.d.sync += x.valid.eq(0)
            # keep forwarded operands: the producer may leave before execute does
            with m.If(ready1):
                m.d.sync += x.rs1_val.eq(v1)
            with m.If(ready2):
                m.d.sync += x.rs2_val.eq(v2)
        return m
