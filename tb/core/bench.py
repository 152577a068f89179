"""The cocotb side of the core's bench: load a program, run it to its exit, read the result.

Runs inside the simulator on a :class:`~tb.core.harness.CoreHarness`.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from amaranth.lib.data import StructLayout
from cocotb.triggers import ClockCycles

from hw.config import L2_BASE
from sw.rv32.disasm import disassemble

from ..cocotb_util import CycleLimitExceeded, signal, start, wait_high
from .harness import CHAR_DEPTH, CoreTraceLayout, TraceLayout

__all__ = ["CoreBench", "RunResult", "TraceEntry", "read_trace", "trace_text", "describe_last",
           "wait_exit", "char_output"]


@dataclass
class TraceEntry:
    pc: int
    insn: int
    rd: int
    rd_we: bool
    rd_value: int
    trap: bool
    cause: int
    mem: bool = False      #: a load or a store (the core harness's trace only)
    mem_we: bool = False   #: a store
    mem_addr: int = 0      #: its byte address
    mem_data: int = 0      #: the store's data (replicated over the word), or the loaded value


@dataclass
class RunResult:
    exit_code: int
    cycles: int
    retired: int
    output: str


def read_trace(dut, layout: StructLayout = TraceLayout, *,
               complete: bool = False) -> list[TraceEntry]:
    """The retirements a harness recorded in its ring ``trace`` (``trace_count`` of them, in
    ``layout``), oldest first (the last as many as the ring holds). With ``complete``, raise
    ValueError if the ring has lost the oldest."""
    count = int(dut.trace_count.value)
    trace = signal(dut, "trace")
    depth = len(trace)
    if complete and count > depth:
        raise ValueError(f"the trace holds the last {depth} of {count} retirements")
    out = []
    for k in range(max(0, count - depth), count):
        bits = int(trace[k % depth].value)
        fields, pos = {}, 0
        for name, f in layout:
            fields[name] = (bits >> pos) & ((1 << f.width) - 1)
            pos += f.width
        out.append(TraceEntry(fields["pc"], fields["insn"], fields["rd"], bool(fields["rd_we"]),
                              fields["rd_value"], bool(fields["trap"]), fields["cause"],
                              bool(fields.get("mem", 0)), bool(fields.get("mem_we", 0)),
                              fields.get("mem_addr", 0), fields.get("mem_data", 0)))
    return out


def trace_text(entries: list[TraceEntry]) -> str:
    """A trace file: one retirement per line, disassembled."""
    lines = [f"0x{t.pc:08x}  {t.insn:08x}  {disassemble(t.insn, t.pc):32s}"
             + (f"x{t.rd} = 0x{t.rd_value:08x}" if t.rd_we else "")
             + (f"trap cause {t.cause}" if t.trap else "") for t in entries]
    return "\n".join(lines) + "\n"


def describe_last(entries: list[TraceEntry]) -> str:
    """The last pc and the given retirements, disassembled (for a cycle-limit report)."""
    lines = "\n".join(f"  0x{t.pc:08x}: {disassemble(t.insn, t.pc)}"
                      + (f"  -> x{t.rd} = 0x{t.rd_value:08x}" if t.rd_we else "")
                      + (f"  trap {t.cause}" if t.trap else "") for t in entries)
    pc = entries[-1].pc if entries else L2_BASE
    return f"last pc 0x{pc:08x}; the last retired:\n{lines}"


async def wait_exit(dut, max_cycles: int, state, progress: str | None = None) -> None:
    """Wait for ``dut.exited``; past ``max_cycles`` raise CycleLimitExceeded with ``state()``.
    With ``progress`` (a file), write the cycles simulated so far there every million."""

    def tick(cycles: int) -> None:
        Path(progress).write_text(f"{cycles}\n")

    try:
        await wait_high(dut, dut.exited, max_cycles=max_cycles, state=state,
                        tick=tick if progress else None)
    except CycleLimitExceeded as e:
        raise CycleLimitExceeded(f"the program did not exit within {max_cycles} cycles: "
                                 f"{str(e).split('state: ', 1)[-1]}") from None


def char_output(dut) -> str:
    """What the program wrote to the character output (the harness's ``char_buf``)."""
    chars = min(int(dut.chars.value), CHAR_DEPTH)
    buf = signal(dut, "char_buf")
    return bytes(int(buf[i].value) for i in range(chars)).decode("latin-1")


class CoreBench:
    def __init__(self, dut):
        self.dut = dut
        self.ram = signal(dut, "ram.mem")
        self.words = len(self.ram)

    async def reset(self) -> None:
        self.dut.run.value = 0
        self.dut.stall.value = 0
        self.dut.seed.value = 1
        self.dut.profile.value = 0
        self.dut.tohost.value = 0
        self.dut.event.value = 0
        self.dut.events.value = 0
        await start(self.dut)

    async def load(self, segments: list[tuple[int, bytes]]) -> None:
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
        rf = signal(self.dut, "core.regfile")
        return [0] + [int(rf[i].value) for i in range(1, 32)]

    def trace(self, *, complete: bool = False) -> list[TraceEntry]:
        """The retirements of the last run, with their memory accesses (``complete``: raise
        ValueError if the ring has lost the oldest)."""
        return read_trace(self.dut, CoreTraceLayout, complete=complete)

    async def run(self, *, max_cycles: int, stall: float = 0.0, seed: int = 1,
                  tohost: int = 0, bursts: bool = False, events: float = 0.0) -> RunResult:
        """Release the core from reset and wait for its exit; both ports stall in a fraction
        ``stall`` of the cycles, on their own or in ``bursts``, the pattern drawn from
        ``seed``; the core's event input pulses in a fraction ``events`` of the cycles (wakes
        ``wfi``)."""
        d = self.dut
        d.stall.value, d.seed.value, d.tohost.value = min(255, round(stall * 256)), seed, tohost
        d.profile.value = int(bursts)
        d.events.value = min(255, round(events * 256))
        d.run.value = 0
        await ClockCycles(d.clk, 2)
        d.run.value = 1

        def state() -> str:
            return (f"{int(d.retired.value)} instructions retired; "
                    f"{describe_last(self.trace()[-16:])}")

        await wait_exit(d, max_cycles, state)
        return RunResult(int(d.exit_code.value), int(d.cycles.value), int(d.retired.value),
                         char_output(d))
