"""Bad inputs are rejected at once with a message that names the value (issue 16): the
assembler, the command line, the configuration objects, the golden model and the quantizer.
No case builds hardware or runs Verilator; each asserts the error type or exit code and that
the message names the offending value. Also: numeric local labels assemble as GNU as does."""

import math

import numpy as np
import pytest

from hw.config import ClusterConfig
from hw.ita.config import Activation, ITAConfig
from sw.golden import (
    AddParams,
    EncoderParams,
    FFNParams,
    HeadParams,
    LayerNormParams,
    Requant,
    attention_head,
    derive_gelu,
    encoder_layer,
    feedforward,
    itamax,
    layernorm,
    logit_scale,
    matmul_step,
    quantize_encoder,
    quantize_tensor,
    random_float_encoder,
    requant_for,
    requantize,
    residual_add,
)
from sw.golden.activation import GeluConstants, activation
from sw.golden.quantize import calibrate
from sw.golden.quantize_wide import WideOptions
from sw.golden.reference import FloatHead
from sw.rv32 import Program, assemble
from sw.rv32.disasm import disassemble
from sw.rv32.expr import evaluate
from tinyita.cli import main

# --------------------------------------------------------------------------- the assembler
#: (source, text the message must hold): every value that does not fit its field or
#: directive, malformed statements and numeric labels that do not resolve.
ASM = [
    (".byte 300", ".byte value: 300 is outside -128..255"),
    (".byte -129", ".byte value: -129 is outside -128..255"),
    (".half 70000", ".half value: 70000"),
    (".half -32769", ".half value: -32769 is outside -32768..65535"),
    (".word 0x123456789", ".word value: 4886718345 (0x123456789)"),
    (".word -0x80000001", ".word value: -2147483649"),
    (".word 1 << 40", "1099511627776"),
    ("li a0, 0x100000001", "li value: 4294967297 (0x100000001)"),
    ("li a0, -0x80000001", "li value: -2147483649"),
    (".equ BIG, 0x123456789\nla a0, BIG", "4886718345 (0x123456789) does not fit 32 bits"),
    ("li a0, BIG\n.equ BIG, 1 << 33", "8589934592"),
    (".balign 0", ".balign alignment: 0 is outside 1..65536"),
    (".balign 3", ".balign alignment: 3 is not a power of two"),
    (".balign 1 << 20", ".balign alignment: 1048576"),
    (".balign -4", ".balign alignment: -4"),
    (".align 17", ".align power of two: 17 is outside 0..16"),
    (".align -1", ".align power of two: -1"),
    (".space -1", ".space size: -1 is outside 0..268435456"),
    (".space 1 << 30", ".space size: 1073741824"),
    (".space nowhere", "undefined symbol 'nowhere'"),
    (".byte 1\nnop", "at 0x80000001: an instruction must be 4-byte aligned"),
    ("addi a0, a1, 4096", "addi: immediate 4096 is outside -2048..2047"),
    ("addi a0, a1, -2049", "addi: immediate -2049 is outside -2048..2047"),
    ("lw a0, 2048(a1)", "lw: immediate 2048 is outside -2048..2047"),
    ("sw a0, -2049(sp)", "sw: offset -2049 is outside -2048..2047"),
    ("jalr ra, 5000(a0)", "jalr: immediate 5000"),
    ("slli a0, a0, 32", "slli: shift amount 32 is outside 0..31"),
    ("srai a0, a1, -1", "srai: shift amount -1 is outside 0..31"),
    ("lui a0, 0x100000", "lui: upper immediate 1048576 is outside 0..1048575"),
    ("auipc a0, -1", "auipc: upper immediate -1"),
    ("beq a0, a1, . + 4096", "beq: branch offset 4096 is outside -4096..4094"),
    ("bne a0, a1, . - 4098", "bne: branch offset -4098"),
    ("blt a0, a1, . + 3", "blt: branch offset 3 is odd"),
    ("jal ra, . + 0x100000", "jal: jump offset 1048576"),
    ("j . + 7", "jal: jump offset 7 is odd"),
    ("csrr a0, 4096", "CSR address 4096 is outside 0..4095"),
    ("csrrw a0, -1, a1", "CSR address -1 is outside 0..4095"),
    ("csrrwi a0, mstatus, 32", "csrrwi: immediate 32 is outside 0..31"),
    ("csrwi mstatus, -1", "csrrwi: immediate -1 is outside 0..31"),
    ("csrr a0, mbogus", "unknown CSR 'mbogus'"),
    ("add a0, a1, 5", "add: operand 3 must be a register, got 5"),
    ("addi 10, a1, 1", "addi: operand 1 must be a register, got 10"),
    ("lw a0, 0(7)", "unknown register '7'"),
    ("li 5, 3", "li: operand 1 must be a register, got 5"),
    ("mv a0, 3", "mv: operand 2 must be a register, got 3"),
    ("add a0, a1, q9", "unknown register 'q9'"),
    ("li a0", "li takes 2 operands, got 1"),
    ("nop a0", "nop takes 0 operands, got 1"),
    ("ret ra", "ret takes 0 operands, got 1"),
    ("ecall a0", "ecall takes 0 operands, got 1"),
    ("add a0, a1", "add takes 3 operands, got 2"),
    (".word 1,,2", "an empty operand in '1,,2'"),
    (".space", ".space takes 1 argument, got 0"),
    (".balign 4, 0", ".balign takes 1 argument, got 2"),
    (".equ X", ".equ takes 2 arguments, got 1"),
    (".equ 9x, 1", ".equ name '9x'"),
    (".section", ".section takes 1..3 arguments, got 0"),
    (".section .rodata", "unknown section '.rodata'"),
    (".string", ".string takes at least 1 argument, got 0"),
    (".string abc", "expected a quoted string, got 'abc'"),
    ('.string "\\u1234"', 'string "\\u1234"'),
    (".bss\n.word 1", ".bss holds no contents"),
    (".bogus 1", "unknown directive .bogus"),
    ("frob a0", "unknown instruction 'frob'"),
    ("addi a0, a0, 1 << 100", "shift count 100 is outside 0..63"),
    ("addi a0, a0, 4 / 2", "unsupported expression '4 / 2'"),
    ("addi a0, a0, (1", "cannot parse the expression '(1'"),
    ("beq a0, a1, nowhere", "undefined symbol 'nowhere'"),
    ("x: nop\nx: nop", "label 'x' is defined twice"),
    ("j 1b", "1b: no label 1: before this line"),
    ("1: j 2b", "2b: no label 2: before this line"),
    ("bnez a0, 2f\nnop", "2f: no label 2: after this line"),
    ("2: nop\nbnez a0, 2f", "2f: no label 2: after this line"),
]


@pytest.mark.parametrize("src, message", ASM, ids=[s.replace("\n", "; ") for s, _ in ASM])
def test_assembler_rejects(src, message):
    with pytest.raises(ValueError) as e:
        assemble(src, filename="bad.s")
    text = str(e.value)
    assert text.startswith("bad.s:"), text
    assert message in text, text
    assert "\n" not in text


#: The Python API: (call, text the message must hold).
PROGRAM = [
    (lambda: Program(base=0x8000_0002), "base address 0x80000002: must be a multiple of 4"),
    (lambda: Program(base=-4), "base address: -4 is outside 0..4294967292"),
    (lambda: Program(base=1 << 32), "base address: 4294967296"),
    (lambda: Program(base="0x0"), "base address: '0x0' is not an integer"),
    (lambda: Program().li("a0", 1 << 32), "li value: 4294967296"),
    (lambda: Program().li("a0", 1.5), "li value: 1.5 is not an integer"),
    (lambda: Program().balign(6), ".balign alignment: 6 is not a power of two"),
    (lambda: Program().space(2.5), ".space size: 2.5 is not an integer"),
    (lambda: Program().addi("a0", 32, 1).link(), "register number 32 is outside 0..31"),
    (lambda: Program().word(None).link(), "None is neither an integer nor an expression"),
    (lambda: Program(base=0xFFFF_FFFC).nop().nop().link(), "past the 32-bit address space"),
    (lambda: evaluate("%lo(1 << 40)", {}), "1099511627776 (0x10000000000) does not fit"),
]


@pytest.mark.parametrize("call, message", PROGRAM, ids=[m for _, m in PROGRAM])
def test_program_api_rejects(call, message):
    with pytest.raises(ValueError) as e:
        call()
    assert message in str(e.value), str(e.value)


LOCALS = """
_start:
1:  addi a0, a0, -1         # 0x00
    bnez a0, 1b             # 0x04 -> 0x00
    beqz a0, 1f             # 0x08 -> 0x10
    j    2f                 # 0x0c -> 0x14
1:  nop                     # 0x10
2:  j    1b                 # 0x14 -> 0x10
1:  j    1b                 # 0x18 -> 0x18 (a label on the same line comes before)
    .data
3:  .word 3b, 3f, 0x1b, 0x1f
3:  .word 0
"""


def test_numeric_local_labels():
    image = assemble(LOCALS, base=0)
    text = image.segments[0][1]
    got = [disassemble(int.from_bytes(text[i:i + 4], "little"), i)
           for i in range(0, len(text), 4)]
    assert got == ["addi a0, a0, -1", "bnez a0, -4", "beqz a0, 8", "j 8", "nop", "j -4", "j 0"]
    data = image.segments[1]
    words = [int.from_bytes(data[1][i:i + 4], "little") for i in range(0, 16, 4)]
    assert words == [data[0], data[0] + 16, 0x1B, 0x1F]    # hex numbers are not labels


def test_numeric_labels_as_in_the_cluster_docs():
    src = """
        li   t6, 1
    1:  lw   t4, 0(a0)
        bne  t4, t6, 2f             # released
        j    1b
    2:  ret
    """
    image = assemble(src, base=0x8000_0000)
    assert image.segments[0][0] == 0x8000_0000 and len(image.segments[0][1]) == 20


def test_numeric_labels_with_the_same_number_in_many_places():
    src = "\n".join(f"1: addi a0, a0, {k}\n   bnez a0, 1b\n   beqz a0, 1f" for k in range(5))
    image = assemble(src + "\n1: ret", base=0)
    text = image.segments[0][1]
    for k in range(5):
        at = 12 * k
        assert disassemble(int.from_bytes(text[at + 4:at + 8], "little"), at + 4) == \
            "bnez a0, -4"
        assert disassemble(int.from_bytes(text[at + 8:at + 12], "little"), at + 8) == \
            "beqz a0, 4"


def test_comments_and_commas_inside_strings():
    image = assemble('.data\n.string "a, b # c"  # a comment\n.byte \'#\'', base=0)
    assert image.segments[0][1].startswith(b"a, b # c\0#")


# --------------------------------------------------------------------------- the command line
#: (arguments, text the error must hold); ``ok.s`` and ``bad.zip`` exist in the working folder.
CLI = [
    (["asm", "missing.s", "-o", "x.elf"], "missing.s: no such file"),
    (["asm", ".", "-o", "x.elf"], "source .: is a directory"),
    (["asm", "ok.s", "-o", "nodir/x.elf"], "the directory nodir does not exist"),
    (["asm", "ok.s", "-o", "."], "output file .: is a directory"),
    (["asm", "binary.s", "-o", "x.elf"], "binary.s: not UTF-8 text"),
    (["asm", "ok.s", "-o", "x.elf", "--base", "0x80000002"], "0x80000002: must be a multiple"),
    (["asm", "ok.s", "-o", "x.elf", "--base", "-4"], "-4 is outside 0..4294967292"),
    (["asm", "ok.s", "-o", "x.elf", "--base", "0x100000000"], "4294967296"),
    (["asm", "byte.s", "-o", "x.elf"], "byte.s:2: .byte value: 300 is outside -128..255"),
    (["asm", "align.s", "-o", "x.elf"], "align.s:1: .balign alignment: 0"),
    (["verilog", "core", "--hartid", "-1", "-o", "out"], "hartid = -1"),
    (["verilog", "core", "--reset-pc", "0x80000002", "-o", "out"], "0x80000002"),
    (["verilog", "core", "--reset-pc", "0x100000000", "-o", "out"], "4294967296"),
    (["verilog", "cluster", "--no-ita", "--n", "0", "-o", "out"], "ClusterConfig.n = 0"),
    (["verilog", "cluster", "--no-ita", "--softmax-shift", "99", "-o", "out"],
     "softmax_shift = 99"),
    (["verilog", "cluster", "--no-ita", "--m", "3", "-o", "out"], "ClusterConfig.m = 3"),
    (["verilog", "cluster", "--softmax-shift", "8", "-o", "out"],
     "ClusterConfig.softmax_shift = 8"),
    (["verilog", "cluster", "--cores", "0", "-o", "out"], "cores = 0"),
    (["verilog", "cluster", "--l2-latency", "33", "-o", "out"], "l2_latency = 33"),
    (["verilog", "ita", "--n", "3", "-o", "out"], "ITAConfig.n = 3"),
    (["verilog", "ita", "--max-tiles", "0", "-o", "out"], "max_tiles = 0"),
    (["verilog", "ita", "-o", "ok.s"], "output directory ok.s: exists and is not a directory"),
    (["verilog", "hwpe", "--contexts", "5", "-o", "out"], "contexts = 5"),
    (["verilog", "hwpe", "--cores", "17", "-o", "out"], "cores = 17"),
    (["verilog", "hwpe", "--mem-base", "0x4", "-o", "out"], "mem_base = 0x4"),
    (["verilog", "hwpe", "--mem-size", "0", "-o", "out"], "mem_size = 0"),
    (["verilog", "hwpe", "--mem-base", "-8", "-o", "out"], "mem_base = 0x-8"),
    (["compile", "-o", "ok.s"], "output directory ok.s: exists and is not a directory"),
    (["compile", "-o", "out", "--seq", "0"], "seq = 0"),
    (["compile", "-o", "out", "--heads", "-1"], "heads = -1"),
    (["compile", "-o", "out", "--cores", "9"], "cores = 9"),
    (["run", "--executor", "functional", "--plot", "nodir/t.png"], "nodir does not exist"),
    (["run", "--executor", "functional", "--max-cycles", "0"], "--max-cycles 0"),
    (["run", "--executor", "functional", "--text", "hi"], "--text needs --model"),
    (["run", "--executor", "functional", "--model", "nowhere"], "'nowhere': no such folder"),
    (["eval", "--model", "nowhere"], "'nowhere': no such folder"),
    (["eval", "--model", "bad.zip"], "bad.zip"),
    (["eval", "--model", "ok.s", "--groups", "0"], "--groups 0"),
    (["eval", "--model", "badjson"], "model 'badjson': a JSON file does not parse"),
    (["eval", "--model", "nofield"], "model 'nofield': config.json has no field"),
    (["eval", "--model", "badweights"], "model 'badweights': model.safetensors does not load"),
    (["eval", "--model", "notbert"], "model_type 'gpt2'"),
]

_BERT = ('{"model_type": "bert", "hidden_size": 8, "num_attention_heads": 2, '
         '"num_hidden_layers": 1, "intermediate_size": 16, "vocab_size": 10, '
         '"max_position_embeddings": 8}')
#: Model folders with one bad file each: folder -> config.json.
_MODELS = {"badjson": "{", "nofield": '{"model_type": "bert", "hidden_size": 8}',
           "badweights": _BERT, "notbert": '{"model_type": "gpt2"}'}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.s").write_text("nop\n")
    (tmp_path / "byte.s").write_text("nop\n.byte 300\n")
    (tmp_path / "align.s").write_text(".balign 0\n")
    (tmp_path / "binary.s").write_bytes(b"\xff\xfe\x00nop")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    for name, config in _MODELS.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(config)
        (tmp_path / name / "model.safetensors").write_bytes(b"x")
        (tmp_path / name / "tokenizer.json").write_text("{}")
    return tmp_path


@pytest.mark.parametrize("argv, message", CLI, ids=[" ".join(a) for a, _ in CLI])
def test_command_line_rejects(workdir, capsys, argv, message):
    assert main(argv) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinyita: error: "), out.err
    assert message in lines[0], lines[0]
    assert not (workdir / "out").exists()          # nothing written for a bad input


def test_command_line_assembles_a_good_file(workdir, capsys):
    (workdir / "loop.s").write_text("1: addi a0, a0, -1\n   bnez a0, 1b\n   ret\n")
    assert main(["asm", "loop.s", "-o", "loop.elf"]) == 0
    assert (workdir / "loop.elf").stat().st_size > 0


# --------------------------------------------------------------------------- configurations
CONFIGS = [
    (lambda: ClusterConfig(ita="no"), "ClusterConfig.ita must be a bool", "'no'"),
    (lambda: ClusterConfig(ita=1), "ClusterConfig.ita must be a bool", "1"),
    (lambda: ClusterConfig(ita=False, n=0), "ClusterConfig.n = 0", "1..64"),
    (lambda: ClusterConfig(ita=False, m=3), "ClusterConfig.m = 3", "8..128"),
    (lambda: ClusterConfig(ita=False, m=40), "ClusterConfig.m = 40", "multiple of n = 16"),
    (lambda: ClusterConfig(ita=False, softmax_shift=99), "softmax_shift = 99", "0..7"),
    (lambda: ClusterConfig(ita=False, max_tiles=0), "max_tiles = 0", "1..64"),
    (lambda: ClusterConfig(n=32, m=16), "ClusterConfig.m = 16", "multiple of n = 32"),
    (lambda: ClusterConfig(softmax_shift=-1), "ClusterConfig.softmax_shift = -1", "0..7"),
    (lambda: ClusterConfig(n=2.0), "ClusterConfig.n must be an int", "2.0"),
    (lambda: ClusterConfig(dma_queue=9), "dma_queue = 9", "2..8"),
    (lambda: ClusterConfig(l1_bytes=4096), "l1_bytes = 4096", "8 KiB..1 MiB"),
    (lambda: ClusterConfig(icache_lines=512), "icache_lines = 512", "2..256"),
    (lambda: ClusterConfig(l1_banks=True), "l1_banks must be an int", "True"),
    (lambda: ITAConfig(n=1), "ITAConfig.n = 1", "2..64"),
    (lambda: ITAConfig(m=256), "ITAConfig.m = 256", "8..128"),
    (lambda: ITAConfig(n=64, m=128), "n * m = 8192", "4096"),
    (lambda: ITAConfig(softmax_shift=8), "softmax_shift = 8", "0..7"),
    (lambda: ITAConfig(max_tiles=65), "max_tiles = 65", "1..64"),
    (lambda: ITAConfig(m="64"), "ITAConfig.m must be an int", "'64'"),
]


@pytest.mark.parametrize("make, message, limit", CONFIGS, ids=[m for _, m, _ in CONFIGS])
def test_configurations_reject(make, message, limit):
    with pytest.raises(ValueError) as e:
        make()
    assert message in str(e.value) and limit in str(e.value), str(e.value)


def _hwpe(**kwargs):
    from hw.hwpe.ita_hwpe import ITAHWPE

    return ITAHWPE(kwargs.pop("cfg", ITAConfig()), **kwargs)


def _core(**kwargs):
    from hw.core.core import Core

    return Core(**kwargs)


COMPONENTS = [
    (lambda: _hwpe(cfg=ClusterConfig()), "cfg must be an ITAConfig"),
    (lambda: _hwpe(contexts=1), "contexts = 1: must be in 2..4"),
    (lambda: _hwpe(contexts=2.5), "contexts must be an int, got 2.5"),
    (lambda: _hwpe(cores=0), "cores = 0: must be in 1..16"),
    (lambda: _hwpe(mem_base=-8), "mem_base = 0x-8"),
    (lambda: _hwpe(mem_base=12), "mem_base = 0xc: must be a multiple of 8"),
    (lambda: _hwpe(mem_size=-1), "mem_size = -1"),
    (lambda: _hwpe(mem_base=0xFFFF_0000, mem_size=1 << 20), "mem_size = 1048576"),
    (lambda: _core(hartid=-1), "hartid = -1"),
    (lambda: _core(hartid=1 << 32), "hartid = 4294967296"),
    (lambda: _core(hartid="0"), "hartid must be an int, got '0'"),
    (lambda: _core(reset_pc=2), "reset_pc 0x2: must be a multiple of 4"),
    (lambda: _core(reset_pc=-4), "reset_pc = -4"),
]


@pytest.mark.parametrize("make, message", COMPONENTS, ids=[m for _, m in COMPONENTS])
def test_components_reject(make, message):
    with pytest.raises(ValueError) as e:
        make()
    assert message in str(e.value), str(e.value)


# --------------------------------------------------------------------------- golden model
RQ = Requant(1, 0, 0)
RNG = np.random.default_rng(0)


def _w(rows: int, cols: int) -> np.ndarray:
    return RNG.integers(-128, 128, (rows, cols), dtype=np.int8)


def _head(**changes) -> HeadParams:
    fields = dict(wq=_w(64, 64), wk=_w(64, 64), wv=_w(64, 64), wo=_w(64, 64),
                  bq=np.zeros(64, int), bk=np.zeros(64, int), bv=np.zeros(64, int),
                  bo=np.zeros(64, int), rq_q=RQ, rq_k=RQ, rq_v=RQ, rq_qk=RQ, rq_av=RQ, rq_ow=RQ)
    return HeadParams(**{**fields, **changes})


def _ffn(**changes) -> FFNParams:
    fields = dict(w1=_w(64, 128), b1=np.zeros(128, int), w2=_w(128, 64), b2=np.zeros(64, int),
                  rq_f1=RQ, rq_f2=RQ)
    return FFNParams(**{**fields, **changes})


def _encoder(**changes) -> EncoderParams:
    ln = LayerNormParams(np.ones(64, int), np.zeros(64, int), RQ)
    fields = dict(heads=(_head(),), head_sum=RQ, add1=AddParams(1, 1, 0), ln1=ln, ffn=_ffn(),
                  add2=AddParams(1, 1, 0), ln2=ln)
    return EncoderParams(**{**fields, **changes})


FLOAT = random_float_encoder(np.random.default_rng(1), 64, 1, 64, 128)
X = RNG.integers(-128, 128, (64, 64), dtype=np.int8)
NAN_X = np.full((4, 64), np.nan)

GOLDEN = [
    (lambda: quantize_tensor(np.array([1.0, np.nan]), 0.1), "t: value nan"),
    (lambda: quantize_tensor(np.array([np.inf]), 0.1), "t: value inf"),
    (lambda: quantize_tensor(np.ones(3), -0.5), "scale: value -0.5 is not a positive"),
    (lambda: quantize_tensor(np.ones(3), 0.0), "scale: value 0.0"),
    (lambda: quantize_tensor(np.ones(3), np.nan), "scale: value nan"),
    (lambda: quantize_tensor(np.ones(3), np.array([1.0, -1.0, 1.0])), "scale: value -1.0"),
    (lambda: quantize_tensor(np.array(["a"]), 1.0), "t: dtype <U1"),
    (lambda: _head(rq_q=(1, 0, 0)), "HeadParams.rq_q: expected Requant, got tuple (1, 0, 0)"),
    (lambda: _head(rq_ow=None), "HeadParams.rq_ow: expected Requant, got NoneType"),
    (lambda: _head(wq=np.zeros((64, 64))), "HeadParams.wq: dtype float64"),
    (lambda: _head(wk=np.full((64, 64), 200)), "HeadParams.wk: value 200 is outside -128..127"),
    (lambda: _head(wo=_w(32, 64)), "HeadParams.wo: shape (32, 64), expected (64, 64)"),
    (lambda: _head(bq=np.zeros(63, int)), "HeadParams.bq: size 63"),
    (lambda: _head(bo=np.full(64, 1 << 24)), "HeadParams.bo: value 16777216"),
    (lambda: _head(softmax_shift=8), "HeadParams.softmax_shift: value 8 is outside 0..7"),
    (lambda: _head(softmax_shift=2.0), "HeadParams.softmax_shift: 2.0 is not an integer"),
    (lambda: _ffn(rq_f2=(1, 0)), "FFNParams.rq_f2: expected Requant, got tuple"),
    (lambda: _ffn(act=7), "FFNParams.act: 7 is not a valid Activation"),
    (lambda: _ffn(gelu=(1, 2)), "FFNParams.gelu: expected GeluConstants, got tuple"),
    (lambda: _ffn(f2_chunks=(RQ, "x")), "FFNParams.f2_chunks[1]: expected Requant, got str"),
    (lambda: _ffn(w2=_w(64, 64)), "FFNParams.w2: shape (64, 64), expected (128, 64)"),
    (lambda: _encoder(heads=()), "EncoderParams.heads: empty"),
    (lambda: _encoder(heads=(_head(), "head")), "EncoderParams.heads[1]: expected HeadParams"),
    (lambda: _encoder(head_sum=1), "EncoderParams.head_sum: expected Requant, got int 1"),
    (lambda: _encoder(ln2=RQ), "EncoderParams.ln2: expected LayerNormParams, got Requant"),
    (lambda: LayerNormParams(np.ones(64, int), np.zeros((2, 32), int), RQ),
     "LayerNormParams.beta: rank 2"),
    (lambda: layernorm(X, LayerNormParams(np.ones(64, int), np.zeros(32, int), RQ)),
     "beta: length 32 does not match the row length 64"),
    (lambda: LayerNormParams(np.ones(4), np.zeros(4, int), RQ), "gamma: dtype float64"),
    (lambda: LayerNormParams(np.ones(4, int), np.zeros(4, int), (1, 0)), "rq: expected Requant"),
    (lambda: Requant(256, 0), "mult: value 256 is outside 0..255"),
    (lambda: Requant(1, 32), "shift: value 32 is outside 0..31"),
    (lambda: Requant(1.5, 0), "mult: 1.5 is not an integer"),
    (lambda: requant_for(float("nan")), "requant ratio nan"),
    (lambda: requant_for(-1.0), "requant ratio -1.0"),
    (lambda: AddParams.for_ratios(math.inf, 1.0), "ratio_a inf"),
    (lambda: GeluConstants.for_scale(float("nan")), "i-GELU input scale nan"),
    (lambda: GeluConstants.for_scale("1"), "i-GELU input scale '1'"),
    (lambda: derive_gelu(0.05, -1.0), "scale_out: -1.0 must be a positive finite number"),
    (lambda: logit_scale(9), "k: value 9 is outside 0..7"),
    (lambda: requantize(np.array([1.5]), 1, 0, 0), "acc: dtype float64"),
    (lambda: itamax(np.array([[np.nan]]), group=4, k=3), "logits: dtype float64"),
    (lambda: itamax(X, group=0, k=3), "group: value 0 is outside"),
    (lambda: matmul_step(X, X, None, (1, 0, 0)), "rq: expected Requant, got tuple"),
    (lambda: matmul_step(X, X, None, RQ, cfg=ClusterConfig()), "cfg: expected ITAConfig"),
    (lambda: attention_head(X, "head"), "head: expected HeadParams, got str"),
    (lambda: feedforward(X, _head()), "ffn: expected FFNParams, got HeadParams"),
    (lambda: encoder_layer(X, _head()), "p: expected EncoderParams, got HeadParams"),
    (lambda: layernorm(X, RQ), "p: expected LayerNormParams, got Requant"),
    (lambda: residual_add(X, X, RQ), "p: expected AddParams, got Requant"),
    (lambda: activation(X, Activation.RELU, (1, 0)), "requant: expected Requant, got tuple"),
    (lambda: calibrate(FLOAT, NAN_X), "calibration input: value nan"),
    (lambda: calibrate(FLOAT, np.ones((0, 4, 64))), "shape (0, 4, 64)"),
    (lambda: calibrate(FLOAT, np.ones((2, 4, 64)), lengths=[1.5, 2]), "lengths: dtype float64"),
    (lambda: quantize_encoder(FLOAT, np.ones((4, 64)), cfg=ClusterConfig()),
     "cfg: expected ITAConfig, got ClusterConfig"),
    (lambda: FloatHead(*[np.full((64, 64), np.nan)] * 4, *[np.zeros(64)] * 3),
     "FloatHead.wq: value nan"),
    (lambda: FloatHead(*[np.zeros((64, 64))] * 4, np.zeros(64), np.zeros(32), np.zeros(64)),
     "FloatHead.bk: shape (32,), expected (64,)"),
    (lambda: WideOptions(alpha=2.0), "WideOptions.alpha: 2.0 is not a number in 0..1"),
    (lambda: WideOptions(groups=0), "WideOptions.groups: value 0"),
    (lambda: WideOptions(softmax_shift=9), "WideOptions.softmax_shift: value 9"),
]


@pytest.mark.parametrize("call, message", GOLDEN, ids=[m for _, m in GOLDEN])
def test_golden_model_rejects(call, message):
    with pytest.raises(ValueError) as e:
        call()
    assert message in str(e.value), str(e.value)


def test_good_parameter_objects_still_work():
    r = attention_head(X, _head())
    assert r.out.shape == (64, 64) and r.out.dtype == np.int8
    assert encoder_layer(X, _encoder()).out.shape == (64, 64)
    q = quantize_encoder(FLOAT, np.random.default_rng(2).normal(size=(64, 64)))
    assert q.quantize_input(np.ones((2, 64))).dtype == np.int8


def test_there_are_at_least_100_bad_inputs():
    assert len(ASM) + len(PROGRAM) + len(CLI) + len(CONFIGS) + len(COMPONENTS) + len(GOLDEN) \
        >= 100
