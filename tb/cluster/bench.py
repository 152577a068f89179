"""The cocotb side of the cluster's bench: memories in bulk, run to exit, counters.

Runs inside the simulator on a :class:`~tb.cluster.harness.ClusterHarness`.
"""

import time
from dataclasses import dataclass, field

import numpy as np
from cocotb.triggers import ClockCycles

from hw.config import L1_BASE, L2_BASE, L2_WORD_BYTES, ClusterConfig
from hw.core.isa import Cause
from sw.rv32.disasm import disassemble

from ..cocotb_util import signal, start
from ..core.bench import TraceEntry, char_output, describe_last, read_trace, wait_exit
from .harness import FAULT_FIELDS
from .memory import SRAMAccess

__all__ = ["ClusterBench", "ClusterResult", "describe_fault"]


@dataclass
class ClusterResult:
    exit_code: int
    cycles: int
    retired: list[int]
    output: str
    counters: dict = field(default_factory=dict)
    seconds: float = 0.0       #: wall-clock time of the run
    fault: str | None = None   #: an unhandled trap that ended the run (:func:`describe_fault`)
    bus_error: dict | None = None  #: the first unmapped data access: ``address``, ``core``

    @property
    def instructions(self) -> int:
        return sum(self.retired)

    @property
    def cycles_per_second(self) -> float:
        """Simulated cycles per wall-clock second."""
        return self.cycles / self.seconds if self.seconds else 0.0


class ClusterBench:
    def __init__(self, dut, cfg: ClusterConfig):
        self.dut, self.cfg = dut, cfg
        self.l2 = SRAMAccess(signal(dut, "cluster.l2.sram.macro"), dut.clk, L2_WORD_BYTES,
                             cfg.l2_bytes // L2_WORD_BYTES)
        rows = cfg.l1_bytes // (8 * cfg.l1_banks)
        self.banks = [SRAMAccess(signal(dut, f"cluster.l1.bank{b}.macro"), dut.clk, 8, rows)
                      for b in range(cfg.l1_banks)]

    async def reset(self) -> None:
        self.dut.run.value = 0
        self.dut.tohost.value = 0
        await start(self.dut)

    # --- memories ----------------------------------------------------------------------
    async def write(self, address: int, data: bytes) -> None:
        """Write bytes into L2 or L1."""
        if address >= L2_BASE:
            await self.l2.write(address - L2_BASE, data)
        else:
            await self._l1(address, len(data), data)

    async def read(self, address: int, size: int) -> bytes:
        if address >= L2_BASE:
            return await self.l2.read(address - L2_BASE, size)
        return await self._l1(address, size)

    async def _l1(self, address: int, size: int, data: bytes | None = None) -> bytes:
        """Read (or write) L1 bytes: whole 64-bit words from every bank, interleaved."""
        nb = self.cfg.l1_banks
        off = address - L1_BASE
        if off < 0 or off + size > self.cfg.l1_bytes:
            raise ValueError(f"L1 access of {size} bytes at 0x{address:x} is outside L1")
        w0, w1 = off // 8, (off + size + 7) // 8
        words = np.zeros(w1 - w0, dtype="<u8")
        r0, r1 = w0 // nb, (w1 - 1) // nb
        per_bank = {}
        for b in range(nb):
            raw = await self.banks[b].read(r0 * 8, (r1 - r0 + 1) * 8)
            per_bank[b] = np.frombuffer(raw, dtype="<u8")
        for w in range(w0, w1):
            words[w - w0] = per_bank[w % nb][w // nb - r0]
        if data is None:
            return words.tobytes()[off % 8:off % 8 + size]
        buf = bytearray(words.tobytes())
        buf[off % 8:off % 8 + size] = data
        words = np.frombuffer(bytes(buf), dtype="<u8")
        for b in range(nb):
            column = per_bank[b].copy()
            for w in range(w0, w1):
                if w % nb == b:
                    column[w // nb - r0] = words[w - w0]
            await self.banks[b].write(r0 * 8, column.tobytes())
        return b""

    async def load(self, segments: list[tuple[int, bytes]]) -> None:
        for address, content in segments:
            await self.write(address, content)

    # --- running -----------------------------------------------------------------------
    def trace(self) -> list[TraceEntry]:
        """Core 0's recorded retirements, oldest first."""
        return read_trace(self.dut)

    def counters(self) -> dict:
        """The performance counters of cluster control."""
        ctrl = signal(self.dut, "cluster.control")
        engine = int(ctrl.engine_busy_cycles.value) if self.cfg.ita else 0
        return {"engine_busy": engine, "dma_busy": int(ctrl.dma_busy_cycles.value),
                "core_stalls": [int(getattr(ctrl, f"stall{i}").value)
                                for i in range(self.cfg.cores)]}

    async def run(self, *, max_cycles: int, tohost: int = 0, progress: str | None = None
                  ) -> ClusterResult:
        """Release the cluster from reset and wait for its exit (writing the cycles so far to
        the file ``progress`` every million cycles, when given)."""
        d = self.dut
        d.tohost.value = tohost
        d.run.value = 0
        await ClockCycles(d.clk, 2)
        d.run.value = 1
        wall = time.perf_counter()

        def state() -> str:
            retired = [int(getattr(d, f"retired_{i}").value) for i in range(self.cfg.cores)]
            return (f"instructions retired per core {retired}; core 0's "
                    f"{describe_last(self.trace()[-8:])}")

        await wait_exit(d, max_cycles, state, progress)
        wall = time.perf_counter() - wall
        fault = None
        if d.fault.value:
            fault = describe_fault(int(d.fault_core.value),
                                   *(int(getattr(d, name).value) for name in FAULT_FIELDS))
        ctrl = signal(d, "cluster.control")
        address = int(ctrl.bus_error_at.value)
        # BUS_ERROR reads an access to address 0 as 1
        bus_error = ({"address": 0 if address == 1 else address,
                      "core": int(ctrl.bus_error_core.value)} if address else None)
        return ClusterResult(int(d.exit_code.value), int(d.cycles.value),
                             [int(getattr(d, f"retired_{i}").value)
                              for i in range(self.cfg.cores)], char_output(d), self.counters(),
                             wall, fault, bus_error)


#: What each exception means, for reports.
CAUSES = {Cause.INSN_MISALIGNED: "misaligned jump or branch target",
          Cause.ILLEGAL: "illegal instruction", Cause.BREAKPOINT: "breakpoint",
          Cause.LOAD_MISALIGNED: "misaligned load", Cause.STORE_MISALIGNED: "misaligned store",
          Cause.ECALL_M: "environment call"}


def _cause(value: int) -> str:
    name = next((text for cause, text in CAUSES.items() if cause.value == value), "exception")
    return f"{name} (mcause {value})"


def describe_fault(core: int, pc: int, insn: int, cause: int, tval: int, vector_pc: int,
                   vector_insn: int, vector_cause: int) -> str:
    """An unhandled trap in words: the trap (cause, pc, the instruction disassembled, mtval)
    and what happened at the trap vector."""
    vector = (f"mtvec is 0x{vector_pc:08x}" + (" (never set)" if vector_pc == 0 else "")
              + f", and the instruction there ({disassemble(vector_insn, vector_pc)}) "
              f"trapped too: {_cause(vector_cause)}")
    return (f"core {core}: unhandled trap: {_cause(cause)} at pc 0x{pc:08x} "
            f"({disassemble(insn, pc)}), mtval 0x{tval:08x}; {vector}")
