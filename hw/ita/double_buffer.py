"""A two-bank buffer: one bank fills from a stream while the other is read."""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, memory, stream
from amaranth.lib.wiring import In, Out

from hw.checked import CheckedComponent

__all__ = ["DoubleBuffer"]


class DoubleBuffer(CheckedComponent):
    """Two banks of ``beats`` stream beats each, filled in turn, read ``word`` beats at a time.

    The weight buffer (a bank is a weight tile: M beats of M weights, read one chunk of N rows
    at a time) and the bias buffer (a bank is the M biases of an output tile: 4 beats read at
    once) are instances. A bank is *full* from its last beat until the reader releases it; the
    loader fills the banks alternately and waits for a free one. The banks are a memory of
    ``word``-beat words written one beat at a time.

    Parameters
    ----------
    beat : ShapeCastable
        Shape of one stream beat.
    beats : int
        Beats per bank.
    word : int
        Beats per read word; divides ``beats``.

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
    rd_bank : In(1), rd_word : In(range(beats // word))
    rd_data : Out(ArrayLayout(beat, word))
        Word ``rd_word`` of bank ``rd_bank`` (combinational).
    """

    @staticmethod
    def check(beat, beats: int, word: int = 1) -> None:
        if beats < 1 or word < 1 or beats % word:
            raise ValueError(f"DoubleBuffer beats = {beats}, word = {word}: need beats >= 1 "
                             "and a word that divides them")

    def __init__(self, beat, beats: int, word: int = 1):
        self._beat, self._beats, self._word = beat, beats, word
        super().__init__({
            "load": In(stream.Signature(beat)), "load_en": In(1), "loaded": Out(1),
            "full": Out(2), "release": In(1), "release_bank": In(1),
            "rd_bank": In(1), "rd_word": In(range(max(2, beats // word))),
            "rd_data": Out(data.ArrayLayout(beat, word)),
        })

    def elaborate(self, platform):
        m = Module()
        words = self._beats // self._word
        m.submodules.store = store = memory.Memory(
            shape=data.ArrayLayout(self._beat, self._word), depth=2 * words, init=[])
        wr = store.write_port(granularity=1)          # one lane per beat of the word
        rd = store.read_port(domain="comb")
        m.d.comb += [rd.addr.eq(self.rd_bank * words + self.rd_word), self.rd_data.eq(rd.data)]

        wp = Signal()                                 # bank being filled
        idx = Signal(range(max(2, self._beats)))      # next beat within it
        last = idx == self._beats - 1
        m.d.comb += self.load.ready.eq(self.load_en & ~self.full.bit_select(wp, 1))
        fire = self.load.valid & self.load.ready
        m.d.comb += [self.loaded.eq(fire & last),
                     wr.addr.eq(wp * words + idx // self._word)]
        for lane in range(self._word):
            m.d.comb += [wr.data[lane].eq(self.load.payload),
                         wr.en[lane].eq(fire & (idx % self._word == lane))]
        full_next = Signal(2)
        m.d.comb += full_next.eq(self.full)
        with m.If(self.release):
            m.d.comb += full_next.bit_select(self.release_bank, 1).eq(0)
        with m.If(fire):
            m.d.sync += idx.eq(Mux(last, 0, idx + 1))
            with m.If(last):
                m.d.sync += wp.eq(~wp)
                m.d.comb += full_next.bit_select(wp, 1).eq(1)
        m.d.sync += self.full.eq(full_next)
        return m
