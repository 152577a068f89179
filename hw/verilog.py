"""Write generated Verilog with its parameters and the Verilator waivers it needs.

Amaranth's Verilog (through Yosys) is correct by construction, but a few of its systematic
habits trip ``verilator --lint-only -Wall``. Each waived rule is listed in ``WAIVERS`` with its
reason; the generator writes them into a Verilator configuration file (``.vlt``) beside the
Verilog, so ``verilator --lint-only -Wall NAME.v NAME.vlt`` is clean. Any other warning is a
defect of the design.
"""

import json
from pathlib import Path

from amaranth.back import verilog
from amaranth.lib import wiring

__all__ = ["WAIVERS", "waiver_file", "write_verilog"]

#: (rule, reason) of every waived Verilator warning.
WAIVERS: tuple[tuple[str, str], ...] = (
    ("WIDTHEXPAND", "Yosys writes constants and operands at their natural width and relies on "
                    "Verilog's context widening; Amaranth already fixed every result width"),
    ("WIDTHTRUNC", "Yosys narrows results by assignment (and tests values with '!' on "
                   "multi-bit wires); the truncations are Amaranth's defined semantics"),
    ("UNUSEDSIGNAL", "Yosys keeps a named wire for every Amaranth signal and struct field, "
                     "including bits no logic reads (unused fields of a layout, wide ports)"),
    ("PROCASSINIT", "Amaranth gives registers their reset value in the declaration (the "
                    "power-up value) and also assigns them in always blocks"),
    ("DECLFILENAME", "all modules of a design are written to one file named after the top"),
    ("CASEINCOMPLETE", "Yosys assigns each signal its default before a case over the values "
                       "that change it, so a case without a default branch infers no latch "
                       "(LATCH itself is not waived)"),
)


def waiver_file(verilog_name: str) -> str:
    """Return the text of the ``.vlt`` file that waives ``WAIVERS`` in one Verilog file."""
    lines = ["`verilator_config", ""]
    for rule, reason in WAIVERS:
        lines += [f"// {rule}: {reason}", f'lint_off -rule {rule} -file "*{verilog_name}"', ""]
    return "\n".join(lines)


def write_verilog(component: wiring.Component, name: str, directory: Path | str,
                  params: dict) -> dict[str, Path]:
    """Write ``NAME.v``, ``NAME.vlt`` (waivers) and ``NAME.json`` (parameters) into
    ``directory``; return their paths by suffix. The SRAM macro model (``hw/sram.py``) is
    appended when the design uses it."""
    from hw.sram import SRAM_VERILOG

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"v": out / f"{name}.v", "vlt": out / f"{name}.vlt", "json": out / f"{name}.json"}
    text = verilog.convert(component, name=name, emit_src=False)
    if "tinyita_sram" in text:
        text += SRAM_VERILOG
    paths["v"].write_text(text)
    paths["vlt"].write_text(waiver_file(paths["v"].name))
    paths["json"].write_text(json.dumps({"top": name, **params}, indent=2) + "\n")
    return paths
