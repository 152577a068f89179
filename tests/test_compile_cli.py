"""``tinyita compile`` and ``tinyita run`` with the functional executor: files, dumps, the
per-op report as JSON, the timeline picture, and clear errors."""

import json

import pytest

from sw.rv32.elf import read_elf
from tinyita.cli import main

SMALL = ["--seq", "64", "--emb", "64", "--heads", "2", "--proj", "64", "--ff", "128"]


def test_compile_writes_the_program_and_the_manifest(tmp_path, capsys):
    assert main(["compile", *SMALL, "-o", str(tmp_path), "--dump", "tiling"]) == 0
    out = capsys.readouterr()
    assert "== tiling" in out.out and "l0.head0" in out.out
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["regions"]["x"]["shape"] == [64, 64]
    assert manifest["predicted_cycles"] == sum(s["predicted_cycles"] for s in manifest["stages"])
    elf = read_elf(tmp_path / "program.elf")
    assert elf.entry == 0x8000_0000
    assert any(a == manifest["regions"]["x"]["address"] for a, _ in elf.segments)


def test_run_reports_every_op_and_draws_the_timeline(tmp_path, capsys):
    png = tmp_path / "t.png"
    assert main(["run", *SMALL, "--layers", "2", "--executor", "functional", "--json",
                 "--plot", str(png)]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["bit_exact"] and r["executor"] == "functional" and "cycles" not in r
    ops = {o["op"] for o in r["ops"]}
    assert {"l0.head0", "l1.ln2", "l1.ffn"} <= ops
    assert r["macs"] == sum(o["macs"] for o in r["ops"]) > 0
    assert png.read_bytes().startswith(b"\x89PNG")


def test_run_without_an_engine_or_with_a_bad_size_is_a_clear_error(capsys):
    assert main(["run", *SMALL, "--no-ita", "--executor", "functional"]) == 2
    assert "the cluster has none" in capsys.readouterr().err
    assert main(["run", "--seq", "40", "--executor", "functional"]) == 2
    assert "S = 40 is not a positive multiple of M = 64" in capsys.readouterr().err


@pytest.mark.parametrize("part", ["head", "encoder"])
def test_parts(part, capsys):
    assert main(["run", *SMALL, "--part", part, "--executor", "functional", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert any(o["op"] == "l0.ln2" for o in r["ops"]) == (part == "encoder")
    s, e, p, f, heads = 64, 64, 64, 128, (1 if part == "head" else 2)
    head = 3 * s * e * p + 2 * s * s * p + s * p * e         # Q, K, V; QK, AV; output
    assert r["macs"] == heads * head + (2 * s * e * f if part == "encoder" else 0)
