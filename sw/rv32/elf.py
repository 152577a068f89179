"""Write an :class:`Image` as an RV32 ELF executable, and read ELF files back
(pyelftools), so that ``tinyita exec`` runs the project's programs and anyone else's."""

import struct
from dataclasses import dataclass
from pathlib import Path

from .program import Image

__all__ = ["write_elf", "read_elf", "LoadedElf"]

EM_RISCV = 243
_SHF_WRITE, _SHF_ALLOC, _SHF_EXEC = 1, 2, 4


def write_elf(image: Image, path: str | Path) -> None:
    """Write ``image`` as an ELF32 little-endian RISC-V executable with a symbol table."""
    text = next((s for s in image.segments if s[0] == _section_start(image, 0)), None)
    segs = list(image.segments)
    bss_addr, bss_size = image.bss
    shstr = b"\0.text\0.data\0.bss\0.symtab\0.strtab\0.shstrtab\0"

    def name_off(n: str) -> int:
        return shstr.index(n.encode() + b"\0")

    # contents
    header_size, ph_size, sh_size = 52, 32, 40
    nph = len(segs) + (1 if bss_size else 0)
    offset = header_size + nph * ph_size
    blobs, placed = [], []
    for addr, data in segs:
        offset = -(-offset // 16) * 16
        placed.append((addr, data, offset))
        blobs.append((offset, data))
        offset += len(data)
    # symbols
    strtab = bytearray(b"\0")
    syms = [struct.pack("<IIIBBH", 0, 0, 0, 0, 0, 0)]
    ordered = sorted(image.symbols.items(), key=lambda kv: (kv[0] in image.globals, kv[1]))
    first_global = 1 + sum(1 for n, _ in ordered if n not in image.globals)
    for name, value in ordered:
        shndx = _section_index(image, value)
        bind = 1 if name in image.globals else 0
        syms.append(struct.pack("<IIIBBH", len(strtab), value & 0xFFFF_FFFF, 0, bind << 4, 0,
                                shndx))
        strtab += name.encode() + b"\0"
    symtab = b"".join(syms)
    tables = []
    for data in (symtab, bytes(strtab), shstr):
        offset = -(-offset // 4) * 4
        tables.append(offset)
        blobs.append((offset, data))
        offset += len(data)
    shoff = -(-offset // 4) * 4
    # section headers: null, .text, .data, .bss, .symtab, .strtab, .shstrtab
    def sh(name, typ, flags, addr, off, size, link=0, info=0, align=1, entsize=0):
        return struct.pack("<IIIIIIIIII", name, typ, flags, addr, off, size, link, info, align,
                           entsize)

    shdrs = [sh(0, 0, 0, 0, 0, 0)]
    by_addr = {a: (d, o) for a, d, o in placed}
    for k, (nm, flags) in enumerate(((".text", _SHF_ALLOC | _SHF_EXEC),
                                     (".data", _SHF_ALLOC | _SHF_WRITE))):
        start = _section_start(image, k)
        data, off = by_addr.get(start, (b"", 0))
        shdrs.append(sh(name_off(nm), 1, flags, start if data else 0, off, len(data), align=4))
    shdrs.append(sh(name_off(".bss"), 8, _SHF_ALLOC | _SHF_WRITE, bss_addr, 0, bss_size,
                    align=16))
    shdrs.append(sh(name_off(".symtab"), 2, 0, 0, tables[0], len(symtab), link=5,
                    info=first_global, align=4, entsize=16))
    shdrs.append(sh(name_off(".strtab"), 3, 0, 0, tables[1], len(strtab)))
    shdrs.append(sh(name_off(".shstrtab"), 3, 0, 0, tables[2], len(shstr)))
    # program headers
    phdrs = []
    for addr, data, off in placed:
        flags = 5 if text is not None and addr == text[0] else 6      # R+X or R+W
        phdrs.append(struct.pack("<IIIIIIII", 1, off, addr, addr, len(data), len(data), flags,
                                 4))
    if bss_size:
        phdrs.append(struct.pack("<IIIIIIII", 1, 0, bss_addr, bss_addr, 0, bss_size, 6, 16))
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, EM_RISCV, 1, image.entry, header_size,
                                 shoff, 0, header_size, ph_size, nph, sh_size, len(shdrs), 6)
    out = bytearray(shoff + len(shdrs) * sh_size)
    out[:header_size] = header
    out[header_size:header_size + nph * ph_size] = b"".join(phdrs)
    for off, data in blobs:
        out[off:off + len(data)] = data
    out[shoff:] = b"".join(shdrs)
    try:
        Path(path).write_bytes(bytes(out))
    except OSError as e:
        raise ValueError(f"{path}: cannot write the ELF: {e.strerror or e}") from None


def _section_start(image: Image, k: int) -> int:
    starts = sorted(a for a, _ in image.segments)
    return starts[k] if k < len(starts) else -1


def _section_index(image: Image, value: int) -> int:
    for k, (addr, data) in enumerate(sorted(image.segments)):
        if addr <= value <= addr + len(data):
            return 1 + k
    bss_addr, bss_size = image.bss
    if bss_size and bss_addr <= value <= bss_addr + bss_size:
        return 3
    return 0xFFF1                                           # SHN_ABS


@dataclass
class LoadedElf:
    """What a simulation needs from an ELF file."""

    segments: list[tuple[int, bytes]]   #: (address, contents incl. zero-filled tail)
    symbols: dict[str, int]
    entry: int


def read_elf(path: str | Path) -> LoadedElf:
    """Read an RV32 little-endian ELF: its loadable segments, symbols and entry point."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            if elf.elfclass != 32 or not elf.little_endian or elf["e_machine"] != "EM_RISCV":
                raise ValueError(f"{path}: not a 32-bit little-endian RISC-V ELF "
                                 f"(class {elf.elfclass}, machine {elf['e_machine']})")
            segments = []
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                    continue
                data = seg.data() + bytes(seg["p_memsz"] - seg["p_filesz"])
                segments.append((seg["p_paddr"], data))
            symbols = {}
            tab = elf.get_section_by_name(".symtab")
            if tab is not None:
                for sym in tab.iter_symbols():
                    if sym.name:
                        symbols[sym.name] = sym["st_value"]
            return LoadedElf(segments, symbols, elf["e_entry"])
    except (ELFError, OSError) as e:
        raise ValueError(f"{path}: cannot read it as ELF: {e}") from None
