"""Cluster control: cycle counter, exit, character output, bus errors, performance counters."""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.config import CtrlReg
from hw.hwpe.regbus import RegBusSignature

from .regmap import CTRL_REGS

__all__ = ["ClusterControl"]


class ClusterControl(wiring.Component):
    """Registers in ``hw.cluster.regmap.CTRL_REGS``. Counters count from reset.

    Members
    -------
    regs : In(RegBusSignature(8, id_bits))
    engine_busy, dma_busy : In(1)
    core_stall : In(cores)
        The core waits for a grant this cycle.
    bus_error : In(1), bus_error_addr : In(32), bus_error_core : In(3)
        A core's data access hit no target this cycle (its address, the core).
    tohost_exit : In(1), tohost_code : In(32)
        A store to ``tohost`` (the cluster's host convention) ends the run too.
    exited : Out(1), exit_code : Out(32)
        Sticky from the first exit.
    char_valid : Out(1), char_data : Out(8)
        A character written to CHAR_OUT (one cycle).
    """

    def __init__(self, cores: int, id_bits: int, info: int):
        self.cores, self.info = cores, info
        super().__init__({
            "regs": In(RegBusSignature(8, id_bits)), "engine_busy": In(1), "dma_busy": In(1),
            "core_stall": In(cores), "bus_error": In(1), "bus_error_addr": In(32),
            "bus_error_core": In(3), "tohost_exit": In(1), "tohost_code": In(32),
            "exited": Out(1), "exit_code": Out(32), "char_valid": Out(1), "char_data": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.regs
        cycles, error = Signal(32, name="cycles"), Signal(32, name="bus_error_at")
        error_core = Signal(3, name="bus_error_core")
        engine, dma = Signal(32, name="engine_busy_cycles"), Signal(32, name="dma_busy_cycles")
        stalls = [Signal(32, name=f"stall{i}") for i in range(self.cores)]
        m.d.sync += [cycles.eq(cycles + 1), engine.eq(engine + self.engine_busy),
                     dma.eq(dma + self.dma_busy)]
        for i, s in enumerate(stalls):
            m.d.sync += s.eq(s + self.core_stall[i])
        with m.If(self.bus_error & (error == 0)):
            m.d.sync += [error.eq(self.bus_error_addr | (self.bus_error_addr == 0)),
                         error_core.eq(self.bus_error_core)]
        write = bus.req & bus.we
        exit_reg = CTRL_REGS["EXIT"]
        exit_write = (write & (bus.addr == CtrlReg.EXIT)
                      & exit_reg.field("exit").extract(bus.wdata)[0])
        code = exit_reg.field("code").extract(bus.wdata)
        with m.If(~self.exited & (exit_write | self.tohost_exit)):
            m.d.sync += [self.exited.eq(1),
                         self.exit_code.eq(Mux(exit_write, code, self.tohost_code))]
        m.d.comb += [self.char_valid.eq(write & (bus.addr == CtrlReg.CHAR_OUT)),
                     self.char_data.eq(CTRL_REGS["CHAR_OUT"].field("char").extract(bus.wdata))]
        m.d.sync += [bus.rvalid.eq(bus.req & ~bus.we), bus.rdata.eq(0)]
        with m.If(bus.req & ~bus.we):
            with m.Switch(bus.addr):
                for reg, value in ((CtrlReg.CYCLES, cycles), (CtrlReg.ENGINE_BUSY, engine),
                                   (CtrlReg.DMA_BUSY, dma), (CtrlReg.BUS_ERROR, error),
                                   (CtrlReg.BUS_ERROR_CORE, error_core),
                                   (CtrlReg.INFO, self.info)):
                    with m.Case(reg):
                        m.d.sync += bus.rdata.eq(value)
                for i, s in enumerate(stalls):
                    with m.Case(CtrlReg.CORE_STALL + 4 * i):
                        m.d.sync += bus.rdata.eq(s)
        return m
