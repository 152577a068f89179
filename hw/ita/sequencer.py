"""Walks the loop nest of a job: steps, then row tiles, column tiles, inner tiles, weight
chunks and rows, in the order the engine's streams carry them."""

from amaranth import Module, Mux
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out

from .config import ITAConfig
from .layouts import tiles_bits
from .steps import StepKind, first_step, next_step, step_dims_hw, step_has_bias

__all__ = ["Granularity", "TileSequencer"]


class Granularity(enum.Enum):
    """What one ``advance`` of a :class:`TileSequencer` moves over."""

    ROW = 0    #: one input row: r, ch, it, ct, rt
    CHUNK = 1  #: one weight chunk: ch, it, ct, rt
    TILE = 2   #: one output tile of a step with bias: ct, rt (steps without bias skipped)


class TileSequencer(wiring.Component):
    """Position in the loop nest of a job, advanced one unit at a time.

    The loops are, outermost first: step ``(kind, at)``, row tile ``rt``, column tile ``ct``,
    inner tile ``it``, chunk ``ch`` (M/N chunks of N output columns), row ``r`` (M rows).
    Sizes in tiles are read from ``s``, ``e``, ``p``, ``f`` and must be stable while running.

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
        Every step has been walked (also before the first start).
    kind : Out(StepKind)
    at, rt, ct, it : Out
    ch, r : Out
    first_it, last_it, last_ch, last_r, first_ct, last_ct, step_start : Out(1)
        Flags of the position; ``step_start`` is the first position of a step.
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
            "ch": Out(range(max(2, cfg.m // cfg.n))), "r": Out(range(cfg.m)),
            "first_it": Out(1), "last_it": Out(1), "last_ch": Out(1), "last_r": Out(1),
            "first_ct": Out(1), "last_ct": Out(1), "step_start": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, gran = self._cfg, self._gran
        rows, inner, cols = step_dims_hw(self.kind, self.mode, self.s, self.e, self.p, self.f)
        chunks = cfg.m // cfg.n
        by_rows = gran == Granularity.ROW
        by_tiles = gran == Granularity.TILE

        last_r = (self.r == cfg.m - 1) if by_rows else 1
        last_ch = (self.ch == chunks - 1) if not by_tiles else 1
        last_it = (self.it == inner - 1) if not by_tiles else 1
        last_ct = self.ct == cols - 1
        last_rt = self.rt == rows - 1
        m.d.comb += [
            self.first_it.eq(self.it == 0), self.last_it.eq(last_it),
            self.last_ch.eq(last_ch), self.last_r.eq(last_r),
            self.first_ct.eq(self.ct == 0), self.last_ct.eq(last_ct),
            self.step_start.eq((self.rt == 0) & (self.ct == 0) & (self.it == 0)
                               & (self.ch == 0) & (self.r == 0)),
            self.valid.eq(~self.done & (step_has_bias(self.kind) if by_tiles else 1)),
        ]
        nk, nat, end = next_step(self.mode, self.kind, self.at, self.s)
        skip = by_tiles & ~self.done & ~step_has_bias(self.kind)

        def next_step_or_end():
            m.d.sync += [self.rt.eq(0), self.ct.eq(0), self.it.eq(0), self.done.eq(end)]
            with m.If(~end):             # at the end, the last step stays visible
                m.d.sync += [self.kind.eq(nk), self.at.eq(nat)]

        with m.If(self.start & self.done):
            m.d.sync += [self.kind.eq(first_step(self.mode)), self.at.eq(0), self.rt.eq(0),
                         self.ct.eq(0), self.it.eq(0), self.ch.eq(0), self.r.eq(0),
                         self.done.eq(0)]
        with m.Elif(skip):
            next_step_or_end()
        with m.Elif(self.advance & self.valid):
            if by_rows:
                m.d.sync += self.r.eq(Mux(last_r, 0, self.r + 1))
            if not by_tiles:
                with m.If(last_r):
                    m.d.sync += self.ch.eq(Mux(last_ch, 0, self.ch + 1))
                with m.If(last_r & last_ch):
                    m.d.sync += self.it.eq(Mux(last_it, 0, self.it + 1))
            with m.If(last_r & last_ch & last_it):
                m.d.sync += self.ct.eq(Mux(last_ct, 0, self.ct + 1))
                with m.If(last_ct):
                    m.d.sync += self.rt.eq(Mux(last_rt, 0, self.rt + 1))
                    with m.If(last_rt):
                        next_step_or_end()
        return m
