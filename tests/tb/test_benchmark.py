"""``tinyita bench ita`` prints one JSON object measured in cycles."""

import json

from tests.hw.cluster.programs import SMALL_ARGS
from tinyita.cli import main


def test_bench_ita_json(capsys):
    assert main(["bench", "ita", "--n", "4", "--m", "16", "--mode", "attention", "--seq", "32",
                 "--emb", "32", "--proj", "16", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["bit_exact"] is True
    assert r["peak_macs_per_cycle"] == 64
    assert r["macs"] == 64 * r["issue_cycles"]
    assert r["utilization"] == r["macs"] / (r["cycles"] * 64)
    assert set(r["steps"]) == {"Q", "K", "V", "QK", "AV", "OW", "other"}
    assert sum(r["steps"].values()) <= r["cycles"]
    assert {"seq", "emb", "proj"} <= set(r) and "ff" not in r


def test_bench_rejects_bad_size(capsys):
    assert main(["bench", "ita", "--n", "4", "--m", "16", "--mode", "linear", "--seq", "24",
                 "--json"]) == 2
    assert "--seq 24: must be a positive multiple of M = 16" in capsys.readouterr().err


def test_bench_hwpe_json(capsys):
    assert main(["bench", "hwpe", "--n", "4", "--m", "16", "--mode", "feedforward", "--seq",
                 "32", "--emb", "16", "--ff", "32", "--act", "gelu", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["bit_exact"] is True
    assert r["utilization"] == r["macs"] / (r["cycles"] * 64)
    assert 0 <= r["job_overhead_cycles"] < r["cycles"]


def test_bench_core_json(capsys):
    """Cycle counts are deterministic: the dot product's CPI stays within the target."""
    assert main(["bench", "core", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert set(r) == {"dot_product", "memcpy", "branchy"}
    for k in r.values():
        assert k["cpi"] == k["cycles"] / k["instructions"] and k["instructions"] > 1000
    assert r["dot_product"]["cpi"] <= 1.25


def test_bench_cluster_json(capsys):
    assert main(["bench", "cluster", "--seq", "128", "--emb", "128", "--proj", "64",
                 "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["bit_exact"] and r["macs"] == 128 * 128 * 64 * 6
    assert set(r["phases"]) >= {"dma_in", "engine", "dma_out"}
    assert sum(r["phases"].values()) <= r["cycles"]


def test_bench_cluster_without_engine_runs_the_software_baseline(capsys):
    """The same report as with the engine (small sizes: the cores take ~170k cycles)."""
    assert main(["bench", "cluster", *SMALL_ARGS, "--m", "16", "--seq", "32", "--emb", "32",
                 "--proj", "16", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["bit_exact"] and r["macs"] == 32 * 32 * 16 * 6 and r["engine_busy"] == 0
    assert r["utilization"] == r["macs"] / (r["cycles"] * 16 * 16)
    assert set(r["phases"]) == {"start", "dma_in", "qkv", "attention", "dma_out"}
    assert sum(r["phases"].values()) <= r["cycles"]
    assert min(r["instructions_per_core"]) > r["macs"] // 4 * 4    # every core did its share


def test_bench_sim_json(capsys):
    """The idle program on a cores-only cluster: every core's 40 000 load/add/store loops
    (about 5 cycles each), checked by core 0; no busy run without the engine."""
    assert main(["bench", "sim", *SMALL_ARGS, "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["cold"] is False and r["build_seconds"] >= 0 and "busy" not in r
    assert r["cluster"]["cores"] == 4 and r["cluster"]["ita"] is False
    assert 40_000 * 5 < r["idle"]["cycles"] < 40_000 * 10
    assert r["idle"]["cycles_per_second"] > 0
