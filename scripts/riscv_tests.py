"""Build the official riscv-tests ("p" environment) and run them on the tinyita cluster.

    python scripts/riscv_tests.py --gcc riscv64-unknown-elf-gcc --src PATH/riscv-tests \\
        [--suites rv32ui,rv32um,rv32mi] [--json]

Each test of the suites' Makefrags is built from the unmodified sources with ``--gcc``, but with
this project's test environment (``scripts/riscv_tests_env``: ``riscv_test.h`` and ``link.ld``,
written for tinyita: riscv-tests' own ``env/`` is a git submodule, and its reset code writes
CSRs that a machine-mode-only core lacks), then run by ``tinyita exec`` on a small cluster. A
test ends by storing ``(code << 1) | 1`` to ``tohost``: code 0 is a pass, N the failed test
case, ``0x100000 | mcause << 12 | N`` an exception the test did not expect (see
``riscv_test.h``). The script prints a table (or JSON with ``--json``) and exits with 1 when a
test other than the :data:`EXPECTED_FAILURES` fails, 2 when a test cannot be built.

The compiler is Debian's ``gcc-riscv64-unknown-elf`` (``apt-get install
gcc-riscv64-unknown-elf``); see docs/core.md.
"""

import argparse
import json
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["EXPECTED_FAILURES", "Result", "parse_makefrag", "parse_exec", "build_test",
           "run_test", "summary", "table", "main"]

ENV = Path(__file__).resolve().parent / "riscv_tests_env"
SUITES = ("rv32ui", "rv32um", "rv32mi")
#: ``tinyita exec`` options: the small cluster of the cluster tests (4 cores, no engine,
#: 256 KiB of L2), so that the tests share its Verilator build. Core 0 runs the test.
EXEC_ARGS = ("--cores", "4", "--no-ita", "--l2-bytes", str(256 * 1024))
#: The compiler's options (riscv-tests' own, with RV32IM and the Zicsr and Zifencei the core
#: implements; ``fence.i`` needs Zifencei in GCC 12).
CFLAGS = ("-march=rv32im_zicsr_zifencei", "-mabi=ilp32", "-static", "-mcmodel=medany",
          "-fvisibility=hidden", "-nostdlib", "-nostartfiles")
#: Tests that fail by design, and why (docs/core.md).
EXPECTED_FAILURES = {
    "rv32ui-p-ma_data": "misaligned loads and stores trap (the test expects them to work)",
    "rv32mi-p-breakpoint": "no trigger module: tselect traps as an illegal instruction",
    "rv32mi-p-pmpaddr": "no PMP: pmpcfg0 traps as an illegal instruction",
}
#: An exit code with this bit: an exception the test did not expect (riscv_test.h).
UNEXPECTED_TRAP = 0x100000
_EXIT = re.compile(r"exit code (\d+): (\d+) cycles, (\d+) instructions")


@dataclass
class Result:
    """One test's outcome: ``status`` is ``pass``, ``fail`` (test case ``case`` failed),
    ``trap`` (an unexpected exception with ``mcause`` in test case ``case``), ``timeout`` (no
    exit within the cycle limit) or ``error`` (it could not run: ``detail``)."""

    name: str
    status: str
    code: int | None = None
    case: int | None = None
    mcause: int | None = None
    cycles: int | None = None
    instructions: int | None = None
    detail: str = ""

    @property
    def expected(self) -> bool:
        """Whether the outcome is the documented one: a pass, or an expected failure."""
        return (self.status == "pass") == (self.name not in EXPECTED_FAILURES)


def parse_makefrag(text: str, suite: str) -> list[str]:
    """The test names of ``<suite>_sc_tests`` in a riscv-tests Makefrag."""
    joined = re.sub(r"\\\n", " ", text)
    m = re.search(rf"^{re.escape(suite)}_sc_tests\s*=(.*)$", joined, re.MULTILINE)
    if not m:
        raise ValueError(f"Makefrag of {suite}: no {suite}_sc_tests list")
    return m.group(1).split()


def parse_exec(name: str, returncode: int, stderr: str) -> Result:
    """The :class:`Result` of ``tinyita exec`` from its exit status and standard error."""
    m = _EXIT.search(stderr)
    said = [ln for ln in stderr.splitlines() if ln.startswith("tinyita exec:")]
    said += stderr.strip().splitlines()[-1:]            # or the last line (a traceback's)
    if returncode == 124:
        return Result(name, "timeout", detail=said[0] if said else "cycle limit")
    if not m:
        return Result(name, "error", detail=f"exit status {returncode}: "
                                            f"{said[0] if said else 'no output'}")
    code, cycles, instructions = (int(g) for g in m.groups())
    r = Result(name, "pass", code=code, cycles=cycles, instructions=instructions)
    if code & UNEXPECTED_TRAP:
        r.status, r.mcause, r.case = "trap", (code >> 12) & 0xFF, code & 0xFFF
        r.detail = f"unexpected exception, mcause {r.mcause}, in test case {r.case}"
    elif code:
        r.status, r.case, r.detail = "fail", code, f"test case {code} failed"
    return r


def build_test(gcc: str, src: Path, suite: str, name: str, out: Path) -> Path:
    """Compile ``isa/<suite>/<name>.S`` of riscv-tests ``src`` into ``out``; return the ELF.
    A compiler error raises :class:`RuntimeError` with its message."""
    source = src / "isa" / suite / f"{name}.S"
    elf = out / f"{suite}-p-{name}"
    cmd = [gcc, *CFLAGS, f"-I{ENV}", f"-I{src / 'isa' / 'macros' / 'scalar'}",
           f"-T{ENV / 'link.ld'}", str(source), "-o", str(elf)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{source}: {gcc} failed:\n{p.stderr.strip()}")
    return elf


def run_test(elf: Path, max_cycles: int, exec_args: list[str] | tuple[str, ...] = EXEC_ARGS,
             tinyita: list[str] | None = None) -> Result:
    """Run ``elf`` with ``tinyita exec`` (``tinyita``: the command, default this Python's
    ``-m tinyita.cli``)."""
    cmd = [*(tinyita or [sys.executable, "-m", "tinyita.cli"]), "exec", str(elf),
           "--max-cycles", str(max_cycles), *exec_args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return parse_exec(elf.name, p.returncode, p.stderr)


def summary(results: list[Result]) -> dict:
    """Per suite: passed, total and the failed tests; every test's result; the failures
    that are not expected."""
    suites: dict[str, dict] = {}
    for r in results:
        s = suites.setdefault(r.name.split("-p-")[0], {"passed": 0, "total": 0, "failed": []})
        s["total"] += 1
        if r.status == "pass":
            s["passed"] += 1
        else:
            s["failed"].append(r.name)
    return {"suites": suites, "tests": [asdict(r) for r in results],
            "unexpected": [r.name for r in results if not r.expected]}


def table(results: list[Result]) -> str:
    """A text table of the results and the per-suite counts."""
    lines = [f"{'test':32} {'result':8} {'cycles':>7}  detail"]
    for r in results:
        note = r.detail
        if r.name in EXPECTED_FAILURES and r.status != "pass":
            note = f"{note} (expected: {EXPECTED_FAILURES[r.name]})"
        elif r.name in EXPECTED_FAILURES:
            note = "passes, but is listed as an expected failure"
        cycles = "" if r.cycles is None else str(r.cycles)
        lines.append(f"{r.name:32} {r.status:8} {cycles:>7}  {note}".rstrip())
    for suite, s in summary(results)["suites"].items():
        lines.append(f"{suite}: {s['passed']}/{s['total']} passed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line: build, run, report; the exit status (see the module's doc)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gcc", required=True, help="RISC-V GCC (riscv64-unknown-elf-gcc)")
    ap.add_argument("--src", required=True, type=Path, help="a riscv-tests source tree")
    ap.add_argument("--suites", default=",".join(SUITES),
                    help=f"comma-separated suites (default {','.join(SUITES)})")
    ap.add_argument("--tests", default="", help="only these tests (comma-separated names)")
    ap.add_argument("--out", type=Path, default=Path("build/riscv-tests"),
                    help="where the ELFs go (default build/riscv-tests)")
    ap.add_argument("--max-cycles", type=int, default=100_000)
    ap.add_argument("--exec-args", default=shlex.join(EXEC_ARGS),
                    help=f"tinyita exec's cluster options (default '{shlex.join(EXEC_ARGS)}')")
    ap.add_argument("--jobs", type=int, default=1, help="simulations at once (default 1)")
    ap.add_argument("--json", action="store_true", help="print a JSON summary")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    only = set(filter(None, args.tests.split(",")))
    elfs = []
    try:
        for suite in filter(None, args.suites.split(",")):
            makefrag = args.src / "isa" / suite / "Makefrag"
            if not makefrag.is_file():
                raise RuntimeError(f"{makefrag}: not found (is --src a riscv-tests tree?)")
            for name in parse_makefrag(makefrag.read_text(), suite):
                if not only or name in only or f"{suite}-p-{name}" in only:
                    elfs.append(build_test(args.gcc, args.src, suite, name, args.out))
    except (RuntimeError, OSError) as e:
        print(f"riscv_tests: {e}", file=sys.stderr)
        return 2
    exec_args = shlex.split(args.exec_args)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(lambda e: run_test(e, args.max_cycles, exec_args), elfs))
    print(json.dumps(summary(results), indent=2) if args.json else table(results))
    return 0 if all(r.expected for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
