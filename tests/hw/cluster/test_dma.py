"""The DMA on the cluster: 1D and 2D transfers in both directions, odd sizes, alignments and
strides, queued back to back, while the other cores hammer the same L1 banks; and its error
states."""

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


def transfers(seed: int, count: int):
    """Random, non-overlapping transfers: (src, dst, bytes, rows, src_stride, dst_stride)."""
    rng = np.random.default_rng(seed)
    l1, l2 = L1_BASE + 0x1000, L2_BASE + 0x1_0000
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
    loads, reads = [(FLAG, bytes(8))], []
    model = {}
    for src, dst, size, rows, ss, ds in moves:
        span_src, span_dst = (rows - 1) * ss + size, (rows - 1) * ds + size
        data = rng.integers(0, 256, span_src, dtype=np.uint8).tobytes()
        before = rng.integers(0, 256, span_dst, dtype=np.uint8).tobytes()
        loads += [(src, data), (dst, before)]
        after = bytearray(before)
        for r in range(rows):
            after[r * ds:r * ds + size] = data[r * ss:r * ss + size]
        model[dst] = bytes(after)
        reads.append((dst, span_dst))
    reads.append((RESULT, 12))
    r = run(dma_program(moves, SMALL.cores), tmp_path, loads=loads, reads=reads,
            max_cycles=200_000)
    assert r["exit_code"] == 0, r
    for (src, dst, size, rows, ss, ds), got in zip(moves, r["memory"], strict=False):
        assert got == model[dst], (f"transfer 0x{src:x} -> 0x{dst:x}, {rows} rows of {size} "
                                   f"bytes, strides {ss}/{ds}: destination differs")
    last_id, bad, status = np.frombuffer(r["memory"][-1], dtype="<u4").tolist()
    assert last_id == len(moves)
    assert bad == 0 and DMA_REGS["STATUS"].field("error").decode(status) == DmaError.BAD_TRANSFER
    assert r["dma_busy"] > 0
    assert all(s > 0 for s in r["core_stalls"][1:]), "the hammering cores never met the DMA"
