"""``tinyita exec``: run an RV32 ELF on the simulated cluster until it exits."""

import argparse
import sys
from pathlib import Path

from hw.config import ClusterConfig
from hw.ita.config import ITAConfig

from .options import add_config, config_from
from .verilog import CLUSTER


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("exec", help="run an RV32 ELF on the simulated cluster")
    p.add_argument("program", type=Path)
    p.add_argument("--max-cycles", type=int, default=10_000_000)
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
        print(f"tinyita exec: {r['error']}", file=sys.stderr)
        return 124
    if r["output"]:
        print(r["output"], end="" if r["output"].endswith("\n") else "\n")
    cpi = r["cycles"] / r["instructions"] if r["instructions"] else float("nan")
    print(f"exit code {r['exit_code']}: {r['cycles']} cycles, {r['instructions']} instructions "
          f"retired by core 0 (CPI {cpi:.3f}), per core {r['instructions_per_core']}",
          file=sys.stderr)
    return r["exit_code"] & 0xFF
