"""The compiler's memory plan: where every tensor and constant blob lives in L2, and every L1
buffer with its lifetime in stages of the schedule.

L2 holds the code from its base up and the data from its top down: the graph's tensors
(inputs, intermediates, outputs, each row-major and dense), the tiles' constant blobs and the
cycle stamps the program records. L1 holds only buffers: a tile's input blocks and constants
(live from the stage that loads them to the stage that computes), the engine's intermediates
(the computing stage) and its output block (from the computing stage to the stage that stores
it). Everything is aligned to :data:`~sw.compiler.tiling.ALIGN` bytes.

:class:`L1Allocator` places buffers first fit, lowest address first, deterministically;
:func:`verify_memory` proves that no two buffers live in the same stage overlap and that every
region lies in its memory.
"""

from dataclasses import dataclass, field

from hw.config import ClusterConfig

from .graph import GraphError
from .tiling import ALIGN, aligned

__all__ = ["Buffer", "Region", "MemoryPlan", "L1Allocator", "verify_memory"]


@dataclass(frozen=True)
class Buffer:
    """An L1 buffer of ``size`` bytes at ``address``, live in stages ``first..last``."""

    name: str
    address: int
    size: int
    first: int
    last: int
    #: what it holds: a block of a tensor, a constant blob's name, or None (the engine's
    #: intermediates)
    holds: object = None

    @property
    def end(self) -> int:
        return self.address + self.size

    def live_with(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Region:
    """An L2 region: a tensor (``kind`` input, intermediate or output), a constant blob
    (consts) or the stamps. A region with a lifetime (stages ``first..last``, a tensor the
    tiling added) may share its bytes with regions whose lifetimes it does not meet."""

    name: str
    kind: str
    address: int
    size: int
    first: int | None = None
    last: int | None = None

    @property
    def end(self) -> int:
        return self.address + self.size

    def live_with(self, other: "Region") -> bool:
        if None in (self.first, other.first):
            return True
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    """The L2 regions by name and the L1 buffers, for a cluster."""

    cluster: ClusterConfig
    l2: dict[str, Region] = field(default_factory=dict)
    l1: list[Buffer] = field(default_factory=list)

    @property
    def data_start(self) -> int:
        """The lowest L2 address data uses (the code must end below it)."""
        return min((r.address for r in self.l2.values()), default=self.cluster.l2_range[1])

    def place_l2(self, name: str, kind: str, size: int) -> Region:
        """Place a region below the lowest one so far."""
        if name in self.l2:
            raise GraphError(f"L2 region {name!r} is placed twice")
        address = (self.data_start - size) // ALIGN * ALIGN
        base, end = self.cluster.l2_range
        if address < base:
            raise GraphError(f"the program's data needs more than {end - address} bytes of L2 "
                             f"(placing {name!r}); the cluster has {self.cluster.l2_bytes}")
        region = self.l2[name] = Region(name, kind, address, size)
        return region

    def dump(self) -> str:
        lines = ["L2:"]
        for r in sorted(self.l2.values(), key=lambda r: r.address):
            lines.append(f"  0x{r.address:08x} {r.size:8d}  {r.kind:12s} {r.name}")
        lines.append(f"L1 ({len(self.l1)} buffers):")
        for b in sorted(self.l1, key=lambda b: (b.first, b.address)):
            lines.append(f"  0x{b.address:08x} {b.size:8d}  stages {b.first}..{b.last}  {b.name}")
        return "\n".join(lines) + "\n"


class L1Allocator:
    """Places buffers with lifetimes in L1, first fit from the lowest address."""

    def __init__(self, plan: MemoryPlan):
        self.plan = plan
        self.base, self.end = plan.cluster.l1_range
        self.live: dict[int, list[Buffer]] = {}        # the buffers live in each stage

    def find(self, size: int, first: int, last: int, taken: list[Buffer] = ()) -> int | None:
        """The lowest address where ``size`` bytes are free in stages ``first..last`` (also
        avoiding ``taken``, buffers about to be added), or None."""
        probe = Buffer("", 0, 0, first, last)
        near = {id(b): b for k in range(first, last + 1) for b in self.live.get(k, ())}
        busy = sorted((b.address, b.end) for b in [*near.values(), *taken]
                      if b.live_with(probe))
        address = self.base
        for start, end in busy:
            if address + size <= start:
                break
            address = max(address, -(-end // ALIGN) * ALIGN)
        return address if address + size <= self.end else None

    def place(self, requests: list[tuple[str, int, int, int, object]],
              reserved: list[Buffer] = ()) -> list[Buffer] | None:
        """Place every (name, size, first, last, holds), avoiding ``reserved`` too, or none
        of them; return the buffers."""
        placed: list[Buffer] = []
        for name, size, first, last, holds in requests:
            address = self.find(aligned(size), first, last, [*reserved, *placed])
            if address is None:
                return None
            placed.append(Buffer(name, address, aligned(size), first, last, holds))
        for b in placed:
            self.add(b)
        return placed

    def add(self, b: Buffer) -> None:
        self.plan.l1.append(b)
        self._live(b, add=True)

    def _live(self, b: Buffer, add: bool) -> None:
        for k in range(b.first, b.last + 1):
            if add:
                self.live.setdefault(k, []).append(b)
            else:
                self.live[k].remove(b)

    def extended(self, b: Buffer, last: int) -> Buffer | None:
        """``b`` living until stage ``last``, if its bytes are free that long, else None."""
        for k in range(b.last + 1, last + 1):
            if any(o.address < b.end and b.address < o.end for o in self.live.get(k, ())):
                return None
        return Buffer(b.name, b.address, b.size, b.first, max(last, b.last), b.holds)

    def replace(self, old: Buffer, new: Buffer) -> None:
        """Put ``new`` (``old`` with a longer life) in place of ``old``."""
        self.plan.l1[next(i for i, x in enumerate(self.plan.l1) if x is old)] = new
        self._live(old, add=False)
        self._live(new, add=True)


def verify_memory(plan: MemoryPlan) -> None:
    """Check that every buffer and region is aligned and inside its memory, that L2 regions
    that are live together are disjoint, and that no two L1 buffers live in a common stage
    overlap. Raises
    :class:`GraphError` naming both."""
    l1, l2 = plan.cluster.l1_range, plan.cluster.l2_range
    for b in plan.l1:
        if b.address % ALIGN or not (l1[0] <= b.address and b.end <= l1[1]) or b.first > b.last:
            raise GraphError(f"L1 buffer {b.name!r} at 0x{b.address:x} ({b.size} bytes, stages "
                             f"{b.first}..{b.last}) is misaligned or outside L1 "
                             f"0x{l1[0]:x}..0x{l1[1]:x}")
    regions = sorted(plan.l2.values(), key=lambda r: r.address)
    for r in regions:
        if r.address % ALIGN or not (l2[0] <= r.address and r.end <= l2[1]):
            raise GraphError(f"L2 region {r.name!r} at 0x{r.address:x} ({r.size} bytes) is "
                             f"misaligned or outside L2 0x{l2[0]:x}..0x{l2[1]:x}")
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            if b.address >= a.end:
                break
            if a.live_with(b):
                raise GraphError(f"L2 regions {a.name!r} and {b.name!r} overlap")
    by_address = sorted(plan.l1, key=lambda b: b.address)
    for i, a in enumerate(by_address):
        for b in by_address[i + 1:]:
            if b.address >= a.end:
                break
            if a.live_with(b):
                raise GraphError(f"L1 buffers {a.name!r} (0x{a.address:x}, {a.size} bytes, "
                                 f"stages {a.first}..{a.last}) and {b.name!r} (0x{b.address:x}, "
                                 f"{b.size} bytes, stages {b.first}..{b.last}) overlap")
