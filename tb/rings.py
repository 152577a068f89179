"""The cocotb side of the ring-buffer stream source and sink (``tb.hdl``): keep a source's
ring filled and a sink's ring drained, touching the simulator only every half ring.

Use: ``prime()`` both, pulse the harness's ``start``, wait one more clock edge (right after
an edge cocotb still reads the counters' old values, which belong to the previous run), then
run ``feed()`` and ``drain()`` as tasks and ``collect()`` at the end.
"""

import numpy as np
from cocotb.triggers import RisingEdge

from .cocotb_util import signal
from .packing import pack_rows, unpack_rows

__all__ = ["RingSource", "RingSink"]


class RingSource:
    """Feed ``beats`` (rows of an integer matrix, ``bits`` per lane) to the StreamSource
    ``NAME_src`` of a harness whose top level has the ports ``NAME_limit``, ``NAME_sent`` and
    ``NAME_low`` (ports of submodules are driven by their parent: VPI cannot write them)."""

    def __init__(self, dut, name: str, beats: np.ndarray, bits: int):
        self.store = signal(dut, f"{name}_src.store")
        self.limit = getattr(dut, f"{name}_limit")
        self.sent = getattr(dut, f"{name}_sent")
        self.low = getattr(dut, f"{name}_low")
        self.depth = len(self.store)
        self.words = pack_rows(beats, bits)
        self.written = 0

    def prime(self) -> None:
        """Write the first ring full; call before the source's ``start``."""
        self._write(min(len(self.words), self.depth))

    def _write(self, count: int) -> None:
        for i in range(self.written, self.written + count):
            self.store[i % self.depth].value = self.words[i]
        self.written += count
        self.limit.value = self.written

    async def feed(self) -> None:
        """Refill half a ring each time the source runs low, until every beat is written.

        The decision uses the registered ``sent`` count: ``low`` is combinational and stale
        right after ``limit`` was written, until the simulator evaluates again.
        """
        while self.written < len(self.words):
            if self.written - int(self.sent.value) <= self.depth // 2:
                self._write(min(self.depth // 2, len(self.words) - self.written))
            else:
                await RisingEdge(self.low)


class RingSink:
    """Collect beats from the StreamSink ``NAME_sink`` (top-level ports ``NAME_limit``,
    ``NAME_received``, ``NAME_high``) into int64 rows of ``lanes`` x ``bits``."""

    def __init__(self, dut, name: str, lanes: int, bits: int):
        self.store = signal(dut, f"{name}_sink.store")
        self.limit = getattr(dut, f"{name}_limit")
        self.received = getattr(dut, f"{name}_received")
        self.high = getattr(dut, f"{name}_high")
        self.depth = len(self.store)
        self.lanes, self.bits = lanes, bits
        self.words: list[int] = []

    def prime(self) -> None:
        """Open the ring; call before the sink's ``start``."""
        self.limit.value = self.depth

    def _read(self, count: int) -> None:
        first = len(self.words)
        self.words += [int(self.store[i % self.depth].value)
                       for i in range(first, first + count)]
        self.limit.value = len(self.words) + self.depth

    async def drain(self) -> None:
        """Read half a ring each time the sink runs high (run as a task; cancel at the end).

        Decides on the registered ``received`` count, as :meth:`RingSource.feed` does.
        """
        while True:
            if int(self.received.value) - len(self.words) >= self.depth // 2:
                self._read(self.depth // 2)
            else:
                await RisingEdge(self.high)

    def collect(self) -> np.ndarray:
        """Read what is left and return every beat received."""
        self._read(int(self.received.value) - len(self.words))
        if not self.words:
            return np.zeros((0, self.lanes), dtype=np.int64)
        return unpack_rows(self.words, self.lanes, self.bits)
