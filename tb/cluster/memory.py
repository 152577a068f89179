"""Bulk access to an SRAM macro's array from cocotb, through the macro's test-bench hook
(``hw/sram.py``): one ``$readmemh`` or ``$writememh`` per load or read, never a simulator call
per word."""

import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np
from cocotb.triggers import ClockCycles

__all__ = ["SRAMAccess"]


class SRAMAccess:
    """The array of one ``tinyita_sram`` instance (``macro``: its handle), ``word_bytes``
    wide, as bytes from offset 0."""

    def __init__(self, macro, clk, word_bytes: int, words: int):
        self.macro, self.clk, self.wb, self.words = macro, clk, word_bytes, words
        self._dir = Path(tempfile.mkdtemp(prefix="tinyita-sram-"))
        weakref.finalize(self, shutil.rmtree, self._dir, True)     # its image file goes too
        self._file = self._dir / "image.hex"
        path = str(self._file).encode()
        if len(path) > 256:
            raise ValueError(f"temporary path {self._file} is longer than 256 bytes")
        self._path_value = int.from_bytes(path.rjust(256, b"\0"), "big")
        self._seq = 0

    def _check(self, offset: int, size: int) -> None:
        if offset < 0 or size < 0 or offset + size > self.words * self.wb:
            raise ValueError(f"access of {size} bytes at offset 0x{offset:x} is outside the "
                             f"memory of {self.words * self.wb} bytes")

    async def read(self, offset: int, size: int) -> bytes:
        """Return ``size`` bytes from ``offset``."""
        self._check(offset, size)
        if size == 0:
            return b""
        first, last = offset // self.wb, (offset + size - 1) // self.wb
        self._seq += 1
        m = self.macro
        m.sim_file.value = self._path_value
        m.sim_first.value, m.sim_last.value = first, last
        m.sim_dump.value = self._seq
        await ClockCycles(self.clk, 2)
        lines = [ln for ln in self._file.read_text().split() if not ln.startswith("//")]
        raw = b"".join(int(ln, 16).to_bytes(self.wb, "little") for ln in lines)
        start = offset - first * self.wb
        return raw[start:start + size]

    async def write(self, offset: int, data: bytes) -> None:
        """Write ``data`` at ``offset`` (bytes of partly written words are kept)."""
        self._check(offset, len(data))
        if not data:
            return
        first, last = offset // self.wb, (offset + len(data) - 1) // self.wb
        head, tail = offset - first * self.wb, (last + 1) * self.wb - offset - len(data)
        if head or tail:
            old = await self.read(first * self.wb, (last - first + 1) * self.wb)
            data = old[:head] + data + old[len(old) - tail:]
        words = np.frombuffer(data, dtype=np.uint8).reshape(-1, self.wb)[:, ::-1]
        hexed = [w.tobytes().hex() for w in words]
        self._file.write_text(f"@{first:x}\n" + "\n".join(hexed) + "\n")
        self._seq += 1
        m = self.macro
        m.sim_file.value = self._path_value
        m.sim_load.value = self._seq
        await ClockCycles(self.clk, 2)
