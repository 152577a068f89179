"""Every register map is declared once (hw/regmap.py): docs/regmap.md, the hardware's decoding
and the software's constants come from it."""

from pathlib import Path

import pytest
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hw.cluster.regmap import CTRL_REGS, DMA_REGS, EVENT_REGS
from hw.config import PERIPH_BYTES, DmaReg
from hw.core.csrs import CSRS
from hw.hwpe.regmap import ENGINE_REGS
from hw.regmap import Field, Register, RegisterMap, markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "regmap.md"
#: Each map and the size of its window in bytes (the CSRs: 4096 CSR numbers).
MAPS = [(ENGINE_REGS, 256), (DMA_REGS, PERIPH_BYTES // 4), (EVENT_REGS, PERIPH_BYTES // 4),
        (CTRL_REGS, PERIPH_BYTES // 4), (CSRS, 4096)]


def test_docs_regmap_is_generated_from_the_code():
    assert DOC.read_text() == markdown(), (
        "docs/regmap.md is out of date: run python -m hw.regmap > docs/regmap.md")


@pytest.mark.parametrize("regmap, window", MAPS, ids=[m.title for m, _ in MAPS])
def test_offsets_are_unique_and_fields_do_not_overlap(regmap, window):
    offsets = [r.offset for r in regmap]
    assert len(offsets) == len(set(offsets))
    step = 1 if regmap is CSRS else 4
    assert all(o % step == 0 and o < window for o in offsets)
    for r in regmap:
        bits = set()
        for f in r.fields:
            span = set(range(f.lsb, f.lsb + f.width))
            assert not bits & span and max(span) < 32, (r.name, f.name)
            bits |= span


def test_offsets_as_an_enum():
    assert DmaReg.STATUS == DMA_REGS["STATUS"].offset == 0x20
    with pytest.raises(KeyError, match="DMA has no register 'STATE'"):
        DMA_REGS["STATE"]
    with pytest.raises(ValueError, match="declared twice"):
        RegisterMap("X", "0", "", (Register("A", 0, "rw", ""), Register("A", 4, "rw", "")))


def test_encode_decode():
    status = DMA_REGS["STATUS"]
    word = status.encode(busy=1, queued=3, error=2)
    assert status.decode(word) == {"busy": 1, "queued": 3, "error": 2}
    assert status.field("error").decode(word) == 2
    with pytest.raises(ValueError, match="field error: value 4 is outside 0..3"):
        status.encode(error=4)


def test_pack_and_extract_in_hardware():
    """The hardware forms agree with encode and decode (Amaranth's simulator)."""
    reg = Register("R", 0, "rw", "", (Field("a", 0, 3, ""), Field("b", 8, 5, ""),
                                      Field("c", 20, 4, "", signed=True)))

    class Packer(wiring.Component):
        a: In(3)
        b: In(5)
        c: In(4)
        word: Out(32)
        back: Out(5)

        def elaborate(self, platform):
            m = Module()
            w = Signal(32)
            m.d.comb += [w.eq(reg.pack(a=self.a, b=self.b, c=self.c)), self.word.eq(w),
                         self.back.eq(reg.field("b").extract(w))]
            return m

    dut = Packer()

    async def bench(ctx):
        for a, b, c in [(0, 0, 0), (7, 31, -1), (5, 17, -8), (2, 9, 7)]:
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            ctx.set(dut.c, c & 15)
            await ctx.delay(1e-9)
            assert ctx.get(dut.word) == reg.encode(a=a, b=b, c=c)
            assert ctx.get(dut.back) == b

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
