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

from .options import add_config, add_json, config_from, output_dir, output_file, report
from .verilog import CLUSTER

ACTIVATIONS = {"gelu": Activation.GELU, "relu": Activation.RELU}


def register(sub: "argparse._SubParsersAction") -> None:
    from sw.compiler.flow import STAGES

    p = sub.add_parser("compile", help="compile an encoder for the cluster: program.elf and "
                       "manifest.json (an ONNX model: one folder of them per layer)")
    _onnx(p)
    p.add_argument("--calib", type=Path, metavar="FILE.npz", help="an ONNX model's calibration "
                   "inputs (input_ids, attention_mask; default: the built-in sentences)")
    _model(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    p.add_argument("--dump", choices=STAGES, action="append", default=[],
                   help="print a stage of the compiler (repeatable)")
    p.set_defaults(func=compile_command)
    p = sub.add_parser("run", help="compile an encoder, run it, check it against the golden "
                       "model and show where the cycles go")
    _onnx(p)
    p.add_argument("--calib", type=Path, metavar="FILE.npz", help="an ONNX model's calibration "
                   "inputs (default: the built-in sentences)")
    p.add_argument("--input", type=Path, metavar="FILE.npz", help="an ONNX model's inputs "
                   "(input_ids, attention_mask), one run per row; or --text")
    _model(p)
    p.add_argument("--executor", choices=("functional", "rtl"), default="rtl",
                   help="the functional executor (Python, seconds) or the Verilator cluster "
                   "(default rtl)")
    p.add_argument("-o", "--output", type=Path, help="also write program.elf and manifest.json")
    p.add_argument("--plot", type=Path, metavar="FILE.png",
                   help="draw the timeline of the engine, the DMA and the cores")
    p.add_argument("--max-cycles", type=int, help="cycle limit of the RTL run (default: four "
                   "times the prediction plus 100 000)")
    g = p.add_argument_group("a pretrained model instead (each layer compiled as its own "
                             "program; --layers and the other model options do not apply)")
    g.add_argument("--model", metavar="NAME|PATH",
                   help="a known model (minilm) or a Hugging Face folder or zip")
    g.add_argument("--text", action="append", default=[],
                   help="a text to embed (repeatable; default: one built-in sentence)")
    add_json(p)
    p.set_defaults(func=run_command)


def _onnx(p: argparse.ArgumentParser) -> None:
    p.add_argument("onnx", nargs="?", metavar="MODEL.onnx", help="an ONNX encoder (or a known "
                   "ONNX model: paraphrase-minilm-l3) imported, quantized and compiled layer by "
                   "layer instead of a random-weight one")
    p.add_argument("--tokenizer", metavar="PATH", help="the ONNX model's tokenizer.json (default: "
                   "the one beside the file)")


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

    output_dir(args.output)
    if args.onnx:
        from .models import onnx_compile

        args.model = args.onnx
        return onnx_compile(args)
    if args.calib:
        raise ValueError("--calib needs an ONNX model")
    compiled, _ = _compile(args)
    for stage in args.dump:
        print(f"== {stage}\n{dump(compiled, stage)}")
    compiled.write(args.output)
    m = compiled.manifest
    print(f"wrote {args.output / 'program.elf'} and manifest.json: {len(m['stages'])} stages, "
          f"{m['predicted_cycles']} cycles predicted", file=sys.stderr)
    return 0


def _rtl_runner(args: argparse.Namespace):
    """Run a compiled program on Verilator, check it against the golden model; return its
    tensors and measured stage cycles (raises ExecError or ExecutionError)."""
    from sw.compiler.executor import ExecutionError, check_l2, check_tensors
    from tb.cluster.compiled import run_compiled

    def run(compiled, inputs):
        r = run_compiled(compiled, max_cycles=args.max_cycles, progress=True)
        if r["exit_code"] != 0:
            raise ExecutionError(f"the program exited with {r['exit_code']}")
        check_tensors(compiled, r["tensors"], inputs)
        check_l2(compiled, r["l2"])
        return r["tensors"], r["stage_cycles"]
    return run


def layer_rows(layers: list) -> list[dict]:
    """Each layer run's cycles (measured, else predicted) and utilization, for the reports of
    ``tinyita run`` on a model."""
    from sw.compiler.report import summary

    rows = []
    for layer in layers:
        s = summary(layer.compiled, layer.measured)
        rows.append({"cycles": s.get("cycles", s["predicted_cycles"]),
                     "predicted_cycles": s["predicted_cycles"],
                     "utilization": s.get("utilization", s["utilization_predicted"]),
                     "measured": layer.measured is not None})
    return rows


def _model_table(r: dict) -> str:
    lines = [f"{r['model']} on the cluster ({r['executor']} executor, engine {r['engine']})"]
    if "import" in r:
        lines.append(r["import"])
    for t in r["texts"]:
        lines.append(f"\n{t['text']!r}: {t['tokens']} tokens padded to {t['padded']}, "
                     f"embedding cosine vs {r.get('reference', 'float')} {t['cosine']:.4f}")
        lines.append("layer      cycles  utilization")
        for i, layer in enumerate(t["layers"]):
            lines.append(f"{i:5d} {layer['cycles']:11d}  {layer['utilization']:.3f}"
                         + ("" if layer["measured"] else " (predicted)"))
    return "\n".join(lines)


def run_model(args: argparse.Namespace) -> int:
    """``tinyita run --model``: the model's layers compiled and run on the texts."""
    from sw.compiler.executor import ExecutionError, execute
    from sw.models.deploy import run_text
    from sw.models.integer import quantize_model
    from sw.models.sentences import CALIBRATION, SENTENCES
    from tb.cluster.run import ExecError

    from .models import load_model

    cluster = config_from(ClusterConfig, args)
    cfg = cluster.ita_config()
    model = load_model(args.model)
    q = quantize_model(model, model.tokenize(list(CALIBRATION), multiple=cfg.m), cfg)
    runner = (_rtl_runner(args) if args.executor == "rtl"
              else lambda compiled, inputs: (execute(compiled, inputs), None))
    texts = []
    for text in args.text or [SENTENCES[2]]:
        try:
            r = run_text(q, text, cluster, runner)
        except (ExecError, ExecutionError) as e:
            print(f"tinyita run: {e}", file=sys.stderr)
            return 1
        texts.append({"text": text, "tokens": r.tokens, "padded": r.padded,
                      "cosine": r.cosine, "layers": layer_rows(r.layers)})
    report(args, {"model": model.name, "executor": args.executor, "engine": str(cfg),
                  "texts": texts}, _model_table)
    return 0


def run_command(args: argparse.Namespace) -> int:
    from sw.compiler.executor import ExecutionError, check_l2, check_tensors, execute
    from sw.compiler.report import plot_timeline, summary, table_text

    if args.output:
        output_dir(args.output)
    if args.plot:
        output_file(args.plot)
    if args.max_cycles is not None and args.max_cycles <= 0:
        raise ValueError(f"--max-cycles {args.max_cycles}: must be positive")
    from .models import is_onnx

    if args.onnx or (args.model and is_onnx(args.model)):
        from sw.compiler.executor import ExecutionError, execute
        from tb.cluster.run import ExecError

        from .models import onnx_run

        args.model = args.onnx or args.model
        runner = (_rtl_runner(args) if args.executor == "rtl"
                  else lambda compiled, inputs: (execute(compiled, inputs), None))
        try:
            return onnx_run(args, runner)
        except (ExecError, ExecutionError) as e:
            print(f"tinyita run: {e}", file=sys.stderr)
            return 1
    if args.input or args.calib:
        raise ValueError("--input and --calib need an ONNX model")
    if args.model:
        return run_model(args)
    if args.text:
        raise ValueError("--text needs --model")
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
            check_l2(compiled, r["l2"])
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
