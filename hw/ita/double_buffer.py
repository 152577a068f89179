"""A two-bank buffer: one bank fills from a stream while the other is read."""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["DoubleBuffer"]


class DoubleBuffer(wiring.Component):
    """Two banks of ``beats`` stream beats each, filled in turn and read whole.

    The weight buffer (N beats of M weights: one weight chunk) and the bias buffer (M/N beats
    of N biases: one output tile) are instances. A bank is *full* from its last beat until the
    reader releases it; the loader fills the banks alternately and waits for a free one.

    Parameters
    ----------
    beat : ShapeCastable
        Shape of one stream beat.
    beats : int
        Beats per bank.

    Members
    -------
    load : In(stream.Signature(beat))
        Beats to store; accepted while ``load_en`` and the bank being filled is free.
    load_en : In(1)
        Allows loading (the controller withholds it while a step must wait).
    loaded : Out(1)
        Pulses with the beat that completes a bank.
    full : Out(2)
        Per bank: holds a complete set of beats not yet released.
    release : In(1), release_bank : In(1)
        Free bank ``release_bank``.
    banks : Out(ArrayLayout(ArrayLayout(beat, beats), 2))
        The contents of both banks.
    """

    def __init__(self, beat, beats: int):
        if beats < 1:
            self._MustUse__silence = True
            raise ValueError(f"DoubleBuffer beats = {beats}: must be at least 1")
        self._beats = beats
        bank = data.ArrayLayout(beat, beats)
        super().__init__({
            "load": In(stream.Signature(beat)), "load_en": In(1), "loaded": Out(1),
            "full": Out(2), "release": In(1), "release_bank": In(1),
            "banks": Out(data.ArrayLayout(bank, 2)),
        })

    def elaborate(self, platform):
        m = Module()
        wp = Signal()                                 # bank being filled
        idx = Signal(range(max(2, self._beats)))      # next beat within it
        last = idx == self._beats - 1
        m.d.comb += self.load.ready.eq(self.load_en & ~self.full.bit_select(wp, 1))
        fire = self.load.valid & self.load.ready
        m.d.comb += self.loaded.eq(fire & last)
        full_next = Signal(2)
        m.d.comb += full_next.eq(self.full)
        with m.If(self.release):
            m.d.comb += full_next.bit_select(self.release_bank, 1).eq(0)
        with m.If(fire):
            for b in range(2):
                with m.If(wp == b):
                    m.d.sync += self.banks[b][idx].eq(self.load.payload)
            m.d.sync += idx.eq(Mux(last, 0, idx + 1))
            with m.If(last):
                m.d.sync += wp.eq(~wp)
                m.d.comb += full_next.bit_select(wp, 1).eq(1)
        m.d.sync += self.full.eq(full_next)
        return m
