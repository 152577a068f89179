"""Run the interconnect's stress bench (:mod:`.stress_harness`) for a long time with Python
out of the per-cycle path: ``run_l1_stress`` builds (or reuses) it, runs it and returns per
initiator the accesses granted, the reads checked against its shadow copy, the errors (with the
first wrong read) and the longest wait for a grant."""


import cocotb
from cocotb.triggers import ClockCycles

from hw.sram import SRAM_VERILOG

from .. import sim
from ..cocotb_util import start
from .stress_harness import L1StressHarness, initiators

__all__ = ["run_l1_stress"]

#: Cycles allowed for the requests in flight to finish after ``enable`` falls.
DRAIN_CYCLES = 200


@cocotb.test()
async def l1_stress(dut):
    p = sim.params()
    dut.enable.value = 0
    dut.seed.value = p["seed"]
    dut.idle.value = p["idle"]
    dut.inject.value = p["inject"]
    await start(dut)
    await ClockCycles(dut.clk, 2)
    dut.enable.value = 1
    await ClockCycles(dut.clk, p["cycles"])
    dut.enable.value = 0
    await ClockCycles(dut.clk, DRAIN_CYCLES)
    out = []
    for i in range(p["initiators"]):
        out.append({name: int(getattr(dut, f"g{i}_{name}").value)
                    for name in ("done", "reads", "errors", "max_wait", "error_addr",
                                 "error_got", "error_expected")})
    sim.write_result(out)


def run_l1_stress(*, size: int, banks: int, narrow: int, wide: tuple[int, ...], seed: int,
                  cycles: int, idle: int = 0, inject: int = 0) -> list[dict]:
    """Run the stress bench for ``cycles`` cycles; return one dict per initiator (the cores
    first, then the wide ports): ``done``, ``reads``, ``errors``, ``max_wait`` and the first
    wrong read (``error_addr``, ``error_got``, ``error_expected``)."""
    kinds, _ = initiators(size, banks, narrow, tuple(wide))      # errors before building
    build = sim.build(lambda: L1StressHarness(size, banks, narrow, wide),
                      key=f"size={size},banks={banks},narrow={narrow},wide={tuple(wide)}",
                      extra_verilog=SRAM_VERILOG, name="l1_stress")
    params = {"seed": seed, "idle": idle, "inject": inject, "cycles": cycles,
              "initiators": len(kinds)}
    return sim.run_for_result(build, __name__, "l1_stress", params, label="l1_stress")
