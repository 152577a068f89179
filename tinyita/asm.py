"""``tinyita asm``: RV32IM assembly into an ELF."""

import argparse
from pathlib import Path

from hw.config import L2_BASE

from .options import address, input_file, output_file


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("asm", help="assemble RV32IM source into an ELF")
    p.add_argument("source", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--base", type=address, default=L2_BASE,
                   help=f"address of .text (default 0x{L2_BASE:08x})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sw.rv32 import assemble, write_elf

    output_file(args.output)
    try:
        source = input_file(args.source, "source").read_text()
    except UnicodeDecodeError as e:
        raise ValueError(f"source {args.source}: not UTF-8 text (byte {e.start})") from None
    image = assemble(source, base=args.base, filename=str(args.source))
    write_elf(image, args.output)
    print(f"{args.output}: {sum(len(c) for _, c in image.segments)} bytes, entry "
          f"0x{image.entry:08x}, {len(image.symbols)} symbols")
    return 0
