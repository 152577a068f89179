"""The CSRs the core implements, declared once with :mod:`hw.regmap` (at their CSR numbers):
the core's CSR file decodes them, the assembler names them, docs/regmap.md lists them. An access
to any other CSR (the trigger CSRs ``tselect``/``tdata*``, PMP, ``mcounteren``,
``mcountinhibit``, the hpm counters) is an illegal instruction. Plain Python."""

from hw.regmap import Field, Register, RegisterMap

__all__ = ["CSRS", "CSR_ADDRESSES", "MISA_VALUE"]

CSRS = RegisterMap("Control and status registers", "none (offsets are CSR numbers)",
                   "Machine mode only; the core's CSR file (`hw/core/csr.py`). Any other "
                   "CSR number, and a write to a read-only CSR, is an illegal instruction.", (
    Register("mstatus", 0x300, "rw", "machine status", (
        Field("mie", 3, 1, "interrupts (events) enabled"),
        Field("mpie", 7, 1, "mie before the last trap"),
        Field("mpp", 11, 2, "previous privilege: reads 3 (machine)"),
    )),
    Register("misa", 0x301, "rw", "implemented ISA: RV32IM (reads 0x4000_1100; writes are "
             "ignored, as WARL allows)", (
        Field("i", 8, 1, "base integer ISA: reads 1"),
        Field("m", 12, 1, "integer multiply and divide: reads 1"),
        Field("mxl", 30, 2, "XLEN: reads 1 (32 bit)"),
    )),
    Register("mie", 0x304, "rw", "interrupt enables (kept, no effect)"),
    Register("mtvec", 0x305, "rw", "trap vector (direct mode: bits 1:0 read 0)"),
    Register("mscratch", 0x340, "rw", "scratch register for trap handlers"),
    Register("mepc", 0x341, "rw", "pc of the trapped instruction (bits 1:0 read 0)"),
    Register("mcause", 0x342, "rw", "trap cause (`hw.core.isa.Cause`)"),
    Register("mtval", 0x343, "rw", "the trap's faulting address or instruction"),
    Register("mip", 0x344, "rw", "pending interrupts (writes are ignored)", (
        Field("meip", 11, 1, "the core's event is pending"),
    )),
    Register("mcycle", 0xB00, "rw", "cycles since reset, low word (a write replaces it and "
             "suppresses that cycle's increment)"),
    Register("minstret", 0xB02, "rw", "instructions retired, low word (a write replaces it and "
             "suppresses the writing instruction's increment)"),
    Register("mcycleh", 0xB80, "rw", "cycles since reset, high word (as mcycle)"),
    Register("minstreth", 0xB82, "rw", "instructions retired, high word (as minstret)"),
    Register("cycle", 0xC00, "ro", "user alias of mcycle (Zicntr)"),
    Register("time", 0xC01, "ro", "real time: an alias of mcycle (the cluster's clock is its "
             "only time base)"),
    Register("instret", 0xC02, "ro", "user alias of minstret (Zicntr)"),
    Register("cycleh", 0xC80, "ro", "user alias of mcycleh (Zicntr)"),
    Register("timeh", 0xC81, "ro", "high word of time: an alias of mcycleh"),
    Register("instreth", 0xC82, "ro", "user alias of minstreth (Zicntr)"),
    Register("mvendorid", 0xF11, "ro", "vendor: reads 0 (not implemented)"),
    Register("marchid", 0xF12, "ro", "architecture: reads 0 (not implemented)"),
    Register("mimpid", 0xF13, "ro", "implementation: reads 0 (not implemented)"),
    Register("mhartid", 0xF14, "ro", "this core's index in the cluster"),
))

#: CSR name -> number.
CSR_ADDRESSES = {r.name: r.offset for r in CSRS}

#: What misa reads: MXL = 1 (RV32), extensions I and M.
MISA_VALUE = CSRS["misa"].encode(mxl=1, i=1, m=1)
