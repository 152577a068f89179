"""``tinyita bench cluster``: the hand-written attention head on a cluster, from L2 back to L2,
measured in cycles and checked against the golden model: offloaded to the engine when the
cluster has one, the software baseline on the cores when it has not."""

from dataclasses import asdict

import cocotb
import numpy as np

from hw.config import ClusterConfig
from sw.programs.attention import STAMPS, AttentionProgram, attention_program
from sw.programs.attention_sw import software_attention_program

from .. import sim
from ..report import throughput
from .bench import ClusterBench
from .harness import cluster_build

__all__ = ["run_cluster_benchmark"]


@cocotb.test()
async def attention_head(dut):
    p = sim.params()
    cfg = ClusterConfig(**p["config"])
    prog = _program(cfg, seq=p["seq"], emb=p["emb"], proj=p["proj"], seed=p["seed"])
    bench = ClusterBench(dut, cfg)
    await bench.reset()
    await bench.load(prog.program.link().segments)
    await bench.load(prog.loads)
    r = await bench.run(max_cycles=p["max_cycles"])
    mismatch = None
    for what, address, expected in prog.expected:
        got = np.frombuffer(await bench.read(address, expected.size), dtype=np.int8)
        got = got.reshape(expected.shape)
        if not np.array_equal(got, expected):
            row, col = np.argwhere(got != expected)[0]
            mismatch = (f"{what} at 0x{address:x} differs at row {row} column {col}: got "
                        f"{got[row, col]}, expected {expected[row, col]} "
                        f"({int((got != expected).sum())} of {got.size} elements differ)")
            break
    if mismatch is None:
        mismatch = await _check_l2(bench, cfg, prog)
    stamps = np.frombuffer(await bench.read(STAMPS, 4 * len(prog.phases)), dtype="<u4").tolist()
    phases = {name: stamps[k] - (stamps[k - 1] if k else 0) for k, name in enumerate(prog.phases)}
    if mismatch is None and r.exit_code != 0:
        mismatch = f"the program exited with {r.exit_code}"
    sim.write_result(throughput(
        cycles=r.cycles, macs=prog.macs, peak=cfg.n * cfg.m, mismatch=mismatch,
        exit_code=r.exit_code, phases=phases, **r.counters, instructions_per_core=r.retired,
        output=r.output, simulated_cycles_per_second=r.cycles_per_second))


async def _check_l2(bench: ClusterBench, cfg: ClusterConfig, prog: AttentionProgram
                    ) -> str | None:
    """All of L2 after the run against what it must hold: the program and the data loaded,
    with the expected results in their places; the stamps are the only other bytes the
    program may write. A stray write anywhere (into the code, an input, unused bytes) is a
    mismatch naming its address."""
    base, end = cfg.l2_range
    want = np.zeros(end - base, np.uint8)
    for address, data in [*prog.program.link().segments, *prog.loads]:
        want[address - base:][:len(data)] = np.frombuffer(bytes(data), np.uint8)
    for _, address, expected in prog.expected:
        if base <= address < end:
            want[address - base:][:expected.size] = expected.reshape(-1).view(np.uint8)
    got = np.frombuffer(await bench.read(base, end - base), np.uint8).copy()
    got[STAMPS - base:][:4 * len(prog.phases)] = want[STAMPS - base:][:4 * len(prog.phases)]
    differ = np.flatnonzero(got != want)
    if differ.size:
        at = int(differ[0])
        return (f"L2 after the run: {differ.size} bytes differ from the program, its data and "
                f"its results; first at 0x{base + at:x}: 0x{got[at]:02x}, expected "
                f"0x{want[at]:02x}")
    return None


def _program(cfg: ClusterConfig, **sizes) -> AttentionProgram:
    """The offload program on a cluster with the engine, the software baseline without."""
    prog = (attention_program if cfg.ita else software_attention_program)(cfg, **sizes)
    prog.check(cfg)
    return prog


def run_cluster_benchmark(cfg: ClusterConfig = ClusterConfig(), *, seq: int = 128,
                          emb: int = 128, proj: int = 64, seed: int = 0,
                          max_cycles: int | None = None) -> dict:
    """Run the attention head (offloaded with the engine, in software without) and return
    the measurements."""
    prog = _program(cfg, seq=seq, emb=emb, proj=proj, seed=seed)    # errors before simulating
    max_cycles = max_cycles or prog.max_cycles
    params = {"config": asdict(cfg), "seq": seq, "emb": emb, "proj": proj, "seed": seed,
              "max_cycles": max_cycles}
    report = sim.run_for_result(cluster_build(cfg), __name__, "attention_head", params,
                                label="bench")
    return {"cluster": params["config"], "seq": seq, "emb": emb, "proj": proj, **report}
