"""``tinyita exec``: run an RV32 ELF on the simulated cluster until it exits.

The exit code is the program's (its low 8 bits), or one of these when the run failed: the
cycle limit (124, as ``timeout`` does), an unhandled trap (125), a data access to no memory or
register (126, unless ``--allow-bus-errors``), a bad program or option (2)."""

import argparse
import sys
from pathlib import Path

from hw.config import ClusterConfig
from hw.ita.config import ITAConfig

from .options import add_config, config_from
from .verilog import CLUSTER

#: Exit codes of a failed run (docs/cluster.md).
CYCLE_LIMIT, UNHANDLED_TRAP, BUS_ERROR = 124, 125, 126
#: Enough for a compiled MiniLM layer (862k cycles); a stuck program fails in about 25 s.
DEFAULT_MAX_CYCLES = 1_000_000


def positive(value: str) -> int:
    """A cycle count: a positive integer."""
    try:
        n = int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{n} must be positive")
    return n


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("exec", help="run an RV32 ELF on the simulated cluster")
    p.add_argument("program", type=Path)
    p.add_argument("--max-cycles", type=positive, default=DEFAULT_MAX_CYCLES,
                   help=f"end the run here, with exit code {CYCLE_LIMIT} "
                   f"(default {DEFAULT_MAX_CYCLES:,})")
    p.add_argument("--allow-bus-errors", action="store_true",
                   help=f"report a data access to no memory or register but keep the "
                   f"program's exit code (otherwise exit code {BUS_ERROR})")
    p.add_argument("--trace", type=Path, help="write core 0's retirement trace (the last 8192)")
    add_config(p, ClusterConfig, CLUSTER, docs_from=(ITAConfig,))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tb.cluster.run import ExecError, run_elf

    try:
        r = run_elf([args.program], cfg=config_from(ClusterConfig, args),
                    max_cycles=args.max_cycles, trace=args.trace, progress=True
                    )[str(args.program.resolve())]
    except ExecError as e:
        print(f"tinyita exec: {e}", file=sys.stderr)
        return 2
    if "error" in r:
        print(f"tinyita exec: {r['error']}\n(raise the limit with --max-cycles)",
              file=sys.stderr)
        return CYCLE_LIMIT
    if r["output"]:
        print(r["output"], end="" if r["output"].endswith("\n") else "\n")
    if r["fault"]:
        print(f"tinyita exec: {r['fault']} (after {r['cycles']} cycles)", file=sys.stderr)
        return UNHANDLED_TRAP
    cpi = r["cycles"] / r["instructions"] if r["instructions"] else float("nan")
    print(f"exit code {r['exit_code']}: {r['cycles']} cycles, {r['instructions']} instructions "
          f"retired by core 0 (CPI {cpi:.3f}), per core {r['instructions_per_core']}",
          file=sys.stderr)
    if r["bus_error"]:
        e = r["bus_error"]
        print(f"tinyita exec: bus error: core {e['core']} accessed 0x{e['address']:08x}, "
              f"which is no memory or register (the first such access; docs/cluster.md "
              f"has the memory map)", file=sys.stderr)
        if not args.allow_bus_errors:
            return BUS_ERROR
    return r["exit_code"] & 0xFF
