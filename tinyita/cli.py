"""The ``tinyita`` command line: one module per command group (``version``, ``verilog``,
``asm``, ``exec``, ``bench``, ``compile`` with ``run``, ``fetch`` with ``eval``), each
registering its subcommands; every command returns the process's exit code. Shared options are
in :mod:`tinyita.options`."""

import argparse
import sys
from collections.abc import Sequence

from . import __version__, asm, bench, compile, execute, models, mutate, verilog, version
from .options import file_error

#: The command groups, in the order ``--help`` lists them.
COMMANDS = (version, verilog, asm, execute, bench, compile, models, mutate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyita",
        description="Generate, simulate and benchmark the tinyita RISC-V + ITA cluster.")
    parser.add_argument("--version", action="version", version=f"tinyita {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except ValueError as e:               # a bad value (the message names it)
        print(f"tinyita: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:                  # a file or folder that cannot be read or written
        print(f"tinyita: error: {file_error(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
