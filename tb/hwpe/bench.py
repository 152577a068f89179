"""The cocotb side of the HWPE test bench: memory in bulk, registers as software uses them.

Runs inside the simulator on an :class:`~tb.hwpe.harness.HWPEHarness`.
"""

import numpy as np
from cocotb.triggers import ClockCycles, First, RisingEdge, Timer, ValueChange

from hw.hwpe.regmap import ACQUIRE_LOCKED, ACQUIRE_NO_CONTEXT, REGMAP
from sw.engine.job import ItaJob
from sw.engine.placement import Placement

from ..cocotb_util import CLOCK_NS, CycleLimitExceeded, signal, start
from .harness import MEM_BASE

__all__ = ["HWPEBench"]


class HWPEBench:
    """Drive one harness: memory through VPI, the HWPE through its register bus."""

    def __init__(self, dut):
        self.dut = dut
        self.mem = signal(dut, "memory.ram.mem")
        self.words = len(self.mem)
        #: what the whole memory must hold: what the bench wrote, and the outputs it checked
        self.image = np.zeros(self.words * 8, dtype=np.uint8)

    async def reset(self, *, stall: float = 0.0, seed: int = 1, bursts: bool = False) -> None:
        """Reset with memory grant stalls: a fraction ``stall`` of the cycles, on their own
        or in ``bursts`` (``tb.hdl.stalls``), the pattern drawn from ``seed``."""
        self.dut.reg_req.value = 0
        self.dut.stall.value = min(255, round(stall * 256))
        self.dut.seed.value = seed
        self.dut.profile.value = int(bursts)
        await start(self.dut)

    # --- memory -------------------------------------------------------------------------
    def write(self, address: int, data: bytes) -> None:
        """Write bytes at an 8-byte aligned address (the tail of the last word is zeroed)."""
        offset = address - MEM_BASE
        if offset % 8 or offset < 0 or offset + len(data) > self.words * 8:
            raise ValueError(f"write of {len(data)} bytes at 0x{address:x} is outside the "
                             "memory or not aligned to 8")
        padded = data + bytes(-len(data) % 8)
        for i, w in enumerate(np.frombuffer(padded, dtype="<u8").tolist()):
            self.mem[offset // 8 + i].value = w
        self.image[offset:offset + len(padded)] = np.frombuffer(padded, dtype=np.uint8)

    def read(self, address: int, size: int) -> bytes:
        offset = address - MEM_BASE
        first, last = offset // 8, (offset + size + 7) // 8
        words = np.array([int(self.mem[i].value) for i in range(first, last)], dtype="<u8")
        return words.tobytes()[offset % 8:offset % 8 + size]

    def load(self, placement: Placement, rng: np.random.Generator) -> None:
        """Fill the job's output regions with noise, then load its inputs."""
        for address, size in placement.outputs:
            self.write(address, rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        for address, data in placement.loads:
            self.write(address, data)

    def check(self, placement: Placement, context: str) -> None:
        """Assert that every output the job wrote is bit-exact with the golden model (and
        expect them in :meth:`check_memory`)."""
        assert not int(self.dut.oob.value), f"{context}: an access left the memory"
        for what, address, expected in placement.expected:
            at = address - MEM_BASE
            self.image[at:at + expected.size] = expected.astype(np.int8).view(np.uint8).ravel()
            got = np.frombuffer(self.read(address, expected.size), dtype=np.int8)
            got = got.reshape(expected.shape)
            if not np.array_equal(got, expected):
                r, c = np.argwhere(got != expected)[0]
                raise AssertionError(
                    f"{context}: {what} at 0x{address:x} differs at row {r} column {c}: got "
                    f"{got[r, c]}, expected {expected[r, c]} "
                    f"({int((got != expected).sum())} of {got.size} elements differ)")

    def check_memory(self, context: str) -> None:
        """Assert that the whole memory holds what the bench wrote, with the checked outputs
        in their places, and nothing else: a stray write anywhere shows."""
        got = np.array([int(w.value) for w in self.mem], dtype="<u8").view(np.uint8)
        bad = np.flatnonzero(got != self.image)
        if bad.size:
            at = int(bad[0])
            raise AssertionError(
                f"{context}: memory at 0x{MEM_BASE + at:x} holds 0x{got[at]:02x}, expected "
                f"0x{self.image[at]:02x} ({bad.size} bytes differ from what the bench wrote "
                "and the outputs it checked)")

    # --- registers ----------------------------------------------------------------------
    async def write_reg(self, offset: int, value: int, core: int = 0) -> None:
        d = self.dut
        d.reg_req.value, d.reg_we.value, d.reg_id.value = 1, 1, core
        d.reg_addr.value, d.reg_wdata.value = offset, value & 0xFFFF_FFFF
        await RisingEdge(d.clk)
        d.reg_req.value = 0

    async def read_reg(self, offset: int, core: int = 0) -> int:
        """Read a register (as a signed 32-bit value)."""
        d = self.dut
        d.reg_req.value, d.reg_we.value, d.reg_id.value, d.reg_addr.value = 1, 0, core, offset
        await RisingEdge(d.clk)
        d.reg_req.value = 0
        await RisingEdge(d.clk)
        value = int(d.reg_rdata.value)
        return value - (1 << 32) if value >> 31 else value

    async def acquire(self, core: int = 0, max_tries: int = 100_000) -> int:
        """Acquire a context (retrying while none is free) and return the job id."""
        for _ in range(max_tries):
            job_id = await self.read_reg(REGMAP["ACQUIRE"].offset, core)
            if job_id >= 0:
                return job_id
            assert job_id in (ACQUIRE_NO_CONTEXT, ACQUIRE_LOCKED), job_id
            await ClockCycles(self.dut.clk, 8)
        raise CycleLimitExceeded(f"no context became free in {max_tries} tries")

    async def submit(self, job: ItaJob, pointers: dict[str, int], core: int = 0) -> int:
        """Program and trigger a job exactly as software does; return its id."""
        return await self.trigger(job.registers(pointers), core)

    async def trigger(self, registers: dict[int, int], core: int = 0) -> int:
        """Acquire a context, write ``registers`` (offset -> value) and trigger; return the
        job id."""
        job_id = await self.acquire(core)
        for offset, value in registers.items():
            await self.write_reg(offset, value, core)
        await self.write_reg(REGMAP["TRIGGER"].offset, 0, core)
        return job_id

    async def wait_finished(self, count: int, *, max_cycles: int, core: int = 0) -> int:
        """Wait (on the event lines, polling FINISHED after each) until ``count`` jobs have
        finished; return the cycles waited."""
        d = self.dut
        start_cycle = int(d.cycles.value)
        while (await self.read_reg(REGMAP["FINISHED"].offset, core)) < count:
            left = max_cycles - (int(d.cycles.value) - start_cycle)
            if left <= 0:
                status = await self.read_reg(REGMAP["STATUS"].offset, core)
                raise CycleLimitExceeded(
                    f"{count} jobs not finished after {max_cycles} cycles: FINISHED "
                    f"{await self.read_reg(REGMAP['FINISHED'].offset, core)}, STATUS "
                    f"0x{status & 0xFFFF_FFFF:08x}, issued {int(d.issued.value)}")
            await First(ValueChange(d.evt), Timer(min(left, 100_000) * CLOCK_NS, unit="ns"))
        return int(d.cycles.value) - start_cycle
