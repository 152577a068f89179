"""The mutation score of a block: how many sampled mutants its fast tests kill.

A block (:data:`BLOCKS`) names the pytest functions that test it in Amaranth's simulator. The
component they build is converted to Verilog, :func:`tb.mutation.yosys.mutate` puts ``count``
mutants behind ``mutsel``, Verilator builds that once, and one simulator run
(:mod:`tb.mutation.bridge`) runs the tests on the original (``mutsel = 0``, must pass) and on
every mutant. Each surviving mutant is then checked formally for equivalence with the
original (:func:`tb.mutation.yosys.check_equivalent`).
"""

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import verilog as amaranth_verilog

import tb

from .. import sim
from .bridge import TestCase, call_with_bench, cases
from .yosys import Mutation, check_equivalent, mutate

__all__ = ["Block", "BLOCKS", "design_of", "score", "OriginalFails"]


class OriginalFails(AssertionError):
    """The block's tests fail on the unmutated model (``mutsel = 0``)."""


@dataclass(frozen=True)
class Block:
    """A block and its tests: ``(module, function)`` pairs, every parametrisation of each."""

    doc: str
    tests: tuple[tuple[str, str], ...]

    def cases(self) -> list[TestCase]:
        return [c for module, name in self.tests for c in cases(module, name)]


UNITS = "tests.hw.ita.test_units"
AG = "tests.hw.hwpe.test_address_generator"
#: The blocks ``tinyita mutate`` knows, with the tests that run on their mutants.
BLOCKS: dict[str, Block] = {
    "requantizer": Block("the ITA's requantizer (hw/ita/requantizer.py)",
                         ((UNITS, "test_requantizer_matches_golden"),
                          (UNITS, "test_requantizer_in_range"),
                          (UNITS, "test_requantizer_clamps_at_every_bit"))),
    "activation": Block("the ITA's activation unit (hw/ita/activation.py)",
                        ((UNITS, "test_activation_matches_golden"),
                         (UNITS, "test_activation_with_varied_constants"))),
    "divider": Block("the ITA's inverse divider (hw/ita/divider.py)",
                     ((UNITS, "test_divider"), (UNITS, "test_divider_many_divisors"))),
    "itamax": Block("ITAMax, the ITA's softmax (hw/ita/itamax.py)",
                    ((UNITS, "test_itamax_stages"),
                     (UNITS, "test_itamax_near_the_row_maximum"))),
    "pe-array": Block("the ITA's PE array (hw/ita/pe_array.py)",
                      ((UNITS, "test_pe_array"),
                       (UNITS, "test_pe_array_with_new_weights_every_row"))),
    "double-buffer": Block("the ITA's weight double buffer (hw/ita/double_buffer.py)",
                           ((UNITS, "test_double_buffer_alternates_and_waits"),)),
    "address-generator": Block("the HWPE streamers' address generator "
                               "(hw/hwpe/address_generator.py)",
                               tuple((AG, t) for t in ("test_addresses_with_backpressure",
                                                       "test_random_commands",
                                                       "test_long_command_starts_right"))),
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
          check: bool = True, tests: Block | None = None,
          progress: Callable[[str], None] = lambda _: None) -> dict:
    """Mutate ``block`` and run its tests on every mutant; return the result (JSON-ready).

    ``tests`` defaults to ``BLOCKS[block]``. Tests whose component differs from the first
    test's (other generator parameters) cannot run on its mutants; they are listed under
    ``"skipped"``. ``jobs`` equivalence checks of survivors run at a time; without ``check``
    none runs (the survivors' ``equivalence`` is ``"unchecked"``).
    """
    if tests is None and block not in BLOCKS:
        raise ValueError(f"mutate: unknown block {block!r}; known: {', '.join(BLOCKS)}")
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
    mutated = mutate(reference, top=top, count=count, seed=seed)
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

    def classify(m: Mutation, entry: dict) -> None:
        t = time.monotonic()
        entry["equivalence"] = (check_equivalent(reference, mutated, m.index, top=top,
                                                 depth=depth)
                                if check else "unchecked")
        progress(f"{block}: mutant {m.index} survived: {entry['equivalence']} "
                 f"({time.monotonic() - t:.0f} s): {m.describe()}")

    survivors = [(m, e) for m, e in zip(mutated.mutations, mutants, strict=True)
                 if e["killed_by"] is None]
    with ThreadPoolExecutor(jobs) as pool:     # each check is a Yosys process
        list(pool.map(lambda pair: classify(*pair), survivors))
    return summarize(block, mutants, tests=run, skipped=skipped, seed=seed, depth=depth,
                     seconds=time.monotonic() - t0)


def summarize(block: str, mutants: list[dict], **extra) -> dict:
    """Count killed, equivalent (proved) and surviving mutants (a ``bounded`` one, with no
    difference within the check's depth, survives: it is listed for review); the score is the
    killed share of the mutants not proved equivalent."""
    killed = sum(m["killed_by"] is not None for m in mutants)
    equivalent = sum(m.get("equivalence") == "equivalent" for m in mutants)
    survived = len(mutants) - killed - equivalent
    live = killed + survived
    return {"block": block, "mutants": len(mutants), "killed": killed, "survived": survived,
            "equivalent": equivalent, "score": killed / live if live else 1.0, **extra,
            "survivors": [m for m in mutants if m["killed_by"] is None
                          and m.get("equivalence") != "equivalent"],
            "equivalents": [m for m in mutants if m.get("equivalence") == "equivalent"],
            "all": mutants}
