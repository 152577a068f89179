"""The L1 interconnect's arbitration as a cycle-by-cycle Python model, written from the policy
:class:`hw.cluster.l1.L1` documents: which requests it grants in each cycle, given the
requests and what it granted before. The grant-trace bench (:mod:`.l1_stress`) compares the
hardware's grants with it in every cycle."""

from collections import Counter
from dataclasses import dataclass, field

from hw.cluster.l1 import MAX_STALL

__all__ = ["L1Policy"]


@dataclass
class L1Policy:
    """The arbitration state of an L1 with ``banks`` banks, ``narrow`` cores and ``wide``
    ports: each initiator's cycles of waiting (up to ``MAX_STALL``, when it is *starving*),
    each bank's round-robin pointer over the cores, and the wide port whose turn it is.
    ``seen`` counts how often the rules that need contention decided something, so that a
    trace can show it exercised them."""

    banks: int
    narrow: int
    wide: int
    narrow_stalls: list[int] = field(init=False)
    wide_stalls: list[int] = field(init=False)
    above: list[int] = field(init=False)       # per bank: the cores at or after its pointer
    first: int = 0
    seen: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.narrow_stalls = [0] * self.narrow
        self.wide_stalls = [0] * self.wide
        self.above = [(1 << self.narrow) - 1] * self.banks

    def step(self, narrow: list[int | None], wide: list[set[int]]
             ) -> tuple[list[bool], list[bool]]:
        """Grant one cycle's requests: the bank each core wants (``None``: no request) and the
        banks each wide port's requesting lanes want (empty: none). Return the grants of the
        cores and of the wide ports, and move to the next cycle."""
        n_starving = [c == MAX_STALL for c in self.narrow_stalls]
        w_starving = [c == MAX_STALL for c in self.wide_stalls]
        closed = {b for b, s in zip(narrow, n_starving, strict=True) if s and b is not None}
        # wide ports in rotating order from the one whose turn it is, or from the lowest
        # starving one when that one is not starving
        choice = self.first
        if self.wide and not w_starving[self.first]:
            choice = next((k for k in range(self.wide) if w_starving[k]), self.first)
            self.seen["a starving wide port jumps the turn"] += choice != self.first
        wide_gnt, taken = [False] * self.wide, set()
        for j in range(self.wide):
            k = (choice + j) % self.wide
            banks = wide[k]
            wide_gnt[k] = bool(banks) and not banks & taken and (
                w_starving[k] or not banks & closed)
            if wide_gnt[k]:
                taken |= banks
            elif banks and not banks & taken and banks & closed:
                self.seen["a starving core's bank stops a wide port"] += 1
        if self.wide and wide_gnt[choice]:
            self.first = (choice + 1) % self.wide
        # each bank the wide ports left: the first core at or after its pointer
        narrow_gnt = [False] * self.narrow
        for b in range(self.banks):
            wants = 0 if b in taken else sum(1 << i for i, w in enumerate(narrow) if w == b)
            if wants:
                self.seen["cores meet on a bank"] += wants & (wants - 1) != 0
                pick = wants & self.above[b] or wants
                grant = pick & -pick
                narrow_gnt[grant.bit_length() - 1] = True
                self.above[b] = ~((grant << 1) - 1) & ((1 << self.narrow) - 1)
        self.narrow_stalls = [min(c + 1, MAX_STALL) if w is not None and not g else 0
                              for c, w, g in zip(self.narrow_stalls, narrow, narrow_gnt,
                                                 strict=True)]
        self.wide_stalls = [min(c + 1, MAX_STALL) if w and not g else 0
                            for c, w, g in zip(self.wide_stalls, wide, wide_gnt, strict=True)]
        return narrow_gnt, wide_gnt
