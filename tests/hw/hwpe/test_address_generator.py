"""The 3D address generator against nested Python loops (Amaranth simulator)."""

import itertools
import random

from hw.hwpe.address_generator import AddressGenerator
from tb.pysim import run_pysim

COMMANDS = [
    dict(base=0x1000, len0=3, stride0=8, len1=2, stride1=100, len2=2, stride2=-40, last=0),
    dict(base=0x40, len0=1, stride0=0, len1=1, stride1=0, len2=1, stride2=0, last=1),
    dict(base=0x2000, len0=4, stride0=-64, len1=1, stride1=5, len2=3, stride2=0, last=0),
    dict(base=0, len0=2, stride0=64, len1=3, stride1=16, len2=1, stride2=7, last=1),
]


def expected():
    out = []
    for c in COMMANDS:
        beats = list(itertools.product(range(c["len2"]), range(c["len1"]), range(c["len0"])))
        for k, (i2, i1, i0) in enumerate(beats):
            addr = c["base"] + i0 * c["stride0"] + i1 * c["stride1"] + i2 * c["stride2"]
            out.append((addr % 2 ** 32, k == len(beats) - 1, c["last"]))
    return out


def test_addresses_with_backpressure():
    dut = AddressGenerator()
    got = []
    rng = random.Random(1)

    async def bench(ctx):
        queue = list(COMMANDS)
        for _ in range(200):
            if queue:
                ctx.set(dut.cmd.valid, 1)
                ctx.set(dut.cmd.payload, queue[0])
            else:
                ctx.set(dut.cmd.valid, 0)
            ready = rng.random() < 0.6
            ctx.set(dut.addr.ready, ready)
            _, _, cmd_ready, valid, payload = await ctx.tick().sample(
                dut.cmd.ready, dut.addr.valid, dut.addr.payload)
            if queue and cmd_ready:
                queue.pop(0)
            if valid and ready:
                got.append((payload.addr, bool(payload.end), payload.last))

    run_pysim(dut, bench)
    assert got == expected()
