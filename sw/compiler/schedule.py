"""The compiler's schedule: the tiles in stages, a software pipeline over the engine, the DMA
and the cores.

In stage ``k``, at the same time:

- the engine runs the stage's jobs, one after the other (core 0 programs them through the
  register contexts: the first during the stage before, the others as contexts free up);
- the DMA stores the outputs of the tiles computed in stage ``k - 1`` and loads the inputs
  and constants of the tiles computed in stage ``k + 1`` (core 0 queues them);
- the cores run at most one kernel, each on a share of its elements or rows.

At the end of the stage core 0 waits until the DMA and the engine have finished everything
the stage started, and all cores meet at the barrier. A tile computed in stage ``k`` reads
each input from L1: from a buffer loaded in ``k - 1``, or from one still holding that block
(its producer's output, from ``k_producer + 1`` on; a block or constant blob another tile
loaded), whose life is extended to ``k``. A block read from L2 is loaded three stages after
its producer computed it (its store, then the load).

Tiles are list-scheduled: stage after stage the cores take the first ready tile in program
order whose buffers fit L1 (:class:`~.memory.L1Allocator`), and the engine takes ready tiles
until its predicted cycles reach the kernel's (at least one, at most :data:`MAX_JOBS`).
:func:`verify_schedule` checks the rules on the result; the functional executor
(``sw.compiler.executor``) checks the data races they are meant to prevent.
"""

from dataclasses import dataclass, field, replace

from hw.config import ClusterConfig

from . import cost
from .graph import GraphError
from .memory import Buffer, L1Allocator, MemoryPlan, Region, verify_memory
from .tiling import Block, Tile, Tiled, aligned

__all__ = ["Transfer", "EngineRun", "KernelRun", "Stage", "Schedule", "schedule",
           "verify_schedule", "transfer", "MAX_JOBS"]

#: Engine jobs one stage may hold.
MAX_JOBS = 16


@dataclass(frozen=True)
class Transfer:
    """One DMA transfer, 2D: ``rows`` rows of ``row_bytes`` bytes from ``src`` (rows
    ``src_stride`` apart) to ``dst`` (``dst_stride`` apart). ``id`` is the one the DMA returns
    (transfers are numbered from 1 in program order)."""

    tile: str
    what: str
    src: int
    dst: int
    row_bytes: int
    rows: int
    src_stride: int
    dst_stride: int
    id: int = 0

    @property
    def size(self) -> int:
        return self.row_bytes * self.rows


@dataclass(frozen=True)
class EngineRun:
    """An engine tile's job with its pointers; ``index`` is its job id (from 0)."""

    tile: Tile
    pointers: dict[str, int]
    index: int


@dataclass(frozen=True)
class KernelRun:
    """A core tile's kernel on L1 buffers: its inputs, its output, its constants and its
    scratch space (``add_norm``'s rows of 32-bit sums, one per core)."""

    tile: Tile
    inputs: tuple[int, ...]
    output: int
    consts: int | None
    scratch: int | None = None


@dataclass
class Stage:
    index: int
    transfers: list[Transfer] = field(default_factory=list)
    jobs: list[EngineRun] = field(default_factory=list)
    kernels: list[KernelRun] = field(default_factory=list)


@dataclass
class Schedule:
    """The tiled graph, its memory plan and the stages."""

    tiled: Tiled
    memory: MemoryPlan
    stages: list[Stage]
    #: stage in which each tile computes, by tile name
    compute: dict[str, int] = field(default_factory=dict)
    #: the L1 buffer each tile reads each input from, by tile name (its own, loaded in the
    #: stage before, or one another tile loaded or wrote)
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def cluster(self) -> ClusterConfig:
        return self.tiled.cluster

    def dump(self) -> str:
        lines = []
        for st in self.stages:
            lines.append(f"stage {st.index}")
            for r in st.jobs:
                lines.append(f"  engine  job {r.index}: {r.tile.name}")
            for k in st.kernels:
                lines.append(f"  cores   {k.tile.kernel}: {k.tile.name}")
            for t in st.transfers:
                lines.append(f"  dma {t.id:4d} {t.what:7s} {t.tile:28s} {t.rows} x {t.row_bytes} "
                             f"B 0x{t.src:08x} -> 0x{t.dst:08x}")
        return "\n".join(lines) + "\n"


def transfer(tile: str, what: str, block: Block, cols: int, l2: int, l1: int, to_l1: bool
             ) -> Transfer:
    """The transfer of ``block`` between its tensor in L2 (row-major, ``cols`` columns, at
    ``l2``) and a dense L1 buffer at ``l1``: one row when the block spans whole rows."""
    rows, width = block.shape
    at = l2 + block.r0 * cols + block.c0
    if width == cols:
        rows, width = 1, rows * width
    src, dst, src_stride, dst_stride = (at, l1, cols, width) if to_l1 else (l1, at, width, cols)
    return Transfer(tile, what, src, dst, width, rows, src_stride, dst_stride)


class _Scheduler:
    def __init__(self, tiled: Tiled, memory: MemoryPlan):
        self.tiled, self.memory = tiled, memory
        self.alloc = L1Allocator(memory)
        self.stages: dict[int, Stage] = {}
        self.compute: dict[str, int] = {}
        self.jobs = 0
        #: the latest L1 buffer of each block and constant blob
        self.resident: dict[object, Buffer] = {}
        #: the buffers each tile reads its inputs from, by tile name
        self.inputs: dict[str, tuple[str, ...]] = {}
        writers: dict[str, list[Tile]] = {}
        for t in tiled.tiles:
            writers.setdefault(t.output.tensor, []).append(t)
        #: the tiles whose outputs each (tile, input block) reads; also under (None, block)
        self.producers: dict[tuple[str | None, Block], list[Tile]] = {}
        for t in tiled.tiles:
            for b in t.inputs:
                self.producers[(t.name, b)] = self.producers[(None, b)] = [
                    w for w in writers.get(b.tensor, ()) if _overlap(w.output, b)]
        for t in tiled.tiles:
            for b in t.inputs:
                if b.tensor not in tiled.lowered.graph.inputs and not any(
                        _overlap(w.output, b) for w in writers.get(b.tensor, ())):
                    raise GraphError(f"tile {t.name!r} reads {b}, which no tile writes")

    def stage(self, k: int) -> Stage:
        return self.stages.setdefault(k, Stage(k))

    def earliest(self, t: Tile) -> int | None:
        """The first stage ``t`` might compute in, or None while a producer is not placed:
        one after a producer whose output block is the very block ``t`` reads (read from
        L1), else three (the producer's store, then the load)."""
        k = 1
        for b in t.inputs:
            for w in self.producers[(t.name, b)]:
                if w.name not in self.compute:
                    return None
                k = max(k, self.compute[w.name] + (1 if w.output == b else 3))
        return k

    def in_l2(self, b: Block) -> int:
        """The first stage that may load ``b`` from L2 (its producers placed)."""
        return max([self.compute[w.name] + 2 for w in self.producers[(None, b)]], default=0)

    def place(self, t: Tile, k: int) -> bool:
        """Compute ``t`` in stage ``k`` if its buffers fit L1 there. An input block or
        constant blob still in L1 (loaded for another tile, or made by its producer) is read
        there when its buffer can live until ``k``; the others are loaded in ``k - 1``."""
        reuse: dict[str, tuple[Buffer, Buffer]] = {}          # part -> (old, longer-lived)
        parts = [(f"in{i}", b, b.size) for i, b in enumerate(t.inputs)]
        if t.consts:
            parts.append(("consts", t.consts.name, t.consts.size))
        requests = []
        for part, holds, size in parts:
            old = self.resident.get(holds)
            new = self.alloc.extended(old, k) if old and old.first < k else None
            if new is not None:
                reuse[part] = (old, new)
            elif isinstance(holds, Block) and self.in_l2(holds) > k - 1:
                return False                    # not in L2 yet, and not readable in L1
            else:
                requests.append((f"{t.name}/{part}", size, k - 1, k, holds))
        requests += [(f"{t.name}/{name}", size, k, k, None) for name, size in t.scratch]
        requests.append((f"{t.name}/out", t.output.size, k, k + 1, t.output))
        buffers = self.alloc.place(requests, [new for _, new in reuse.values()])
        if buffers is None:
            return False
        for old, new in reuse.values():
            self.alloc.replace(old, new)
            self.resident[new.holds] = new
        buf = {b.name.split("/")[1]: b for b in buffers}
        loaded = {part for part in buf if part.startswith("in") or part == "consts"}
        buf |= {part: new for part, (_, new) in reuse.items()}
        for part in loaded:
            self.resident[buf[part].holds] = buf[part]
        self.resident[t.output] = buf["out"]
        self.compute[t.name] = k
        self.inputs[t.name] = tuple(buf[f"in{i}"].name for i in range(len(t.inputs)))
        self.emit(t, k, buf, loaded)
        return True

    def emit(self, t: Tile, k: int, buf: dict[str, Buffer], loaded: set[str]) -> None:
        l2, tensors = self.memory.l2, self.tiled.tensors
        loads = self.stage(k - 1).transfers
        for i, b in enumerate(t.inputs):
            if f"in{i}" in loaded:
                loads.append(transfer(t.name, f"in{i}", b, tensors[b.tensor].shape[1],
                                      l2[b.tensor].address, buf[f"in{i}"].address, True))
        if "consts" in loaded:
            c = l2[t.consts.name]
            loads.append(Transfer(t.name, "consts", c.address, buf["consts"].address, c.size, 1,
                                  c.size, c.size))
        out = t.output
        self.stage(k + 1).transfers.insert(0, transfer(
            t.name, "out", out, tensors[out.tensor].shape[1], l2[out.tensor].address,
            buf["out"].address, False))
        if t.unit == "engine":
            pointers = {name: buf[f"in{i}"].address for i, name in enumerate(t.reads)}
            pointers[t.writes] = buf["out"].address
            if t.consts:
                pointers |= {name: buf["consts"].address + offset
                             for name, offset in t.consts.parts}
            pointers |= {name: buf[name].address for name, _ in t.scratch}
            self.stage(k).jobs.append(EngineRun(t, pointers, self.jobs))
            self.jobs += 1
        else:
            self.stage(k).kernels.append(KernelRun(
                t, tuple(buf[f"in{i}"].address for i in range(len(t.inputs))),
                buf["out"].address, buf["consts"].address if t.consts else None,
                buf["scratch"].address if t.scratch else None))


def _overlap(a: Block, b: Block) -> bool:
    return a.tensor == b.tensor and a.r0 < b.r1 and b.r0 < a.r1 and a.c0 < b.c1 and b.c0 < a.c1


#: Where the tensors the tiling adds sit while the schedule is made (outside every memory);
#: they get their L2 addresses, with their lifetimes, afterwards (:func:`_share_l2`).
SCRATCH_BASE = 0xC000_0000


def _place_l2(tiled: Tiled) -> MemoryPlan:
    """The graph's tensors and the constant blobs in L2; the tensors the tiling adds at
    provisional addresses from SCRATCH_BASE."""
    plan = MemoryPlan(tiled.cluster)
    g = tiled.lowered.graph
    at = SCRATCH_BASE
    for name, tensor in tiled.tensors.items():
        size = tensor.shape[0] * tensor.shape[1]
        if name not in g.tensors:
            plan.l2[name] = Region(name, "intermediate", at, size)
            at += aligned(size)
            continue
        kind = ("input" if name in g.inputs else "output" if name in g.outputs
                else "intermediate")
        plan.place_l2(name, kind, size)
    for t in tiled.tiles:
        if t.consts and t.consts.name not in plan.l2:
            plan.place_l2(t.consts.name, "consts", t.consts.size)
    return plan


def _share_l2(memory: MemoryPlan, stages: list[Stage]) -> None:
    """Give the tensors the tiling added their L2 addresses: each lives from the first stage
    that stores into it to the last that loads from it, and tensors that are never live
    together share bytes (below the other data). Rewrites the transfers' addresses."""
    scratch = sorted((r for r in memory.l2.values() if r.address >= SCRATCH_BASE),
                     key=lambda r: r.address)
    if not scratch:
        return
    life: dict[str, list[int]] = {r.name: [] for r in scratch}

    def region(address: int) -> Region | None:
        for r in scratch:
            if r.address <= address < r.end:
                return r
        return None

    for st in stages:
        for t in st.transfers:
            r = region(t.dst if t.what == "out" else t.src)
            if r is not None:
                life[r.name].append(st.index)
    placed: list[Region] = []
    for r in sorted(scratch, key=lambda r: (min(life[r.name]), r.name)):
        first, last = min(life[r.name]), max(life[r.name])
        offset = 0
        for o in sorted(placed, key=lambda o: o.address):
            if o.first <= last and first <= o.last and offset + r.size > o.address:
                offset = max(offset, aligned(o.end))
        placed.append(Region(r.name, r.kind, offset, r.size, first, last))
    window = aligned(max(o.end for o in placed))
    base = memory.data_start - window
    if base < memory.cluster.l2_range[0]:
        raise GraphError(f"the program's data needs more than {memory.cluster.l2_range[1] - base}"
                         f" bytes of L2; the cluster has {memory.cluster.l2_bytes}")
    moved = {r.name: Region(r.name, r.kind, base + r.address, r.size, r.first, r.last)
             for r in placed}

    def move(address: int) -> int:
        r = region(address)
        return address if r is None else moved[r.name].address + address - r.address

    for st in stages:
        st.transfers = [replace(t, src=move(t.src), dst=move(t.dst)) for t in st.transfers]
    memory.l2.update(moved)


def schedule(tiled: Tiled) -> Schedule:
    """Place every tile of ``tiled`` in a stage and its buffers in L1 (module docstring)."""
    memory = _place_l2(tiled)
    s = _Scheduler(tiled, memory)
    pending, k = list(tiled.tiles), 1
    cluster, cfg = tiled.cluster, tiled.lowered.cfg

    def first_ready(unit: str, k: int) -> Tile | None:
        for t in pending:
            if t.unit == unit and (s.earliest(t) or k + 1) <= k and s.place(t, k):
                pending.remove(t)
                return t
        return None

    while pending:                  # list scheduling: per unit, the first ready tile that fits
        kernel = first_ready("cores", k)
        budget = cost.kernel_cycles(kernel.kernel, kernel.output.shape, len(kernel.inputs),
                                    max(1, cluster.cores - 1)) if kernel else 0
        engine = 0
        while (t := first_ready("engine", k)) is not None:   # more jobs while the cores work
            engine += cost.engine_cycles(t.job, cfg) + cost.JOB_START_CYCLES
            if engine >= budget or len(s.stage(k).jobs) >= MAX_JOBS:
                break
        k += 1
        if k > 4 * len(tiled.tiles) + 8:
            raise GraphError(f"no stage fits tile {pending[0].name!r} ({pending[0].footprint} "
                             f"bytes of L1, the cluster has {tiled.cluster.l1_bytes})")
    last = max(s.stages)
    stages = [s.stages.get(k, Stage(k)) for k in range(last + 1)]
    _share_l2(memory, stages)
    memory.place_l2("stamps", "stamps", 4 * len(stages))
    number = 0
    for st in stages:
        for i, tr in enumerate(st.transfers):
            number += 1
            st.transfers[i] = Transfer(**{**tr.__dict__, "id": number})
    out = Schedule(tiled, memory, stages, s.compute, s.inputs)
    verify_schedule(out)
    return out


def verify_schedule(s: Schedule) -> None:
    """Check the pipeline's rules: every tile computes once; reads each input from a buffer
    that holds that block and lives in its stage (a buffer it loads itself: in the stage
    before, from L2 data already stored); every transfer sits in its stage within its
    buffer's life, numbered in order; at most one kernel and :data:`MAX_JOBS` jobs per stage;
    and the memory plan (:func:`~.memory.verify_memory`). Raises :class:`GraphError` naming the
    tile."""
    verify_memory(s.memory)
    names = [t.name for t in s.tiled.tiles]
    done = [r.tile.name for st in s.stages for r in (*st.jobs, *st.kernels)]
    if sorted(done) != sorted(names) or len(set(done)) != len(done):
        raise GraphError("the stages do not compute every tile exactly once")
    buffers = {b.name: b for b in s.memory.l1}
    number = 0
    for st in s.stages:
        if len(st.jobs) > MAX_JOBS or len(st.kernels) > 1:
            raise GraphError(f"stage {st.index}: {len(st.jobs)} jobs and {len(st.kernels)} "
                             f"kernels; at most {MAX_JOBS} and one")
        for tr in st.transfers:
            number += 1
            if tr.id != number:
                raise GraphError(f"stage {st.index}: transfer {tr.what} of {tr.tile!r} has id "
                                 f"{tr.id}, expected {number}")
            k = s.compute.get(tr.tile)
            buf = buffers.get(f"{tr.tile}/{tr.what}")
            if k is None or buf is None:
                raise GraphError(f"stage {st.index}: transfer {tr.what} of an unknown tile "
                                 f"{tr.tile!r}")
            expected = k + 1 if tr.what == "out" else k - 1
            if st.index != expected or not buf.first <= st.index <= buf.last:
                raise GraphError(f"tile {tr.tile!r}: transfer {tr.what} in stage {st.index}, "
                                 f"expected {expected} within its buffer's stages "
                                 f"{buf.first}..{buf.last}")
    for t in s.tiled.tiles:
        k = s.compute[t.name]
        for i, (b, name) in enumerate(zip(t.inputs, s.inputs[t.name], strict=True)):
            buf = buffers[name]
            if buf.holds != b or not buf.first < k <= buf.last:
                raise GraphError(f"tile {t.name!r} (stage {k}) reads input {i} ({b}) from "
                                 f"{name!r} holding {buf.holds} in stages {buf.first}.."
                                 f"{buf.last}")
            if name != f"{t.name}/in{i}" or b.tensor in s.tiled.lowered.graph.inputs:
                continue
            writers = [s.compute[w.name] + 1 for w in s.tiled.tiles if _overlap(w.output, b)]
            if not writers or max(writers) >= k - 1:
                raise GraphError(f"tile {t.name!r} (stage {k}) loads {b} in stage {k - 1}, "
                                 f"before its writers are stored (stages {writers})")
