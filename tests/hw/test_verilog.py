"""Generated Verilog is lint clean with exactly the documented waivers."""

import json
import re

import pytest

from hw.ita.config import ITAConfig
from hw.ita.ita import ITA
from hw.verilog import WAIVERS, write_verilog
from tb.lint import lint
from tinyita.cli import main


@pytest.mark.parametrize("n, m, k", [(4, 16, 0), (8, 32, 5)])
def test_ita_lint_clean_with_waivers(tmp_path, n, m, k):
    paths = write_verilog(ITA(ITAConfig(n=n, m=m, softmax_shift=k)), "ita", tmp_path, {"n": n})
    assert lint(paths["v"], "ita", paths["vlt"]) == []
    # Without the waivers only the waived rules appear: a new kind of warning is a defect.
    rules = {re.match(r"%(?:Warning|Error)-(\w+)", ln).group(1)
             for ln in lint(paths["v"], "ita") if re.match(r"%(?:Warning|Error)-\w+", ln)}
    assert rules <= {rule for rule, _ in WAIVERS}, rules - {rule for rule, _ in WAIVERS}
    vlt = paths["vlt"].read_text()
    for rule, reason in WAIVERS:
        assert f"-rule {rule}" in vlt and reason in vlt


def test_cli_writes_default_engine(tmp_path, capsys):
    """The published size through the command line, with --lint."""
    assert main(["verilog", "ita", "--n", "16", "--m", "64", "--softmax-shift", "5", "-o",
                 str(tmp_path), "--lint"]) == 0
    assert "lint: 0 warnings" in capsys.readouterr().out
    params = json.loads((tmp_path / "ita.json").read_text())
    assert params == {"top": "ita", "n": 16, "m": 64, "softmax_shift": 5, "max_tiles": 8}
    assert "module ita(" in (tmp_path / "ita.v").read_text()


def test_cli_rejects_bad_parameters(tmp_path, capsys):
    assert main(["verilog", "ita", "--n", "16", "--m", "24", "-o", str(tmp_path)]) == 2
    assert "ITAConfig.m = 24: must be a power of two in 8..128" in capsys.readouterr().err


def test_cli_writes_hwpe_lint_clean(tmp_path, capsys):
    """The shell with the engine (small engine: the lint of the default takes long)."""
    assert main(["verilog", "hwpe", "--n", "4", "--m", "16", "--contexts", "3", "-o",
                 str(tmp_path), "--lint"]) == 0
    assert "lint: 0 warnings" in capsys.readouterr().out
    params = json.loads((tmp_path / "ita_hwpe.json").read_text())
    assert params["contexts"] == 3 and params["mem_base"] == 0x1000_0000
    assert "module ita_hwpe(" in (tmp_path / "ita_hwpe.v").read_text()


def test_hwpe_rejects_bad_parameters(tmp_path, capsys):
    assert main(["verilog", "hwpe", "--n", "4", "--m", "16", "--contexts", "5", "-o",
                 str(tmp_path)]) == 2
    assert "HWPE contexts = 5: must be in 2..4" in capsys.readouterr().err


def test_cli_writes_core_lint_clean(tmp_path, capsys):
    assert main(["verilog", "core", "--hartid", "3", "-o", str(tmp_path), "--lint"]) == 0
    assert "lint: 0 warnings" in capsys.readouterr().out
    assert json.loads((tmp_path / "core.json").read_text())["hartid"] == 3


def test_core_rejects_a_misaligned_reset_vector(tmp_path, capsys):
    assert main(["verilog", "core", "--reset-pc", "0x80000002", "-o", str(tmp_path)]) == 2
    assert "reset_pc 0x80000002: must be a multiple of 4" in capsys.readouterr().err


def test_cli_writes_cluster_lint_clean(tmp_path, capsys):
    """A non-default cluster (3 cores, 16 banks, a small engine) with the SRAM macro model."""
    args = ["verilog", "cluster", "--cores", "3", "--l1-bytes", "32768", "--l1-banks", "16",
            "--l2-bytes", "65536", "--n", "4", "--m", "16", "-o", str(tmp_path), "--lint"]
    assert main(args) == 0, capsys.readouterr().err
    assert "module tinyita_sram" in (tmp_path / "cluster.v").read_text()
    assert json.loads((tmp_path / "cluster.json").read_text())["cores"] == 3


def test_cluster_rejects_bad_parameters(tmp_path, capsys):
    assert main(["verilog", "cluster", "--cores", "9", "-o", str(tmp_path)]) == 2
    assert "ClusterConfig.cores = 9: must be in 1..8" in capsys.readouterr().err
