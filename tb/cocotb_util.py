"""Helpers for cocotb tests (they run inside the simulator): clock, reset, bounded waits, and
the internal signals a bench declared public.

Tests let the hardware run on its own and wait for a signal with a cycle limit, instead of
awaiting every clock edge in Python. The clock runs in the simulator (cocotb's GPI clock), so
Python wakes only when a test awaits something.
"""

from collections.abc import Callable

import cocotb
from cocotb.clock import Clock
from cocotb.handle import SimHandleBase
from cocotb.triggers import ClockCycles, First, RisingEdge, Timer

__all__ = ["CLOCK_NS", "start", "wait_high", "signal", "CycleLimitExceeded"]

CLOCK_NS = 10


class CycleLimitExceeded(AssertionError):
    """A simulation ran past its cycle limit; the message holds the design's state."""


async def start(dut, *, reset_cycles: int = 2) -> None:
    """Start the clock ``dut.clk`` and hold ``dut.rst`` high for a few cycles; return when
    the design is out of reset (one cycle later, for harnesses that register ``rst``)."""
    Clock(dut.clk, CLOCK_NS, unit="ns", impl="gpi").start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, reset_cycles)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 1)


async def wait_high(dut, signal, *, max_cycles: int, state: Callable[[], str] = lambda: "",
                    tick: Callable[[int], None] | None = None, every: int = 1_000_000) -> int:
    """Wait until ``signal`` is 1 at a rising clock edge; return the cycles waited. With
    ``tick``, call it with the cycles waited every ``every`` cycles (progress).

    Raises :class:`CycleLimitExceeded` with ``state()`` after ``max_cycles`` cycles.
    """
    start_ns = cocotb.utils.get_sim_time("ns")
    await RisingEdge(dut.clk)
    waited = 0
    while not int(signal.value):
        if waited >= max_cycles:
            raise CycleLimitExceeded(f"{signal._name} stayed low for {max_cycles} cycles; "
                                     f"state: {state()}")
        chunk = min(max_cycles - waited, every if tick else max_cycles)
        limit = Timer(chunk * CLOCK_NS, unit="ns")
        fired = await First(RisingEdge(signal), limit)
        if fired is not limit:
            await RisingEdge(dut.clk)
            break
        waited += chunk
        if tick:
            tick(waited)
    return round((cocotb.utils.get_sim_time("ns") - start_ns) / CLOCK_NS)


def signal(dut, path: str) -> SimHandleBase:
    """Return the handle of the internal signal (or instance) at the dotted ``path`` below
    ``dut``. A path the build did not make public fails with the path and where to list it.
    """
    handle = dut
    for name in path.split("."):
        try:
            handle = getattr(handle, name)
        except AttributeError:
            raise AttributeError(
                f"{dut._name}.{path} is not visible in this simulation: builds make public only "
                "the signals their harness lists (the public= argument of tb.sim.build; see "
                "tb/public.py)") from None
    return handle
