"""Synthesizable test-bench blocks (Amaranth) that keep Python out of the per-cycle path:
memory-backed stream sources and sinks with pseudo-random stalls, and a TCDM memory model."""

from .stream_sink import StreamSink
from .stream_source import StreamSource
from .tcdm_memory import RAM_VERILOG, TCDMMemory

__all__ = ["StreamSource", "StreamSink", "TCDMMemory", "RAM_VERILOG", "RING_STORES"]

#: The public signals (``tb.public``) of a harness whose sources and sinks are named
#: ``NAME_src`` and ``NAME_sink``: their ring buffers, which ``tb.rings`` fills and drains.
RING_STORES = ("*_src.store", "*_sink.store")
