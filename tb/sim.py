"""The one way tinyita simulates hardware: Amaranth -> Verilog -> Verilator -> cocotb.

``build`` turns a component (or Verilog text) into a Verilator model and caches it under a hash
of the Verilog, the build options and the toolchain, so every test that simulates the same
design shares one build, also across pytest-xdist workers (a file lock serialises builders).
``run`` runs cocotb tests from a Python module on a build; their parameters travel as a JSON
file named in the environment (any size: memory images too) and the tests read them with
:func:`params`.

Builds make public only the top module's ports and the internal signals a harness lists
(:mod:`tb.public`), and compile the per-cycle C++ with ``OPT_FAST``: see docs/simulation.md
for why and for the measured speeds.

Environment variables:

``TINYITA_WAVES=1``
    Record a waveform of every run (builds with tracing; the path is logged). The format is
    FST when the C++ compiler finds the lz4 and zlib headers that Verilator's FST writer
    needs (Debian: ``apt install liblz4-dev zlib1g-dev``), VCD otherwise.
``TINYITA_CACHE``
    Where builds are cached (default ``~/.cache/tinyita/verilator``).
``TINYITA_RUNS``
    Where run directories with waveforms and logs are kept (default ``build/sim-runs``).
``TINYITA_MUTANTS``, ``TINYITA_MUTSEL``
    Mutants of one module in every build, and the one a run selects
    (:mod:`tb.mutation.harness`; set by ``tinyita mutate``).
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from amaranth.back import verilog as amaranth_verilog
from amaranth.lib import wiring

from .mutation import harness as mutants
from .public import public_vlt
from .toolchain import check_toolchain, verilator_root

__all__ = ["Build", "SimulationFailed", "ExecError", "to_verilog", "cached_verilog", "build", "run",
           "run_for_result", "write_result", "params", "waves_requested", "wave_format"]

#: Verilator options of every build. Warnings are reported by the lint flow, not here. No
#: signal is public but those a bench lists (``tb.public``); the option overrides the
#: ``--public-flat-rw`` that cocotb's runner passes before it.
BUILD_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "0", "--x-initial", "0",
              "-O3", "--no-public-flat-rw")
#: The C++ optimisation of the model's per-cycle code (Verilator's default is -Os).
OPT_FAST = "-O2"
PARAMS_ENV = "TINYITA_PARAMS_FILE"


class SimulationFailed(AssertionError):
    """Some cocotb tests failed (or none ran); the message lists them and the log's place."""


class ExecError(RuntimeError):
    """A program could not be run to its end (cycle limit, bad ELF), on either harness that
    runs programs (``tb/programs.py``)."""


@dataclass(frozen=True)
class Build:
    """A built Verilator model: its directory, top module name and whether it can trace."""

    directory: Path
    toplevel: str
    waves: bool

    @property
    def wave_file(self) -> str:
        return f"waves.{wave_format()}"


def waves_requested() -> bool:
    """Return whether ``TINYITA_WAVES`` asks for waveforms."""
    return os.environ.get("TINYITA_WAVES", "").lower() in ("1", "true", "yes", "on")


@cache
def wave_format() -> str:
    """Return ``"fst"`` when the FST writer can be compiled here, else ``"vcd"``."""
    probe = "#include <lz4.h>\n#include <zlib.h>\n"
    try:
        ok = subprocess.run([os.environ.get("CXX", "c++"), "-E", "-x", "c++", "-"], input=probe,
                            capture_output=True, text=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    if not ok:
        print("tinyita: FST needs the lz4 and zlib headers (Debian: apt install liblz4-dev "
              "zlib1g-dev); recording VCD instead", file=sys.stderr)
    return "fst" if ok else "vcd"


_ZERO_INIT = re.compile(r"\n *initial begin\n(?: *[^\n]*\[\d+\] = \d+'h0+;\n)+ *end(?=\n)")


def to_verilog(component: wiring.Component, name: str) -> str:
    """Return the Verilog of an Amaranth component with top module ``name``.

    Memories initialised to all zeros lose their ``initial`` blocks (one line per word, which
    make big test-bench memories slow to compile); Verilator starts them at zero anyway
    (``--x-initial 0``).
    """
    return _ZERO_INIT.sub("", amaranth_verilog.convert(component, name=name, emit_src=False))


@cache
def _source_hash() -> str:
    """Hash of the Python sources that hardware is generated from: ``hw``, the test-bench
    hardware in ``tb/hdl`` and the harnesses (``tb/**/*harness.py``)."""
    import hw

    tb_root = Path(__file__).parent
    files = [*Path(hw.__file__).parent.rglob("*.py"), *(tb_root / "hdl").rglob("*.py"),
             *tb_root.rglob("*harness.py")]
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def cached_verilog(factory: Callable[[], wiring.Component], name: str, key: str) -> str:
    """Return the Verilog of ``factory()``, converting only when ``key`` (the generator's
    parameters) or the hardware sources changed since the last conversion."""
    digest = hashlib.sha256(f"{name}\0{key}\0{_source_hash()}".encode()).hexdigest()[:20]
    path = _cache_root() / "verilog" / f"{name}-{digest}.v"
    if path.exists():
        return path.read_text()
    text = to_verilog(factory(), name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return text


def _cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(os.environ.get("TINYITA_CACHE", default / "tinyita" / "verilator"))


def _toolchain_identity() -> str:
    import cocotb
    import cocotb_tools.config

    return "|".join([str(verilator_root()), cocotb.__version__,
                     str(cocotb_tools.config.libs_dir), sys.executable])


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextmanager
def _make_variable(name: str, value: str):
    """Set a variable of the ``make`` that compiles the model (through ``MAKEFLAGS``)."""
    saved = os.environ["MAKEFLAGS"]
    os.environ["MAKEFLAGS"] = f"{saved} {name}={value}"
    try:
        yield
    finally:
        os.environ["MAKEFLAGS"] = saved


def build(design: wiring.Component | str | Callable[[], wiring.Component], *,
          name: str = "top", key: str | None = None, waves: bool | None = None,
          public: Iterable[str] = (), extra_verilog: str = "") -> Build:
    """Build (or reuse) a Verilator model of ``design``.

    Parameters
    ----------
    design : Component, str or callable
        An Amaranth component, Verilog text whose top module is ``name``, or a function that
        makes the component; with ``key`` the Verilog is cached (see :func:`cached_verilog`),
        which saves the conversion of big designs.
    name : str
        The top module name.
    key : str, optional
        The generator parameters of a ``design`` given as a function.
    waves : bool, optional
        Build with FST tracing; default from ``TINYITA_WAVES``.
    public : iterable of str
        The internal signals the benches read or write, as dotted paths from the top module
        (``*`` matches within a name); nothing else is visible (see :mod:`tb.public`).
    extra_verilog : str
        Verilog modules the design instantiates (test-bench models written in Verilog).
    """
    from cocotb_tools.runner import get_runner

    check_toolchain()
    if waves is None:
        waves = waves_requested()
    if isinstance(design, str):
        text = design
    elif isinstance(design, wiring.Component):
        text = to_verilog(design, name)
    else:
        if key is None:
            raise ValueError("build: a design given as a function needs a key")
        text = cached_verilog(design, name, key)
    text = mutants.apply(text, name) + extra_verilog
    vlt = public_vlt(text, name, public)
    trace = {"fst": ["--trace-fst"], "vcd": ["--trace"]}[wave_format()] if waves else []
    args = list(BUILD_ARGS) + trace + (["--trace-structs"] if waves else [])
    key = hashlib.sha256("\0".join([text, name, vlt, repr(args), OPT_FAST,
                                     _toolchain_identity()])
                         .encode()).hexdigest()[:20]
    directory = _cache_root() / f"{name}-{key}"
    result = Build(directory, name, waves)
    if (directory / ".complete").exists():
        return result
    with _locked(_cache_root() / f"{name}-{key}.lock"):
        if (directory / ".complete").exists():
            return result
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        sources = [directory / f"{name}.v", directory / f"{name}.vlt"]
        sources[0].write_text(text)
        sources[1].write_text(vlt)
        runner = get_runner("verilator")
        log = directory / "build.log"
        try:
            with _make_variable("OPT_FAST", OPT_FAST):
                runner.build(sources=sources, hdl_toplevel=name, build_dir=directory,
                             build_args=args, waves=waves, log_file=log, always=True)
        except (RuntimeError, SystemExit) as e:
            tail = log.read_text()[-4000:] if log.exists() else ""
            raise RuntimeError(f"Verilator build of {name} failed ({e}); log {log}:\n{tail}"
                               ) from None
        (directory / ".complete").touch()
    return result


def run_for_result(b: Build, module: str, test: str, params: dict, *, label: str,
                   error: type[Exception] = RuntimeError):
    """Run the cocotb test ``test`` of ``module`` with ``params`` and ``result``, the path of a
    file the test writes its JSON result to, and return that result. A failed run raises
    ``error`` with the end of the simulator's log."""
    with tempfile.TemporaryDirectory(prefix=f"tinyita-{label}-") as tmp:
        result, log = Path(tmp) / "result.json", Path(tmp) / "sim.log"
        try:
            run(b, module, tests=test, params={**params, "result": str(result)}, log_file=log,
                label=label)
        except SimulationFailed as err:
            raise error(f"{err}\n{log.read_text()[-3000:]}") from None
        return json.loads(result.read_text())


def write_result(result: dict | list) -> None:
    """Hand ``result`` (JSON-ready) back to :func:`run_for_result` (inside the simulator)."""
    Path(params()["result"]).write_text(json.dumps(result))


def params() -> dict:
    """Return the parameters ``run`` passed to the cocotb tests (inside the simulator)."""
    path = os.environ.get(PARAMS_ENV)
    return json.loads(Path(path).read_text()) if path else {}


def _run_dir(label: str, keep: bool) -> Path:
    if not keep:
        return Path(tempfile.mkdtemp(prefix="tinyita-run-"))
    root = Path(os.environ.get("TINYITA_RUNS", "build/sim-runs")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=re.sub(r"[^\w.-]+", "_", label)[:80] + "-", dir=root))


def _failures(results: Path) -> tuple[int, list[str]]:
    if not results.exists():
        return 0, ["(the simulator produced no results file: it crashed or was killed)"]
    tree = ET.parse(results)
    cases = list(tree.iter("testcase"))
    failed = [c.get("name", "?") for c in cases
              if c.find("failure") is not None or c.find("error") is not None]
    return len(cases), failed


def run(b: Build, module: str, *, tests: str | list[str] | None = None,
        params: dict | None = None, seed: int = 0, label: str | None = None,
        log_file: Path | None = None) -> None:
    """Run cocotb tests of ``module`` (a dotted module name) on a build.

    ``tests`` selects test functions by name (default: all in the module). ``params`` is
    JSON-serialised and read inside the simulator with :func:`params`. The simulator's output
    goes to ``log_file`` when given, else to standard output. Raises
    :class:`SimulationFailed` when a test fails or when no test ran.
    """
    from cocotb_tools.runner import get_runner

    check_toolchain()
    label = label or os.environ.get("PYTEST_CURRENT_TEST", module).split(" ")[0]
    run_dir = _run_dir(label, keep=b.waves)
    results = run_dir / "results.xml"
    runner = get_runner("verilator")
    waves = run_dir / b.wave_file if b.waves else None
    test_args = ["--trace", "--trace-file", str(waves)] if b.waves else []
    params_file = run_dir / "params.json"
    params_file.write_text(json.dumps(params or {}))
    env = {PARAMS_ENV: str(params_file), "COCOTB_RESULTS_FILE": str(results),
           "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)  # we check the results ourselves
    try:
        runner.test(test_module=module, hdl_toplevel=b.toplevel, build_dir=b.directory,
                    test_dir=run_dir, testcase=tests, seed=seed, extra_env=env,
                    hdl_toplevel_lang="verilog",
                    test_args=test_args, plusargs=mutants.plusargs(), results_xml=str(results),
                    log_file=log_file)
    except SystemExit:
        pass
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    ran, failed = _failures(results)
    where = f" (waveform {waves})" if b.waves else ""
    if not b.waves:
        shutil.rmtree(run_dir, ignore_errors=True)
    if failed or ran == 0:
        what = ", ".join(failed) if failed else "no test ran (check the module and test names)"
        log = f"in {log_file}" if log_file else "in the captured output above"
        raise SimulationFailed(f"{module} on {b.toplevel}: {what}; the cocotb log is {log}"
                               f"{where}")
    if where:
        print(f"tinyita: waveform of {label}: {waves}")
