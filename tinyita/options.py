"""Options shared by the commands: configuration dataclasses as option groups (names, defaults
and help from the dataclass's fields and docstring), output and lint, JSON reports."""

import argparse
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["add_config", "config_from", "add_output", "add_json", "report", "address",
           "file_error", "output_dir", "output_file", "input_file"]

_PARAM = re.compile(r"^    (\w+(?:, \w+)*) : [^\n]*\n((?:        [^\n]*\n)+)", re.MULTILINE)
_ROLE = re.compile(r":\w+:`~?([^`]*)`|``([^`]*)``")


def _param_docs(cls: type) -> dict[str, str]:
    """The first sentence of each parameter's entry in a numpy-style docstring."""
    docs = {}
    for names, text in _PARAM.findall(cls.__doc__ or ""):
        words = " ".join(_ROLE.sub(lambda m: m.group(1) or m.group(2), text).split())
        first = re.split(r"(?<=\.)\s", words, maxsplit=1)[0].rstrip(".")
        for name in names.split(", "):
            docs[name] = first
    return docs


def address(value: str) -> int:
    """An integer option in any base (``0x8000_0000``)."""
    return int(value, 0)


def file_error(e: OSError) -> str:
    """One line for a file error: the path(s) and the reason."""
    paths = " -> ".join(str(p) for p in (e.filename, e.filename2) if p is not None)
    reason = e.strerror or str(e)
    return f"{paths}: {reason}" if paths else reason


def input_file(path: Path, what: str = "input file") -> Path:
    """Check that ``path`` is a file that exists (before any work is done)."""
    if not path.exists():
        raise ValueError(f"{what} {path}: no such file")
    if path.is_dir():
        raise ValueError(f"{what} {path}: is a directory, not a file")
    return path


def output_dir(path: Path) -> Path:
    """Check that ``path`` can be the output directory: a directory or nothing yet (it is
    created), under a parent that is a directory."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"output directory {path}: exists and is not a directory")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"output directory {path}: {parent} is not a directory")
            break
    return path


def output_file(path: Path) -> Path:
    """Check that ``path`` can be written: not a directory, in a directory that exists."""
    if path.is_dir():
        raise ValueError(f"output file {path}: is a directory")
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"output file {path}: the directory {parent} does not exist")
    return path


def add_config(parser: argparse.ArgumentParser, cls: type, title: str,
               docs_from: tuple[type, ...] = ()) -> None:
    """One option per field of the dataclass ``cls`` (``--l1-bytes``), with its default; a
    bool field that defaults to true becomes ``--no-NAME``. Help comes from the docstrings of
    ``docs_from`` first (``ITAConfig`` explains the engine's fields best), then of ``cls``."""
    docs = {}
    for source in (*docs_from, cls):
        docs = {**_param_docs(source), **docs}
    group = parser.add_argument_group(title)
    for f in dataclasses.fields(cls):
        flag = f.name.replace("_", "-")
        doc = docs.get(f.name, f.name)
        if f.type in (bool, "bool"):
            group.add_argument(f"--no-{flag}", dest=f.name, action="store_false",
                               default=f.default, help=f"{f.name} = False ({doc})")
        else:
            group.add_argument(f"--{flag}", dest=f.name, type=address, default=f.default,
                               metavar="N", help=f"{doc} (default {f.default})")


def config_from(cls: type, args: argparse.Namespace):
    """The dataclass ``cls`` from the options :func:`add_config` added."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def add_output(parser: argparse.ArgumentParser) -> None:
    """``-o DIR`` and ``--lint``, for the commands that write Verilog."""
    parser.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    parser.add_argument("--lint", action="store_true",
                        help="also run verilator --lint-only -Wall with the waivers")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def report(args: argparse.Namespace, result: dict, text: Callable[[dict], str]) -> None:
    """Print ``result`` as one JSON object with ``--json``, else as ``text(result)``."""
    print(json.dumps(result, indent=2) if args.json else text(result))
