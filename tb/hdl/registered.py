"""Harness tops whose inputs feed no logic combinationally: fast on Verilator.

Verilator re-evaluates everything that depends combinationally on a top-level input on every
``eval()`` (twice a clock cycle: it cannot know that the bench leaves the input alone). In
Amaranth every register's next state depends on the domain's reset, and in the cluster on the
harness's ``run``: the idle cluster simulated at 63,600 cycles per second so, and at 105,000
once these inputs went through a register first (docs/simulation.md). A
harness top declares ``clk`` and ``rst`` as ports, calls :func:`registered_sync` and uses
:func:`registered` copies of the inputs the bench drives; everything then sees the bench's
writes one cycle later, which benches do not notice (they wait for results, not for the
cycle of a write).
"""

from amaranth import ClockDomain, Module, Signal

__all__ = ["registered_sync", "registered"]


def registered_sync(m: Module, clk: Signal, rst: Signal) -> None:
    """Define the ``sync`` domain on ``clk``, reset by ``rst`` one cycle later."""
    m.domains.sync = sync = ClockDomain("sync")
    rst_q = Signal(name="rst_q", reset_less=True)
    m.d.sync += rst_q.eq(rst)
    m.d.comb += [sync.clk.eq(clk), sync.rst.eq(rst_q)]


def registered(m: Module, signal: Signal) -> Signal:
    """Return ``signal`` one cycle later (a register that ``rst`` does not clear)."""
    q = Signal.like(signal, name=f"{signal.name}_q", reset_less=True)
    m.d.sync += q.eq(signal)
    return q
