"""Random RV32IM + Zicsr programs for differential testing against unicorn.

A program sets a trap vector and every register to a random or edge value (0, 1, -1, -2**31,
2**31 - 1, ...), then runs thousands of instructions drawn from nested blocks:

- ALU, multiply and divide operations on random registers, with edge operands set right before
  (division by zero, -2**31 / -1, shifts by 0 and 31); any of x0..x29 is a destination;
- loads and stores of every width over a 4 KiB data region, through base registers set anywhere
  in it (the base is kept while its block runs);
- forward branches of every kind over blocks of 0 to ~150 instructions (taken or not, their
  operands sometimes equal or x0), loops closed by a backward ``bne``/``blt``/``bge``/
  ``bltu``/``bgeu``/``beq`` (taken, then not taken once), nested loops;
- ``jal`` and ``jalr`` forward and backward (through a trampoline), with link registers x0..x29
  and ``jalr`` offsets from -2048 to 2047;
- CSR reads and writes (``csrrw``/``csrrs``/``csrrc`` and their immediate forms) on CSRs
  unicorn models the same way: mscratch, mcause, mtval, mepc (aligned values), mtvec (the
  handler), mhartid, mvendorid, marchid, mimpid (reads); reads of cycle, mcycle, instret and
  minstret (a cycle count is then reduced to ``count != 0``: the reference does not know
  it);
- traps: ecall, ebreak, illegal words and CSR accesses (an unknown CSR, a write to a
  read-only one),
  misaligned loads, stores and jump or branch targets; the handler appends mcause, mepc and
  mtval to a 1 KiB ring (``tlog``) and returns past the instruction;
- ``fence``, ``fence.i`` and ``wfi`` (the bench sends random events).

The program ends at the label ``end`` and then writes the exit register. x30 (the trap log's
pointer) and x31 (the handler's scratch, then the exit sequence) are written only by the set-up,
the handler and the exit sequence. The data region compared after the run is ``data`` to
``data_end`` (the data and the trap log).
"""

import random

from hw.config import CLUSTER_CTRL, CtrlReg
from hw.core.csrs import CSR_ADDRESSES
from sw.kernels.asm import exit_word

__all__ = ["random_program", "DATA_BYTES", "TRAP_LOG_BYTES", "RESERVED"]

DATA_BYTES = 4096
TRAP_LOG_BYTES = 1024
RESERVED = (30, 31)
EDGES = [0, 1, -1, -(2 ** 31), 2 ** 31 - 1, 2, -2, 31, 32, 0x7FFF, 0x8000, 0xFFFF, 0x80,
         -(2 ** 31) + 1]
_R = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"]
_I = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
_SH = ["slli", "srli", "srai"]
_M = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
_LOADS = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4}
_STORES = {"sb": 1, "sh": 2, "sw": 4}
_BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
_CSR_OPS = ["csrrw", "csrrs", "csrrc"]
#: CSRs the core does not have and unicorn does not either (an access is illegal in both).
_UNKNOWN_CSRS = [c for c in (0x7C0, 0x5C0, 0xBC0) if c not in CSR_ADDRESSES.values()]


class _Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.lines: list[str] = []
        self.pinned: set[int] = set(RESERVED)
        self.bases: list[tuple[int, int]] = []      # (register, offset of its value in data)
        self.mult = 1                               # executions of what is emitted now
        self.executed = 0                           # an estimate of the instructions executed
        self.label = 0
        self.recent: list[int] = []                 # the last destinations (hazards)
        self.last_store: tuple[int, int, int] | None = None  # base, its offset, address
        self.scratch = "mscratch" in CSR_ADDRESSES
        self.readonly = [c for c in ("mhartid", "mvendorid", "marchid", "mimpid", "cycle",
                                     "instret") if c in CSR_ADDRESSES]
        self.counters = [c for c in ("cycle", "mcycle", "instret", "minstret")
                         if c in CSR_ADDRESSES]

    # -- helpers
    def emit(self, *lines: str, count: int | None = None) -> None:
        self.lines += [f"    {line}" for line in lines]
        self.executed += self.mult * (len(lines) if count is None else count)

    def new_label(self) -> str:
        self.label += 1
        return f"L{self.label}"

    def place(self, label: str) -> None:
        self.lines.append(f"{label}:")

    def dest(self) -> int:
        """A destination register: x0 sometimes, else any that is not pinned."""
        if self.rng.random() < 0.05:
            return 0
        r = self.rng.choice([r for r in range(1, 30) if r not in self.pinned])
        self.recent = [r, *self.recent[:2]]
        return r

    def src(self) -> int:
        """A source register: often one of the last destinations (forwarding, load-use)."""
        if self.recent and self.rng.random() < 0.35:
            return self.rng.choice(self.recent)
        return self.rng.randrange(32)

    def pin_one(self) -> int:
        r = self.rng.choice([r for r in range(1, 30) if r not in self.pinned])
        self.pinned.add(r)
        return r

    def value(self) -> int:
        if self.rng.random() < 0.5:
            return self.rng.choice(EDGES)
        return self.rng.randrange(-2 ** 31, 2 ** 31)

    # -- items
    def alu(self) -> None:
        rng, kind = self.rng, self.rng.random()
        rd, a, b = self.dest(), self.src(), self.src()
        if kind < 0.4:
            self.emit(f"{rng.choice(_R)} x{rd}, x{a}, x{b}")
        elif kind < 0.65:
            imm = rng.choice([0, 1, -1, 2047, -2048]) if rng.random() < 0.3 else \
                rng.randrange(-2048, 2048)
            self.emit(f"{rng.choice(_I)} x{rd}, x{a}, {imm}")
        elif kind < 0.8:
            sh = rng.choice([0, 1, 31]) if rng.random() < 0.4 else rng.randrange(32)
            self.emit(f"{rng.choice(_SH)} x{rd}, x{a}, {sh}")
        elif kind < 0.9:
            self.emit(f"lui x{rd}, {rng.randrange(1 << 20)}")
        else:
            self.emit(f"auipc x{rd}, {rng.randrange(1 << 20)}")

    def muldiv(self) -> None:
        rng = self.rng
        op = rng.choice(_M)
        kind = rng.random()
        if kind < 0.15:                                      # x / 0
            a = self.pin_one()
            self.emit(f"li x{a}, {self.value()}")
            self.pinned.discard(a)
            self.emit(f"{op} x{self.dest()}, x{a}, x0")
        elif kind < 0.3:                                     # -2**31 / -1 and friends
            a = self.pin_one()
            b = self.pin_one()
            self.emit(f"li x{a}, {rng.choice([-(2 ** 31), 2 ** 31 - 1, -1, 0])}",
                      f"li x{b}, {rng.choice([-1, 1, 0, -(2 ** 31)])}", count=3)
            self.pinned -= {a, b}
            self.emit(f"{op} x{self.dest()}, x{a}, x{b}")
        elif kind < 0.45:                                    # one edge operand
            a = self.pin_one()
            self.emit(f"li x{a}, {rng.choice(EDGES)}", count=2)
            self.pinned.discard(a)
            b = self.src()
            self.emit(f"{op} x{self.dest()}, x{a}, x{b}" if rng.random() < 0.5
                      else f"{op} x{self.dest()}, x{b}, x{a}")
        else:
            self.emit(f"{op} x{self.dest()}, x{self.src()}, x{self.src()}")

    def access(self) -> None:
        """A load or a store through one of the bases in use."""
        rng = self.rng
        base, off = rng.choice(self.bases)
        store = rng.random() < 0.45
        op = rng.choice(list(_STORES if store else _LOADS))
        size = (_STORES if store else _LOADS)[op]
        lo, hi = max(0, off - 2048), min(DATA_BYTES - size, off + 2047)
        addr = rng.randrange(lo, hi + 1)
        if self.last_store and self.last_store[:2] == (base, off) and rng.random() < 0.3:
            addr = self.last_store[2]                 # read back (part of) the last store
        addr -= addr % size
        if addr < lo:
            addr += size
        if store:
            self.last_store = (base, off, addr)
            self.emit(f"{op} x{self.src()}, {addr - off}(x{base})")
        else:
            self.emit(f"{op} x{self.dest()}, {addr - off}(x{base})")

    def memory_block(self, budget: int, depth: int) -> None:
        base = self.pin_one()
        off = self.rng.randrange(DATA_BYTES)
        self.emit(f"la x{base}, data + {off}")
        self.bases.append((base, off))
        for _ in range(self.rng.randrange(2, 10)):
            self.access()
        if budget > 4:
            self.block(budget - 4, depth + 1)
        for _ in range(self.rng.randrange(0, 4)):
            self.access()
        self.bases.pop()
        self.pinned.discard(base)

    def branch_operands(self) -> tuple[int, int]:
        a, kind = self.src(), self.rng.random()
        return a, (a if kind < 0.2 else 0 if kind < 0.35 else self.src())

    def forward_branch(self, budget: int, depth: int) -> None:
        label = self.new_label()
        a, b = self.branch_operands()
        self.emit(f"{self.rng.choice(_BRANCHES)} x{a}, x{b}, {label}")
        size = self.rng.choice([0, 1, 2, 4, 8, 20, 60, 150])
        self.block(min(size, budget), depth + 1)
        self.place(label)

    def loop(self, budget: int, depth: int) -> None:
        rng = self.rng
        n = rng.randrange(1, 9 if depth == 0 else 4)
        c = self.pin_one()
        kind = rng.randrange(7)
        lim = self.pin_one() if kind in (3, 4, 5) else None
        if kind in (0, 1, 6):
            self.emit(f"li x{c}, {n}")
        elif kind == 2:
            self.emit(f"li x{c}, {n - 1}")
        elif kind in (3, 4):
            self.emit(f"li x{c}, 0", f"li x{lim}, {n}")
        else:
            self.emit(f"li x{c}, {n}", f"li x{lim}, 1")
        top = self.new_label()
        self.place(top)
        outer = self.mult
        self.mult *= n
        self.block(max(1, budget // n), depth + 1)
        close = {0: [f"addi x{c}, x{c}, -1", f"bne x{c}, x0, {top}"],
                 1: [f"addi x{c}, x{c}, -1", f"blt x0, x{c}, {top}"],
                 2: [f"addi x{c}, x{c}, -1", f"bge x{c}, x0, {top}"],
                 3: [f"addi x{c}, x{c}, 1", f"blt x{c}, x{lim}, {top}"],
                 4: [f"addi x{c}, x{c}, 1", f"bltu x{c}, x{lim}, {top}"],
                 5: [f"addi x{c}, x{c}, -1", f"bgeu x{c}, x{lim}, {top}"]}.get(kind)
        if close is None:                   # beq backward: loop while (c - 1 == 0) == 0
            t = self.dest() or 1
            while t == c or t in self.pinned:
                t = rng.randrange(1, 30)
            close = [f"addi x{c}, x{c}, -1", f"sltiu x{t}, x{c}, 1", f"beq x{t}, x0, {top}"]
        self.emit(*close)
        self.mult = outer
        self.pinned -= {c, lim}

    def jump_to(self, label: str, rd: int, *, backward_ok: bool = True) -> None:
        """``jal`` or ``jalr`` (through a base set right before, any offset) to ``label``."""
        rng = self.rng
        if rng.random() < 0.5:
            self.emit(f"jal x{rd}, {label}")
        else:
            q = rng.choice([r for r in range(1, 30) if r not in self.pinned])
            off = rng.choice([0, 4, -4, 2047, -2048]) if rng.random() < 0.3 else \
                rng.randrange(-2048, 2048)
            # a target + 1 is aligned by jalr (bit 0 is cleared)
            odd = 1 if rng.random() < 0.2 else 0
            self.emit(f"la x{q}, {label} + {odd - off}", f"jalr x{rd}, {off}(x{q})")

    def jumps(self, budget: int, depth: int) -> None:
        rng = self.rng
        if rng.random() < 0.5:                   # forward
            label = self.new_label()
            self.jump_to(label, self.dest())
            self.block(min(budget, rng.choice([0, 1, 3, 10, 40])), depth + 1)
            self.place(label)
            return
        # backward, through a trampoline: A: jump B; L1: ...; jump L3; B: ...; jump L1; L3:
        l1, l2, l3 = self.new_label(), self.new_label(), self.new_label()
        self.jump_to(l2, self.dest())
        self.place(l1)
        self.block(min(budget // 2, rng.choice([0, 1, 4, 20])), depth + 1)
        self.jump_to(l3, self.dest())
        self.place(l2)
        self.block(min(budget // 2, rng.choice([0, 1, 4, 20])), depth + 1)
        self.jump_to(l1, self.dest())
        self.place(l3)

    def csr(self) -> None:
        rng = self.rng
        rd = self.dest()
        names = ["mcause", "mtval", "mepc", "mtvec", "mhartid", "ro", "counter"] + \
            (["mscratch"] * 2 if self.scratch else [])
        name = rng.choice(names)
        imm = rng.random() < 0.35
        op = rng.choice(_CSR_OPS) + ("i" if imm else "")
        if name == "counter" and self.counters:        # reads only
            counter = rng.choice(self.counters)
            self.emit(f"csrrs x{rd}, {counter}, x0")
            if "cycle" in counter and rd:
                self.emit(f"sltu x{rd}, x0, x{rd}")
        elif name in ("mhartid", "ro", "counter"):     # reads only
            name = "mhartid" if name != "ro" else rng.choice(self.readonly[:4])
            self.emit(f"csrrs x{rd}, {name}, x0" if not imm else f"{op} x{rd}, {name}, 0")
        elif name == "mtvec":                          # keeps the handler
            if imm:
                self.emit(f"csrrci x{rd}, mtvec, {rng.randrange(4)}")
            elif rng.random() < 0.5:
                self.emit(f"csrrs x{rd}, mtvec, x0")
            else:
                q = rng.choice([r for r in range(1, 30) if r not in self.pinned])
                self.emit(f"la x{q}, handler", f"csrrw x{rd}, mtvec, x{q}")
        elif name == "mepc":                           # aligned values (bits 1:0 differ)
            if imm:
                u = rng.randrange(32)
                self.emit(f"{op} x{rd}, mepc, {u if op == 'csrrci' else u & ~3}")
            else:
                q = self.pin_one()
                self.emit(f"li x{q}, {self.value() & ~3}", count=2)
                self.pinned.discard(q)
                self.emit(f"{op} x{rd}, mepc, x{q}")
        else:
            src = str(rng.randrange(32)) if imm else f"x{self.src()}"
            self.emit(f"{op} x{rd}, {name}, {src}")

    def trap(self) -> None:
        rng = self.rng
        kind = rng.randrange(9)
        self.executed += 16 * self.mult               # the handler
        if kind == 0:
            self.emit("ecall")
        elif kind == 1:
            self.emit("ebreak")
        elif kind == 2:
            word = rng.choice([0, 0xFFFF_FFFF, 0x0B | (rng.randrange(1 << 25) << 7),
                               0x7F | (rng.randrange(1 << 25) << 7)])
            self.emit(f".word {word}")
        elif kind == 3:
            csr = rng.choice(_UNKNOWN_CSRS)
            self.emit(f"{rng.choice(_CSR_OPS)} x{self.dest()}, {csr}, x{self.src()}")
        elif kind == 4:                                # a write to a read-only CSR
            name = rng.choice(self.readonly)
            if rng.random() < 0.5:
                self.emit(f"csrrw x{self.dest()}, {name}, x{self.src()}")
            else:
                self.emit(f"csrrsi x{self.dest()}, {name}, {rng.randrange(1, 32)}")
        elif kind in (5, 6):                           # a misaligned load or store
            q = self.pin_one()
            op = rng.choice(["lh", "lhu", "lw", "sh", "sw"])
            size = 4 if op[1] == "w" else 2
            addr = rng.randrange(0, DATA_BYTES - 4)
            while addr % size == 0:
                addr += 1
            off = rng.randrange(-64, 64)
            self.emit(f"la x{q}, data + {addr - off}")
            self.pinned.discard(q)
            reg = self.src() if op[0] == "s" else self.dest()
            self.emit(f"{op} x{reg}, {off}(x{q})")
        else:                                          # a misaligned jump or branch target
            label = self.new_label()
            form = rng.randrange(3)
            if form == 0:
                self.emit(f"jal x{self.dest()}, {label} + 2")
            elif form == 1:
                q = rng.choice([r for r in range(1, 30) if r not in self.pinned])
                off = rng.randrange(-2048, 2048)
                self.emit(f"la x{q}, {label} + {rng.choice([2, 3]) - off}",
                          f"jalr x{self.dest()}, {off}(x{q})")
            else:
                a, b = self.branch_operands()
                self.emit(f"{rng.choice(_BRANCHES)} x{a}, x{b}, {label} + 2")
            self.place(label)

    def misc(self) -> None:
        self.emit(self.rng.choice(["fence", "fence", "fence.i", "wfi", "wfi"]))

    def block(self, budget: int, depth: int) -> None:
        """About ``budget`` instructions (statically) of random items."""
        start = len(self.lines)
        while len(self.lines) - start < budget:
            k = self.rng.random()
            room = budget - (len(self.lines) - start)
            if k < 0.3:
                self.alu()
            elif k < 0.42:
                self.muldiv()
            elif k < 0.55:
                if self.bases and self.rng.random() < 0.7:
                    self.access()
                elif depth < 4:
                    self.memory_block(min(room, 20), depth)
                else:
                    self.alu()
            elif k < 0.65 and depth < 4:
                self.forward_branch(room, depth)
            elif k < 0.72 and depth < 3 and room >= 4:
                self.loop(min(room, 40), depth)
            elif k < 0.79 and depth < 4:
                self.jumps(room, depth)
            elif k < 0.86:
                self.csr()
            elif k < 0.94:
                self.trap()
            elif k < 0.97:
                self.misc()
            else:
                self.alu()


def random_program(seed: int, length: int = 6000) -> str:
    """Return the assembly text of program ``seed``: about ``length`` executed instructions."""
    rng = random.Random(seed)
    g = _Gen(rng)
    g.lines.append("_start:")
    g.emit("la x30, tlog", "la x31, handler", "csrw mtvec, x31")
    for r in range(1, 30):
        g.emit(f"li x{r}, {g.value()}", count=2)
    while g.executed < length:
        g.block(rng.choice([20, 50, 100]), 0)
    g.lines.append("end:")
    g.emit(f"li x31, {CLUSTER_CTRL + CtrlReg.EXIT}", f"li x30, {exit_word(0)}",
           "sw x30, 0(x31)")
    g.lines += ["hang:", "    j hang",
                "handler:",                # log mcause, mepc, mtval; return past the insn
                "    csrr x31, mcause", "    sw x31, 0(x30)",
                "    csrr x31, mepc", "    sw x31, 4(x30)",
                "    csrr x31, mtval", "    sw x31, 8(x30)",
                "    csrr x31, mepc", "    addi x31, x31, 4", "    csrw mepc, x31",
                "    addi x30, x30, 16", f"    andi x31, x30, {TRAP_LOG_BYTES - 1}",
                "    bne x31, x0, handler_ret", f"    addi x30, x30, -{TRAP_LOG_BYTES}",
                "handler_ret:", "    mret",
                ".data", "data:"]
    g.lines += [f"    .word {rng.randrange(1 << 32)}" for _ in range(DATA_BYTES // 4)]
    g.lines += [f"    .balign {TRAP_LOG_BYTES}", "tlog:", f"    .space {TRAP_LOG_BYTES}",
                "data_end:"]
    return "\n".join(g.lines) + "\n"
