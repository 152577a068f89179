"""The cocotb side of the core's bench: load a program, run it to its exit, read the result.

Runs inside the simulator on a :class:`~tb.core.harness.CoreHarness`.
"""

from dataclasses import dataclass

import numpy as np
from cocotb.triggers import ClockCycles

from hw.config import L2_BASE

from ..cocotb_util import CycleLimitExceeded, start, wait_high
from .harness import TRACE_DEPTH, TraceLayout

__all__ = ["CoreBench", "RunResult", "TraceEntry"]


@dataclass
class TraceEntry:
    pc: int
    insn: int
    rd: int
    rd_we: bool
    rd_value: int
    trap: bool
    cause: int


@dataclass
class RunResult:
    exit_code: int
    cycles: int
    retired: int
    output: str


class CoreBench:
    def __init__(self, dut):
        self.dut = dut
        self.ram = dut.ram.mem
        self.words = len(self.ram)

    async def reset(self) -> None:
        self.dut.run.value = 0
        self.dut.stall.value = 0
        self.dut.seed.value = 1
        self.dut.tohost.value = 0
        self.dut.event.value = 0
        await start(self.dut)

    def load(self, segments: list[tuple[int, bytes]]) -> None:
        """Write program segments into the RAM (bulk, through VPI)."""
        for address, content in segments:
            offset = address - L2_BASE
            if offset < 0 or offset % 4 or offset + len(content) > self.words * 4:
                raise ValueError(f"segment at 0x{address:x} ({len(content)} bytes) is outside "
                                 f"the memory 0x{L2_BASE:x} + {self.words * 4} or not aligned")
            padded = content + bytes(-len(content) % 4)
            for i, w in enumerate(np.frombuffer(padded, dtype="<u4").tolist()):
                self.ram[offset // 4 + i].value = w

    def read(self, address: int, size: int) -> bytes:
        offset = address - L2_BASE
        first, last = offset // 4, (offset + size + 3) // 4
        words = np.array([int(self.ram[i].value) for i in range(first, last)], dtype="<u4")
        return words.tobytes()[offset % 4:offset % 4 + size]

    def registers(self) -> list[int]:
        """x0..x31 of the core."""
        rf = self.dut.core.regfile
        return [0] + [int(rf[i].value) for i in range(1, 32)]

    def trace(self) -> list[TraceEntry]:
        """The recorded retirements, oldest first (the last TRACE_DEPTH)."""
        count = int(self.dut.trace_count.value)
        mem = self.dut.trace
        first = max(0, count - TRACE_DEPTH)
        out = []
        for k in range(first, count):
            bits = int(mem[k % TRACE_DEPTH].value)
            fields, pos = {}, 0
            for name, f in TraceLayout:
                width = f.width
                fields[name] = (bits >> pos) & ((1 << width) - 1)
                pos += width
            out.append(TraceEntry(fields["pc"], fields["insn"], fields["rd"],
                                  bool(fields["rd_we"]), fields["rd_value"],
                                  bool(fields["trap"]), fields["cause"]))
        return out

    async def run(self, *, max_cycles: int, stall: float = 0.0, seed: int = 1,
                  tohost: int = 0) -> RunResult:
        """Release the core from reset and wait for its exit."""
        d = self.dut
        d.stall.value, d.seed.value, d.tohost.value = min(255, round(stall * 256)), seed, tohost
        d.run.value = 0
        await ClockCycles(d.clk, 2)
        d.run.value = 1

        def state() -> str:
            last = self.trace()[-16:]
            from sw.rv32.disasm import disassemble
            lines = "\n".join(f"  0x{t.pc:08x}: {disassemble(t.insn, t.pc)}"
                              + (f"  -> x{t.rd} = 0x{t.rd_value:08x}" if t.rd_we else "")
                              + (f"  trap {t.cause}" if t.trap else "") for t in last)
            pc = last[-1].pc if last else L2_BASE
            return (f"{int(d.retired.value)} instructions retired, last pc 0x{pc:08x}; the last "
                    f"retired:\n{lines}")

        try:
            await wait_high(d, d.exited, max_cycles=max_cycles, state=state)
        except CycleLimitExceeded as e:
            raise CycleLimitExceeded(f"the program did not exit within {max_cycles} cycles: "
                                     f"{str(e).split('state: ', 1)[-1]}") from None
        chars = int(d.chars.value)
        output = bytes(int(d.char_buf[i].value) for i in range(min(chars, 4096))).decode(
            "latin-1")
        return RunResult(int(d.exit_code.value), int(d.cycles.value), int(d.retired.value),
                         output)
