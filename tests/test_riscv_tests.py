"""scripts/riscv_tests.py: the parts that need no compiler (Makefrag and ``tinyita exec``
parsing, the summary, the command line's errors), and, when riscv64-unknown-elf-gcc is
installed, a small riscv-tests-like tree written here, built with the project's test
environment and run on the cluster (a pass, a failed test case, an unexpected exception)."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "riscv_tests.py"
_spec = importlib.util.spec_from_file_location("riscv_tests", SCRIPT)
rt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rt)

GCC = "riscv64-unknown-elf-gcc"


def test_parse_makefrag():
    text = ("#===\n# Makefrag\n\nrv32um_sc_tests = \\\n\tdiv divu \\\n\tmul mulh \\\n\n"
            "rv32um_p_tests = $(addprefix rv32um-p-, $(rv32um_sc_tests))\n")
    assert rt.parse_makefrag(text, "rv32um") == ["div", "divu", "mul", "mulh"]
    with pytest.raises(ValueError, match="no rv32ui_sc_tests list"):
        rt.parse_makefrag(text, "rv32ui")


def exit_line(code: int) -> str:
    return (f"exit code {code}: 120 cycles, 80 instructions retired by core 0 (CPI 1.500), "
            "per core [80, 1, 1, 1]\n")


def test_parse_exec_outcomes():
    r = rt.parse_exec("rv32ui-p-add", 0, exit_line(0))
    assert (r.status, r.cycles, r.instructions, r.expected) == ("pass", 120, 80, True)
    r = rt.parse_exec("rv32ui-p-add", 7, exit_line(7))
    assert (r.status, r.case, r.expected) == ("fail", 7, False)
    code = rt.UNEXPECTED_TRAP | 4 << 12 | 3            # mcause 4 in test case 3
    r = rt.parse_exec("rv32ui-p-ma_data", code & 0xFF, exit_line(code))
    assert (r.status, r.mcause, r.case, r.expected) == ("trap", 4, 3, True)
    assert "mcause 4" in r.detail
    r = rt.parse_exec("rv32ui-p-add", 124, "tinyita exec: did not exit within 500 cycles\n")
    assert r.status == "timeout" and "500 cycles" in r.detail
    r = rt.parse_exec("rv32ui-p-add", 2, "tinyita exec: x: cannot read it as ELF\n")
    assert r.status == "error" and "cannot read it as ELF" in r.detail


def test_summary_and_table_count_per_suite():
    results = [rt.Result("rv32ui-p-add", "pass", code=0, cycles=10),
               rt.Result("rv32ui-p-ma_data", "trap", detail="unexpected exception"),
               rt.Result("rv32mi-p-csr", "fail", case=2, detail="test case 2 failed")]
    s = rt.summary(results)
    assert s["suites"] == {"rv32ui": {"passed": 1, "total": 2, "failed": ["rv32ui-p-ma_data"]},
                           "rv32mi": {"passed": 0, "total": 1, "failed": ["rv32mi-p-csr"]}}
    assert s["unexpected"] == ["rv32mi-p-csr"]
    text = rt.table(results)
    assert "rv32ui: 1/2 passed" in text and "rv32mi: 0/1 passed" in text
    assert "(expected: misaligned" in text


def test_missing_source_tree_is_an_error(tmp_path, capsys):
    assert rt.main(["--gcc", GCC, "--src", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "is --src a riscv-tests tree?" in capsys.readouterr().err


MACROS = """
#define TEST_CASE(testnum, testreg, correctval, code...) \\
test_ ## testnum: li TESTNUM, testnum; code; li x7, correctval; bne testreg, x7, fail;
#define TEST_PASSFAIL bne x0, TESTNUM, pass; fail: RVTEST_FAIL; pass: RVTEST_PASS
"""
PROGRAM = """#include "riscv_test.h"
#include "test_macros.h"
RVTEST_RV32U
RVTEST_CODE_BEGIN
  TEST_CASE(2, a0, 5, li a0, 5)
  TEST_CASE(3, a0, 6, {body})
  TEST_PASSFAIL
RVTEST_CODE_END
  .data
RVTEST_DATA_BEGIN
RVTEST_DATA_END
"""


@pytest.mark.skipif(shutil.which(GCC) is None, reason=f"{GCC} is not installed")
def test_environment_on_the_cluster(tmp_path, capsys):
    src = tmp_path / "riscv-tests"
    (src / "isa" / "macros" / "scalar").mkdir(parents=True)
    (src / "isa" / "macros" / "scalar" / "test_macros.h").write_text(MACROS)
    suite = src / "isa" / "rv32ui"
    suite.mkdir()
    (suite / "Makefrag").write_text("rv32ui_sc_tests = \\\n\tok bad \\\n\ttrap\n")
    for name, body in (("ok", "li a0, 6"), ("bad", "li a0, 7"), ("trap", "csrr a0, 0x7a0")):
        (suite / f"{name}.S").write_text(PROGRAM.format(body=body))
    status = rt.main(["--gcc", GCC, "--src", str(src), "--suites", "rv32ui",
                      "--out", str(tmp_path / "out"), "--max-cycles", "20000", "--json"])
    s = json.loads(capsys.readouterr().out)
    tests = {t["name"]: t for t in s["tests"]}
    assert tests["rv32ui-p-ok"]["status"] == "pass"
    assert (tests["rv32ui-p-bad"]["status"], tests["rv32ui-p-bad"]["case"]) == ("fail", 3)
    trap = tests["rv32ui-p-trap"]
    assert (trap["status"], trap["mcause"], trap["case"]) == ("trap", 2, 3)
    assert s["suites"]["rv32ui"]["passed"] == 1 and status == 1
