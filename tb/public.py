"""Which signals a simulation can see: the Verilator configuration made from a bench's list.

Verilator builds every design without public signals (``--no-public-flat-rw``): a public
signal is a real variable that cannot be optimised away, and logic that reads one is
re-evaluated on every ``eval()``; Amaranth names about 50,000 wires in the cluster, and making
them all public made its simulation six times slower. The top module's ports are always
visible; anything else a bench reads or writes it names in a list of dotted paths, relative to
the top module, as cocotb reaches them (``"cluster.control.dma_busy_cycles"``,
``"core.regfile"``, ``"cluster.l1.bank*.macro.sim_*"``; ``*`` and ``?`` match within one
name). :func:`public_vlt` turns the list into ``public_flat_rw`` lines of a ``.vlt`` file,
one per Verilog module and signal, and fails with the path when a name matches nothing, so a
typo fails at build time; a signal that a bench uses without listing it fails in the bench
(:func:`tb.cocotb_util.signal`) with its path.
"""

import fnmatch
import re
from collections.abc import Iterable

__all__ = ["PublicSignalError", "public_vlt"]

_MODULE = re.compile(r"^module\s+(\\\S+|\w+)\s*(?:#\(.*?\)\s*)?\(([^;]*)\);(.*?)^endmodule",
                     re.MULTILINE | re.DOTALL)
# an instance: a module name, optional parameters, an instance name, its connections
_INSTANCE = re.compile(r"^\s*(\\\S+|\w+)\s+(?:#\([^;]*?\)\s*)?(\\\S+|\w+)\s*\(", re.MULTILINE)
_IDENTIFIER = re.compile(r"\\\S+|[A-Za-z_][\w$]*")
_KEYWORDS = {"if", "else", "case", "casez", "casex", "for", "while", "begin", "end", "always",
             "assign", "initial", "module", "endmodule", "function", "task", "wire", "reg",
             "input", "output", "inout"}


class PublicSignalError(ValueError):
    """A path in a bench's list of public signals names nothing in the design."""


def _name(identifier: str) -> str:
    return identifier.strip().removeprefix("\\").strip()


def _modules(verilog: str) -> dict[str, tuple[list[str], list[tuple[str, str]], set[str]]]:
    """Each module's ports, instances (module, instance name) and the identifiers in its
    body."""
    out = {}
    for m in _MODULE.finditer(verilog):
        ports = [_name(_IDENTIFIER.findall(p)[-1]) for p in m.group(2).split(",")]
        body = m.group(3)
        instances = [(_name(mod), _name(inst)) for mod, inst in _INSTANCE.findall(body)
                     if _name(mod) not in _KEYWORDS and _name(inst) not in _KEYWORDS]
        out[_name(m.group(1))] = (ports, instances, {_name(i) for i in _IDENTIFIER.findall(body)})
    return out


def public_vlt(verilog: str, top: str, paths: Iterable[str]) -> str:
    """Return the Verilator configuration that makes the ports of the top module ``top`` of
    ``verilog``, and the signals at ``paths`` (dotted, from the top module), public for
    reading and writing.

    Raises :class:`PublicSignalError` naming the path when an instance or a signal in it
    matches nothing.
    """
    modules = _modules(verilog)
    if top not in modules:
        raise PublicSignalError(f"the Verilog has no top module {top!r}")
    lines = [f'public_flat_rw -module "{top}" -var "{port}"' for port in modules[top][0]]
    for path in paths:
        *scopes, var = path.split(".")
        found = {top}
        for depth, scope in enumerate(scopes):
            found = {mod for parent in found for mod, inst in modules[parent][1]
                     if fnmatch.fnmatchcase(inst, scope) and mod in modules}
            if not found:
                where = ".".join([top, *scopes[:depth]])
                raise PublicSignalError(f"public signal {path!r}: {where} has no instance "
                                        f"matching {scope!r}")
        for mod in sorted(found):
            if not fnmatch.filter(modules[mod][2], var):
                raise PublicSignalError(f"public signal {path!r}: module {mod} has no signal "
                                        f"matching {var!r}")
            lines.append(f'public_flat_rw -module "{mod}" -var "{var}"')
    return "`verilator_config\n" + "".join(f"{line}\n" for line in dict.fromkeys(lines))
