"""The DMA on the cluster: 1D and 2D transfers in both directions, odd sizes, alignments and
strides, queued back to back, while the other cores hammer the same L1 banks; and its error
states. The whole of both memory areas the transfers use is compared with a model, so a
write outside a destination shows too."""

import numpy as np
import pytest

from hw.cluster.regmap import DMA_REGS, DmaError
from hw.config import DMA_BASE, L1_BASE, L2_BASE, DmaReg
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

    def at(address: int) -> tuple[np.ndarray, int]:
        base = L1_AREA if address < L2_BASE else L2_AREA
        return areas[base], address - base

    for src, dst, size, rows, ss, ds in moves:
        (si, so), (di, do) = at(src), at(dst)
        for r in range(rows):
            di[do + r * ds:do + r * ds + size] = si[so + r * ss:so + r * ss + size].copy()
    reads = [(b, im.size) for b, im in areas.items()] + [(RESULT, 24), (OUT_DST, 64)]
    reads += [(HAMMER + 64 * c, 64) for c in range(1, SMALL.cores)]
    r = run(dma_program(moves, SMALL.cores), tmp_path, loads=loads, reads=reads,
            max_cycles=200_000)
    assert r["exit_code"] == 0, r
    for (base, image), got in zip(areas.items(), r["memory"], strict=False):
        bad = np.flatnonzero(np.frombuffer(got, np.uint8) != image)
        assert bad.size == 0, (f"{bad.size} bytes differ from the model, the first at "
                               f"0x{base + bad[0]:x} (seed {seed})")
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
