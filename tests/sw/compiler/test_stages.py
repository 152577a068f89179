"""The verifiers of tiling, memory plan and schedule: each catches the fault it exists for and
names the tile or the buffers; the allocator's placement and lifetimes."""

import dataclasses

import pytest

from hw.config import ClusterConfig
from sw.compiler.flow import STAGES, compile_graph, dump
from sw.compiler.graph import GraphError
from sw.compiler.memory import Buffer, L1Allocator, MemoryPlan, verify_memory
from sw.compiler.models import EncoderShape, random_encoder
from sw.compiler.schedule import Stage, verify_schedule
from sw.compiler.tiling import verify_tiled

CLUSTER = ClusterConfig(cores=2, n=8, m=32, l1_bytes=64 * 1024, l1_banks=8)


def compiled():
    graph, inputs = random_encoder(EncoderShape(seq=64, emb=64, heads=2, proj=32, ff=128),
                                   CLUSTER.ita_config())
    return compile_graph(graph, CLUSTER, inputs)


def test_every_stage_dumps():
    c = compiled()
    for stage in STAGES:
        assert dump(c, stage).strip(), stage
    assert "stage 1" in dump(c, "schedule") and "L1 (" in dump(c, "memory")
    with pytest.raises(GraphError, match="unknown stage 'code'"):
        dump(c, "code")


def test_a_missing_tile_leaves_its_output_uncovered():
    tiled = compiled().schedule.tiled
    tiled.tiles = [t for t in tiled.tiles if not t.name.startswith("l0.add1")]
    with pytest.raises(GraphError, match=r"op 'l0.add1' \(residual_add\): its tiles do not "
                                         "write every element"):
        verify_tiled(tiled)


def test_a_job_that_does_not_match_its_blocks():
    tiled = compiled().schedule.tiled
    k, t = next((k, t) for k, t in enumerate(tiled.tiles) if t.job is not None)
    tiled.tiles[k] = dataclasses.replace(t, job=dataclasses.replace(t.job, s=t.job.s + 1))
    with pytest.raises(GraphError, match=f"tile '{t.name}' .*expects blocks"):
        verify_tiled(tiled)


def test_overlapping_live_buffers_are_named():
    plan = MemoryPlan(CLUSTER)
    base = CLUSTER.l1_range[0]
    plan.l1 = [Buffer("a", base, 128, 1, 2), Buffer("b", base + 64, 64, 2, 3)]
    with pytest.raises(GraphError, match=r"L1 buffers 'a' .* and 'b' .* overlap"):
        verify_memory(plan)
    plan.l1[1] = Buffer("b", base + 64, 64, 3, 4)          # not live together: fine
    verify_memory(plan)
    plan.l1.append(Buffer("c", base + 8, 64, 9, 9))
    with pytest.raises(GraphError, match="'c' at 0x10000008 .* misaligned"):
        verify_memory(plan)


def test_allocator_reuses_addresses_only_when_lifetimes_allow():
    alloc = L1Allocator(MemoryPlan(CLUSTER))
    base = CLUSTER.l1_range[0]
    a, = alloc.place([("a", 100, 1, 2, None)])
    b, = alloc.place([("b", 64, 2, 3, None)])
    c, = alloc.place([("c", 64, 3, 3, None)])
    assert (a.address, a.size, b.address, c.address) == (base, 128, base + 128, base)
    assert alloc.extended(a, 3) is None                     # c took its bytes in stage 3
    longer = alloc.extended(b, 5)
    assert longer is not None and (longer.first, longer.last) == (2, 5)
    alloc.replace(b, longer)
    assert alloc.place([("big", CLUSTER.l1_bytes, 4, 4, None)]) is None
    verify_memory(alloc.plan)


def test_a_kernel_moved_to_another_stage_is_caught():
    s = compiled().schedule
    k = next(i for i, st in enumerate(s.stages) if st.kernels)
    s.stages.insert(k, Stage(k))
    for i, st in enumerate(s.stages):
        st.index = i
    with pytest.raises(GraphError, match="transfer .* in stage .*expected"):
        verify_schedule(s)


def test_transfer_ids_must_count_up():
    s = compiled().schedule
    st = next(st for st in s.stages if len(st.transfers) > 1)
    st.transfers[0], st.transfers[1] = st.transfers[1], st.transfers[0]
    with pytest.raises(GraphError, match="has id .* expected"):
        verify_schedule(s)


def test_a_head_too_big_for_l1_runs_step_by_step():
    graph, inputs = random_encoder(EncoderShape(seq=128, emb=256, heads=1, proj=32, ff=128),
                                   CLUSTER.ita_config())
    c = compile_graph(graph, CLUSTER, inputs)
    kinds = [t.kernel or t.job.mode.name for t in c.schedule.tiled.tiles
             if t.op.kind == "attention_head"]
    assert "ATTENTION" not in kinds
    assert {"LINEAR", "transpose", "SINGLE_ATTENTION"} <= set(kinds)


def test_data_too_big_for_l2_is_an_error():
    small = dataclasses.replace(CLUSTER, l2_bytes=64 * 1024)
    graph, inputs = random_encoder(EncoderShape(seq=128, emb=128, heads=2, proj=32, ff=256),
                                   small.ita_config())
    with pytest.raises(GraphError, match=r"needs more than \d+ bytes of L2 .* the cluster has "
                                         "65536"):
        compile_graph(graph, small, inputs)
