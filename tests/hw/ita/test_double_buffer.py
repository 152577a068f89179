"""The weight and bias double buffer (``hw/ita/double_buffer.py``) against a Python model of
it, every output compared in every cycle under random loads, stalls, releases and reads."""

import numpy as np
import pytest

from hw.ita.double_buffer import DoubleBuffer
from tb.pysim import run_pysim


class Model:
    """What :class:`DoubleBuffer` does, cycle by cycle; a beat never written reads as
    ``None`` (the memory has no reset: any value passes)."""

    def __init__(self, beats: int, word: int):
        self.beats, self.word, self.words = beats, word, beats // word
        self.mem = [[None] * word for _ in range(2 * self.words)]
        self.wp = self.idx = self.full = 0

    def outputs(self, valid: int, load_en: int, rd_bank: int, rd_word: int) -> dict:
        ready = int(load_en and not (self.full >> self.wp) & 1)
        last = self.idx == self.beats - 1
        return {"ready": ready, "loaded": int(valid and ready and last), "full": self.full,
                "rd_data": list(self.mem[rd_bank * self.words + rd_word])}

    def tick(self, valid: int, payload: int, load_en: int, release: int, bank: int) -> None:
        fire = valid and self.outputs(valid, load_en, 0, 0)["ready"]
        full = self.full & ~(1 << bank) if release else self.full
        if fire:
            self.mem[self.wp * self.words + self.idx // self.word][self.idx % self.word] = payload
            if self.idx == self.beats - 1:
                full |= 1 << self.wp
                self.wp ^= 1
                self.idx = 0
            else:
                self.idx += 1
        self.full = full


@pytest.mark.parametrize("seed", [0, 1])
def test_double_buffer_against_its_model(seed):
    """800 cycles: the loader offers beats (random bytes) at random, the controller withholds
    ``load_en`` at times, releases either bank at random (full or not) and reads random
    words; ``load.ready``, ``loaded``, ``full`` and the read word must match the model in
    every cycle."""
    dut = DoubleBuffer(8, 4, 2)
    model = Model(4, 2)
    rng = np.random.default_rng(seed)

    async def bench(ctx):
        for cycle in range(800):
            valid, load_en = int(rng.random() < 0.7), int(rng.random() < 0.8)
            payload = int(rng.integers(0, 256))
            release, bank = int(rng.random() < 0.2), int(rng.integers(0, 2))
            rd_bank, rd_word = int(rng.integers(0, 2)), int(rng.integers(0, 2))
            for port, value in ((dut.load.valid, valid), (dut.load.payload, payload),
                                (dut.load_en, load_en), (dut.release, release),
                                (dut.release_bank, bank), (dut.rd_bank, rd_bank),
                                (dut.rd_word, rd_word)):
                ctx.set(port, value)
            want = model.outputs(valid, load_en, rd_bank, rd_word)
            got = {"ready": ctx.get(dut.load.ready), "loaded": ctx.get(dut.loaded),
                   "full": ctx.get(dut.full),
                   "rd_data": [None if w is None else ctx.get(dut.rd_data[i])
                               for i, w in enumerate(want["rd_data"])]}
            assert got == want, f"cycle {cycle}"
            model.tick(valid, payload, load_en, release, bank)
            await ctx.tick()

    run_pysim(dut, bench)
