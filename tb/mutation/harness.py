"""Mutants of one module inside a harness build: blocks tested only through Verilator benches.

The HWPE's register file, the core's units, the L1 interconnect and the DMA
have no Amaranth unit tests to run through :mod:`tb.mutation.bridge`: their tests are
cocotb benches on a whole harness. Here the mutants go into the harness instead. When the
environment variable ``TINYITA_MUTANTS`` names a module by its path below the harness's top
(``core.alu``), :func:`tb.sim.build` hands every design it builds to :func:`apply`, which
replaces that module (when the design has it) by its mutants:

1. the module and its submodules are cut out of the Verilog and flattened into one module;
2. :func:`tb.mutation.yosys.mutate` samples the mutants behind a ``mutsel`` input;
3. ``mutsel`` becomes a register read from the simulator's ``+mutsel=I`` plusarg
   (:func:`tb.sim.run` passes ``TINYITA_MUTSEL``), so one Verilator build serves every
   mutant and the rest of the harness, with its public signals, is unchanged.

The first build writes a manifest (the JSON file the variable names): the mutations, and
the module's Verilog before and after, for the equivalence checks. Every pytest run of the
block's tests then runs one mutant (:func:`tb.mutation.score.score_harness`).
"""

import fnmatch
import hashlib
import inspect
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..public import _MODULE, _modules
from .yosys import CONTROL, PREPARE, Mutated, Mutation, mutate

__all__ = ["ENV", "SELECT_ENV", "Spec", "spec", "apply", "plusargs", "load_manifest", "TOP"]

#: The variable that asks :func:`tb.sim.build` for mutants (a :class:`Spec` as JSON).
ENV = "TINYITA_MUTANTS"
#: The variable with the mutant a simulation runs (0: the original design).
SELECT_ENV = "TINYITA_MUTSEL"
#: The module's name while Yosys works on it.
TOP = "mut_target"


@dataclass(frozen=True)
class Spec:
    """Which module to mutate (``module``: its path below the top, dotted), how many mutants
    (``count``, sampled with ``seed``) and where the manifest goes. Submodules whose instance
    name matches ``keep`` (a glob) stay modules of their own, unmutated: memories whose
    contents the benches reach by their paths (``tb.public``)."""

    module: str
    count: int
    seed: int
    manifest: str
    keep: str = ""


def spec() -> Spec | None:
    """Return the :class:`Spec` that ``TINYITA_MUTANTS`` holds, or ``None``."""
    text = os.environ.get(ENV)
    return Spec(**json.loads(text)) if text else None


def plusargs() -> list[str]:
    """Return the simulator's plusargs that select the mutant ``TINYITA_MUTSEL`` names."""
    index = os.environ.get(SELECT_ENV)
    return [f"+{CONTROL}={int(index)}"] if index is not None and spec() else []


def _definitions(text: str) -> dict[str, re.Match]:
    return {m.group(1).removeprefix("\\").strip(): m for m in _MODULE.finditer(text)}


def _closure(modules: dict, name: str, keep: str) -> tuple[list[str], list[str]]:
    """``name`` and every module below it, but for instances matching ``keep``: the modules
    to flatten, and the kept ones."""
    out, kept, todo = [], [], [name]
    while todo:
        n = todo.pop()
        if n not in out:
            out.append(n)
            for mod, inst in modules[n][1]:
                if keep and fnmatch.fnmatchcase(inst, keep):
                    kept.append(mod)
                elif mod in modules:
                    todo.append(mod)
    return out, list(dict.fromkeys(kept))


def _escaped(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_]\w*", name) else f"\\{name} "


def _plusarg_select(module: str, width: int) -> str:
    """Turn the ``mutsel`` input of ``module`` (Yosys's Verilog) into a register set from the
    ``+mutsel=I`` plusarg."""
    reg = (f"\n  reg [{width - 1}:0] {CONTROL};\n"
           f"  initial if (!$value$plusargs(\"{CONTROL}=%d\", {CONTROL})) {CONTROL} = 0;")

    def header(m: re.Match) -> str:
        ports = [p for p in m.group(2).split(",") if p.strip() != CONTROL]
        return m.group(1) + ",".join(ports) + m.group(3) + reg

    module, headers = re.subn(rf"(module {TOP}\s*\()([^;]*?)(\);)", header, module, count=1,
                              flags=re.DOTALL)
    module, decls = re.subn(rf"\n\s*(input|wire) (\[{width - 1}:0\] )?{CONTROL};", "", module)
    if headers != 1 or not decls:
        raise RuntimeError(f"mutate: no input {CONTROL} in the mutated module")
    return module


def apply(text: str, top: str) -> str:
    """Return ``text`` (the Verilog of a harness whose top module is ``top``) with the module
    ``TINYITA_MUTANTS`` names replaced by its mutants; ``text`` itself when there is no
    request or the design has no such module."""
    s = spec()
    if s is None:
        return text
    name = f"{top}.{s.module}"
    definitions = _definitions(text)
    if name not in definitions:
        return text
    closure, kept = _closure(_modules(text), name, s.keep)
    # the module alone, with its submodules (the kept ones as black boxes), renamed: what
    # Yosys mutates and what the equivalence checks compare; the same block in two harnesses
    # has the same text
    alone = "".join([definitions[n].group(0) + "\n" for n in closure] +
                    ["(* blackbox *)\n" + definitions[n].group(0) + "\n" for n in kept])
    alone = alone.replace(f"module {_escaped(name)}", f"module {TOP} ", 1)
    alone = alone.replace(f"\\{top}.", f"\\{TOP}.")
    how = inspect.getsource(mutate) + PREPARE      # a change of the sampling: new mutants
    key = hashlib.sha256(f"{alone}\0{s.count}\0{s.seed}\0{how}".encode()).hexdigest()[:20]
    mutated = _mutants(alone, key, s)
    module = _definitions(mutated.verilog)[TOP].group(0)
    module = _plusarg_select(module, mutated.width).replace(f"module {TOP}",
                                                            f"module {_escaped(name)}", 1)
    module = module.replace(f"\\{TOP}.", f"\\{top}.")
    _write_manifest(Path(s.manifest), key, alone, mutated)
    out = text
    for n in closure:                       # the submodules are inside the flattened module
        out = out.replace(definitions[n].group(0), module if n == name else "", 1)
    return out


def _mutants(alone: str, key: str, s: Spec) -> Mutated:
    """The mutants of ``alone``, made once: every run of a mutant builds the harness again
    (and finds the Verilator model in the cache)."""
    from ..sim import _cache_root, _locked

    path = _cache_root() / "mutants" / f"{key}.json"
    with _locked(path.with_suffix(".lock")):
        if not path.exists():
            m = mutate(alone, top=TOP, count=s.count, seed=s.seed)
            path.write_text(json.dumps({"verilog": m.verilog, "width": m.width,
                                        "mutations": [asdict(x) for x in m.mutations]}))
    return _load(json.loads(path.read_text()))


def _load(data: dict) -> Mutated:
    mutations = tuple(Mutation(**{**m, "src": tuple(m["src"])}) for m in data["mutations"])
    return Mutated(data["verilog"], data["width"], mutations)


def _write_manifest(path: Path, key: str, alone: str, mutated: Mutated) -> None:
    if path.exists():
        if json.loads(path.read_text())["key"] != key:
            raise RuntimeError(f"mutate: the tests build more than one design with the "
                               f"mutated module (manifest {path}): choose tests that build "
                               "one")
        return
    path.write_text(json.dumps({"key": key, "design": alone, "verilog": mutated.verilog,
                                "width": mutated.width,
                                "mutations": [asdict(m) for m in mutated.mutations]}))


def load_manifest(path: Path) -> tuple[str, Mutated]:
    """Return the module alone (top :data:`TOP`) and its mutants from a manifest."""
    data = json.loads(path.read_text())
    return data["design"], _load(data)
