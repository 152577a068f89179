"""The ``tinyita`` command line. Each subcommand is a thin layer over ``hw``, ``sw`` and
``tb``; later parts add their subcommands here."""

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def cmd_version(args: argparse.Namespace) -> int:
    """Print the versions of tinyita and of the tools it uses."""
    import amaranth
    import cocotb
    import numpy

    from tb.toolchain import ToolchainError, verilator_version

    try:
        verilator = verilator_version()
    except ToolchainError as e:
        verilator = f"missing: {e}"
    print(f"tinyita   {__version__}")
    print(f"amaranth  {amaranth.__version__}")
    print(f"cocotb    {cocotb.__version__}")
    print(f"numpy     {numpy.__version__}")
    print(f"verilator {verilator}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyita",
        description="Generate, simulate and benchmark the tinyita RISC-V + ITA cluster.")
    parser.add_argument("--version", action="version", version=f"tinyita {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("version", help="print the versions of tinyita, Amaranth, cocotb and "
                                       "the Verilator it will use")
    p.set_defaults(func=cmd_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
