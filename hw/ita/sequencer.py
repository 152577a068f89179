"""Walks the loop nest of a job: steps, then row tiles, column tiles, inner tiles, rows and
weight chunks, in the order the engine's streams carry them."""

from amaranth import Module, Mux
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out

from .config import ITAConfig
from .layouts import tiles_bits
from .steps import StepKind, first_step, next_step, step_dims_hw, step_has_bias

__all__ = ["Granularity", "TileSequencer"]


class Granularity(enum.Enum):
    """What one ``advance`` of a :class:`TileSequencer` moves over."""

    ROW = 0       #: one issue of a row with one weight chunk: ch, r, it, ct, rt
    INNER = 1     #: one weight tile (an output tile over one inner tile): it, ct, rt
    TILE = 2      #: one output tile of a step with bias: ct, rt (steps without bias skipped)
    ROW_TILE = 3  #: one row tile of a step: rt
    BIAS_ROW_TILE = 4  #: one row tile of a step with bias: rt (steps without bias skipped)


class TileSequencer(wiring.Component):
    """Position in the loop nest of a job, advanced one unit at a time.

    The loops are, outermost first: step ``(kind, at)``, row tile ``rt``, column tile ``ct``,
    inner tile ``it``, row ``r`` (M rows of the tile) and chunk ``ch`` (M/N chunks of N output
    columns: one input row meets every chunk of the weight tile in turn). Sizes in tiles are
    read from ``s``, ``e``, ``p``, ``f`` and must be stable while running.

    Parameters
    ----------
    cfg : ITAConfig
    granularity : Granularity

    Members
    -------
    start : In(1)
        Start at the mode's first step (ignored while running).
    mode, s, e, p, f : In
        The job's mode and sizes in tiles.
    advance : In(1)
        Move to the next position; ignored unless ``valid``.
    valid : Out(1)
        A position is available (running, and for TILE the step has a bias).
    done : Out(1)
        Every step has been walked (also before the first start). The last step stays in
        ``kind`` and ``at``.
    kind : Out(StepKind)
    at, rt, ct, it : Out
    r, ch : Out
    first_it, last_it, first_ct, last_ct, last_r, first_ch, last_ch, step_start : Out(1)
        Flags of the position; ``step_start`` is the first position of a step.
    last_pos : Out(1)
        The position is the job's last.
    """

    def __init__(self, cfg: ITAConfig, granularity: Granularity):
        self._cfg = cfg
        self._gran = Granularity(granularity)
        t = tiles_bits(cfg)
        super().__init__({
            "start": In(1), "mode": In(2),
            "s": In(t), "e": In(t), "p": In(t), "f": In(t),
            "advance": In(1), "valid": Out(1), "done": Out(1, init=1),
            "kind": Out(StepKind), "at": Out(t), "rt": Out(t), "ct": Out(t), "it": Out(t),
            "r": Out(range(cfg.m)), "ch": Out(range(max(2, cfg.m // cfg.n))),
            "first_it": Out(1), "last_it": Out(1), "first_ct": Out(1), "last_ct": Out(1),
            "last_r": Out(1), "first_ch": Out(1), "last_ch": Out(1), "step_start": Out(1),
            "last_pos": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, gran = self._cfg, self._gran
        rows, inner, cols = step_dims_hw(self.kind, self.mode, self.s, self.e, self.p, self.f)
        # (counter, number of positions), innermost first
        levels = {
            Granularity.ROW: [(self.ch, cfg.m // cfg.n), (self.r, cfg.m), (self.it, inner),
                              (self.ct, cols), (self.rt, rows)],
            Granularity.INNER: [(self.it, inner), (self.ct, cols), (self.rt, rows)],
            Granularity.TILE: [(self.ct, cols), (self.rt, rows)],
            Granularity.ROW_TILE: [(self.rt, rows)],
            Granularity.BIAS_ROW_TILE: [(self.rt, rows)],
        }[gran]
        bias_only = gran in (Granularity.TILE, Granularity.BIAS_ROW_TILE)
        last = {id(c): c == n - 1 for c, n in levels}

        def is_last(c):
            return last.get(id(c), 1)     # a counter this granularity does not walk stays 0

        m.d.comb += [
            self.first_it.eq(self.it == 0), self.last_it.eq(is_last(self.it)),
            self.first_ct.eq(self.ct == 0), self.last_ct.eq(is_last(self.ct)),
            self.last_r.eq(is_last(self.r)), self.first_ch.eq(self.ch == 0),
            self.last_ch.eq(is_last(self.ch)),
            self.step_start.eq((self.rt == 0) & (self.ct == 0) & (self.it == 0)
                               & (self.r == 0) & (self.ch == 0)),
            self.valid.eq(~self.done & (step_has_bias(self.kind) if bias_only else 1)),
        ]
        nk, nat, end = next_step(self.mode, self.kind, self.at, self.s)
        all_last = 1
        for c, _ in levels:
            all_last = all_last & is_last(c)
        m.d.comb += self.last_pos.eq(self.valid & all_last & end)

        def next_step_or_end():
            m.d.sync += self.done.eq(end)
            with m.If(~end):             # at the end, the last step stays visible
                m.d.sync += [self.kind.eq(nk), self.at.eq(nat)]

        with m.If(self.start & self.done):
            m.d.sync += [self.kind.eq(first_step(self.mode)), self.at.eq(0), self.done.eq(0)]
            m.d.sync += [c.eq(0) for c in (self.rt, self.ct, self.it, self.r, self.ch)]
        with m.Elif(bias_only & ~self.done & ~step_has_bias(self.kind)):
            next_step_or_end()           # a step without bias has no tiles for the bias loader
        with m.Elif(self.advance & self.valid):
            carry = 1
            for c, _ in levels:
                with m.If(carry):
                    m.d.sync += c.eq(Mux(is_last(c), 0, c + 1))
                carry = carry & is_last(c)
            with m.If(carry):
                next_step_or_end()
        return m
