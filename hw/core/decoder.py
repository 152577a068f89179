"""The instruction decoder: one RV32IM/Zicsr instruction into the control signals of the
pipeline (combinational)."""

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .isa import AluOp, MemSize, Opcode

__all__ = ["Decoder", "DecodedLayout", "OperandA", "OperandB"]


class OperandA:
    RS1, PC, ZERO = 0, 1, 2


class OperandB:
    RS2, IMM = 0, 1


DecodedLayout = data.StructLayout({
    "rd": 5, "rs1": 5, "rs2": 5, "imm": signed(32),
    "rd_we": 1, "use_rs1": 1, "use_rs2": 1,
    "alu_op": AluOp, "op_a": 2, "op_b": 1,
    "load": 1, "store": 1, "size": MemSize, "load_unsigned": 1,
    "branch": 1, "branch_f3": 3, "jal": 1, "jalr": 1,
    "mul": 1, "div": 1, "muldiv_f3": 3,
    "csr": 1, "csr_op": 2, "csr_imm": 1, "csr_addr": 12,
    "ecall": 1, "ebreak": 1, "mret": 1, "wfi": 1, "fence_i": 1,
    "illegal": 1,
})
"""Control signals of one instruction. ``csr_op`` is funct3[1:0] (1 write, 2 set, 3 clear)."""


class Decoder(wiring.Component):
    """Decode one instruction word.

    Members
    -------
    insn : In(32)
    d : Out(DecodedLayout)
    """

    insn: In(32)
    d: Out(DecodedLayout)

    def elaborate(self, platform):
        m = Module()
        i, d = self.insn, self.d
        opcode, f3, f7 = i[0:7], i[12:15], i[25:32]
        imm_i = Cat(i[20:32]).as_signed()
        imm_s = Cat(i[7:12], i[25:32]).as_signed()
        imm_b = Cat(0, i[8:12], i[25:31], i[7], i[31]).as_signed()
        imm_u = Cat(Signal(12), i[12:32]).as_signed()
        imm_j = Cat(0, i[21:31], i[20], i[12:20], i[31]).as_signed()
        m.d.comb += [d.rd.eq(i[7:12]), d.rs1.eq(i[15:20]), d.rs2.eq(i[20:25]),
                     d.branch_f3.eq(f3), d.muldiv_f3.eq(f3), d.csr_addr.eq(i[20:32]),
                     d.csr_op.eq(f3[0:2]), d.csr_imm.eq(f3[2]),
                     d.size.eq(f3[0:2]), d.load_unsigned.eq(f3[2])]
        alu_f3 = Signal(AluOp)
        with m.Switch(f3):
            for f, op in ((0, AluOp.ADD), (1, AluOp.SLL), (2, AluOp.SLT), (3, AluOp.SLTU),
                          (4, AluOp.XOR), (5, AluOp.SRL), (6, AluOp.OR), (7, AluOp.AND)):
                with m.Case(f):
                    m.d.comb += alu_f3.eq(op)
        illegal = Signal(init=1)
        with m.Switch(opcode):
            with m.Case(Opcode.LUI):
                m.d.comb += [illegal.eq(0), d.rd_we.eq(1), d.imm.eq(imm_u),
                             d.op_a.eq(OperandA.ZERO), d.op_b.eq(OperandB.IMM)]
            with m.Case(Opcode.AUIPC):
                m.d.comb += [illegal.eq(0), d.rd_we.eq(1), d.imm.eq(imm_u),
                             d.op_a.eq(OperandA.PC), d.op_b.eq(OperandB.IMM)]
            with m.Case(Opcode.JAL):
                m.d.comb += [illegal.eq(0), d.rd_we.eq(1), d.imm.eq(imm_j), d.jal.eq(1)]
            with m.Case(Opcode.JALR):
                m.d.comb += [illegal.eq(f3 != 0), d.rd_we.eq(1), d.imm.eq(imm_i),
                             d.jalr.eq(1), d.use_rs1.eq(1)]
            with m.Case(Opcode.BRANCH):
                m.d.comb += [illegal.eq((f3 == 2) | (f3 == 3)), d.imm.eq(imm_b),
                             d.branch.eq(1), d.use_rs1.eq(1), d.use_rs2.eq(1)]
            with m.Case(Opcode.LOAD):
                m.d.comb += [illegal.eq((f3 == 3) | (f3 == 6) | (f3 == 7)), d.rd_we.eq(1),
                             d.imm.eq(imm_i), d.load.eq(1), d.use_rs1.eq(1)]
            with m.Case(Opcode.STORE):
                m.d.comb += [illegal.eq(f3 > 2), d.imm.eq(imm_s), d.store.eq(1),
                             d.use_rs1.eq(1), d.use_rs2.eq(1)]
            with m.Case(Opcode.OP_IMM):
                shift = (f3 == 1) | (f3 == 5)
                bad_shift = shift & ((f7 & 0b1011111) != 0) | ((f3 == 1) & f7[5])
                m.d.comb += [illegal.eq(bad_shift), d.rd_we.eq(1), d.imm.eq(imm_i),
                             d.use_rs1.eq(1), d.op_b.eq(OperandB.IMM),
                             d.alu_op.eq(Mux((f3 == 5) & f7[5], AluOp.SRA, alu_f3))]
            with m.Case(Opcode.OP):
                with m.If(f7 == 0b0000001):
                    m.d.comb += [illegal.eq(0), d.mul.eq(~f3[2]), d.div.eq(f3[2])]
                with m.Else():
                    sub = (f3 == 0) & (f7 == 0b0100000)
                    sra = (f3 == 5) & (f7 == 0b0100000)
                    m.d.comb += [illegal.eq((f7 != 0) & ~sub & ~sra),
                                 d.alu_op.eq(Mux(sub, AluOp.SUB, Mux(sra, AluOp.SRA, alu_f3)))]
                m.d.comb += [d.rd_we.eq(1), d.use_rs1.eq(1), d.use_rs2.eq(1)]
            with m.Case(Opcode.MISC_MEM):
                m.d.comb += [illegal.eq(f3 > 1), d.fence_i.eq(f3 == 1)]
            with m.Case(Opcode.SYSTEM):
                with m.If(f3 == 0):
                    plain = (i[7:12] == 0) & (i[15:20] == 0)
                    funct12 = i[20:32]
                    m.d.comb += [d.ecall.eq(plain & (funct12 == 0x000)),
                                 d.ebreak.eq(plain & (funct12 == 0x001)),
                                 d.mret.eq(plain & (funct12 == 0x302)),
                                 d.wfi.eq(plain & (funct12 == 0x105))]
                    m.d.comb += illegal.eq(~(d.ecall | d.ebreak | d.mret | d.wfi))
                with m.Elif(f3 != 4):
                    m.d.comb += [illegal.eq(0), d.csr.eq(1), d.rd_we.eq(1),
                                 d.use_rs1.eq(~f3[2]), d.imm.eq(i[15:20])]
        m.d.comb += d.illegal.eq(illegal)
        return m
