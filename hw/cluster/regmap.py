"""The register maps of the cluster's peripherals (DMA, event unit, cluster control), declared
once with :mod:`hw.regmap`: the hardware decodes them, software (``hw.config.DmaReg`` and the
fields here) programs them, docs/regmap.md is generated from them. Plain Python."""

from hw.regmap import Field, Register, RegisterMap

__all__ = ["DMA_REGS", "EVENT_REGS", "CTRL_REGS", "DmaError"]


class DmaError:
    """Values of the DMA's STATUS.error (the first error is kept until cleared)."""

    BAD_TRANSFER = 1
    OUT_OF_RANGE = 2

    DOCS = {BAD_TRANSFER: "START with bytes or rows 0, or not one side in L1 and one in L2 "
                          "(nothing queued)",
            OUT_OF_RANGE: "a row leaves its memory (the row is skipped)"}


DMA_REGS = RegisterMap("DMA", "`DMA_BASE`", "2D transfers between L1 and L2 (docs/cluster.md).", (
    Register("SRC", 0x00, "rw", "source byte address of the next transfer"),
    Register("DST", 0x04, "rw", "destination byte address"),
    Register("ROW_BYTES", 0x08, "rw", "bytes per row (1 or more)"),
    Register("ROWS", 0x0C, "rw", "rows (1 or more)"),
    Register("SRC_STRIDE", 0x10, "rw", "bytes from one source row to the next (signed)"),
    Register("DST_STRIDE", 0x14, "rw", "bytes from one destination row to the next (signed)"),
    Register("START", 0x18, "ro", "read: queue the programmed transfer and return its id (1, "
             "2, ...); 0: the queue is full or the transfer is bad, nothing queued"),
    Register("DONE", 0x1C, "ro", "id of the last finished transfer"),
    Register("STATUS", 0x20, "rw", "state and the first error; a write with bit 0 of error "
             "set (bit 16) clears the error", (
        Field("busy", 0, 1, "a transfer is queued or running"),
        Field("queued", 8, 8, "transfers waiting in the queue"),
        Field("error", 16, 2, "DmaError of the first failed transfer (sticky)"),
    )),
    Register("ERROR_ID", 0x24, "ro", "id of the first transfer that failed (0: none)"),
), notes=("\n".join(["### Errors (STATUS.error)", "", "| code | meaning |", "|---|---|",
                     *(f"| {c} | {d} |" for c, d in DmaError.DOCS.items())]),))

EVENT_REGS = RegisterMap("Event unit", "`EVENT_BASE`", "The barrier and software events.", (
    Register("BARRIER", 0x00, "rw", "write: this core arrives (every core gets an event when "
             "the last arrives); read: barriers completed so far"),
    Register("SW_EVENT", 0x04, "wo", "write a mask of cores: send each an event"),
))

CTRL_REGS = RegisterMap("Cluster control", "`CLUSTER_CTRL`",
                        "Run control, debug output and performance counters (count from "
                        "reset).", (
    Register("CYCLES", 0x00, "ro", "cycles since reset"),
    Register("EXIT", 0x04, "wo", "end the run", (
        Field("exit", 0, 1, "1: end the run (0: ignored)"),
        Field("code", 1, 31, "the exit code"),
    )),
    Register("CHAR_OUT", 0x08, "wo", "one character of debug output", (
        Field("char", 0, 8, "the character"),
    )),
    Register("ENGINE_BUSY", 0x0C, "ro", "cycles the engine was busy"),
    Register("DMA_BUSY", 0x10, "ro", "cycles the DMA was busy"),
    Register("BUS_ERROR", 0x14, "ro", "first unmapped data address a core accessed (0: none; "
             "address 0 reads as 1)"),
    Register("INFO", 0x18, "ro", "what the cluster is made of", (
        Field("cores", 0, 8, "cores"),
        Field("engine", 8, 1, "1: the engine is present"),
        Field("l1_banks", 16, 8, "L1 banks"),
    )),
    Register("BUS_ERROR_CORE", 0x1C, "ro", "the core that made the access BUS_ERROR records"),
    Register("CORE_STALL", 0x20, "ro", "cycles core i waited for a grant, at CORE_STALL + 4 i "
             "(i = 0..7)"),
))
