"""The cluster's memory map: the one place that says where everything is (software reads it
from here)."""

__all__ = ["L1_BASE", "ENGINE_BASE", "DMA_BASE", "EVENT_BASE", "CLUSTER_CTRL", "L2_BASE",
           "CTRL_CYCLES", "CTRL_EXIT", "CTRL_CHAR_OUT"]

#: L1 TCDM (l1_bytes from here).
L1_BASE = 0x1000_0000
#: The engine's (HWPE) registers, 256 bytes.
ENGINE_BASE = 0x1020_0000
#: DMA registers.
DMA_BASE = 0x1020_0400
#: Event unit and barrier.
EVENT_BASE = 0x1020_0800
#: Cluster control: cycle counter, exit, character output, performance counters.
CLUSTER_CTRL = 0x1020_0C00
#: L2 (l2_bytes from here): code, data, weights; the reset vector.
L2_BASE = 0x8000_0000

#: Offsets in cluster control.
CTRL_CYCLES = 0x00     #: read: cycles since reset
CTRL_EXIT = 0x04       #: write (code << 1) | 1: end the run with ``code``
CTRL_CHAR_OUT = 0x08   #: write: one character of debug output (low byte)
