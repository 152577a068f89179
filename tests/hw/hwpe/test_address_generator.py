"""The 3D address generator against nested Python loops (Amaranth simulator)."""

import itertools
import random

import pytest

from hw.hwpe.address_generator import LEN_BITS, AddressGenerator
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


def new_generator() -> AddressGenerator:
    """The unit under test, built on one line: ``tinyita mutate`` runs a block's tests on one
    design, and the Verilog's source attributes name the line that built the component."""
    return AddressGenerator()


def test_addresses_with_backpressure():
    dut = new_generator()
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


def beats_of(c: dict) -> list[tuple[int, bool, int]]:
    """The Python model: the ``(addr, end, last)`` of every beat of command ``c``."""
    out = []
    n = c["len0"] * c["len1"] * c["len2"]
    for k, (i2, i1, i0) in enumerate(itertools.product(
            range(c["len2"]), range(c["len1"]), range(c["len0"]))):
        addr = c["base"] + i0 * c["stride0"] + i1 * c["stride1"] + i2 * c["stride2"]
        out.append((addr % 2 ** 32, k == n - 1, c["last"]))
    return out


def random_stride(rng: random.Random) -> int:
    return rng.choice([rng.randrange(-2 ** 31, 2 ** 31), rng.randrange(-2 ** 31, 2 ** 31),
                       rng.randrange(-300, 300), 0, 1, -1, -2 ** 31, 2 ** 31 - 1])


def random_command(rng: random.Random) -> dict:
    """Base and strides over their whole range (signed strides, sums that wrap); lengths of up
    to 8 in each dimension, or one dimension up to 200: a few dozen beats."""
    lens = [rng.randint(1, rng.choice([1, 2, 3, 8])) for _ in range(3)]
    if rng.random() < 0.2:
        lens = [1, 1, 1]
        lens[rng.randrange(3)] = rng.randint(9, 200)
    return dict(base=rng.choice([rng.getrandbits(32), 0, 2 ** 32 - 1, 2 ** 31]),
                len0=lens[0], stride0=random_stride(rng), len1=lens[1],
                stride1=random_stride(rng), len2=lens[2], stride2=random_stride(rng),
                last=rng.getrandbits(1))


def drive(dut, commands: list[dict], rng: random.Random, *, ready_p: float, gap_p: float,
          beats: int | None = None):
    """A bench that offers ``commands`` (a gap before one with probability ``gap_p``, else
    back to back), takes addresses with probability ``ready_p`` and checks every beat against
    :func:`beats_of` as it comes out; with ``beats``, it stops after that many. Back to back
    and without back-pressure, an address comes out every cycle after the first."""
    want = [b for c in commands for b in beats_of(c)]
    if beats is not None:
        want = want[:beats]

    async def bench(ctx):
        queue, got = list(commands), 0
        for _ in range(len(want) * 3 + 50):
            offer = bool(queue) and rng.random() >= gap_p
            ctx.set(dut.cmd.valid, offer)
            if offer:
                ctx.set(dut.cmd.payload, queue[0])
            ready = rng.random() < ready_p
            ctx.set(dut.addr.ready, ready)
            _, _, cmd_ready, valid, payload = await ctx.tick().sample(
                dut.cmd.ready, dut.addr.valid, dut.addr.payload)
            if offer and cmd_ready:
                queue.pop(0)
            if got and ready_p == 1 and gap_p == 0:
                assert valid, f"no address in the cycle after beat {got - 1}"
            if valid and ready:
                beat = (payload.addr, bool(payload.end), payload.last)
                assert beat == want[got], f"beat {got}: got {beat}, want {want[got]}"
                got += 1
                if got == len(want):
                    return
        raise AssertionError(f"{got} of {len(want)} beats")

    return bench


@pytest.mark.parametrize(("ready_p", "gap_p"), [(1.0, 0.0), (0.6, 0.3)])
def test_random_commands(ready_p, gap_p):
    """A hundred random commands, back to back or with gaps, with and without back-pressure."""
    rng = random.Random(int(ready_p * 10))
    commands = [random_command(rng) for _ in range(100)]
    dut = new_generator()
    run_pysim(dut, drive(dut, commands, rng, ready_p=ready_p, gap_p=gap_p))


@pytest.mark.parametrize("dim", [0, 1, 2])
@pytest.mark.parametrize("bit", range(3, LEN_BITS))
def test_long_command_starts_right(dim, bit):
    """A length of ``2**bit`` plus up to 63 in dimension ``dim`` (shorter ones inside it): the
    first beats, up to a few steps of ``dim`` past ``(length - 1) & ~2**bit``, where an end
    test that lost the length's top bit (or mixed it with a lower one) would end the
    dimension."""
    rng = random.Random(dim * 100 + bit)
    lens = [2, 3, 1 << bit | rng.getrandbits(min(bit, 6))]
    lens = lens[:dim] + [lens[2]] + [1] * (2 - dim)
    c = dict(base=rng.getrandbits(32), last=1, **{
        f"{name}{d}": v for d in range(3) for name, v in
        (("len", lens[d]), ("stride", rng.randrange(-2 ** 31, 2 ** 31)))})
    inner = 1
    for d in range(dim):
        inner *= lens[d]
    dut = new_generator()
    run_pysim(dut, drive(dut, [c], rng, ready_p=0.8, gap_p=0.0,
                         beats=inner * (lens[dim] % 2 ** min(bit, 6) + 3)))


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_longest_dimension_runs_to_its_end(dim):
    """A command of the longest length, ``2**LEN_BITS - 1``, in dimension ``dim`` (length 1 in
    the others), run to its end without back-pressure, then a short one. The dimension's
    counter passes every value, and ``len - 1`` has every bit but bit 0 set: a counter that
    skips or reorders values (a bit mixed with a higher one) reaches ``len - 1`` on the wrong
    beat and ends the command early or late. The bench only ticks through the long command,
    checking every 61st beat and the last three (address, ``end``, ``last``, valid), so it
    stays fast; every beat of the short one is checked."""
    rng = random.Random(7 + dim)
    lens = [1, 1, 1]
    lens[dim] = 2 ** LEN_BITS - 1
    long = dict(base=rng.getrandbits(32), last=0, **{
        f"{name}{d}": v for d in range(3) for name, v in
        (("len", lens[d]), ("stride", rng.randrange(-2 ** 31, 2 ** 31)))})
    short = dict(base=rng.getrandbits(32), len0=2, stride0=3, len1=2, stride1=-5, len2=2,
                 stride2=11, last=1)
    dut = new_generator()

    async def bench(ctx):
        ctx.set(dut.addr.ready, 1)
        for c, every in ((long, 61), (short, 1)):
            ctx.set(dut.cmd.valid, 1)
            ctx.set(dut.cmd.payload, c)
            await ctx.tick()                      # taken: the generator is idle
            ctx.set(dut.cmd.valid, 0)
            want = beats_of(c)
            for k, (addr, end, last) in enumerate(want):
                if k % every == 0 or k >= len(want) - 3:
                    got = (ctx.get(dut.addr.valid), ctx.get(dut.addr.payload.addr),
                           ctx.get(dut.addr.payload.end), ctx.get(dut.addr.payload.last))
                    assert got == (1, addr, end, last), f"beat {k}: {got}"
                await ctx.tick()
            assert not ctx.get(dut.addr.valid), "a beat after the command's last"

    run_pysim(dut, bench)
