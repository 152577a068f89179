"""The ``tinyita`` command line. Each subcommand is a thin layer over ``hw``, ``sw`` and
``tb``; later parts add their subcommands here."""

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from hw.ita.config import Activation, Mode

from . import __version__

MODES = {mode.name.lower().replace("_", "-"): mode for mode in Mode}
ACTIVATIONS = {act.name.lower(): act for act in Activation}


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


def _engine(args: argparse.Namespace):
    from hw.ita.config import ITAConfig

    return ITAConfig(n=args.n, m=args.m, softmax_shift=args.softmax_shift,
                     max_tiles=args.max_tiles)


def cmd_verilog_ita(args: argparse.Namespace) -> int:
    """Write the ITA engine's Verilog, its parameters and its Verilator waivers."""
    from hw.ita.ita import ITA

    cfg = _engine(args)
    return _write_and_lint(ITA.from_config(cfg), "ita", args, dict(cfg.__dict__))


def cmd_bench_ita(args: argparse.Namespace) -> int:
    """Run one engine job without stalls and report cycles and utilisation."""
    from tb.ita.benchmark import run_benchmark

    report = run_benchmark(_engine(args), MODES[args.mode], seq=args.seq, emb=args.emb,
                           proj=args.proj, ff=args.ff, act=ACTIVATIONS[args.act],
                           seed=args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['mode']}: {report['cycles']} cycles, {report['macs']} MACs, "
              f"utilization {report['utilization']:.3f}, bit-exact {report['bit_exact']}")
        for step, cycles in report["steps"].items():
            print(f"  {step:3} {cycles} cycles")
    return 0 if report["bit_exact"] else 1


def cmd_bench_hwpe(args: argparse.Namespace) -> int:
    """Run two jobs through the HWPE's registers and memory; report cycles and overhead."""
    from tb.hwpe.benchmark import run_hwpe_benchmark

    report = run_hwpe_benchmark(_engine(args), MODES[args.mode], seq=args.seq, emb=args.emb,
                                proj=args.proj, ff=args.ff, act=ACTIVATIONS[args.act],
                                seed=args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['mode']}: {report['cycles']} cycles, {report['macs']} MACs, "
              f"utilization {report['utilization']:.3f}, job overhead "
              f"{report['job_overhead_cycles']} cycles, bit-exact {report['bit_exact']}")
    return 0 if report["bit_exact"] else 1


def cmd_verilog_hwpe(args: argparse.Namespace) -> int:
    """Write the HWPE (shell and engine) Verilog, its parameters and its waivers."""
    from hw.hwpe.ita_hwpe import ITAHWPE

    cfg = _engine(args)
    hwpe = ITAHWPE(cfg.n, cfg.m, cfg.softmax_shift, cfg.max_tiles, contexts=args.contexts,
                   cores=args.cores, mem_base=args.mem_base, mem_size=args.mem_size)
    params = {**cfg.__dict__, "contexts": args.contexts, "cores": args.cores,
              "mem_base": args.mem_base, "mem_size": args.mem_size}
    return _write_and_lint(hwpe, "ita_hwpe", args, params)


def cmd_verilog_core(args: argparse.Namespace) -> int:
    """Write the RV32IM core's Verilog."""
    from hw.core.core import Core

    core = Core(hartid=args.hartid, reset_pc=args.reset_pc)
    return _write_and_lint(core, "core", args, {"hartid": args.hartid,
                                                "reset_pc": args.reset_pc})


def _write_and_lint(design, name: str, args: argparse.Namespace, params: dict) -> int:
    from hw.verilog import write_verilog

    paths = write_verilog(design, name, args.output, params)
    for p in paths.values():
        print(p)
    if args.lint:
        from tb.lint import lint

        problems = lint(paths["v"], name, paths["vlt"])
        for line in problems:
            print(line, file=sys.stderr)
        print(f"lint: {len(problems)} warnings with verilator --lint-only -Wall")
        return 1 if problems else 0
    return 0


def cmd_asm(args: argparse.Namespace) -> int:
    """Assemble a source file into an ELF."""
    from sw.rv32 import assemble, write_elf

    image = assemble(Path(args.source).read_text(), base=args.base, filename=str(args.source))
    write_elf(image, args.output)
    print(f"{args.output}: {sum(len(c) for _, c in image.segments)} bytes, entry "
          f"0x{image.entry:08x}, {len(image.symbols)} symbols")
    return 0


def _cluster(args: argparse.Namespace):
    from hw.config import ClusterConfig

    return ClusterConfig(cores=args.cores, l1_bytes=args.l1_bytes, l1_banks=args.l1_banks,
                         l2_bytes=args.l2_bytes, l2_latency=args.l2_latency,
                         icache_lines=args.icache_lines, ita=not args.no_ita, n=args.n,
                         m=args.m, softmax_shift=args.softmax_shift, max_tiles=args.max_tiles)


def cmd_verilog_cluster(args: argparse.Namespace) -> int:
    """Write the cluster's Verilog (with the SRAM macro model), parameters and waivers."""
    from hw.cluster.cluster import Cluster

    cfg = _cluster(args)
    params = dataclasses.asdict(cfg)
    return _write_and_lint(Cluster(cfg), "cluster", args, params)


def cmd_exec(args: argparse.Namespace) -> int:
    """Run an RV32 ELF on the simulated cluster until it exits."""
    from tb.cluster.run import ExecError, run_elf

    try:
        r = run_elf([args.program], cfg=_cluster(args), max_cycles=args.max_cycles,
                    trace=args.trace)[str(Path(args.program).resolve())]
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


def cmd_bench_core(args: argparse.Namespace) -> int:
    """Run the kernels on the core with a single-cycle memory; report cycles and CPI."""
    import tempfile

    from sw.rv32 import write_elf
    from tb.core.kernels import KERNELS, build_kernel
    from tb.core.run import run_elf

    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name in KERNELS:
            paths[name] = str(Path(tmp, f"{name}.elf").resolve())
            write_elf(build_kernel(name).link(), paths[name])
        results = run_elf(list(paths.values()), max_cycles=1_000_000)
    report = {}
    for name, path in paths.items():
        r = results[path]
        if "error" in r:
            raise RuntimeError(f"kernel {name}: {r['error']}")
        report[name] = {"cycles": r["cycles"], "instructions": r["instructions"],
                        "cpi": r["cycles"] / r["instructions"]}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for name, r in report.items():
            print(f"{name:12s} {r['cycles']:8d} cycles {r['instructions']:8d} instructions "
                  f"CPI {r['cpi']:.3f}")
    return 0


def cmd_bench_cluster(args: argparse.Namespace) -> int:
    """Run the hand-written attention head on a cluster, L2 to L2: offloaded to the engine,
    or with --no-ita the software baseline on the cores."""
    from tb.cluster.benchmark import run_cluster_benchmark

    cfg = _cluster(args)
    report = run_cluster_benchmark(cfg, seq=args.seq, emb=args.emb, proj=args.proj,
                                   seed=args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        how = "on the engine" if cfg.ita else "in software on the cores"
        print(f"attention S={args.seq} E={args.emb} P={args.proj} {how}: "
              f"{report['cycles']} cycles, "
              f"utilization {report['utilization']:.4f}, bit-exact {report['bit_exact']}, "
              f"phases {report['phases']}")
    return 0 if report["bit_exact"] else 1


def cmd_bench_sim(args: argparse.Namespace) -> int:
    """Measure how fast the cluster builds and simulates on this machine."""
    from tb.cluster.simspeed import run_sim_benchmark

    report = run_sim_benchmark(_cluster(args), cold=args.cold)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        how = "cold" if report["cold"] else "from the cache"
        print(f"build ({how}): {report['build_seconds']:.1f} s")
        for run in ("idle", "busy"):
            if run in report:
                r = report[run]
                print(f"engine {run}: {r['cycles']} cycles at {r['cycles_per_second']:,.0f} "
                      "cycles/s")
    return 0


def _engine_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine parameters")
    g.add_argument("--n", type=int, default=16, help="dot-product engines (default 16)")
    g.add_argument("--m", type=int, default=64, help="tile edge and dot length (default 64)")
    g.add_argument("--softmax-shift", type=int, default=5, help="ITAMax k (default 5)")
    g.add_argument("--max-tiles", type=int, default=8,
                   help="largest size in tiles of M (default 8)")


def _cluster_options(p: argparse.ArgumentParser) -> None:
    from hw.config import ClusterConfig

    d = ClusterConfig()
    g = p.add_argument_group("cluster parameters (hw.config.ClusterConfig)")
    g.add_argument("--cores", type=int, default=d.cores, help=f"cores (default {d.cores})")
    g.add_argument("--l1-bytes", type=int, default=d.l1_bytes,
                   help=f"L1 size (default {d.l1_bytes})")
    g.add_argument("--l1-banks", type=int, default=d.l1_banks,
                   help=f"L1 banks (default {d.l1_banks})")
    g.add_argument("--l2-bytes", type=int, default=d.l2_bytes,
                   help=f"L2 size (default {d.l2_bytes})")
    g.add_argument("--l2-latency", type=int, default=d.l2_latency,
                   help=f"L2 read latency in cycles (default {d.l2_latency})")
    g.add_argument("--icache-lines", type=int, default=d.icache_lines,
                   help=f"64-byte lines per core's instruction cache (default {d.icache_lines})")
    g.add_argument("--no-ita", action="store_true", help="a cluster without the engine")
    _engine_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyita",
        description="Generate, simulate and benchmark the tinyita RISC-V + ITA cluster.")
    parser.add_argument("--version", action="version", version=f"tinyita {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("version", help="print the versions of tinyita, Amaranth, cocotb and "
                                       "the Verilator it will use")
    p.set_defaults(func=cmd_version)

    verilog = sub.add_parser("verilog", help="generate Verilog").add_subparsers(
        dest="design", metavar="DESIGN", required=True)
    p = verilog.add_parser("ita", help="the ITA engine with stream interfaces")
    _engine_options(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    p.add_argument("--lint", action="store_true",
                   help="also run verilator --lint-only -Wall with the waivers")
    p.set_defaults(func=cmd_verilog_ita)
    p = verilog.add_parser("hwpe", help="the ITA engine behind its HWPE shell")
    _engine_options(p)
    p.add_argument("--contexts", type=int, default=2, help="job contexts (default 2)")
    p.add_argument("--cores", type=int, default=8, help="cores on the register bus (default 8)")
    p.add_argument("--mem-base", type=lambda v: int(v, 0), default=0x1000_0000,
                   help="base of the memory the pointers must lie in (default 0x10000000)")
    p.add_argument("--mem-size", type=lambda v: int(v, 0), default=128 * 1024,
                   help="its size in bytes (default 131072)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    p.add_argument("--lint", action="store_true",
                   help="also run verilator --lint-only -Wall with the waivers")
    p.set_defaults(func=cmd_verilog_hwpe)
    p = verilog.add_parser("core", help="the RV32IM core")
    p.add_argument("--hartid", type=int, default=0)
    p.add_argument("--reset-pc", type=lambda v: int(v, 0), default=0x8000_0000)
    p.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    p.add_argument("--lint", action="store_true",
                   help="also run verilator --lint-only -Wall with the waivers")
    p.set_defaults(func=cmd_verilog_core)

    p = verilog.add_parser("cluster", help="the whole cluster")
    _cluster_options(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    p.add_argument("--lint", action="store_true",
                   help="also run verilator --lint-only -Wall with the waivers")
    p.set_defaults(func=cmd_verilog_cluster)

    p = sub.add_parser("asm", help="assemble RV32IM source into an ELF")
    p.add_argument("source", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--base", type=lambda v: int(v, 0), default=0x8000_0000,
                   help="address of .text (default 0x80000000)")
    p.set_defaults(func=cmd_asm)

    p = sub.add_parser("exec", help="run an RV32 ELF on the simulated cluster")
    p.add_argument("program", type=Path)
    p.add_argument("--max-cycles", type=int, default=10_000_000)
    p.add_argument("--trace", type=Path,
                   help="write core 0's retirement trace (the last 8192)")
    _cluster_options(p)
    p.set_defaults(func=cmd_exec)

    bench = sub.add_parser("bench", help="measure cycles on Verilator").add_subparsers(
        dest="design", metavar="DESIGN", required=True)
    p = bench.add_parser("core", help="kernels on the core with a single-cycle memory")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_bench_core)
    p = bench.add_parser("cluster", help="an attention head on the cluster, L2 to L2 (on the "
                         "engine, or with --no-ita in software)")
    _cluster_options(p)
    p.add_argument("--seq", type=int, default=128, help="S (default 128)")
    p.add_argument("--emb", type=int, default=128, help="E (default 128)")
    p.add_argument("--proj", type=int, default=64, help="P (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_bench_cluster)
    p = bench.add_parser("sim", help="simulation speed of the cluster: build time, cycles per "
                         "second with the engine idle and busy")
    _cluster_options(p)
    p.add_argument("--cold", action="store_true",
                   help="build from nothing in a temporary cache (default: use the cache)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_bench_sim)
    for design, helptext, func in (
            ("ita", "one engine job on its streams, no stalls", cmd_bench_ita),
            ("hwpe", "two jobs through the HWPE's registers and memory", cmd_bench_hwpe)):
        p = bench.add_parser(design, help=helptext)
        _engine_options(p)
        p.add_argument("--mode", choices=list(MODES), default="attention")
        p.add_argument("--seq", type=int, default=256, help="S (default 256)")
        p.add_argument("--emb", type=int, default=256, help="E (default 256)")
        p.add_argument("--proj", type=int, default=256, help="P (default 256)")
        p.add_argument("--ff", type=int, default=512, help="F (default 512)")
        p.add_argument("--act", choices=list(ACTIVATIONS), default="identity",
                       help="activation of F1 and Linear")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except ValueError as e:
        print(f"tinyita: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
