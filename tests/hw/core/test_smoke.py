import cocotb

from sw.rv32 import assemble
from tb import sim
from tb.core.bench import CoreBench
from tb.core.harness import core_build

SRC = """
_start:
    li a0, 10
    li a1, 0
loop:
    add a1, a1, a0
    addi a0, a0, -1
    bnez a0, loop
    la t0, buf
    sw a1, 0(t0)
    lw a2, 0(t0)
    li t1, 7
    mul a3, a2, t1
    div a4, a3, t1
    li t0, 0x10200c08
    li t1, 72
    sw t1, 0(t0)
    li t0, 0x10200c04
    slli t1, a4, 1
    ori t1, t1, 1
    sw t1, 0(t0)
hang: j hang
.data
buf: .word 0
"""


@cocotb.test()
async def smoke(dut):
    bench = CoreBench(dut)
    await bench.reset()
    img = assemble(SRC)
    await bench.load(img.segments)
    r = await bench.run(max_cycles=2000, stall=sim.params().get("stall", 0))
    regs = bench.registers()
    dut._log.info(f"{r} a1={regs[11]} a3={regs[13]} a4={regs[14]}")
    assert r.exit_code == 55 and r.output == "H"


def test_smoke():
    sim.run(core_build(1 << 20), __name__, tests="smoke")


def test_smoke_stalls():
    sim.run(core_build(1 << 20), __name__, tests="smoke", params={"stall": 0.4})
