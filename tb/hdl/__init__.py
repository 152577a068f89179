"""Synthesizable test-bench blocks (Amaranth) that keep Python out of the per-cycle path:
memory-backed stream sources and sinks with pseudo-random stalls."""

from .stream_sink import StreamSink
from .stream_source import StreamSource

__all__ = ["StreamSource", "StreamSink"]
