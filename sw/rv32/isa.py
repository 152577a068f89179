"""RV32IM and Zicsr: registers, CSRs and instruction encodings."""

from hw.core.csrs import CSR_ADDRESSES

__all__ = ["REGISTERS", "ABI_NAMES", "CSR_NUMBERS", "reg", "csr", "INSTRUCTIONS", "Format",
           "encode", "sign_extend"]

ABI_NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
             "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
             "s10", "s11", "t3", "t4", "t5", "t6"]
#: Register name -> number (x0..x31, ABI names, fp = s0).
REGISTERS = {**{f"x{i}": i for i in range(32)}, **{n: i for i, n in enumerate(ABI_NAMES)},
             "fp": 8}


#: CSR name -> number (the subset the core implements, declared in ``hw.core.csrs``).
CSR_NUMBERS = CSR_ADDRESSES


def reg(name: str | int) -> int:
    """Register number of a name (``"a0"``, ``"x10"``) or an int 0..31."""
    if isinstance(name, int) and not isinstance(name, bool):
        if not 0 <= name < 32:
            raise ValueError(f"register number {name} is outside 0..31")
        return name
    if not isinstance(name, str):
        raise ValueError(f"unknown register {name!r}")
    try:
        return REGISTERS[str(name).strip().lower()]
    except KeyError:
        raise ValueError(f"unknown register {name!r}") from None


def csr(name: str | int) -> int:
    """CSR address of a name or a number 0..4095."""
    if isinstance(name, int) and not isinstance(name, bool):
        if not 0 <= name < 4096:
            raise ValueError(f"CSR address {name} is outside 0..4095")
        return name
    if not isinstance(name, str):
        raise ValueError(f"unknown CSR {name!r}")
    try:
        return CSR_NUMBERS[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown CSR {name!r}") from None


class Format:
    """Instruction formats (R, I, S, B, U, J, and the shift, CSR and system variants)."""

    REG = "R"
    IMM = "I"
    STORE = "S"
    BRANCH = "B"
    UPPER = "U"
    JUMP = "J"
    SHIFT = "SHIFT"
    CSR = "CSR"
    CSRI = "CSRI"
    SYS = "SYS"


#: name -> (format, opcode, funct3, funct7 or fixed immediate)
INSTRUCTIONS: dict[str, tuple[str, int, int, int]] = {
    "lui": (Format.UPPER, 0x37, 0, 0), "auipc": (Format.UPPER, 0x17, 0, 0),
    "jal": (Format.JUMP, 0x6F, 0, 0), "jalr": (Format.IMM, 0x67, 0, 0),
    "beq": (Format.BRANCH, 0x63, 0, 0), "bne": (Format.BRANCH, 0x63, 1, 0),
    "blt": (Format.BRANCH, 0x63, 4, 0), "bge": (Format.BRANCH, 0x63, 5, 0),
    "bltu": (Format.BRANCH, 0x63, 6, 0), "bgeu": (Format.BRANCH, 0x63, 7, 0),
    "lb": (Format.IMM, 0x03, 0, 0), "lh": (Format.IMM, 0x03, 1, 0),
    "lw": (Format.IMM, 0x03, 2, 0), "lbu": (Format.IMM, 0x03, 4, 0),
    "lhu": (Format.IMM, 0x03, 5, 0),
    "sb": (Format.STORE, 0x23, 0, 0), "sh": (Format.STORE, 0x23, 1, 0),
    "sw": (Format.STORE, 0x23, 2, 0),
    "addi": (Format.IMM, 0x13, 0, 0), "slti": (Format.IMM, 0x13, 2, 0),
    "sltiu": (Format.IMM, 0x13, 3, 0), "xori": (Format.IMM, 0x13, 4, 0),
    "ori": (Format.IMM, 0x13, 6, 0), "andi": (Format.IMM, 0x13, 7, 0),
    "slli": (Format.SHIFT, 0x13, 1, 0x00), "srli": (Format.SHIFT, 0x13, 5, 0x00),
    "srai": (Format.SHIFT, 0x13, 5, 0x20),
    "add": (Format.REG, 0x33, 0, 0x00), "sub": (Format.REG, 0x33, 0, 0x20),
    "sll": (Format.REG, 0x33, 1, 0x00), "slt": (Format.REG, 0x33, 2, 0x00),
    "sltu": (Format.REG, 0x33, 3, 0x00), "xor": (Format.REG, 0x33, 4, 0x00),
    "srl": (Format.REG, 0x33, 5, 0x00), "sra": (Format.REG, 0x33, 5, 0x20),
    "or": (Format.REG, 0x33, 6, 0x00), "and": (Format.REG, 0x33, 7, 0x00),
    "mul": (Format.REG, 0x33, 0, 0x01), "mulh": (Format.REG, 0x33, 1, 0x01),
    "mulhsu": (Format.REG, 0x33, 2, 0x01), "mulhu": (Format.REG, 0x33, 3, 0x01),
    "div": (Format.REG, 0x33, 4, 0x01), "divu": (Format.REG, 0x33, 5, 0x01),
    "rem": (Format.REG, 0x33, 6, 0x01), "remu": (Format.REG, 0x33, 7, 0x01),
    "fence": (Format.SYS, 0x0F, 0, 0x0FF), "fence.i": (Format.SYS, 0x0F, 1, 0),
    "ecall": (Format.SYS, 0x73, 0, 0x000), "ebreak": (Format.SYS, 0x73, 0, 0x001),
    "mret": (Format.SYS, 0x73, 0, 0x302), "wfi": (Format.SYS, 0x73, 0, 0x105),
    "csrrw": (Format.CSR, 0x73, 1, 0), "csrrs": (Format.CSR, 0x73, 2, 0),
    "csrrc": (Format.CSR, 0x73, 3, 0), "csrrwi": (Format.CSRI, 0x73, 5, 0),
    "csrrsi": (Format.CSRI, 0x73, 6, 0), "csrrci": (Format.CSRI, 0x73, 7, 0),
}


def sign_extend(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _check(name: str, what: str, value: int, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise ValueError(f"{name}: {what} {value} is outside {lo}..{hi}")
    return value


def encode(name: str, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0) -> int:
    """Encode one instruction; ``imm`` is the immediate (branch/jump: the byte offset; CSR
    forms: the CSR address in ``imm`` and the 5-bit immediate in ``rs1``)."""
    fmt, op, f3, f7 = INSTRUCTIONS[name]
    if fmt == Format.REG:
        return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
    if fmt == Format.IMM:
        _check(name, "immediate", imm, -2048, 2047)
        return (imm & 0xFFF) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
    if fmt == Format.SHIFT:
        _check(name, "shift amount", imm, 0, 31)
        return f7 << 25 | imm << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
    if fmt == Format.STORE:
        _check(name, "offset", imm, -2048, 2047)
        imm &= 0xFFF
        return (imm >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1F) << 7 | op
    if fmt == Format.BRANCH:
        _check(name, "branch offset", imm, -4096, 4094)
        if imm % 2:
            raise ValueError(f"{name}: branch offset {imm} is odd")
        i = imm & 0x1FFF
        return ((i >> 12) << 31 | ((i >> 5) & 0x3F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12
                | ((i >> 1) & 0xF) << 8 | ((i >> 11) & 1) << 7 | op)
    if fmt == Format.UPPER:
        _check(name, "upper immediate", imm, 0, 0xFFFFF)
        return imm << 12 | rd << 7 | op
    if fmt == Format.JUMP:
        _check(name, "jump offset", imm, -(1 << 20), (1 << 20) - 2)
        if imm % 2:
            raise ValueError(f"{name}: jump offset {imm} is odd")
        i = imm & 0x1FFFFF
        return ((i >> 20) << 31 | ((i >> 1) & 0x3FF) << 21 | ((i >> 11) & 1) << 20
                | ((i >> 12) & 0xFF) << 12 | rd << 7 | op)
    if fmt in (Format.CSR, Format.CSRI):
        _check(name, "CSR", imm, 0, 4095)
        return imm << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
    return f7 << 20 | f3 << 12 | op          # SYS: funct12/fence bits in f7
