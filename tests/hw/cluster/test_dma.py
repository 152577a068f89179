"""The DMA on the cluster: 1D and 2D transfers in both directions, odd sizes, alignments and
strides, queued back to back, while the other cores hammer the same L1 banks; and its error
states. The whole of both memory areas the transfers use is compared with a model, so a
write outside a destination shows too."""

import numpy as np
import pytest

from hw.cluster.regmap import DMA_REGS, DmaError
from hw.config import DMA_BASE, EVENT_BASE, L1_BASE, L2_BASE, DmaReg, EventReg
from sw.kernels.asm import exit_with
from sw.rv32 import Program

from .programs import SMALL, run

#: Where the hammering cores stop (L1) and what core 0 stores there.
FLAG = L1_BASE + 0x100
HAMMER = L1_BASE + 0x200          # 8 words per core, on different banks
RESULT = L2_BASE + 0x3_0000
#: Where the transfers' regions start in L1 and in L2.
L1_AREA, L2_AREA = L1_BASE + 0x1000, L2_BASE + 0x1_0000
#: A transfer whose row leaves L2 (it ends 48 bytes past the end): skipped, OUT_OF_RANGE.
OUT_SRC = L2_BASE + SMALL.l2_bytes - 16
OUT_DST = L1_BASE + 0x800


def transfers(seed: int, count: int):
    """Random, non-overlapping transfers: (src, dst, bytes, rows, src_stride, dst_stride)."""
    rng = np.random.default_rng(seed)
    l1, l2 = L1_AREA, L2_AREA
    out = []
    for _ in range(count):
        size, rows = int(rng.integers(1, 200)), int(rng.integers(1, 5))
        ss, ds = size + int(rng.integers(0, 40)), size + int(rng.integers(0, 40))
        a, b = l1 + int(rng.integers(0, 64)), l2 + int(rng.integers(0, 64))
        l1 += rows * max(ss, ds) + 128
        l2 += rows * max(ss, ds) + 128
        out.append((b, a, size, rows, ss, ds) if rng.random() < 0.5
                   else (a, b, size, rows, ds, ss))
    return out


def dma_program(moves, cores: int) -> Program:
    p = Program()
    p.csrr("a0", "mhartid").bnez("a0", "hammer")
    p.li("s0", DMA_BASE)
    for k, (src, dst, size, rows, ss, ds) in enumerate(moves):
        for reg, value in ((DmaReg.SRC, src), (DmaReg.DST, dst), (DmaReg.ROW_BYTES, size),
                           (DmaReg.ROWS, rows), (DmaReg.SRC_STRIDE, ss),
                           (DmaReg.DST_STRIDE, ds)):
            p.li("t1", value).sw("t1", reg, "s0")
        p.label(f"start{k}").lw("s11", DmaReg.START, "s0").beqz("s11", f"start{k}")
    p.label("wait").lw("t3", DmaReg.DONE, "s0").bgeu("t3", "s11", "done").wfi().j("wait")
    p.label("done")
    p.li("t0", RESULT).sw("s11", 0, "t0")
    # a bad transfer (both sides in L1): START returns 0 and STATUS says why
    p.li("t1", L1_BASE).sw("t1", DmaReg.SRC, "s0").sw("t1", DmaReg.DST, "s0")
    p.lw("t2", DmaReg.START, "s0").sw("t2", 4, "t0")
    p.lw("t2", DmaReg.STATUS, "s0").sw("t2", 8, "t0")
    # clear the error; a transfer whose row leaves L2: skipped, OUT_OF_RANGE, its id kept
    p.li("t2", DMA_REGS["STATUS"].encode(busy=0, queued=0, error=1)).sw("t2", DmaReg.STATUS, "s0")
    for reg, value in ((DmaReg.SRC, OUT_SRC), (DmaReg.DST, OUT_DST), (DmaReg.ROW_BYTES, 64),
                       (DmaReg.ROWS, 1), (DmaReg.SRC_STRIDE, 64), (DmaReg.DST_STRIDE, 64)):
        p.li("t1", value).sw("t1", reg, "s0")
    p.label("start_out").lw("s11", DmaReg.START, "s0").beqz("s11", "start_out")
    p.label("wait_out").lw("t3", DmaReg.DONE, "s0").bgeu("t3", "s11", "done_out").wfi()
    p.j("wait_out").label("done_out")
    p.li("t0", RESULT).sw("s11", 12, "t0")
    p.lw("t2", DmaReg.STATUS, "s0").sw("t2", 16, "t0")
    p.lw("t2", DmaReg.ERROR_ID, "s0").sw("t2", 20, "t0")
    p.li("t1", FLAG).li("t2", 1).sw("t2", 0, "t1")
    p.li("a1", 0)
    exit_with(p, "a1")
    # the other cores: loads and stores on every bank until the flag is set
    p.label("hammer")
    p.li("t1", HAMMER).slli("t2", "a0", 6).add("t1", "t1", "t2").li("t3", FLAG)
    p.label("again")
    for k in range(8):
        p.lw("t4", 8 * k, "t1").addi("t4", "t4", 1).sw("t4", 8 * k, "t1")
    p.lw("t5", 0, "t3").beqz("t5", "again")
    p.label("rest").wfi().j("rest")
    return p


def assert_images(images: dict[int, np.ndarray], memory: list[bytes], seed: int) -> None:
    """Each image (by its address) equals the bytes read back in its place in ``memory``."""
    for (base, image), got in zip(images.items(), memory[:len(images)], strict=True):
        bad = np.flatnonzero(np.frombuffer(got, np.uint8) != image)
        assert bad.size == 0, (f"{bad.size} bytes differ from the model, the first at "
                               f"0x{base + bad[0]:x} (seed {seed})")


@pytest.mark.parametrize("seed", [1, 2])
def test_dma_transfers_under_contention(tmp_path, seed):
    moves = transfers(seed, 12)
    rng = np.random.default_rng(seed + 100)
    spans = [(a, a + (rows - 1) * stride + size) for src, dst, size, rows, ss, ds in moves
             for a, stride in ((src, ss), (dst, ds))]
    l1_end = max(end for a, end in spans if a < L2_BASE) + 64
    l2_end = max(end for a, end in spans if a >= L2_BASE) + 64
    areas = {L1_AREA: np.zeros(l1_end - L1_AREA, np.uint8),
             L2_AREA: np.zeros(l2_end - L2_AREA, np.uint8)}
    for image in areas.values():                  # a background, so that any write shows
        image[:] = rng.integers(0, 256, image.size, dtype=np.uint8)
    loads = [(FLAG, bytes(8)), (OUT_DST, bytes(64))] + [(b, im.tobytes())
                                                         for b, im in areas.items()]
    model = DmaModel(SMALL, areas)                # (below) copies into the areas
    assert [model.start(m) for m in moves] == list(range(1, len(moves) + 1))
    reads = [(b, im.size) for b, im in areas.items()] + [(RESULT, 24), (OUT_DST, 64)]
    reads += [(HAMMER + 64 * c, 64) for c in range(1, SMALL.cores)]
    r = run(dma_program(moves, SMALL.cores), tmp_path, loads=loads, reads=reads,
            max_cycles=200_000)
    assert r["exit_code"] == 0, r
    assert_images(areas, r["memory"], seed)
    last_id, bad, status, out_id, out_status, error_id = np.frombuffer(
        r["memory"][2], dtype="<u4").tolist()
    assert last_id == len(moves)
    error = DMA_REGS["STATUS"].field("error")
    assert bad == 0 and error.decode(status) == DmaError.BAD_TRANSFER
    assert out_id == last_id + 1 and error.decode(out_status) == DmaError.OUT_OF_RANGE
    assert error_id == out_id, "ERROR_ID names another transfer"
    assert r["memory"][3] == bytes(64), "the row that left L2 was written anyway"
    for c, got in enumerate(r["memory"][4:], start=1):   # the hammering cores' own words
        words = np.frombuffer(got, "<u4")[::2]
        assert (words == words[0]).all() and words[0] > 0, (c, words)
    assert r["dma_busy"] > 0
    assert all(s > 0 for s in r["core_stalls"][1:]), "the hammering cores never met the DMA"


# ---- every shape, the edges of both memories, the error states, a full queue, every core ---

#: Descriptor flags: START until it returns an id; wait for the transfer to finish; write
#: STATUS with error bit 1 (which must not clear the error); then with bit 0 (which clears it).
RETRY, WAIT, FAKE_CLEAR, CLEAR = 1, 2, 4, 8
TABLE = L2_BASE + 0x4000          # 8 words per descriptor: the six registers, flags, 0
LOG = L2_BASE + 0x8000            # 16 words per descriptor, what the starting core saw
DATA_L2 = L2_BASE + 0x1_0000      # from here to the end of L2, and all of L1: the data
MASK = 0xFFFF_FFFF
REGS = (DmaReg.SRC, DmaReg.DST, DmaReg.ROW_BYTES, DmaReg.ROWS, DmaReg.SRC_STRIDE,
        DmaReg.DST_STRIDE)
READABLE = (*REGS, DmaReg.DONE, DmaReg.STATUS, DmaReg.ERROR_ID)     # all but START


def inside(addr: int, rng: tuple[int, int], size: int = 1) -> bool:
    return rng[0] <= addr and addr + size <= rng[1]


def row_addresses(d) -> list[tuple[int, int]]:
    """Each row's (source, destination), with 32-bit wrap-around as the DMA adds strides."""
    return [((d[0] + r * d[4]) & MASK, (d[1] + r * d[5]) & MASK) for r in range(d[3])]


def edge_descriptors(cfg) -> list[tuple]:
    """Transfers at the first and last bytes of L1 and L2, and every way to get an error."""
    (l1, l1_end), (_, l2_end) = cfg.l1_range, cfg.l2_range
    w, wc = WAIT, WAIT | CLEAR
    return [
        (l2_end - 100, l1, 100, 1, 0, 0, w),                      # both edges, in range
        (l1_end - 77, l2_end - 77, 77, 1, 77, 77, w),
        (DATA_L2, l1_end - 1, 1, 1, 1, 1, w),
        (l1, l2_end - 1, 1, 1, 1, 1, w),
        (l2_end - 40, l1 + 5000, 40, 2, -1000, -300, w),          # negative strides
        (l2_end - 64, l1 + 9000, 64, 3, 1 << 31, 100, wc),        # middle row out (wraps)
        (l1 - 1, DATA_L2, 8, 1, 8, 8, w | FAKE_CLEAR),            # sticky: the first error
        (DATA_L2, l1_end, 8, 1, 8, 8, wc),
        (DATA_L2, l1 - 1, 8, 1, 8, 8, wc),
        (l2_end, l1, 8, 1, 8, 8, wc),
        (L2_BASE - 1, l1, 8, 1, 8, 8, wc),
        (l1, l2_end, 8, 1, 8, 8, wc),
        (l1, l1 + 64, 8, 1, 8, 8, wc),                            # L1 to L1
        (DATA_L2, DATA_L2 + 64, 8, 1, 8, 8, wc),                  # L2 to L2
        (DATA_L2, l1, 0, 1, 8, 8, wc),                            # no bytes
        (DATA_L2, l1, 8, 0, 8, 8, wc),                            # no rows
        (0xFFFF_FFC0, l1, 8, 1, 8, 8, wc),                        # 33-bit end
        (l2_end - 16, l1 + 100, 17, 1, 17, 17, wc),               # a row leaves L2 by 1
        (l1_end - 10, DATA_L2 + 300, 11, 1, 11, 11, wc),          # ... L1
        (DATA_L2 + 600, l1_end - 16, 17, 1, 17, 17, wc),
        (l1 + 800, l2_end - 16, 17, 1, 17, 17, wc),
        (DATA_L2 + 900, l1 + 1000, 0xFFFF_FF00, 1, 0, 0, wc),     # a row of 4 GiB
        (l2_end - 3000, l1 + 2000, 1000, 3, 1500, 1000, wc),      # last row out
    ]


def past_the_ends(cfg) -> list[tuple]:
    """For each side and memory, a start address ``2**k - 1`` past the memory's end (START
    refuses it; k = 0 .. 23) and a row that ends ``2**k`` bytes past it while the other side
    is in range (skipped; k = 0 .. 16, as far as L1 has room): a range check that loses or
    gains a bit of its sum or bound takes one of them."""
    (l1, l1_end), (_, l2_end) = cfg.l1_range, cfg.l2_range
    out = []
    for k in range(24):
        over = (1 << k) - 1
        out += [(l1_end + over, DATA_L2, 1, 1, 0, 0, WAIT | CLEAR),
                (DATA_L2, l1_end + over, 1, 1, 0, 0, WAIT | CLEAR),
                (l2_end + over, l1, 1, 1, 0, 0, WAIT | CLEAR),
                (l1, l2_end + over, 1, 1, 0, 0, WAIT | CLEAR)]
        if 64 + (1 << k) > l1_end - l1:
            continue
        out += [(l1_end - 64, DATA_L2, 65 + over, 1, 0, 0, WAIT | CLEAR),
                (DATA_L2, l1_end - 64, 65 + over, 1, 0, 0, WAIT | CLEAR),
                (l2_end - 64, l1, 65 + over, 1, 0, 0, WAIT | CLEAR),
                (l1, l2_end - 64, 65 + over, 1, 0, 0, WAIT | CLEAR)]
    return out


def long_descriptors(cfg) -> list[tuple]:
    """A row of 120,000 bytes each way (counters of chunks and beats to bit 10), 1023 rows
    (the row counter to bit 9), and one byte to and from each offset of a beat (each lane of
    L1 alone)."""
    l1, l2 = cfg.l1_range[0], DATA_L2
    out = [(l2 + 5, l1 + 3, 120_000, 1, 0, 0, RETRY | WAIT),
           (l1 + 70, l2 + 60_000, 120_000, 1, 0, 0, RETRY | WAIT),
           (l2 + 1, l1 + 200, 3, 1023, 7, 5, RETRY | WAIT)]
    for off in range(64):
        out += [(l2 + 7 * off, l1 + 10_000 + 64 * off + off, 1, 1, 0, 0, RETRY),
                (l1 + 20_000 + 3 * off, l2 + 20_000 + 64 * off + off, 1, 1, 0, 0, RETRY)]
    return out


def random_descriptors(cfg, rng, sizes, rows: tuple[int, int], flags: int,
                       bounce: float = 0.0) -> list[tuple]:
    """One transfer of each size, random direction, offsets, rows (in ``rows``, both included)
    and signed strides (0 too), placed anywhere in the data areas; with probability ``bounce``
    it is followed by one that copies the rows it wrote back to the other memory (which must
    wait for them)."""
    areas = {True: cfg.l1_range, False: (DATA_L2, cfg.l2_range[1])}

    def stride(size: int) -> int:
        kind = rng.random()
        s = 0 if kind < 0.1 else size + int(rng.integers(0, 100))
        return -s if kind > 0.8 else s

    def place(in_l1: bool, size: int, rows: int, stride: int) -> int:
        lo, hi = areas[in_l1]
        first = min(0, (rows - 1) * stride)               # row offsets from the start
        last = max(0, (rows - 1) * stride) + size
        return int(rng.integers(lo - first, hi - last + 1))

    out = []
    for size in sizes:
        size, n = int(size), int(rng.integers(rows[0], rows[1] + 1))
        ss, ds, to_l1 = stride(size), stride(size), bool(rng.random() < 0.5)
        dst = place(to_l1, size, n, ds)
        out.append((place(not to_l1, size, n, ss), dst, size, n, ss, ds, flags))
        if rng.random() < bounce:
            back = stride(size)
            out.append((dst, place(not to_l1, size, n, back), size, n, ds, back, flags))
    return out


def descriptor_program(count: int, cores: int) -> Program:
    """Core 0 runs descriptors 0 .. count-cores from TABLE, then hands one descriptor each to
    cores 1 .. cores-1 in turn (a word after the log, and an event), which wait for theirs with
    ``wfi``: the DMA's event must go to the core that started. For each, the core writes the
    six registers, STARTs (with RETRY until it gets an id, counting the zeros and keeping
    STATUS at the first), waits (WAIT), logs DONE, STATUS and ERROR_ID, writes STATUS
    (FAKE_CLEAR, CLEAR), writes all ones to the read-only registers, and logs the six
    registers read back. Core 0 first logs the registers' values after reset, and at the end
    the final DONE and STATUS."""
    p = Program()
    turn = LOG + 64 * count
    p.csrr("a0", "mhartid").li("s0", DMA_BASE).li("s9", turn).li("s10", EVENT_BASE)
    p.bnez("a0", "other")
    for k, reg in enumerate(READABLE):                  # their values after reset
        p.lw("t0", reg, "s0").sw("t0", 16 + 4 * k, "s9")
    p.li("s1", TABLE).li("s2", LOG).li("s3", count - cores + 1).call("entries")
    p.li("t0", 1).sw("t0", 0, "s9").li("t0", 2).sw("t0", EventReg.SW_EVENT, "s10")
    p.li("t1", cores)
    p.label("turn0").lw("t0", 0, "s9").beq("t0", "t1", "final").wfi().j("turn0")
    p.label("final")
    p.lw("t0", DmaReg.DONE, "s0").sw("t0", 8, "s9")
    p.lw("t0", DmaReg.STATUS, "s0").sw("t0", 12, "s9")
    p.li("a1", 0)
    exit_with(p, "a1")
    # core c runs descriptor count - cores + c, then passes the turn on (the last to core 0)
    p.label("other").lw("t0", 0, "s9").beq("t0", "a0", "mine").wfi().j("other")
    p.label("mine").addi("t0", "a0", count - cores)
    p.slli("s1", "t0", 5).li("t1", TABLE).add("s1", "s1", "t1")
    p.slli("s2", "t0", 6).li("t1", LOG).add("s2", "s2", "t1")
    p.li("s3", 1).call("entries")
    p.addi("t0", "a0", 1).sw("t0", 0, "s9")
    p.li("t1", 1).sll("t1", "t1", "t0").li("t2", cores).bne("t0", "t2", "tell").li("t1", 1)
    p.label("tell").sw("t1", EventReg.SW_EVENT, "s10")
    p.label("rest").wfi().j("rest")

    status = DMA_REGS["STATUS"]
    p.label("entries")
    for k, reg in enumerate(REGS):
        p.lw("t1", 4 * k, "s1").sw("t1", reg, "s0")
    p.lw("s4", 24, "s1").li("s5", 0).sw("zero", 32, "s2")
    p.label("start").lw("s11", DmaReg.START, "s0").bnez("s11", "started")
    p.andi("t1", "s4", RETRY).beqz("t1", "started")
    p.bnez("s5", "counted").lw("t1", DmaReg.STATUS, "s0").sw("t1", 32, "s2")
    p.label("counted").addi("s5", "s5", 1).j("start")
    p.label("started").sw("s11", 24, "s2").sw("s5", 28, "s2")
    p.andi("t1", "s4", WAIT).beqz("t1", "waited")
    p.label("wait").lw("t3", DmaReg.DONE, "s0").bgeu("t3", "s11", "waited").wfi().j("wait")
    p.label("waited")
    for k, reg in enumerate((DmaReg.DONE, DmaReg.STATUS, DmaReg.ERROR_ID)):
        p.lw("t1", reg, "s0").sw("t1", 36 + 4 * k, "s2")
    for bit, word in ((FAKE_CLEAR, status.encode(busy=1, queued=0xFF, error=2)),
                      (CLEAR, status.encode(busy=0, queued=0, error=1))):
        p.andi("t1", "s4", bit).beqz("t1", f"no{bit}").li("t1", word)
        p.sw("t1", DmaReg.STATUS, "s0").label(f"no{bit}")
    p.li("t1", -1)
    for reg in (DmaReg.START, DmaReg.DONE, DmaReg.ERROR_ID):
        p.sw("t1", reg, "s0")
    for k, reg in enumerate(REGS):
        p.lw("t1", reg, "s0").sw("t1", 4 * k, "s2")
    p.addi("s1", "s1", 32).addi("s2", "s2", 64).addi("s3", "s3", -1).bnez("s3", "entries")
    p.ret()
    return p


class DmaModel:
    """What the DMA should do with each descriptor, in order: the ids START returns, the sticky
    error and its id, and the bytes it copies (row by row, rows out of range skipped)."""

    def __init__(self, cfg, images: dict[int, np.ndarray]):
        self.l1, self.l2 = cfg.l1_range, cfg.l2_range
        self.images = images
        self.next_id, self.error, self.error_id = 1, 0, 0

    def at(self, addr: int, size: int) -> np.ndarray:
        for base, image in self.images.items():
            if base <= addr and addr + size <= base + image.size:
                return image[addr - base:addr - base + size]
        raise AssertionError(f"the test's own transfer touches 0x{addr:x}, outside its areas")

    def fail(self, code: int, which: int) -> None:
        if self.error == 0:
            self.error, self.error_id = code, which

    def start(self, d) -> int:
        src, dst, size, rows = d[:4]
        l1, l2 = self.l1, self.l2
        good = ((inside(src, l2) and inside(dst, l1)) or (inside(src, l1) and inside(dst, l2)))
        if not good or size == 0 or rows == 0:
            self.fail(DmaError.BAD_TRANSFER, self.next_id)
            return 0
        got, self.next_id = self.next_id, self.next_id + 1
        to_l1 = inside(dst, l1)
        for s, t in row_addresses(d):
            if not (inside(s, l2 if to_l1 else l1, size) and inside(t, l1 if to_l1 else l2, size)):
                self.fail(DmaError.OUT_OF_RANGE, got)
                continue
            self.at(t, size)[:] = self.at(s, size)
        return got

    def write_status(self, flags: int) -> None:
        if flags & CLEAR:
            self.error, self.error_id = 0, 0


@pytest.mark.parametrize("seed", [1, 2])
def test_dma_every_shape_and_error(tmp_path, seed):
    """Every row size from 1 to 130 bytes (a row of 1 to 3 chunks), random offsets, directions,
    rows and signed strides, back to back (seed 1) or one at a time (seed 2), some copied back
    at once (a change of direction must wait for the rows in flight); transfers at the first and
    last bytes of L1 and L2, and one past them; each error state, sticky until cleared; big
    transfers queued until the queue is full; one transfer started and awaited by each core,
    ended by a row that is skipped. All of L1 and of L2's data, the descriptors' table, the
    registers read back (all 0 after reset) and each START's id and error are compared with a
    model."""
    cfg = SMALL
    rng = np.random.default_rng(seed)
    descs = edge_descriptors(cfg) + past_the_ends(cfg) + long_descriptors(cfg)
    descs += random_descriptors(cfg, rng, rng.permutation(np.arange(1, 131)), (1, 3),
                                RETRY | WAIT * (seed == 2), bounce=0.3)
    descs += random_descriptors(cfg, rng, rng.integers(5000, 8000, 10), (4, 8), RETRY)
    # one for each core, the last row out of L2: the skipped row ends the transfer
    l2_end = cfg.l2_range[1]
    descs += [(l2_end - 3000 - 8 * c, cfg.l1_range[0] + 20_000 + 4000 * c, 1000, 3, 1500, 1000,
               RETRY | WAIT | CLEAR) for c in range(cfg.cores)]
    table = np.zeros((len(descs), 8), np.uint32)
    table[:, :7] = np.array(descs, dtype=np.int64) & MASK
    images = {a: rng.integers(0, 256, hi - a, dtype=np.uint8)
              for a, hi in (cfg.l1_range, (DATA_L2, cfg.l2_range[1]))}
    loads = [(TABLE, table.tobytes())] + [(a, im.tobytes()) for a, im in images.items()]
    model = DmaModel(cfg, images)
    expected = []
    for d in descs:
        got = model.start(d)
        expected.append((got, model.error, model.error_id))
        model.write_status(d[6])
    r = run(descriptor_program(len(descs), cfg.cores), tmp_path, loads=loads, max_cycles=2_000_000,
            reads=[(a, im.size) for a, im in images.items()]
            + [(TABLE, table.nbytes), (LOG, 64 * len(descs) + 16 + 4 * len(READABLE))])
    assert r["exit_code"] == 0, r
    assert_images(images, r["memory"], seed)
    assert r["memory"][2] == table.tobytes(), "the DMA wrote into its descriptors' table"
    log = np.frombuffer(r["memory"][3], "<u4")
    status = DMA_REGS["STATUS"]
    queued_when_full = []
    for k, (d, (got, error, error_id)) in enumerate(zip(descs, expected, strict=True)):
        e = log[16 * k:16 * k + 16]
        where = f"descriptor {k} {tuple(hex(v & MASK) for v in d[:6])} flags {d[6]}"
        assert list(e[:6]) == [v & MASK for v in d[:6]], f"{where}: registers read back"
        assert e[6] == got, f"{where}: START gave {e[6]}, not {got}"
        assert (e[7] > 0) <= bool(d[6] & RETRY), where
        if e[7]:
            queued_when_full.append(status.field("queued").decode(int(e[8])))
        if d[6] & WAIT:
            assert e[9] == (got or e[9]), f"{where}: DONE {e[9]} after waiting for {got}"
            assert status.field("error").decode(int(e[10])) == error, f"{where}: STATUS"
            assert e[11] == error_id, f"{where}: ERROR_ID {e[11]}, not {error_id}"
    assert max(queued_when_full, default=0) == cfg.dma_queue, (
        f"START never found the queue full: {queued_when_full}")
    turn = log[16 * len(descs):]
    assert not turn[4:].any(), f"registers after reset: {turn[4:]}"
    done, final = turn[2:4]
    assert done == model.next_id - 1
    assert status.field("busy").decode(int(final)) == 0
    assert status.field("queued").decode(int(final)) == 0
