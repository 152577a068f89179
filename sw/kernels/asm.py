"""Assembly helpers shared by the cluster's hand-written programs (built with
:class:`sw.rv32.Program`): barrier, sleeping until a register reaches a value, queueing a DMA
transfer, cycle stamps and the exit."""

from hw.cluster.regmap import CTRL_REGS, DMA_REGS
from hw.config import CLUSTER_CTRL, EVENT_BASE, CtrlReg, DmaReg, EventReg
from sw.rv32 import Program

__all__ = ["barrier", "wait_until", "queue_dma", "dma_error", "stamp", "exit_with",
           "exit_word"]


def wait_until(p: Program, label: str, reg: str, offset: int, base: str, target: str,
               cond: str) -> None:
    """Sleep until ``cond(load(base + offset), target)`` holds (checked before each ``wfi``);
    ``cond`` is a branch such as ``"bgeu"``."""
    p.label(label)
    p.lw(reg, offset, base)
    getattr(p, cond)(reg, target, f"{label}_done")
    p.wfi().j(label)
    p.label(f"{label}_done")


def barrier(p: Program, label: str) -> None:
    """Arrive at the cluster barrier and sleep until every core has (uses t4, t5, t6)."""
    p.li("t5", EVENT_BASE).lw("t6", EventReg.BARRIER, "t5").sw("zero", EventReg.BARRIER, "t5")
    wait_until(p, label, "t4", EventReg.BARRIER, "t5", "t6", "bne")


def queue_dma(p: Program, src: int, dst: int, size: int, label: str, rows: int = 1,
              src_stride: int = 0, dst_stride: int = 0) -> None:
    """Queue one transfer of ``rows`` rows of ``size`` bytes (rows ``src_stride`` and
    ``dst_stride`` apart when there are several), retrying while the queue is full; ``s0``
    must hold DMA_BASE. The transfer's id ends up in ``s11`` (uses t1)."""
    regs = [(DmaReg.SRC, src), (DmaReg.DST, dst), (DmaReg.ROW_BYTES, size), (DmaReg.ROWS, rows)]
    if rows > 1:
        regs += [(DmaReg.SRC_STRIDE, src_stride), (DmaReg.DST_STRIDE, dst_stride)]
    for reg, value in regs:
        p.li("t1", value).sw("t1", reg, "s0")
    p.label(label).lw("s11", DmaReg.START, "s0").beqz("s11", label)


def dma_error(p: Program, reg: str) -> None:
    """Load the DMA's STATUS.error into ``reg`` (0: no transfer failed); ``s0`` must hold
    DMA_BASE."""
    status = DMA_REGS["STATUS"]
    error = status.field("error")
    p.lw(reg, DmaReg.STATUS, "s0").srli(reg, reg, error.lsb)
    if any(f.lsb > error.lsb for f in status.fields):      # not the top field: mask the rest
        p.andi(reg, reg, error.mask >> error.lsb)


def exit_word(code: int) -> int:
    """The word whose store to cluster control's EXIT ends the run with ``code``."""
    return CTRL_REGS["EXIT"].encode(exit=1, code=code)


def stamp(p: Program, address: int) -> None:
    """Store the cycle counter at ``address`` (uses t0, t1)."""
    p.li("t0", CLUSTER_CTRL).lw("t1", CtrlReg.CYCLES, "t0")
    p.li("t0", address).sw("t1", 0, "t0")


def exit_with(p: Program, reg: str) -> None:
    """End the run with the code in ``reg`` and sleep (uses t6)."""
    p.slli(reg, reg, CTRL_REGS["EXIT"].field("code").lsb).ori(reg, reg, exit_word(0))
    p.li("t6", CLUSTER_CTRL + CtrlReg.EXIT).sw(reg, 0, "t6")
    p.label("_hang").wfi().j("_hang")

