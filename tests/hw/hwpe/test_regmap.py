"""The engine's register map: context registers and the encodings software uses."""

import pytest

from hw.hwpe.control import CONTEXT_REGS
from hw.hwpe.regmap import CONTEXT_BASE, POINTERS, REGISTERS, REGMAP


def test_context_registers_end_with_the_pointers_and_fit_the_window():
    assert all(r.offset < 256 for r in REGISTERS)
    assert [r.name for r in CONTEXT_REGS][-len(POINTERS):] == list(POINTERS)
    assert CONTEXT_REGS[0].offset == CONTEXT_BASE


def test_encode_decode_and_limits():
    rq = REGMAP["RQ_QK"]
    word = rq.encode(mult=200, shift=31, add=-5)
    assert [rq.field(n).decode(word) for n in ("mult", "shift", "add")] == [200, 31, -5]
    with pytest.raises(ValueError, match="field shift: value 32 is outside 0..31"):
        rq.encode(shift=32)
    with pytest.raises(KeyError, match="no field 'scale'"):
        rq.field("scale")
