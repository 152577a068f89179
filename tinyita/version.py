"""``tinyita version``: the versions of tinyita and of the tools it uses."""

import argparse

from . import __version__


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("version", help="print the versions of tinyita, Amaranth, cocotb and "
                                       "the Verilator it will use")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
