"""Run the interconnect's stress bench (:mod:`.stress_harness`) for a long time with Python
out of the per-cycle path: ``run_l1_stress`` builds (or reuses) it, runs it and returns per
initiator the accesses granted, the reads checked against its shadow copy, the errors (with the
first wrong read), the longest wait for a grant, and the words of its region whose final
contents in L1 differ from its shadow (a write that landed elsewhere, or that no later read
of the initiator looked at). ``trace_l1_grants`` runs the same bench for a shorter time with
Python in the loop: every cycle's grants must be the ones the arbitration policy
(:class:`.l1_policy.L1Policy`) gives for that cycle's requests."""

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from hw.sram import SRAM_VERILOG

from .. import sim
from ..cocotb_util import signal, start
from .l1_policy import L1Policy
from .memory import SRAMAccess
from .stress_harness import PUBLIC, L1StressHarness, initiators

__all__ = ["run_l1_stress", "trace_l1_grants"]

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
    if p["poke"] is not None:                     # a stray write behind the bench's back
        rows = p["size"] // (8 * p["banks"])
        word = p["poke"] // 8
        sram = SRAMAccess(signal(dut, f"l1.bank{word % p['banks']}.macro"), dut.clk, 8, rows)
        offset = word // p["banks"] * 8 + p["poke"] % 8
        old = await sram.read(offset, 1)
        await sram.write(offset, bytes([old[0] ^ 0x40]))
    image = await _l1_image(dut, p["size"], p["banks"])
    for i, ((lanes, width), g) in enumerate(zip(p["kinds"], out, strict=True)):
        region = image[i * p["region"]:(i + 1) * p["region"]].view(f"<u{width // 8}")
        shadow = np.zeros_like(region)
        for k in range(lanes):
            bank = signal(dut, f"g{i}.shadow{k}")
            shadow[k::lanes] = [int(bank[row].value) for row in range(len(region) // lanes)]
        differ = np.flatnonzero(region != shadow)
        g["image_errors"] = int(differ.size)
        if differ.size:
            g["image_first"] = i * p["region"] + int(differ[0]) * width // 8
    sim.write_result(out)


@cocotb.test()
async def l1_grants(dut):
    p = sim.params()
    kinds, banks = p["kinds"], p["banks"]
    bits = (banks - 1).bit_length()
    narrow = sum(lanes == 1 and width == 32 for lanes, width in kinds)
    ports = [(getattr(dut, f"g{i}_req"), getattr(dut, f"g{i}_gnt"), getattr(dut, f"g{i}_bank"),
              lanes) for i, (lanes, _) in enumerate(kinds)]
    dut.enable.value = 0
    dut.seed.value = p["seed"]
    dut.idle.value = p["idle"]
    dut.inject.value = 0
    await start(dut)
    model = L1Policy(banks, narrow, len(kinds) - narrow)
    result = {"cycles": p["cycles"], "granted": 0, "mismatch": None}
    dut.enable.value = 1
    for cycle in range(p["cycles"]):
        await RisingEdge(dut.clk)
        await ReadOnly()
        lanes_req, reqs, gnts = [], [], []
        for req, gnt, bank, lanes in ports:
            r, b = int(req.value), int(bank.value)
            lanes_req.append([bool(r >> k & 1) for k in range(lanes)])
            reqs.append({(b >> (bits * k)) & ((1 << bits) - 1) for k in range(lanes)
                         if r >> k & 1})
            gnts.append([bool(int(gnt.value) >> k & 1) for k in range(lanes)])
        n_gnt, w_gnt = model.step([next(iter(r), None) for r in reqs[:narrow]], reqs[narrow:])
        # a wide port's grant goes to each of its requesting lanes
        want = [[g] for g in n_gnt] + [[w and r for r in lanes] for w, lanes
                                       in zip(w_gnt, lanes_req[narrow:], strict=True)]
        if gnts != want:
            result["mismatch"] = {"cycle": cycle, "requests": [sorted(r) for r in reqs],
                                  "granted": gnts, "policy": want}
            break
        result["granted"] += sum(map(sum, gnts))
    result["seen"] = dict(model.seen)
    sim.write_result(result)


async def _l1_image(dut, size: int, banks: int) -> np.ndarray:
    """All of L1 as bytes, read through each bank's SRAM hook (64-bit word w in bank
    w % banks)."""
    rows = size // (8 * banks)
    words = np.zeros((rows, banks), "<u8")
    for b in range(banks):
        sram = SRAMAccess(signal(dut, f"l1.bank{b}.macro"), dut.clk, 8, rows)
        words[:, b] = np.frombuffer(await sram.read(0, rows * 8), "<u8")
    return words.reshape(-1).view(np.uint8)


def run_l1_stress(*, size: int, banks: int, narrow: int, wide: tuple[int, ...], seed: int,
                  cycles: int, idle: int = 0, inject: int = 0, poke: int | None = None
                  ) -> list[dict]:
    """Run the stress bench for ``cycles`` cycles; return one dict per initiator (the cores
    first, then the wide ports): ``done``, ``reads``, ``errors``, ``max_wait`` and the first
    wrong read (``error_addr``, ``error_got``, ``error_expected``), ``image_errors`` (words
    of its region in L1 that differ from its shadow at the end) and ``image_first`` (the
    first such address, when there is one). ``poke``, an offset in L1, flips a bit there
    behind the bench's back before that comparison (to show that it can fail)."""
    kinds, region = initiators(size, banks, narrow, tuple(wide))  # errors before building
    build = _build(size, banks, narrow, wide)
    params = {"seed": seed, "idle": idle, "inject": inject, "cycles": cycles,
              "initiators": len(kinds), "kinds": kinds, "region": region, "size": size,
              "banks": banks, "poke": poke}
    return sim.run_for_result(build, __name__, "l1_stress", params, label="l1_stress")


def trace_l1_grants(*, size: int, banks: int, narrow: int, wide: tuple[int, ...], seed: int,
                    cycles: int, idle: int = 0) -> dict:
    """Run the stress bench for ``cycles`` cycles comparing the L1's grants with
    :class:`.l1_policy.L1Policy` in every cycle; return ``cycles``, ``granted`` (lanes granted
    in all), ``seen`` (:attr:`.l1_policy.L1Policy.seen`) and ``mismatch``: None, or the
    first cycle whose grants differ, with its requests (the banks of each initiator's
    requesting lanes), the grants and the policy's grants."""
    kinds, _ = initiators(size, banks, narrow, tuple(wide))
    build = _build(size, banks, narrow, wide)
    params = {"seed": seed, "idle": idle, "cycles": cycles, "kinds": kinds, "banks": banks}
    return sim.run_for_result(build, __name__, "l1_grants", params, label="l1_grants")


def _build(size: int, banks: int, narrow: int, wide: tuple[int, ...]) -> sim.Build:
    return sim.build(lambda: L1StressHarness(size, banks, narrow, wide),
                     key=f"size={size},banks={banks},narrow={narrow},wide={tuple(wide)}",
                     extra_verilog=SRAM_VERILOG, name="l1_stress", public=PUBLIC)
