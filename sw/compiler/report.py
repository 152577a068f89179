"""Where the cycles of a compiled program go: a table per op and a timeline picture.

A stage's measured cycles (from the cycle stamps core 0 records) are shared among the tiles
that compute in it in proportion to their predicted cycles (``sw.compiler.cost``); a stage
that only moves data is counted as "transfers". So the rows add up to the run's cycles. The
timeline draws each stage at its measured start and length; inside a stage the engine job,
the DMA transfers and the kernel start with the stage and take their predicted cycles (the
program records no finer stamps).
"""

from dataclasses import dataclass

from .codegen import Compiled
from .cost import JOB_START_CYCLES, STAGE_CYCLES, engine_cycles, issue_cycles, stage_parts

__all__ = ["OpRow", "op_table", "summary", "table_text", "plot_timeline"]


@dataclass
class OpRow:
    """One op's share of a run."""

    op: str
    kind: str
    unit: str
    tiles: int
    macs: int
    dma_bytes: int
    engine_cycles: int        #: predicted, with programming
    core_cycles: int          #: predicted kernel cycles
    predicted: int            #: share of the predicted stage cycles
    measured: int | None      #: share of the measured stage cycles

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def op_table(compiled: Compiled, measured: list[int] | None = None) -> list[OpRow]:
    """One row per graph op (plus "transfers" for stages that only move data)."""
    s = compiled.schedule
    cfg = s.tiled.lowered.cfg
    predicted = [st["predicted_cycles"] for st in compiled.manifest["stages"]]
    rows: dict[str, OpRow] = {}
    for t in s.tiled.tiles:
        row = rows.setdefault(t.op.name, OpRow(t.op.name, t.op.kind, t.unit, 0, 0, 0, 0, 0, 0,
                                               0 if measured else None))
        row.tiles += 1
        if t.job is not None:               # the array does N x M MACs per issue cycle
            row.macs += issue_cycles(t.job, cfg) * cfg.n * cfg.m
    moving = OpRow("transfers", "dma", "dma", 0, 0, 0, 0, 0, 0, 0 if measured else None)
    owner = {t.name: t.op.name for t in s.tiled.tiles}
    for k, st in enumerate(s.stages):
        parts = stage_parts(st, s.cluster)
        for tr in st.transfers:
            rows[owner[tr.tile]].dma_bytes += tr.size
        work = [(r.tile, engine_cycles(r.tile.job, cfg) + JOB_START_CYCLES) for r in st.jobs]
        work += [(kr.tile, parts["cores"]) for kr in st.kernels]
        for tile, cycles in work:
            row = rows[tile.op.name]
            if tile.job is not None:
                row.engine_cycles += cycles
            else:
                row.core_cycles += cycles
        total = sum(c for _, c in work)
        for owner_row, weight in ([(rows[t.op.name], c / total) for t, c in work] if total
                                  else [(moving, 1.0)]):
            owner_row.predicted += round(predicted[k] * weight)
            if measured:
                owner_row.measured += round(measured[k] * weight)
    return [*rows.values(), *([moving] if moving.predicted else [])]


def summary(compiled: Compiled, measured: list[int] | None, counters: dict | None = None
            ) -> dict:
    """The run's totals: cycles (measured and predicted), MACs, utilization of the engine's
    N x M array, and the counters of an RTL run."""
    s = compiled.schedule
    cluster = s.cluster
    rows = op_table(compiled, measured)
    macs = sum(r.macs for r in rows)
    predicted = compiled.manifest["predicted_cycles"]
    cycles = sum(measured) if measured else predicted
    out = {"macs": macs, "predicted_cycles": predicted, "stages": len(s.stages),
           "utilization_predicted": macs / (cluster.n * cluster.m * predicted)}
    if measured:
        out |= {"cycles": cycles, "utilization": macs / (cluster.n * cluster.m * cycles),
                "prediction_error": (predicted - cycles) / cycles}
    if counters:
        out |= {k: counters[k] for k in ("engine_busy", "dma_busy") if k in counters}
    out["ops"] = [r.as_dict() for r in rows]
    return out


def table_text(result: dict) -> str:
    """The per-op table and the totals as text."""
    measured = "cycles" in result
    head = (f"{'op':18s} {'kind':15s} {'tiles':>5s} {'MACs':>11s} {'DMA bytes':>10s} "
            f"{'engine':>9s} {'cores':>9s} {'predicted':>10s}" + (f" {'measured':>10s}"
                                                                   if measured else ""))
    lines = [head, "-" * len(head)]
    for r in result["ops"]:
        lines.append(f"{r['op']:18s} {r['kind']:15s} {r['tiles']:5d} {r['macs']:11d} "
                     f"{r['dma_bytes']:10d} {r['engine_cycles']:9d} {r['core_cycles']:9d} "
                     f"{r['predicted']:10d}" + (f" {r['measured']:10d}" if measured else ""))
    lines.append("")
    util = f"utilization {result['utilization_predicted']:.3f} predicted"
    if measured:
        lines.append(f"{result['cycles']} cycles measured, {result['predicted_cycles']} "
                     f"predicted ({100 * result['prediction_error']:+.1f} %), "
                     f"{result['stages']} stages")
        util = f"utilization {result['utilization']:.3f} ({result['utilization_predicted']:.3f} "
        util += "predicted)"
    else:
        lines.append(f"{result['predicted_cycles']} cycles predicted, {result['stages']} stages")
    lines.append(f"{result['macs']} MACs, {util}")
    if "engine_busy" in result:
        lines.append(f"engine busy {result['engine_busy']} cycles, DMA busy "
                     f"{result['dma_busy']} cycles")
    return "\n".join(lines)


def plot_timeline(compiled: Compiled, measured: list[int] | None, path) -> None:
    """Draw the engine, the DMA and the cores over cycles into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = compiled.schedule
    lengths = measured or [st["predicted_cycles"] for st in compiled.manifest["stages"]]
    lanes = ["engine", "dma", "cores"]
    colors = {"engine": "tab:blue", "dma": "tab:orange", "cores": "tab:green"}
    fig, ax = plt.subplots(figsize=(12, 3.2))
    start = 0
    for st, length in zip(s.stages, lengths, strict=True):
        parts = stage_parts(st, s.cluster)
        for lane, y in zip(lanes, range(len(lanes)), strict=True):
            if parts[lane]:
                ax.broken_barh([(start, min(parts[lane], max(length - STAGE_CYCLES, 1)))],
                               (y - 0.4, 0.8), color=colors[lane], edgecolor="black",
                               linewidth=0.3)
        ax.axvline(start, color="grey", linewidth=0.3)
        start += length
    ax.set_yticks(range(len(lanes)), ["engine", "DMA", f"cores ({s.cluster.cores})"])
    ax.set_xlabel("cycles" + (" (stage boundaries measured on the RTL)" if measured else
                              " (predicted)"))
    ax.set_xlim(0, start)
    ax.set_title(f"{len(s.stages)} stages, {start} cycles")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
