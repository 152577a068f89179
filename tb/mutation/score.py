"""The mutation score of a block: how many sampled mutants its fast tests kill.

A block (:data:`BLOCKS`) names the pytest functions that test it in Amaranth's simulator. The
component they build is converted to Verilog, :func:`tb.mutation.yosys.mutate` puts ``count``
mutants behind ``mutsel``, Verilator builds that once, and one simulator run
(:mod:`tb.mutation.bridge`) runs the tests on the original (``mutsel = 0``, must pass) and on
every mutant. Each surviving mutant is then checked formally for equivalence with the
original (:func:`tb.mutation.yosys.check_equivalent`), except those a person has read and
explained (:data:`tb.mutation.reviewed.REVIEWED`). A block tested only through Verilator
harnesses (:data:`HARNESS_BLOCKS`) has its mutants spliced into the harness builds instead
(:mod:`tb.mutation.harness`), and its benches run once per mutant (:func:`score_harness`).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from amaranth.back import verilog as amaranth_verilog

import tb

from .. import sim
from . import harness
from .bridge import TestCase, call_with_bench, cases
from .reviewed import REVIEWED
from .yosys import Mutated, Mutation, check_equivalent, mutate

__all__ = ["Block", "BLOCKS", "HarnessBlock", "HARNESS_BLOCKS", "design_of", "score",
           "score_harness", "OriginalFails"]


class OriginalFails(AssertionError):
    """The block's tests fail on the unmutated model (``mutsel = 0``)."""


@dataclass(frozen=True)
class Block:
    """A block and its tests: ``(module, function)`` pairs, every parametrisation of each.
    The cells of the submodule instance named ``keep`` (scored on its own) are not mutated."""

    doc: str
    tests: tuple[tuple[str, str], ...]
    keep: str = ""

    def cases(self) -> list[TestCase]:
        return [c for module, name in self.tests for c in cases(module, name)]


UNITS = "tests.hw.ita.test_units"
AG = "tests.hw.hwpe.test_address_generator"
STREAMERS = "tests.hw.hwpe.test_streamers"
#: The blocks ``tinyita mutate`` knows, with the tests that run on their mutants.
BLOCKS: dict[str, Block] = {
    "requantizer": Block("the ITA's requantizer (hw/ita/requantizer.py)",
                         ((UNITS, "test_requantizer_matches_golden"),
                          (UNITS, "test_requantizer_in_range"),
                          (UNITS, "test_requantizer_clamps_at_every_bit"))),
    "activation": Block("the ITA's activation unit (hw/ita/activation.py)",
                        ((UNITS, "test_activation_matches_golden"),
                         (UNITS, "test_activation_with_varied_constants"),
                         (UNITS, "test_activation_gelu_with_any_legal_constants"))),
    "divider": Block("the ITA's inverse divider (hw/ita/divider.py)",
                     ((UNITS, "test_divider"), (UNITS, "test_divider_many_divisors"))),
    "itamax": Block("ITAMax, the ITA's softmax (hw/ita/itamax.py)",
                    ((UNITS, "test_itamax_stages"),
                     (UNITS, "test_itamax_near_the_row_maximum"),
                     (UNITS, "test_itamax_divides_at_every_quotient_step"))),
    "pe-array": Block("the ITA's PE array (hw/ita/pe_array.py)",
                      ((UNITS, "test_pe_array"),
                       (UNITS, "test_pe_array_with_new_weights_every_row"))),
    "double-buffer": Block("the ITA's weight double buffer (hw/ita/double_buffer.py)",
                           ((UNITS, "test_double_buffer_alternates_and_waits"),
                            ("tests.hw.ita.test_double_buffer",
                             "test_double_buffer_against_its_model"))),
    "address-generator": Block("the HWPE streamers' address generator "
                               "(hw/hwpe/address_generator.py)",
                               tuple((AG, t) for t in ("test_addresses_with_backpressure",
                                                       "test_random_commands",
                                                       "test_long_command_starts_right",
                                                       "test_longest_dimension_runs_to_its_end"))),
    "source-streamer": Block("the HWPE's input streamer (hw/hwpe/source_streamer.py; its "
                             "address generator kept)", ((STREAMERS, "test_source_streamer"),),
                             keep="agu"),
    "sink-streamer": Block("the HWPE's output streamer (hw/hwpe/sink_streamer.py; its address "
                           "generator kept)", ((STREAMERS, "test_sink_streamer"),), keep="agu"),
}


@dataclass(frozen=True)
class HarnessBlock:
    """A module inside the harnesses (``module``: its path below a harness's top, dotted) and
    the pytest node ids of the benches that test it; every design they build that has the
    module gets its mutants (:mod:`tb.mutation.harness`), and they must build only one."""

    doc: str
    module: str
    tests: tuple[str, ...]
    keep: str = ""


#: The benches of the core's units, and of the HWPE's blocks (those of one harness build).
CORE = ("tests/hw/core/test_directed.py::test_directed",
        "tests/hw/core/test_difftest.py::test_random_programs")
HWPE = tuple(f"tests/hw/hwpe/test_ita_hwpe.py::{t}" for t in (
    "test_every_mode", "test_every_mode_under_bursts_of_stalls", "test_back_to_back_multihead",
    "test_back_to_back_jobs_of_every_mode", "test_one_tile_jobs_back_to_back[n4m16]",
    "test_errors_and_soft_clear", "test_protocol_and_events",
    "test_softmax_register_reaches_the_engine[n4m16]",
    "test_registers_against_their_model[c2-seed1]", "test_registers_against_their_model[c2-seed2]"))
#: The blocks tested only through Verilator harnesses: one pytest run per mutant.
HARNESS_BLOCKS: dict[str, HarnessBlock] = {
    "core-alu": HarnessBlock("the core's ALU (hw/core/alu.py)", "core.alu", CORE),
    "core-decoder": HarnessBlock("the core's decoder (hw/core/decoder.py)", "core.decoder",
                                 CORE),
    "core-csr": HarnessBlock("the core's CSRs (hw/core/csr.py)", "core.csr", CORE),
    "hwpe-control": HarnessBlock("the HWPE's register file and job contexts "
                                 "(hw/hwpe/control.py)", "hwpe.control", HWPE),
    "l1-interconnect": HarnessBlock(
        "the L1 interconnect: arbiters and crossbar (hw/cluster/l1.py; the banks kept)", "l1",
        tuple(f"tests/hw/cluster/test_l1.py::{t}[{case}]"
              for t in ("test_l1_grants_follow_the_policy", "test_l1_stress")
              for case in ("default-busy", "default-idle")), keep="bank*"),
    "dma": HarnessBlock("the cluster's DMA (hw/cluster/dma.py)", "cluster.dma",
                        tuple(f"tests/hw/cluster/test_dma.py::{t}" for t in (
                            "test_dma_every_shape_and_error",
                            "test_dma_transfers_under_contention"))),
}


class _Captured(Exception):
    def __init__(self, component):
        self.component = component


def design_of(case: TestCase, name: str) -> str:
    """Return the Verilog (with Amaranth source lines) of the component ``case`` simulates,
    with top module ``name``; the test stops at its ``run_pysim``."""
    def capture(component, bench):
        raise _Captured(component)

    try:
        call_with_bench(case, capture)
    except _Captured as c:
        return amaranth_verilog.convert(c.component, name=name, emit_src=True)
    raise ValueError(f"{case.id} never calls run_pysim")


def score(block: str, *, count: int = 100, seed: int = 0, depth: int = 20, jobs: int = 2,
          check: bool = True, only: Collection[int] | None = None, tests: Block | None = None,
          progress: Callable[[str], None] = lambda _: None) -> dict:
    """Mutate ``block`` and run its tests on every mutant; return the result (JSON-ready).

    ``only`` runs just those mutants of the sample (their indices, as a result names them:
    the survivors of an earlier run, after a test was added). ``tests`` defaults to
    ``BLOCKS[block]``. Tests whose component differs from the first test's (other generator
    parameters) cannot run on its mutants; they are listed under ``"skipped"``. ``jobs``
    equivalence checks of survivors run at a time; without ``check`` none runs (the
    survivors' ``equivalence`` is ``"unchecked"``).
    """
    if tests is None and block in HARNESS_BLOCKS:
        return score_harness(block, HARNESS_BLOCKS[block], count=count, seed=seed, depth=depth,
                             jobs=jobs, check=check, only=only, progress=progress)
    if tests is None and block not in BLOCKS:
        known = ", ".join([*BLOCKS, *HARNESS_BLOCKS])
        raise ValueError(f"mutate: unknown block {block!r}; known: {known}")
    _check_only(block, only, count)
    spec = tests or BLOCKS[block]
    t0 = time.monotonic()
    root = str(Path(tb.__file__).resolve().parent.parent)   # tests.* (also in the simulator)
    if root not in sys.path:
        sys.path.append(root)
    top = "mut_" + block.replace("-", "_")
    designs = {c.id: design_of(c, top) for c in spec.cases()}
    reference = next(iter(designs.values()))
    run = [t for t, v in designs.items() if v == reference]
    skipped = [t for t, v in designs.items() if v != reference]
    progress(f"{block}: {len(run)} tests, sampling {count} mutants")
    mutated = _pick(block, mutate(reference, top=top, count=count, seed=seed, keep=spec.keep),
                    only)
    model = sim.build(mutated.verilog, name=top)
    progress(f"{block}: built in {time.monotonic() - t0:.0f} s; running the tests")
    t1 = time.monotonic()
    indices = [0] + [m.index for m in mutated.mutations]
    results = sim.run_for_result(model, "tb.mutation.bridge", "mutants",
                                 {"tests": run, "mutants": indices}, label=f"mutate-{block}")
    progress(f"{block}: tests on {len(indices)} models in {time.monotonic() - t1:.0f} s")
    if results["0"] is not None:
        raise OriginalFails(f"mutate {block}: the tests fail on the original: {results['0']}")
    mutants = [{"index": m.index, "mutation": m.describe(), "killed_by": results[str(m.index)]}
               for m in mutated.mutations]
    _check_survivors(block, reference, mutated, top, mutants, depth=depth, jobs=jobs,
                     check=check, progress=progress)
    return summarize(block, mutants, tests=run, skipped=skipped, seed=seed, depth=depth,
                     sample=count, only=sorted(only) if only is not None else None,
                     seconds=time.monotonic() - t0)


def score_harness(name: str, block: HarnessBlock, *, count: int = 100, seed: int = 0,
                  depth: int = 20, jobs: int = 2, check: bool = True,
                  only: Collection[int] | None = None,
                  progress: Callable[[str], None] = lambda _: None) -> dict:
    """Score a block tested through harnesses: its benches run once per mutant (pytest in a
    subprocess, ``jobs`` at a time), each on the harness with ``block.module`` mutated.

    The first run (the original, ``mutsel = 0``) must pass; it makes the mutants and the one
    Verilator build they share. A mutant's run that takes five times as long as the
    original's (at least a minute) counts as killed (hung). Survivors are checked for
    equivalence on the module alone, so one that differs only where the harness never looks
    (an output no other block reads) is reported ``different``.
    """
    _check_only(name, only, count)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tinyita-mutate-") as tmp:
        # every run reads the manifest (and would fail writing it where it is gone)
        manifest = Path(tmp) / "manifest.json"
        request = harness.Spec(block.module, count, seed, str(manifest), block.keep)
        env = {**os.environ, harness.ENV: json.dumps(asdict(request))}
        progress(f"{name}: the original, with {count} mutants of {block.module} built in")
        failure = _pytest(block.tests, env, 0, timeout=None)
        if failure is not None:
            raise OriginalFails(f"mutate {name}: the tests fail on the original: {failure}")
        if not manifest.exists():
            raise ValueError(f"mutate {name}: no design the tests build has a module "
                             f"{block.module!r}")
        design, mutated = harness.load_manifest(manifest)
        mutated = _pick(name, mutated, only)
        first = time.monotonic() - t0
        limit = max(60.0, 5 * first)
        progress(f"{name}: original passed in {first:.0f} s; running "
                 f"{len(mutated.mutations)} mutants ({jobs} at a time, {limit:.0f} s each at "
                 "most)")

        def run(m: Mutation) -> dict:
            killed_by = _pytest(block.tests, env, m.index, timeout=limit)
            progress(f"{name}: mutant {m.index}: {killed_by or 'survived'}")
            return {"index": m.index, "mutation": m.describe(), "killed_by": killed_by}

        with ThreadPoolExecutor(jobs) as pool:
            mutants = list(pool.map(run, mutated.mutations))
    _check_survivors(name, design, mutated, harness.TOP, mutants, depth=depth, jobs=jobs,
                     check=check, progress=progress)
    return summarize(name, mutants, tests=list(block.tests), skipped=[], seed=seed,
                     depth=depth, sample=count, only=sorted(only) if only is not None else None,
                     seconds=time.monotonic() - t0)


def _check_only(block: str, only: Collection[int] | None, count: int) -> None:
    """Refuse, before any simulation, indices that cannot be in a sample of ``count``
    (:func:`_pick` refuses those past the mutants Yosys offers, once they are sampled)."""
    bad = sorted(i for i in only or () if not 1 <= i <= count)
    if bad:
        raise ValueError(f"mutate {block}: no mutant {bad} in a sample of {count} (indices 1 "
                         f"to {count})")


def _pick(block: str, mutated: Mutated, only: Collection[int] | None) -> Mutated:
    """``mutated`` with only the mutations ``only`` names (all when it is ``None``); the
    netlist keeps every mutant."""
    if only is None:
        return mutated
    missing = sorted(set(only) - {m.index for m in mutated.mutations})
    if missing:
        raise ValueError(f"mutate {block}: no mutant {missing}: Yosys offered only "
                         f"{len(mutated.mutations)}")
    return replace(mutated, mutations=tuple(m for m in mutated.mutations if m.index in only))


def _pytest(tests: tuple[str, ...], env: dict, index: int, *, timeout: float | None
            ) -> str | None:
    """Run ``tests`` on mutant ``index``; return ``None`` when they pass, else the first
    failing test (or why the run failed)."""
    root = Path(tb.__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rf", "-n", "0", "-p",
           "no:cacheprovider", *tests]
    try:
        r = subprocess.run(cmd, cwd=root, env={**env, harness.SELECT_ENV: str(index)},
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timeout ({timeout:.0f} s)"
    if r.returncode == 0:
        return None
    failed = [ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("FAILED ")]
    return failed[0] if failed else \
        f"pytest exit code {r.returncode}: {(r.stdout + r.stderr).strip()[-300:]}"


def _check_survivors(block: str, design: str, mutated: Mutated, top: str, mutants: list[dict],
                     *, depth: int, jobs: int, check: bool,
                     progress: Callable[[str], None]) -> None:
    """Set ``"equivalence"`` of every surviving entry of ``mutants``: ``"explained"`` (with the
    ``"reason"``) for one :data:`REVIEWED` lists, else the formal check's answer, ``jobs``
    checks (each a Yosys process) at a time."""
    reviewed = REVIEWED.get(block, {})

    def classify(m: Mutation, entry: dict) -> None:
        t = time.monotonic()
        if entry["mutation"] in reviewed:
            entry["equivalence"], entry["reason"] = "explained", reviewed[entry["mutation"]]
        else:
            entry["equivalence"] = (check_equivalent(design, mutated, m.index, top=top,
                                                     depth=depth)
                                    if check else "unchecked")
        progress(f"{block}: mutant {m.index} survived: {entry['equivalence']} "
                 f"({time.monotonic() - t:.0f} s): {m.describe()}")

    survivors = [(m, e) for m, e in zip(mutated.mutations, mutants, strict=True)
                 if e["killed_by"] is None]
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda pair: classify(*pair), survivors))


def summarize(block: str, mutants: list[dict], **extra) -> dict:
    """Count killed, equivalent (proved), explained (read by a person) and surviving
    mutants (a ``bounded`` one, with no difference within the check's depth, survives: it is
    listed for review); the score is the killed share of the mutants neither proved
    equivalent nor explained."""
    def kind(m: dict) -> str:
        if m["killed_by"] is not None:
            return "killed"
        return m.get("equivalence") if m.get("equivalence") in ("equivalent", "explained") \
            else "survived"

    counts = {k: sum(kind(m) == k for m in mutants)
              for k in ("killed", "survived", "equivalent", "explained")}
    live = counts["killed"] + counts["survived"]
    return {"block": block, "mutants": len(mutants), **counts,
            "score": counts["killed"] / live if live else 1.0, **extra,
            "survivors": [m for m in mutants if kind(m) == "survived"],
            "equivalents": [m for m in mutants if kind(m) == "equivalent"],
            "explained_mutants": [m for m in mutants if kind(m) == "explained"],
            "all": mutants}
