"""The cluster's parameters and memory map: the one place that says what the cluster is made
of and where everything is. The hardware is generated from a :class:`ClusterConfig` and the
software (kernel compiler, test programs) reads the same object.

This is plain Python (no Amaranth).
"""

from dataclasses import dataclass

from hw.cluster.regmap import CTRL_REGS, DMA_REGS, EVENT_REGS
from hw.ita.config import ITAConfig, is_pow2

__all__ = ["ClusterConfig", "L1_BASE", "ENGINE_BASE", "DMA_BASE", "EVENT_BASE", "CLUSTER_CTRL",
           "PERIPH_BASE", "PERIPH_BYTES", "L2_BASE",
           "CtrlReg", "DmaReg", "EventReg", "L2_WORD_BYTES", "MAX_CORES"]

#: L1 TCDM (l1_bytes from here).
L1_BASE = 0x1000_0000
#: The peripherals: four 1 KiB pages from here.
PERIPH_BASE = 0x1020_0000
PERIPH_BYTES = 0x1000
#: The engine's (HWPE) registers, 256 bytes (hw/hwpe/regmap.py).
ENGINE_BASE = PERIPH_BASE
#: DMA registers (``DMA_REGS``).
DMA_BASE = PERIPH_BASE + 0x400
#: Event unit and barrier (``EVENT_REGS``).
EVENT_BASE = PERIPH_BASE + 0x800
#: Cluster control (``CTRL_REGS``).
CLUSTER_CTRL = PERIPH_BASE + 0xC00
#: L2 (l2_bytes from here): code, data, weights; the reset vector.
L2_BASE = 0x8000_0000
#: Width of an L2 word (the DMA's beat and an instruction-cache line).
L2_WORD_BYTES = 64
MAX_CORES = 8


#: Register offsets of cluster control, the DMA and the event unit, from their register maps
#: (``hw/cluster/regmap.py``, where the fields are).
CtrlReg = CTRL_REGS.enum("CtrlReg")
DmaReg = DMA_REGS.enum("DmaReg")
EventReg = EVENT_REGS.enum("EventReg")


#: The engine's parameters in :class:`ClusterConfig`; without the engine they only define the
#: arithmetic the software baseline reproduces (ITAMax's group and shift, sizes in tiles).
ENGINE_FIELDS = ("n", "m", "softmax_shift", "max_tiles")


@dataclass(frozen=True)
class ClusterConfig:
    """Parameters of a generated cluster.

    Parameters
    ----------
    cores : int
        RV32IM cores, 1..8.
    l1_bytes : int
        L1 TCDM size: a power of two, 8 KiB..1 MiB.
    l1_banks : int
        64-bit L1 banks, word-interleaved: a power of two, at least 8 (the DMA's lanes) and at
        least the engine's M/8 lanes, at most 64.
    l2_bytes : int
        L2 size: a power of two, 64 KiB..256 MiB.
    l2_latency : int
        Cycles from an L2 grant to its read data, 2..32.
    icache_lines : int
        Lines of 64 bytes in each core's instruction cache (direct mapped): a power of two, 2..256.
    ita : bool
        Whether the cluster has the engine (without it: cores only, the software baseline).
    n, m, softmax_shift, max_tiles : int
        The engine's parameters (:class:`~hw.ita.config.ITAConfig`).
    dma_queue : int
        Transfers the DMA can hold queued, 2..8.
    """

    cores: int = 8
    l1_bytes: int = 128 * 1024
    l1_banks: int = 32
    l2_bytes: int = 4 * 1024 * 1024
    l2_latency: int = 10
    icache_lines: int = 16
    ita: bool = True
    n: int = 16
    m: int = 64
    softmax_shift: int = 5
    max_tiles: int = 8
    dma_queue: int = 4

    def __post_init__(self) -> None:
        for name in ("cores", "l1_bytes", "l1_banks", "l2_bytes", "l2_latency", "icache_lines",
                     "n", "m", "softmax_shift", "max_tiles", "dma_queue"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"ClusterConfig.{name} must be an int, got {value!r}")

        def check(ok: bool, name: str, rule: str) -> None:
            if not ok:
                raise ValueError(f"ClusterConfig.{name} = {getattr(self, name)}: {rule}")

        check(1 <= self.cores <= MAX_CORES, "cores", f"must be in 1..{MAX_CORES}")
        check(is_pow2(self.l1_bytes) and 8 * 1024 <= self.l1_bytes <= 1024 * 1024,
              "l1_bytes", "must be a power of two in 8 KiB..1 MiB")
        check(is_pow2(self.l1_banks) and 8 <= self.l1_banks <= 64, "l1_banks",
              "must be a power of two in 8..64")
        check(self.l1_bytes // (8 * self.l1_banks) >= 16, "l1_banks",
              f"leaves fewer than 16 words per bank of l1_bytes = {self.l1_bytes}")
        check(is_pow2(self.l2_bytes) and 64 * 1024 <= self.l2_bytes <= 256 * 1024 * 1024,
              "l2_bytes", "must be a power of two in 64 KiB..256 MiB")
        check(2 <= self.l2_latency <= 32, "l2_latency", "must be in 2..32")
        check(is_pow2(self.icache_lines) and 2 <= self.icache_lines <= 256, "icache_lines",
              "must be a power of two in 2..256")
        check(2 <= self.dma_queue <= 8, "dma_queue", "must be in 2..8")
        if not isinstance(self.ita, bool):
            raise ValueError(f"ClusterConfig.ita must be a bool (True or False), got "
                             f"{self.ita!r}")
        if self.ita:
            try:
                self.ita_config()           # validates n, m, softmax_shift, max_tiles
            except ValueError as e:
                raise ValueError(str(e).replace("ITAConfig", "ClusterConfig", 1)) from None
            check(self.m // 8 <= self.l1_banks, "l1_banks",
                  f"must be at least the engine's M/8 = {self.m // 8} lanes")
        else:       # the arithmetic of the software baseline: ITAMax's group, shift, tiles
            check(1 <= self.n <= 64, "n", "must be in 1..64 (ITAMax's group)")
            check(8 <= self.m <= 128, "m", "must be in 8..128 (the tile edge)")
            check(self.m % self.n == 0, "m", f"must be a multiple of n = {self.n}")
            check(0 <= self.softmax_shift <= 7, "softmax_shift", "must be in 0..7")
            check(1 <= self.max_tiles <= 64, "max_tiles", "must be in 1..64")

    def ita_config(self) -> ITAConfig:
        """The engine's parameters."""
        return ITAConfig(n=self.n, m=self.m, softmax_shift=self.softmax_shift,
                         max_tiles=self.max_tiles)

    @property
    def l1_range(self) -> tuple[int, int]:
        """(base, end) of L1."""
        return L1_BASE, L1_BASE + self.l1_bytes

    @property
    def l2_range(self) -> tuple[int, int]:
        """(base, end) of L2."""
        return L2_BASE, L2_BASE + self.l2_bytes

    @property
    def engine_lanes(self) -> int:
        """64-bit lanes of the engine's port (0 without the engine)."""
        return self.m // 8 if self.ita else 0

    def key(self) -> str:
        """A string that identifies the hardware (for build caches and file names); without
        the engine, its parameters do not change the hardware and are left out."""
        fields = [k for k in self.__dataclass_fields__ if self.ita or k not in ENGINE_FIELDS]
        return ",".join(f"{k}={getattr(self, k)}" for k in fields)

