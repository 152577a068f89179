"""The interconnect's stress bench: :class:`~hw.cluster.l1.L1` with a random, self-checking
initiator (:class:`~tb.hdl.traffic.TrafficGenerator`) on every port: the cores, the DMA and the
engine's lanes. Each initiator owns one region of L1 that spans every bank, so the initiators
meet on random banks every cycle."""

from amaranth import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.cluster.l1 import L1

from ..hdl.traffic import TrafficGenerator

__all__ = ["L1StressHarness", "initiators", "PUBLIC"]

#: What the bench reads besides the ports (``tb.public``): the banks' load/dump hooks and the
#: generators' shadow copies, for the comparison of the whole of L1 after the run.
PUBLIC = ("l1.bank*.macro.sim_*", "g*.shadow*")


class L1StressHarness(wiring.Component):
    """L1 with a :class:`TrafficGenerator` on each of its ports: first the ``narrow`` cores
    (32 bit), then one per wide port with its lanes.

    Members
    -------
    seed : In(32), enable : In(1), idle : In(4), inject : In(2)
        Passed to every generator (``seed`` mixed with the generator's number; ``inject`` only
        to generator 0).
    g{i}_done, g{i}_reads, g{i}_errors, g{i}_max_wait, g{i}_error_addr, g{i}_error_got,
    g{i}_error_expected : Out
        Generator ``i``'s results.
    g{i}_req, g{i}_gnt : Out(lanes); g{i}_bank : Out(lanes * log2(banks))
        What initiator ``i``'s lanes request in this cycle, the bank each addresses, and what
        the L1 grants them (for the grant-trace bench).
    """

    def __init__(self, size: int, banks: int, narrow: int, wide: tuple[int, ...]):
        self.size, self.banks, self.narrow, self.wide = size, banks, narrow, tuple(wide)
        self.kinds, self.region = initiators(size, banks, narrow, self.wide)
        self.bank_bits = (banks - 1).bit_length()
        members = {"seed": In(32), "enable": In(1), "idle": In(4), "inject": In(2)}
        for i, (lanes, width) in enumerate(self.kinds):
            members |= {f"g{i}_done": Out(32), f"g{i}_reads": Out(32), f"g{i}_errors": Out(32),
                        f"g{i}_max_wait": Out(16), f"g{i}_error_addr": Out(32),
                        f"g{i}_error_got": Out(width), f"g{i}_error_expected": Out(width),
                        f"g{i}_req": Out(lanes), f"g{i}_gnt": Out(lanes),
                        f"g{i}_bank": Out(lanes * self.bank_bits)}
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.l1 = l1 = L1(self.size, self.banks, self.narrow, self.wide)
        ports = list(l1.narrow) + [l1.wide(k) for k in range(len(self.wide))]
        for i, ((lanes, width), port) in enumerate(zip(self.kinds, ports, strict=True)):
            g = TrafficGenerator(i, lanes, width, i * self.region, self.region)
            m.submodules[f"g{i}"] = g
            if width == 32:
                wiring.connect(m, g.port[0], port)
            else:
                for lane, target in zip(g.port, port, strict=True):
                    wiring.connect(m, lane, target)
            m.d.comb += [g.seed.eq(self.seed ^ (0x9E37_79B9 * (i + 1) & 0xFFFF_FFFF) | 1),
                         g.enable.eq(self.enable), g.idle.eq(self.idle)]
            if i == 0:
                m.d.comb += g.inject.eq(self.inject)
            for name in ("done", "reads", "errors", "max_wait", "error_addr", "error_got",
                         "error_expected"):
                m.d.comb += getattr(self, f"g{i}_{name}").eq(getattr(g, name))
            at_l1 = [port] if width == 32 else list(port)
            m.d.comb += [getattr(self, f"g{i}_req").eq(Cat(ln.req for ln in at_l1)),
                         getattr(self, f"g{i}_gnt").eq(Cat(ln.gnt for ln in at_l1)),
                         getattr(self, f"g{i}_bank").eq(
                             Cat(ln.addr[3:3 + self.bank_bits] for ln in at_l1))]
        return m


def initiators(size: int, banks: int, narrow: int, wide: tuple[int, ...]
                ) -> tuple[list[tuple[int, int]], int]:
    """(lanes, width) of each initiator, and the bytes of each one's region."""
    kinds = [(1, 32)] * narrow + [(lanes, 64) for lanes in wide]
    region = size // (1 << (len(kinds) - 1).bit_length())
    if region < 8 * banks:
        raise ValueError(f"L1 of {size} bytes is too small for {len(kinds)} initiators with a "
                         f"region spanning all {banks} banks each")
    return kinds, region
