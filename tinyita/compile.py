"""``tinyita compile`` and ``tinyita run``: an encoder (with no model given, a random-weight
one of the shape the options give) compiled for a cluster; ``run`` also executes it (the
functional executor, or the Verilator cluster), checks every tensor against the golden model
and shows where the cycles go."""

import argparse
import sys
from pathlib import Path

from hw.config import ClusterConfig
from hw.ita.config import Activation, ITAConfig
from sw.compiler.models import PARTS

from .options import add_config, add_json, config_from, report
from .verilog import CLUSTER

ACTIVATIONS = {"gelu": Activation.GELU, "relu": Activation.RELU}


def register(sub: "argparse._SubParsersAction") -> None:
    from sw.compiler.flow import STAGES

    p = sub.add_parser("compile", help="compile an encoder for the cluster: program.elf and "
                       "manifest.json")
    _model(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    p.add_argument("--dump", choices=STAGES, action="append", default=[],
                   help="print a stage of the compiler (repeatable)")
    p.set_defaults(func=compile_command)
    p = sub.add_parser("run", help="compile an encoder, run it, check it against the golden "
                       "model and show where the cycles go")
    _model(p)
    p.add_argument("--executor", choices=("functional", "rtl"), default="rtl",
                   help="the functional executor (Python, seconds) or the Verilator cluster "
                   "(default rtl)")
    p.add_argument("-o", "--output", type=Path, help="also write program.elf and manifest.json")
    p.add_argument("--plot", type=Path, metavar="FILE.png",
                   help="draw the timeline of the engine, the DMA and the cores")
    p.add_argument("--max-cycles", type=int, help="cycle limit of the RTL run (default: four "
                   "times the prediction plus 100 000)")
    add_json(p)
    p.set_defaults(func=run_command)


def _model(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (a random-weight encoder, quantized)")
    for name, default, what in (("layers", 1, "encoder layers"), ("seq", 64, "sequence S"),
                                ("emb", 128, "embedding E"), ("heads", 2, "heads H"),
                                ("proj", 64, "projection P"), ("ff", 256, "feed-forward F"),
                                ("seed", 0, "seed of the weights and the input")):
        g.add_argument(f"--{name}", type=int, default=default, help=f"{what} (default {default})")
    g.add_argument("--act", choices=list(ACTIVATIONS), default="gelu")
    g.add_argument("--part", choices=PARTS, default="encoder",
                   help="the whole encoder, or only its first attention head (default encoder)")
    add_config(p, ClusterConfig, CLUSTER, docs_from=(ITAConfig,))


def _compile(args: argparse.Namespace):
    from sw.compiler.flow import compile_graph
    from sw.compiler.models import EncoderShape, random_encoder

    cluster = config_from(ClusterConfig, args)
    shape = EncoderShape(args.layers, args.seq, args.emb, args.heads, args.proj, args.ff,
                         ACTIVATIONS[args.act])
    graph, inputs = random_encoder(shape, cluster.ita_config(), args.seed, args.part)
    return compile_graph(graph, cluster, inputs), inputs


def compile_command(args: argparse.Namespace) -> int:
    from sw.compiler.flow import dump

    compiled, _ = _compile(args)
    for stage in args.dump:
        print(f"== {stage}\n{dump(compiled, stage)}")
    compiled.write(args.output)
    m = compiled.manifest
    print(f"wrote {args.output / 'program.elf'} and manifest.json: {len(m['stages'])} stages, "
          f"{m['predicted_cycles']} cycles predicted", file=sys.stderr)
    return 0


def run_command(args: argparse.Namespace) -> int:
    from sw.compiler.executor import ExecutionError, check_tensors, execute
    from sw.compiler.report import plot_timeline, summary, table_text

    compiled, inputs = _compile(args)
    if args.output:
        compiled.write(args.output)
    execute(compiled, inputs)
    measured, counters = None, None
    if args.executor == "rtl":
        from tb.cluster.compiled import run_compiled
        from tb.cluster.run import ExecError

        try:
            r = run_compiled(compiled, max_cycles=args.max_cycles, progress=True)
        except ExecError as e:
            print(f"tinyita run: {e}", file=sys.stderr)
            return 2
        if r["exit_code"] != 0:
            print(f"tinyita run: the program exited with {r['exit_code']}", file=sys.stderr)
            return 1
        try:
            check_tensors(compiled, r["tensors"], inputs)
        except ExecutionError as e:
            print(f"tinyita run: not bit-exact on the RTL: {e}", file=sys.stderr)
            return 1
        measured, counters = r["stage_cycles"], r
    result = {"executor": args.executor, "bit_exact": True, **summary(compiled, measured,
                                                                      counters)}
    if args.plot:
        plot_timeline(compiled, measured, args.plot)
    report(args, result, table_text)
    return 0
