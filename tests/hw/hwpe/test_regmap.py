"""The register map is declared once: docs/regmap.md and the constants come from it."""

from pathlib import Path

import pytest

from hw.hwpe.control import CONTEXT_REGS
from hw.hwpe.regmap import CONTEXT_BASE, POINTERS, REGISTERS, REGMAP, markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "regmap.md"


def test_docs_regmap_is_generated_from_the_code():
    assert DOC.read_text() == markdown(), (
        "docs/regmap.md is out of date: run python -m hw.hwpe.regmap > docs/regmap.md")


def test_offsets_are_unique_and_fit_the_window():
    offsets = [r.offset for r in REGISTERS]
    assert len(offsets) == len(set(offsets))
    assert all(o % 4 == 0 and o < 256 for o in offsets)
    assert [r.name for r in CONTEXT_REGS][-len(POINTERS):] == list(POINTERS)
    assert CONTEXT_REGS[0].offset == CONTEXT_BASE
    for r in REGISTERS:
        bits = set()
        for f in r.fields:
            span = set(range(f.lsb, f.lsb + f.width))
            assert not bits & span and max(span) < 32, (r.name, f.name)
            bits |= span


def test_encode_decode_and_limits():
    rq = REGMAP["RQ_QK"]
    word = rq.encode(mult=200, shift=31, add=-5)
    assert [rq.field(n).decode(word) for n in ("mult", "shift", "add")] == [200, 31, -5]
    with pytest.raises(ValueError, match="field shift: value 32 is outside 0..31"):
        rq.encode(shift=32)
    with pytest.raises(KeyError, match="no field 'scale'"):
        rq.field("scale")
