"""The machine-mode CSRs the core implements, declared once with :mod:`hw.regmap` (at their
CSR numbers): the core's CSR file decodes them, the assembler names them, docs/regmap.md lists
them. An access to any other CSR is an illegal instruction. Plain Python."""

from hw.regmap import Field, Register, RegisterMap

__all__ = ["CSRS", "CSR_ADDRESSES"]

CSRS = RegisterMap("Control and status registers", "none (offsets are CSR numbers)",
                   "Machine mode only; the core's CSR file (`hw/core/csr.py`).", (
    Register("mstatus", 0x300, "rw", "machine status", (
        Field("mie", 3, 1, "interrupts (events) enabled"),
        Field("mpie", 7, 1, "mie before the last trap"),
        Field("mpp", 11, 2, "previous privilege: reads 3 (machine)"),
    )),
    Register("mie", 0x304, "rw", "interrupt enables (kept, no effect)"),
    Register("mtvec", 0x305, "rw", "trap vector (direct mode: bits 1:0 read 0)"),
    Register("mepc", 0x341, "rw", "pc of the trapped instruction (bits 1:0 read 0)"),
    Register("mcause", 0x342, "rw", "trap cause (`hw.core.isa.Cause`)"),
    Register("mtval", 0x343, "rw", "the trap's faulting address or instruction"),
    Register("mip", 0x344, "rw", "pending interrupts (writes are ignored)", (
        Field("meip", 11, 1, "the core's event is pending"),
    )),
    Register("mcycle", 0xB00, "rw", "cycles since reset, low word"),
    Register("minstret", 0xB02, "rw", "instructions retired, low word"),
    Register("mcycleh", 0xB80, "rw", "cycles since reset, high word"),
    Register("minstreth", 0xB82, "rw", "instructions retired, high word"),
    Register("mhartid", 0xF14, "ro", "this core's index in the cluster"),
))

#: CSR name -> number.
CSR_ADDRESSES = {r.name: r.offset for r in CSRS}
