"""The engine's cycle model against the RTL engine: a table measured with ``tinyita bench ita``
(three engine sizes, every mode), and new shapes run on Verilator here."""

import pytest

from hw.ita.config import ITAConfig, Mode
from sw.compiler.cost import engine_cycles, issue_cycles
from sw.engine.job import ItaJob
from tb.ita.benchmark import run_benchmark

#: (N, M, k), mode, (S, E, P, F) in elements, measured cycles and issue cycles.
MEASURED = [
    ((16, 64, 5), Mode.ATTENTION, (64, 64, 64, 0), 1734, 1536),
    ((16, 64, 5), Mode.ATTENTION, (128, 128, 64, 0), 6365, 6144),
    ((16, 64, 5), Mode.ATTENTION, (256, 256, 256, 0), 98571, 98304),
    ((16, 64, 5), Mode.ATTENTION, (512, 128, 64, 0), 49511, 49152),
    ((16, 64, 5), Mode.ATTENTION, (128, 384, 64, 0), 14557, 14336),
    ((16, 64, 5), Mode.FEEDFORWARD, (128, 128, 0, 256), 8288, 8192),
    ((16, 64, 5), Mode.FEEDFORWARD, (256, 384, 0, 512), 98400, 98304),
    ((16, 64, 5), Mode.LINEAR, (128, 256, 128, 0), 4177, 4096),
    ((16, 64, 5), Mode.LINEAR, (64, 64, 64, 0), 337, 256),
    ((8, 32, 0), Mode.ATTENTION, (32, 32, 32, 0), 902, 768),
    ((8, 32, 0), Mode.ATTENTION, (64, 64, 32, 0), 3229, 3072),
    ((8, 32, 0), Mode.ATTENTION, (128, 64, 64, 0), 16587, 16384),
    ((8, 32, 0), Mode.FEEDFORWARD, (64, 64, 0, 128), 4160, 4096),
    ((8, 32, 0), Mode.LINEAR, (64, 64, 64, 0), 1073, 1024),
    ((8, 32, 0), Mode.SINGLE_ATTENTION, (64, 0, 32, 0), 1119, 1024),
    ((4, 16, 5), Mode.ATTENTION, (32, 32, 32, 0), 3197, 3072),
    ((4, 16, 5), Mode.ATTENTION, (64, 64, 32, 0), 12459, 12288),
    ((4, 16, 5), Mode.ATTENTION, (128, 64, 64, 0), 65799, 65536),
    ((4, 16, 5), Mode.FEEDFORWARD, (64, 64, 0, 128), 16432, 16384),
    ((4, 16, 5), Mode.LINEAR, (64, 64, 64, 0), 4129, 4096),
    ((4, 16, 5), Mode.SINGLE_ATTENTION, (64, 0, 32, 0), 4221, 4096),
]


def job(cfg: ITAConfig, mode: Mode, sizes: tuple[int, int, int, int]) -> ItaJob:
    s, e, p, f = (max(1, v // cfg.m) for v in sizes)
    return ItaJob(mode, s, e, p, f)


@pytest.mark.parametrize("engine, mode, sizes, cycles, issued", MEASURED)
def test_model_matches_the_measured_table(engine, mode, sizes, cycles, issued):
    cfg = ITAConfig(*engine)
    assert issue_cycles(job(cfg, mode, sizes), cfg) == issued
    assert engine_cycles(job(cfg, mode, sizes), cfg) == cycles


@pytest.mark.parametrize("mode, sizes", [
    (Mode.ATTENTION, (48, 32, 80, 16)), (Mode.FEEDFORWARD, (32, 48, 16, 64)),
    (Mode.SINGLE_ATTENTION, (80, 16, 16, 16)), (Mode.LINEAR, (16, 112, 48, 16)),
])
def test_model_matches_the_rtl_on_new_shapes(mode, sizes):
    """Shapes the model was not fitted to, on Verilator (the tests' N=4, M=16 engine)."""
    cfg = ITAConfig(n=4, m=16, softmax_shift=5, max_tiles=8)
    seq, emb, proj, ff = sizes
    r = run_benchmark(cfg, mode, seq=seq, emb=emb, proj=proj, ff=ff)
    assert r["bit_exact"]
    assert engine_cycles(job(cfg, mode, sizes), cfg) == r["cycles"], r
