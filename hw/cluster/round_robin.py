"""A round-robin arbiter."""

from amaranth import Module, Mux, Signal
from amaranth.lib.wiring import In, Out

from hw.checked import CheckedComponent

__all__ = ["RoundRobin"]


class RoundRobin(CheckedComponent):
    """Grant one of ``n`` requesters; the first one at or after the pointer wins.

    Members
    -------
    requests : In(n)
    grant : Out(n)
        One-hot (zero when nobody requests).
    advance : In(1)
        The grant was used: the pointer moves to the requester after the granted one, so every
        requester is served within ``n`` grants.
    """

    @staticmethod
    def check(n: int) -> None:
        if n < 1:
            raise ValueError(f"RoundRobin of {n} requesters: need at least 1")

    def __init__(self, n: int):
        self.n = n
        super().__init__({"requests": In(n), "grant": Out(n), "advance": In(1)})

    def elaborate(self, platform):
        m = Module()
        n = self.n
        if n == 1:
            m.d.comb += self.grant.eq(self.requests)
            return m
        above = Signal(n, init=(1 << n) - 1)       # requesters at or after the pointer
        req = self.requests
        masked = req & above
        pick = Signal(n)
        m.d.comb += pick.eq(Mux(masked.any(), masked, req))
        m.d.comb += self.grant.eq(pick & (~pick + 1)[:n])      # lowest set bit
        with m.If(self.advance & req.any()):
            # bits strictly above the granted one
            m.d.sync += above.eq(~((self.grant << 1) - 1)[:n])
        return m
