"""Synthesizable test-bench blocks (Amaranth) that keep Python out of the per-cycle path:
memory-backed stream sources and sinks with pseudo-random stalls, and a TCDM memory model."""

from .stream_sink import StreamSink
from .stream_source import StreamSource
from .tcdm_memory import RAM_VERILOG, TCDMMemory

__all__ = ["StreamSource", "StreamSink", "TCDMMemory", "RAM_VERILOG"]
