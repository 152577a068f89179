"""``tinyita verilog DESIGN``: a design's Verilog, its parameters (JSON) and its documented lint
waivers (``.vlt``), optionally linted with ``verilator --lint-only -Wall``."""

import argparse
import dataclasses
import sys

from hw.config import L1_BASE, L2_BASE, ClusterConfig
from hw.ita.config import ITAConfig

from .options import add_config, add_output, address, config_from, output_dir

ENGINE = "engine parameters (hw.ita.config.ITAConfig)"
CLUSTER = "cluster parameters (hw.config.ClusterConfig)"


def register(sub: "argparse._SubParsersAction") -> None:
    designs = sub.add_parser("verilog", help="generate Verilog").add_subparsers(
        dest="design", metavar="DESIGN", required=True)
    p = designs.add_parser("ita", help="the ITA engine with stream interfaces")
    add_config(p, ITAConfig, ENGINE)
    add_output(p)
    p.set_defaults(func=ita)
    p = designs.add_parser("hwpe", help="the ITA engine behind its HWPE shell")
    add_config(p, ITAConfig, ENGINE)
    p.add_argument("--contexts", type=int, default=2, help="job contexts (default 2)")
    p.add_argument("--cores", type=int, default=ClusterConfig.cores,
                   help=f"cores on the register bus (default {ClusterConfig.cores})")
    p.add_argument("--mem-base", type=address, default=L1_BASE,
                   help=f"base of the memory the pointers must lie in (default 0x{L1_BASE:x})")
    p.add_argument("--mem-size", type=address, default=ClusterConfig.l1_bytes,
                   help=f"its size in bytes (default {ClusterConfig.l1_bytes})")
    add_output(p)
    p.set_defaults(func=hwpe)
    p = designs.add_parser("core", help="the RV32IM core")
    p.add_argument("--hartid", type=int, default=0)
    p.add_argument("--reset-pc", type=address, default=L2_BASE,
                   help=f"the reset vector (default 0x{L2_BASE:08x})")
    add_output(p)
    p.set_defaults(func=core)
    p = designs.add_parser("cluster", help="the whole cluster")
    add_config(p, ClusterConfig, CLUSTER, docs_from=(ITAConfig,))
    add_output(p)
    p.set_defaults(func=cluster)


def ita(args: argparse.Namespace) -> int:
    from hw.ita.ita import ITA

    cfg = config_from(ITAConfig, args)
    return _write(lambda: ITA(cfg), "ita", args, dataclasses.asdict(cfg))


def hwpe(args: argparse.Namespace) -> int:
    from hw.hwpe.ita_hwpe import ITAHWPE

    cfg = config_from(ITAConfig, args)
    params = {**dataclasses.asdict(cfg), "contexts": args.contexts, "cores": args.cores,
              "mem_base": args.mem_base, "mem_size": args.mem_size}
    return _write(lambda: ITAHWPE(cfg, contexts=args.contexts, cores=args.cores,
                                  mem_base=args.mem_base, mem_size=args.mem_size),
                  "ita_hwpe", args, params)


def core(args: argparse.Namespace) -> int:
    from hw.core.core import Core

    return _write(lambda: Core(hartid=args.hartid, reset_pc=args.reset_pc), "core", args,
                  {"hartid": args.hartid, "reset_pc": args.reset_pc})


def cluster(args: argparse.Namespace) -> int:
    from hw.cluster.cluster import Cluster

    cfg = config_from(ClusterConfig, args)
    return _write(lambda: Cluster(cfg), "cluster", args, dataclasses.asdict(cfg))


def _write(make, name: str, args: argparse.Namespace, params: dict) -> int:
    """Check the output folder, then build the design with ``make()`` and write it (an
    Amaranth component built and never elaborated is reported when it is collected)."""
    from hw.verilog import write_verilog

    output_dir(args.output)
    paths = write_verilog(make(), name, args.output, params)
    for p in paths.values():
        print(p)
    if not args.lint:
        return 0
    from tb.lint import lint

    problems = lint(paths["v"], name, paths["vlt"])
    for line in problems:
        print(line, file=sys.stderr)
    print(f"lint: {len(problems)} warnings with verilator --lint-only -Wall")
    return 1 if problems else 0
