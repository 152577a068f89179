"""``tinyita bench DESIGN``: cycles measured on Verilator, checked against the golden model, as
a table or one JSON object (``--json``). A result that is not bit-exact exits with 1."""

import argparse
import sys

from hw.config import ClusterConfig
from hw.ita.config import Activation, ITAConfig, Mode

from .options import add_config, add_json, config_from, report
from .verilog import CLUSTER, ENGINE

MODES = {mode.name.lower().replace("_", "-"): mode for mode in Mode}
ACTIVATIONS = {act.name.lower(): act for act in Activation}


def register(sub: "argparse._SubParsersAction") -> None:
    designs = sub.add_parser("bench", help="measure cycles on Verilator").add_subparsers(
        dest="design", metavar="DESIGN", required=True)
    p = designs.add_parser("core", help="kernels on the core with a single-cycle memory")
    add_json(p)
    p.set_defaults(func=core)
    p = designs.add_parser("cluster", help="an attention head on the cluster, L2 to L2 (on the "
                           "engine, or with --no-ita in software)")
    add_config(p, ClusterConfig, CLUSTER, docs_from=(ITAConfig,))
    _sizes(p, seq=128, emb=128, proj=64)
    p.set_defaults(func=cluster)
    p = designs.add_parser("sim", help="simulation speed of the cluster: build time, cycles per "
                           "second with the engine idle and busy")
    add_config(p, ClusterConfig, CLUSTER, docs_from=(ITAConfig,))
    p.add_argument("--cold", action="store_true",
                   help="build from nothing in a temporary cache (default: use the cache)")
    add_json(p)
    p.set_defaults(func=sim)
    for design, helptext, func in (
            ("ita", "one engine job on its streams, no stalls", ita),
            ("hwpe", "two jobs through the HWPE's registers and memory", hwpe)):
        p = designs.add_parser(design, help=helptext)
        add_config(p, ITAConfig, ENGINE)
        p.add_argument("--mode", choices=list(MODES), default="attention")
        _sizes(p, seq=256, emb=256, proj=256)
        p.add_argument("--ff", type=int, default=512, help="F (default 512)")
        p.add_argument("--act", choices=list(ACTIVATIONS), default="identity",
                       help="activation of F1 and Linear")
        p.set_defaults(func=func)


def _sizes(p: argparse.ArgumentParser, **defaults: int) -> None:
    for name, default in defaults.items():
        letter = {"seq": "S", "emb": "E", "proj": "P"}[name]
        p.add_argument(f"--{name}", type=int, default=default, help=f"{letter} (default "
                       f"{default})")
    p.add_argument("--seed", type=int, default=0)
    add_json(p)


def _job(args: argparse.Namespace) -> dict:
    return {"seq": args.seq, "emb": args.emb, "proj": args.proj, "ff": args.ff,
            "act": ACTIVATIONS[args.act], "seed": args.seed}


def ita(args: argparse.Namespace) -> int:
    """One engine job without stalls: cycles and utilisation."""
    from tb.ita.benchmark import run_benchmark

    r = run_benchmark(config_from(ITAConfig, args), MODES[args.mode], **_job(args))
    report(args, r, lambda r: "\n".join(
        [f"{r['mode']}: {r['cycles']} cycles, {r['macs']} MACs, utilization "
         f"{r['utilization']:.3f}, bit-exact {r['bit_exact']}"]
        + [f"  {step:3} {cycles} cycles" for step, cycles in r["steps"].items()]))
    return 0 if r["bit_exact"] else 1


def hwpe(args: argparse.Namespace) -> int:
    """Two jobs through the HWPE's registers and memory: cycles and overhead."""
    from tb.hwpe.benchmark import run_hwpe_benchmark

    r = run_hwpe_benchmark(config_from(ITAConfig, args), MODES[args.mode], **_job(args))
    report(args, r, lambda r: f"{r['mode']}: {r['cycles']} cycles, {r['macs']} MACs, "
           f"utilization {r['utilization']:.3f}, job overhead {r['job_overhead_cycles']} "
           f"cycles, bit-exact {r['bit_exact']}")
    return 0 if r["bit_exact"] else 1


def core(args: argparse.Namespace) -> int:
    """The kernels on the core with a single-cycle memory: cycles and CPI."""
    import tempfile
    from pathlib import Path

    from sw.kernels.bench_kernels import KERNELS, build_kernel
    from sw.rv32 import write_elf
    from tb.core.run import run_elf

    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name in KERNELS:
            paths[name] = str(Path(tmp, f"{name}.elf").resolve())
            write_elf(build_kernel(name).link(), paths[name])
        results = run_elf(list(paths.values()), max_cycles=1_000_000)
    r = {}
    for name, path in paths.items():
        if "error" in results[path]:
            print(f"tinyita bench core: kernel {name}: {results[path]['error']}",
                  file=sys.stderr)
            return 1
        k = results[path]
        r[name] = {"cycles": k["cycles"], "instructions": k["instructions"],
                   "cpi": k["cycles"] / k["instructions"]}
    report(args, r, lambda r: "\n".join(
        f"{name:12s} {k['cycles']:8d} cycles {k['instructions']:8d} instructions "
        f"CPI {k['cpi']:.3f}" for name, k in r.items()))
    return 0


def cluster(args: argparse.Namespace) -> int:
    """The hand-written attention head on a cluster, L2 to L2: offloaded to the engine, or
    with --no-ita the software baseline on the cores."""
    from tb.cluster.benchmark import run_cluster_benchmark

    cfg = config_from(ClusterConfig, args)
    r = run_cluster_benchmark(cfg, seq=args.seq, emb=args.emb, proj=args.proj, seed=args.seed)
    how = "on the engine" if cfg.ita else "in software on the cores"
    report(args, r, lambda r: f"attention S={args.seq} E={args.emb} P={args.proj} {how}: "
           f"{r['cycles']} cycles, utilization {r['utilization']:.4f}, bit-exact "
           f"{r['bit_exact']}, phases {r['phases']}")
    return 0 if r["bit_exact"] else 1


def sim(args: argparse.Namespace) -> int:
    """How fast the cluster builds and simulates on this machine."""
    from tb.cluster.simspeed import run_sim_benchmark

    r = run_sim_benchmark(config_from(ClusterConfig, args), cold=args.cold)

    def text(r: dict) -> str:
        how = "cold" if r["cold"] else "from the cache"
        lines = [f"build ({how}): {r['build_seconds']:.1f} s"]
        lines += [f"engine {run}: {r[run]['cycles']} cycles at "
                  f"{r[run]['cycles_per_second']:,.0f} cycles/s"
                  for run in ("idle", "busy") if run in r]
        return "\n".join(lines)

    report(args, r, text)
    return 0
