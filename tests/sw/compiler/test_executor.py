"""The functional executor runs compiled encoders over many random shapes and clusters, agrees
with the golden model, and catches the races, stale reads and wrong results it exists for."""

import dataclasses
import re

import numpy as np
import pytest

from hw.config import ClusterConfig
from hw.ita.config import Activation
from sw.compiler.executor import ExecutionError, check_l2, execute, l2_after
from sw.compiler.flow import compile_graph
from sw.compiler.graph import GraphError
from sw.compiler.models import EncoderShape, random_encoder
from sw.compiler.schedule import Stage


def random_case(seed: int) -> tuple[ClusterConfig, EncoderShape]:
    rng = np.random.default_rng(seed)
    m = int(rng.choice([16, 32, 64]))
    n = int(rng.choice([k for k in (4, 8, 16) if k <= m]))
    max_tiles = int(rng.choice([4, 8]))
    cluster = ClusterConfig(cores=int(rng.choice([1, 2, 4, 8])), n=n, m=m, max_tiles=max_tiles,
                            l1_bytes=int(rng.choice([64, 128, 256])) * 1024,
                            l1_banks=max(8, m // 8), softmax_shift=int(rng.integers(0, 8)))
    shape = EncoderShape(layers=1 + int(rng.random() < 0.2),
                         seq=m * int(rng.integers(1, 5)), emb=m * int(rng.integers(1, 5)),
                         heads=int(rng.integers(1, 4)), proj=m * int(rng.integers(1, 3)),
                         ff=m * int(rng.integers(1, max_tiles + 1)),
                         act=Activation(int(rng.choice([1, 2]))))
    return cluster, shape


def compiled(cluster: ClusterConfig, shape: EncoderShape, seed: int = 0):
    graph, inputs = random_encoder(shape, cluster.ita_config(), seed)
    return compile_graph(graph, cluster, inputs), inputs


def test_random_shapes_and_clusters_match_the_golden_model():
    """200 random (shape, cluster) cases compile and execute bit-exact; the cases drawn on
    the way that are refused (an op whose smallest tile does not fit L1) name the op and the
    bytes."""
    ran = refused = 0
    for seed in range(400):
        cluster, shape = random_case(seed)
        try:
            c, inputs = compiled(cluster, shape, seed)
        except GraphError as e:
            assert re.search(r"op '.*' \(\w+\) on \(\d+, \d+\): its smallest tile "
                             rf"needs \d+ bytes of L1; the cluster has {cluster.l1_bytes}",
                             str(e)), (seed, str(e))
            refused += 1
            continue
        execute(c, inputs)
        ran += 1
        if ran == 200:
            break
    assert ran == 200 and refused < ran / 2, (ran, refused)


def test_operands_that_do_not_fit_l1_are_split():
    cluster = ClusterConfig(cores=4, n=8, m=32, l1_bytes=64 * 1024, l1_banks=8)
    c, inputs = compiled(cluster, EncoderShape(seq=128, emb=64, heads=1, proj=32, ff=256))
    names = [t.name for t in c.schedule.tiled.tiles]
    assert sum(n.startswith("l0.ffn") for n in names) > 1, names
    execute(c, inputs)


def small():
    return compiled(ClusterConfig(cores=2, n=8, m=32, l1_bytes=64 * 1024, l1_banks=8),
                    EncoderShape(seq=64, emb=64, heads=2, proj=32, ff=128))


def test_the_whole_l2_check_names_a_stray_byte():
    """check_l2 (the RTL runs' check of all of L2's data) passes the functional run's own
    image with any cycle stamps, and names the address and region of one changed byte:
    in an input, in a constant, in unused bytes."""
    c, _ = small()
    plan = c.schedule.memory
    start = plan.data_start
    image = l2_after(c)
    stamps = plan.l2["stamps"]
    ok = image.copy()
    ok[stamps.address - start:][:stamps.size] = 0xAB
    check_l2(c, ok.tobytes())
    regions = sorted(plan.l2.values(), key=lambda r: r.address)
    kinds = {r.kind: r for r in regions if r.name != "stamps"}
    for r in kinds.values():
        bad = image.copy()
        bad[r.address - start + r.size // 2] ^= 0x10
        with pytest.raises(ExecutionError, match=rf"1 bytes differ .* first at "
                           rf"0x{r.address + r.size // 2:x} \({r.kind} {r.name!r}\)"):
            check_l2(c, bad.tobytes())
    gap = next((a.address + a.size for a, b in zip(regions, regions[1:], strict=False)
                if a.address + a.size < b.address), None)
    if gap is not None:
        bad = image.copy()
        bad[gap - start] = 1
        with pytest.raises(ExecutionError, match=rf"first at 0x{gap:x} \(no region\)"):
            check_l2(c, bad.tobytes())
    assert len(kinds) >= 3, kinds


def test_a_load_in_the_stage_that_computes_is_a_race():
    c, inputs = small()
    stages = c.schedule.stages
    k = next(i for i, st in enumerate(stages) if st.kernels and i > 0)
    load = next(t for t in stages[k - 1].transfers if t.what == "in0"
                and t.tile == stages[k].kernels[0].tile.name)
    stages[k - 1].transfers.remove(load)
    stages[k].transfers.append(load)
    with pytest.raises(ExecutionError, match=rf"stage {k}: race at 0x[0-9a-f]+: .*in0 of "):
        execute(c, inputs)


def test_a_missing_load_is_a_stale_read():
    c, inputs = small()
    st = next(st for st in c.schedule.stages if any(t.what == "consts" for t in st.transfers))
    st.transfers = [t for t in st.transfers if t.what != "consts"]
    with pytest.raises(ExecutionError, match="reads 0x[0-9a-f]+, which holds no value"):
        execute(c, inputs)


def test_a_wrong_pointer_is_a_wrong_result():
    c, inputs = small()
    st = next(st for st in c.schedule.stages if st.kernels
              and st.kernels[0].tile.kernel == "residual_add")
    k = st.kernels[0]
    st.kernels[0] = dataclasses.replace(k, inputs=(k.inputs[1], k.inputs[0]))
    with pytest.raises(ExecutionError,
                       match=r"tensor 'l0\.add\d': \d+ of 4096 elements differ from the golden"):
        execute(c, inputs)


def _with_shift(graph, k: int):
    """The graph with every attention head's own ITAMax shift set to ``k``."""
    graph.ops = [dataclasses.replace(op, params=dataclasses.replace(op.params, softmax_shift=k))
                 if op.kind == "attention_head" else op for op in graph.ops]
    return graph


@pytest.mark.parametrize("step_by_step", [False, True], ids=["whole", "step_by_step"])
def test_a_heads_own_softmax_shift_is_compiled_and_executed(step_by_step):
    """Heads with their own ITAMax shift (not the engine's default): the jobs carry it, as an
    Attention job or as the Single-attention job of a head run step by step, and the executor
    agrees with the golden model; with the default shift in the jobs it would not."""
    cluster = ClusterConfig(cores=2, n=8, m=32, l1_bytes=64 * 1024, l1_banks=8,
                            softmax_shift=5)
    shape = (EncoderShape(seq=128, emb=256, heads=1, proj=32, ff=128) if step_by_step
             else EncoderShape(seq=64, emb=64, heads=2, proj=32, ff=128))
    graph, inputs = random_encoder(shape, cluster.ita_config())
    c = compile_graph(_with_shift(graph, 1), cluster, inputs)
    mode = "SINGLE_ATTENTION" if step_by_step else "ATTENTION"
    jobs = [t.job for t in c.schedule.tiled.tiles if t.op.kind == "attention_head" and t.job
            and t.job.mode.name == mode]
    assert jobs and all(j.softmax_shift == 1 and j.valid == 0 for j in jobs)
    execute(c, inputs)
    for st in c.schedule.stages:
        st.jobs = [dataclasses.replace(r, tile=dataclasses.replace(
            r.tile, job=dataclasses.replace(r.tile.job, softmax_shift=5)))
            if r.tile.job.mode.name == mode else r for r in st.jobs]
    with pytest.raises(ExecutionError, match="differ from the golden"):
        execute(c, inputs)


def test_an_extra_stage_changes_nothing():
    c, inputs = small()
    c.schedule.stages.append(Stage(len(c.schedule.stages)))
    execute(c, inputs)
