"""The software baseline: the attention head of :mod:`.attention` computed by the cores alone
(RV32IM, no engine), bit-exact with :func:`sw.golden.attention_head`.

Core 0 moves the input, the weights (stored transposed, so every dot product reads two
contiguous rows) and the biases from L2 to L1 with one DMA transfer. The rows of the sequence
are split evenly across the cores. Each core computes Q, K and V for its rows (V is stored
transposed), meets the others at a barrier, and then for each of its rows i computes the
logits ``Q[i] K^T``, ITAMax of that row, ``A[i] V`` and the output row ``O[i] Wo``. After a
second barrier core 0 moves the output to L2 and exits with 0 (3 if the DMA reported an error).

The kernels are emitted by :func:`matvec_code`, :func:`itamax_code` and
:func:`sw.kernels.requant.requant_code`;
each reproduces one formula of the golden model exactly (tests/sw/programs/test_attention_sw.py runs
them on unicorn against ``sw.golden``).
"""

import numpy as np

from hw.config import DMA_BASE, L1_BASE, ClusterConfig, DmaReg
from sw.golden import Requant, attention_head
from sw.rv32 import Program

from ..engine.random_jobs import random_head
from ..kernels.asm import barrier, dma_error, exit_with, queue_dma, stamp, wait_until
from ..kernels.requant import requant_code
from .attention import DATA, STAMPS, AttentionProgram, check_sizes, l2

__all__ = ["software_attention_program", "SW_PHASES", "matvec_code", "itamax_code"]

#: The phases core 0 stamps, in order.
SW_PHASES = ("start", "dma_in", "qkv", "attention", "dma_out")
def matvec_code(p: Program, tag: str, *, row: str, w: int, n_out: int, k: int, out: str,
                out_stride: int, rq: Requant, bias: int | None = None,
                unsigned: bool = False, skew: str = "zero") -> None:
    """Emit ``out[j * out_stride] = rq(sum_i row[i] * w[j * k + i] + bias[j])`` for
    ``j < n_out``: ``row`` (register) holds the address of ``k`` int8 (uint8 if ``unsigned``)
    values, ``w`` the address of ``n_out`` rows of ``k`` int8 weights, ``bias`` of ``n_out``
    int32 (or None), ``out`` (register) the address of the first int8 output.

    Each sum starts at element ``skew`` (a register holding a multiple of 4 below ``k``) and
    wraps around: cores given different skews read different L1 banks at the same time
    instead of queueing for one. Uses s1..s7, t0..t4; ``k`` must be a positive multiple of 4.
    """
    if k < 4 or k % 4:
        raise ValueError(f"matvec {tag}: k = {k} must be a positive multiple of 4")
    load = p.lbu if unsigned else p.lb

    def dot(label: str) -> None:          # s1 (row) and t4 (weights) up to s3
        p.label(label)
        for u in (0, 2):
            load("t0", u, "s1")
            p.lb("t1", u, "t4")
            load("t2", u + 1, "s1")
            p.lb("t3", u + 1, "t4")
            p.mul("t0", "t0", "t1").mul("t2", "t2", "t3")
            p.add("s4", "s4", "t0").add("s4", "s4", "t2")
        p.addi("s1", "s1", 4).addi("t4", "t4", 4).bne("s1", "s3", label)

    p.li("s2", w).li("s7", w + n_out * k).mv("s5", out)
    if bias is not None:
        p.li("s6", bias)
    p.label(f"{tag}_col")
    if bias is not None:
        p.lw("s4", 0, "s6").addi("s6", "s6", 4)
    else:
        p.li("s4", 0)
    p.add("s1", row, skew).add("t4", "s2", skew).addi("s3", row, k)
    dot(f"{tag}_dot")                                 # elements skew .. k-1
    p.mv("s1", row).mv("t4", "s2").add("s3", row, skew).beq("s1", "s3", f"{tag}_sum")
    dot(f"{tag}_wrap")                                # elements 0 .. skew-1
    p.label(f"{tag}_sum").addi("s2", "s2", k)
    requant_code(p, "s4", rq, tag)
    p.sb("s4", 0, "s5").addi("s5", "s5", out_stride).bne("s2", "s7", f"{tag}_col")


def _rs(p: Program, reg: str, k: int, tag: str) -> None:
    """``reg = min(31, floor(reg / 2**k + 1/2))`` for ``reg >= 0``: ITAMax's shift, capped
    where a right shift of any value ITAMax shifts is 0 (uses t3)."""
    if k:
        p.addi(reg, reg, (1 << k) >> 1).srli(reg, reg, k)
    p.sltiu("t3", reg, 32).bnez("t3", f"{tag}_rs").li(reg, 31)
    p.label(f"{tag}_rs")


def itamax_code(p: Program, tag: str, *, src: str, dst: str, cols: int, group: int,
                k: int) -> None:
    """Emit ITAMax of one row exactly as :func:`sw.golden.itamax`: ``src`` (register) holds
    the address of ``cols`` int8 logits, ``dst`` the address for the ``cols`` uint8 outputs;
    ``group`` columns per stage-1 step (the last may be partial), shift ``k``.

    Uses s1..s7 and t0..t3.
    """
    if cols < 1 or group < 1:
        raise ValueError(f"itamax {tag}: cols = {cols} and group = {group} must be positive")
    p.li("s4", -128).li("s5", 0)                                  # max, sum
    p.mv("s1", src).li("t0", cols).add("s3", src, "t0")
    p.label(f"{tag}_group")                                       # stage 1, one group
    p.addi("s7", "s1", group).bltu("s7", "s3", f"{tag}_full").mv("s7", "s3")
    p.label(f"{tag}_full")
    p.mv("s6", "s4").mv("s2", "s1")
    p.label(f"{tag}_max").lb("t0", 0, "s2").ble("t0", "s6", f"{tag}_less").mv("s6", "t0")
    p.label(f"{tag}_less").addi("s2", "s2", 1).bne("s2", "s7", f"{tag}_max")
    p.sub("t0", "s6", "s4")
    _rs(p, "t0", k, f"{tag}_renorm")
    p.srl("s5", "s5", "t0").mv("s4", "s6")
    p.li("t2", 256).mv("s2", "s1")
    p.label(f"{tag}_exp").lb("t0", 0, "s2").sub("t0", "s4", "t0")
    _rs(p, "t0", k, f"{tag}_exp")
    p.srl("t1", "t2", "t0").add("s5", "s5", "t1")
    p.addi("s2", "s2", 1).bne("s2", "s7", f"{tag}_exp")
    p.mv("s1", "s7").bne("s1", "s3", f"{tag}_group")
    p.li("t0", 65280).divu("s5", "t0", "s5")                      # stage 2: inv
    p.mv("s1", src).mv("s2", dst)
    p.label(f"{tag}_out").lb("t0", 0, "s1").sub("t0", "s4", "t0")  # stage 3
    _rs(p, "t0", k, f"{tag}_out")
    p.srl("t1", "s5", "t0").sb("t1", 0, "s2")
    p.addi("s1", "s1", 1).addi("s2", "s2", 1).bne("s1", "s3", f"{tag}_out")


def _address(p: Program, rd: str, base: int, index: str, stride: int) -> None:
    """``rd = base + index * stride`` (uses t0)."""
    p.li("t0", stride).mul(rd, index, "t0").li("t0", base).add(rd, rd, "t0")


def _skew(p: Program, k: int) -> None:
    """``a1 = 8 * core % k``: each core's sums of ``k`` elements start one L1 bank apart."""
    p.slli("a1", "a0", 3).li("t0", k).remu("a1", "a1", "t0")


class _Layout:
    """Byte addresses in L1, each buffer aligned to 64 bytes; the inputs come first."""

    def __init__(self):
        self.end = L1_BASE

    def take(self, size: int) -> int:
        address = self.end
        self.end += -(-size // 64) * 64
        return address


def software_attention_program(cfg: ClusterConfig, *, seq: int, emb: int, proj: int,
                               seed: int = 0) -> AttentionProgram:
    """The program for the head of ``attention_program(cfg, seq=, emb=, proj=, seed=)``
    (S, E, P multiples of M; the same input and weights) on the cores of ``cfg``, with
    ITAMax's shift of the configuration (``softmax_shift``) and no mask; the cluster may have
    the engine or not.
    """
    ita = cfg.ita_config()
    m = ita.m
    check_sizes(ita, seq=seq, emb=emb, proj=proj)
    x, h = random_head(ita, s=seq // m, e=emb // m, p=proj // m, seed=seed,
                       softmax_shift=ita.softmax_shift)
    r = attention_head(x, h, cfg=ita)
    mem = _Layout()
    inputs = [(x, "x"), (h.wq.T, "wq"), (h.wk.T, "wk"), (h.wv.T, "wv"), (h.wo.T, "wo")]
    at = {name: mem.take(a.size) for a, name in inputs}
    biases = [(h.bq, "bq"), (h.bk, "bk"), (h.bv, "bv"), (h.bo, "bo")]
    at |= {name: mem.take(4 * b.size) for b, name in biases}
    image = bytearray(mem.end - L1_BASE)
    for a, name in inputs:
        off = at[name] - L1_BASE
        image[off:off + a.size] = np.ascontiguousarray(a, dtype=np.int8).tobytes()
    for b, name in biases:
        off = at[name] - L1_BASE
        image[off:off + 4 * b.size] = b.astype("<i4").tobytes()
    for name, size in (("q", seq * proj), ("k", seq * proj), ("vt", proj * seq),
                       ("logits", cfg.cores * seq), ("a", seq * seq), ("o", seq * proj),
                       ("y", seq * emb)):
        at[name] = mem.take(size)
    if mem.end - L1_BASE > cfg.l1_bytes:
        raise ValueError(f"software attention S={seq} E={emb} P={proj} needs "
                         f"{mem.end - L1_BASE} bytes of L1; the cluster has {cfg.l1_bytes}")

    expected = [("output (L2)", l2(at["y"]), r.ow.out), ("Q (L1)", at["q"], r.q.out),
                ("K (L1)", at["k"], r.k.out), ("V^T (L1)", at["vt"], r.v.out.T),
                ("A (L1)", at["a"], r.softmax.a.view(np.int8)), ("A V (L1)", at["o"], r.av.out),
                ("output (L1)", at["y"], r.ow.out)]

    p = Program()
    chunk = -(-seq // cfg.cores)
    p.csrr("a0", "mhartid").li("t1", chunk).mul("a2", "a0", "t1")     # my rows: a2..a3
    p.add("a3", "a2", "t1").li("t1", seq).blt("a3", "t1", "rows").mv("a3", "t1")
    p.label("rows").bnez("a0", "inputs")
    stamp(p, STAMPS + 4 * SW_PHASES.index("start"))
    p.li("s0", DMA_BASE)
    queue_dma(p, l2(L1_BASE), L1_BASE, len(image), "queue_in")
    wait_until(p, "dma_in", "t3", DmaReg.DONE, "s0", "s11", "bgeu")
    stamp(p, STAMPS + 4 * SW_PHASES.index("dma_in"))
    p.label("inputs")
    barrier(p, "inputs_in")
    # ---- Q, K and V^T for my rows
    _skew(p, emb)
    p.mv("a4", "a2")
    p.label("qkv_row").bge("a4", "a3", "qkv_done")
    _address(p, "s8", at["x"], "a4", emb)
    for name, out, stride in (("q", "q", 1), ("k", "k", 1), ("v", "vt", seq)):
        _address(p, "a5", at[out], "a4", proj if stride == 1 else 1)
        matvec_code(p, name, row="s8", w=at[f"w{name}"], n_out=proj, k=emb, out="a5",
                    out_stride=stride, rq=getattr(h, f"rq_{name}"), bias=at[f"b{name}"],
                    skew="a1")
    p.addi("a4", "a4", 1).j("qkv_row")
    p.label("qkv_done")
    barrier(p, "kv_in")
    p.bnez("a0", "attention")
    stamp(p, STAMPS + 4 * SW_PHASES.index("qkv"))
    # ---- per row i: logits, ITAMax, A V, output
    p.label("attention")
    _address(p, "a5", at["logits"], "a0", seq)
    p.mv("a4", "a2")
    p.label("att_row").bge("a4", "a3", "att_done")
    _address(p, "s8", at["q"], "a4", proj)
    _skew(p, proj)
    matvec_code(p, "qk", row="s8", w=at["k"], n_out=seq, k=proj, out="a5", out_stride=1,
                rq=h.rq_qk, skew="a1")
    _address(p, "a6", at["a"], "a4", seq)
    itamax_code(p, "softmax", src="a5", dst="a6", cols=seq, group=ita.n, k=h.softmax_shift)
    _address(p, "a7", at["o"], "a4", proj)
    _skew(p, seq)
    matvec_code(p, "av", row="a6", w=at["vt"], n_out=proj, k=seq, out="a7", out_stride=1,
                rq=h.rq_av, unsigned=True, skew="a1")
    _address(p, "s9", at["y"], "a4", emb)
    _skew(p, proj)
    matvec_code(p, "ow", row="a7", w=at["wo"], n_out=emb, k=proj, out="s9", out_stride=1,
                rq=h.rq_ow, bias=at["bo"], skew="a1")
    p.addi("a4", "a4", 1).j("att_row")
    p.label("att_done")
    barrier(p, "rows_done")
    p.bnez("a0", "idle")
    stamp(p, STAMPS + 4 * SW_PHASES.index("attention"))
    queue_dma(p, at["y"], l2(at["y"]), seq * emb, "queue_out")
    wait_until(p, "dma_out", "t3", DmaReg.DONE, "s0", "s11", "bgeu")
    stamp(p, STAMPS + 4 * SW_PHASES.index("dma_out"))
    dma_error(p, "a1")
    p.beqz("a1", "exit").li("a1", 3)
    p.label("exit")
    exit_with(p, "a1")
    p.label("idle").wfi().j("idle")
    macs = seq * emb * proj * 3 + 2 * seq * seq * proj + seq * proj * emb
    # about 6 cycles per multiply-accumulate and core; the limit leaves room for 16
    limit = 16 * macs // cfg.cores + 200_000
    return AttentionProgram(p, [(DATA, bytes(image))], expected, macs, SW_PHASES, limit)
