"""The hand-written attention head: offloaded on the default cluster (DMA in, engine job with
core 0 asleep in ``wfi`` until the engine's done event, DMA out, while the other cores compute a
residual add), and the software baseline on a cores-only cluster; every result in L1 and L2
bit-exact with the golden model."""

from dataclasses import replace

from tb.cluster.benchmark import run_cluster_benchmark

from .programs import SMALL


def test_attention_offload_is_bit_exact():
    r = run_cluster_benchmark(seq=128, emb=128, proj=64, seed=3)
    assert r["exit_code"] == 0, r
    assert r["bit_exact"], r.get("mismatch")
    assert r["engine_busy"] > 0 and r["dma_busy"] > 0
    # core 0 slept through the job instead of polling: few instructions in all
    assert r["instructions_per_core"][0] < r["phases"]["engine"] // 4


def test_software_attention_is_bit_exact():
    """The software baseline on the small cores-only cluster (M = 16 makes the sizes small);
    Q, K, V^T, A, A V and the output in L1 and the output in L2 are checked."""
    cfg = replace(SMALL, m=16, n=4, softmax_shift=3)
    r = run_cluster_benchmark(cfg, seq=48, emb=16, proj=32, seed=5)
    assert r["exit_code"] == 0, r
    assert r["bit_exact"], r.get("mismatch")
    assert r["engine_busy"] == 0 and r["dma_busy"] > 0
