"""The engine's register map: context registers and the encodings software uses."""

import pytest

from hw.hwpe.control import CONTEXT_REGS
from hw.hwpe.regmap import CONTEXT_BASE, POINTERS, REGISTERS, REGMAP


def test_context_registers_are_contiguous_with_the_pointers_in_order():
    assert all(r.offset < 256 for r in REGISTERS)
    names = [r.name for r in CONTEXT_REGS]
    first = names.index(POINTERS[0])
    assert names[first:first + len(POINTERS)] == list(POINTERS)
    assert [r.offset for r in CONTEXT_REGS] == [CONTEXT_BASE + 4 * i
                                                for i in range(len(CONTEXT_REGS))]


def test_softmax_register_follows_the_pointers():
    sm = REGMAP["SOFTMAX"]
    assert sm.context and sm.offset == REGMAP[POINTERS[-1]].offset + 4
    assert CONTEXT_REGS[-1] is sm
    word = sm.encode(k=7, valid=40000)
    assert word == 7 | 40000 << 16 and sm.decode(word) == {"k": 7, "valid": 40000}
    with pytest.raises(ValueError, match="field k: value 8 is outside 0..7"):
        sm.encode(k=8)


def test_encode_decode_and_limits():
    rq = REGMAP["RQ_QK"]
    word = rq.encode(mult=200, shift=31, add=-5)
    assert [rq.field(n).decode(word) for n in ("mult", "shift", "add")] == [200, 31, -5]
    with pytest.raises(ValueError, match="field shift: value 32 is outside 0..31"):
        rq.encode(shift=32)
    with pytest.raises(KeyError, match="no field 'scale'"):
        rq.field("scale")
