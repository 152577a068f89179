"""Run a small component in Amaranth's own simulator (for fast unit tests of small blocks)."""

from collections.abc import Callable, Coroutine

from amaranth.sim import Simulator

__all__ = ["run_pysim"]


def run_pysim(dut, testbench: Callable[..., Coroutine], *, vcd: str | None = None) -> None:
    """Simulate ``dut`` with a 1 MHz clock on ``sync`` and one async testbench."""
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()
