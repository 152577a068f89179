"""The HWPE's source and sink streamers on their own, against a memory that stalls grants and
answers reads after a varying latency, and a consumer or producer that stalls (Amaranth
simulator). The HWPE benches see them only behind an L1 that answers one cycle after the
grant; these benches check their contract for any latency."""

import random

import pytest

from hw.hwpe.sink_streamer import SinkStreamer
from hw.hwpe.source_streamer import SourceStreamer
from tb.pysim import run_pysim

from .test_address_generator import beats_of, random_command

LANES = 2
DEPTH = 4


def new_source() -> SourceStreamer:
    """The units under test, each built on one line: ``tinyita mutate`` runs a block's tests
    on one design, and the Verilog's source attributes name the line that built it."""
    return SourceStreamer(LANES, DEPTH)


def new_sink() -> SinkStreamer:
    return SinkStreamer(LANES)


def word(address: int) -> int:
    """What the memory holds at a beat's address (a different value for every address)."""
    return random.Random(address).getrandbits(64 * LANES)


def commands(seed: int, count: int) -> list[dict]:
    """Random commands of at most 40 beats each."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        c = random_command(rng)
        if len(beats_of(c)) <= 40:
            out.append(c)
    return out


def source_bench(dut: SourceStreamer, cmds: list[dict], rng: random.Random, *, gnt_p: float,
                 ready_p: float, gap_p: float, latency: int):
    """Offer ``cmds`` (a gap before one with probability ``gap_p``); grant a request with
    probability ``gnt_p`` and answer it 1..``latency`` cycles later, in order; take a beat
    with probability ``ready_p``. Every cycle checks: the beats come out in order with the
    data of their addresses; a request holds its address until granted and is never
    withdrawn; requests and beats buffered never exceed the read-ahead depth; ``idle`` is
    high exactly when every beat of the commands taken is out and no command is offered."""
    want = [b[0] for c in cmds for b in beats_of(c)]

    async def bench(ctx):
        queue = list(cmds)
        taken = granted = consumed = 0       # beats of the commands taken; granted; out
        answers: list[tuple[int, int]] = []  # (cycle due, data), in order
        waiting = None                       # the address of a request not granted yet
        last_due = 0
        for cycle in range(len(want) * 12 + 100):
            offer = bool(queue) and rng.random() >= gap_p
            ctx.set(dut.cmd.valid, offer)
            if offer:
                ctx.set(dut.cmd.payload, queue[0])
            answer = bool(answers) and answers[0][0] <= cycle
            ctx.set(dut.mem.rvalid, answer)
            ctx.set(dut.mem.rdata, answers[0][1] if answer else rng.getrandbits(64 * LANES))
            ready = rng.random() < ready_p
            ctx.set(dut.out.ready, ready)
            req = ctx.get(dut.mem.req)
            gnt = req and rng.random() < gnt_p
            ctx.set(dut.mem.gnt, gnt)
            addr, we = ctx.get(dut.mem.addr), ctx.get(dut.mem.we)
            valid, payload = ctx.get(dut.out.valid), ctx.get(dut.out.payload)
            cmd_ready, idle = ctx.get(dut.cmd.ready), ctx.get(dut.idle)
            where = f"cycle {cycle}, beat {consumed} of {len(want)} out"
            assert idle == (not offer and consumed == taken), f"{where}: idle {idle}"
            assert waiting is None or (req and addr == waiting), \
                f"{where}: a request not granted changed or went (0x{waiting:x})"
            if req:
                assert not we, f"{where}: a read request with we"
                assert granted - consumed < DEPTH, f"{where}: a request with no room for it"
                assert granted < len(want), f"{where}: a request past the last beat"
                assert addr == want[granted], \
                    f"{where}: request at 0x{addr:x}, expected 0x{want[granted]:x}"
            waiting = addr if req and not gnt else None
            if gnt:
                last_due = max(cycle + rng.randint(1, latency), last_due + 1)
                answers.append((last_due, word(addr)))
                granted += 1
            if answer:
                answers.pop(0)
            if valid and ready:
                assert consumed < len(want), f"{where}: a beat past the last one"
                assert payload == word(want[consumed]), \
                    f"{where}: beat of 0x{want[consumed]:x} holds 0x{payload:x}"
                consumed += 1
            if offer and cmd_ready:
                taken += len(beats_of(queue.pop(0)))
            await ctx.tick()
            if consumed == len(want) and not queue:
                break
        assert consumed == len(want), f"{consumed} of {len(want)} beats out"
        for _ in range(3):                   # and then nothing more
            ctx.set(dut.cmd.valid, 0)
            ctx.set(dut.mem.rvalid, 0)
            assert ctx.get(dut.idle) and not ctx.get(dut.mem.req) \
                and not ctx.get(dut.out.valid), "the streamer went on after its commands"
            await ctx.tick()

    return bench


@pytest.mark.parametrize(("seed", "gnt_p", "ready_p", "gap_p", "latency"),
                         [(1, 1.0, 1.0, 0.0, 1), (2, 0.5, 0.7, 0.3, 1), (3, 0.8, 0.4, 0.1, 4),
                          (4, 1.0, 1.0, 0.0, 5)])
def test_source_streamer(seed, gnt_p, ready_p, gap_p, latency):
    """Twenty random commands under each mix of stalls and read latencies."""
    dut = new_source()
    run_pysim(dut, source_bench(dut, commands(seed, 20), random.Random(seed), gnt_p=gnt_p,
                                ready_p=ready_p, gap_p=gap_p, latency=latency))


def sink_bench(dut: SinkStreamer, cmds: list[dict], rng: random.Random, *, gnt_p: float,
               valid_p: float, gap_p: float):
    """Offer ``cmds`` and a beat of data for each of their addresses (held until taken);
    grant a request with probability ``gnt_p``. Every cycle checks: each write goes to the
    next address with its beat's data; a request holds its address until granted and is
    never withdrawn; a request needs a beat offered; a beat is taken
    exactly when its write is granted; ``job_written`` pulses exactly with the grant of the
    last beat of a command marked ``last``; ``idle`` is high exactly when every beat of the
    commands taken is written and no command is offered."""
    beats = [b for c in cmds for b in beats_of(c)]
    data = [rng.getrandbits(64 * LANES) for _ in beats]

    async def bench(ctx):
        queue = list(cmds)
        taken = written = 0
        offered = False                      # a beat is offered and must stay until taken
        waiting = None                       # the address of a request not granted yet
        for cycle in range(len(beats) * 8 + 100):
            offer = bool(queue) and rng.random() >= gap_p
            ctx.set(dut.cmd.valid, offer)
            if offer:
                ctx.set(dut.cmd.payload, queue[0])
            offered = written < len(beats) and (offered or rng.random() < valid_p)
            ctx.set(dut.inp.valid, offered)
            ctx.set(dut.inp.payload, data[written] if offered else rng.getrandbits(64 * LANES))
            req = ctx.get(dut.mem.req)
            gnt = req and rng.random() < gnt_p
            ctx.set(dut.mem.gnt, gnt)
            addr, we, wdata = ctx.get(dut.mem.addr), ctx.get(dut.mem.we), ctx.get(dut.mem.wdata)
            inp_ready, job_written = ctx.get(dut.inp.ready), ctx.get(dut.job_written)
            cmd_ready, idle = ctx.get(dut.cmd.ready), ctx.get(dut.idle)
            where = f"cycle {cycle}, beat {written} of {len(beats)} written"
            assert idle == (not offer and written == taken), f"{where}: idle {idle}"
            assert not req or offered, f"{where}: a write request without a beat"
            assert waiting is None or (req and addr == waiting), \
                f"{where}: a request not granted changed or went (0x{waiting:x})"
            waiting = addr if req and not gnt else None
            assert inp_ready == gnt, f"{where}: beat taken {inp_ready}, write granted {gnt}"
            ends_job = False
            if req:
                assert written < taken, f"{where}: a write past the commands taken"
                a, end, last = beats[written]
                assert we and addr == a and wdata == data[written], \
                    f"{where}: write (we {we}) of 0x{wdata:x} at 0x{addr:x}, expected " \
                    f"0x{data[written]:x} at 0x{a:x}"
                ends_job = end and last == 1
            assert job_written == (gnt and ends_job), f"{where}: job_written {job_written}"
            if gnt:
                written += 1
                offered = False
            if offer and cmd_ready:
                taken += len(beats_of(queue.pop(0)))
            await ctx.tick()
            if written == len(beats) and not queue:
                break
        assert written == len(beats), f"{written} of {len(beats)} beats written"
        for _ in range(3):
            ctx.set(dut.cmd.valid, 0)
            ctx.set(dut.inp.valid, 0)
            assert ctx.get(dut.idle) and not ctx.get(dut.mem.req), \
                "the streamer went on after its commands"
            await ctx.tick()

    return bench


@pytest.mark.parametrize(("seed", "gnt_p", "valid_p", "gap_p"),
                         [(1, 1.0, 1.0, 0.0), (2, 0.5, 0.7, 0.3), (3, 0.8, 0.3, 0.1)])
def test_sink_streamer(seed, gnt_p, valid_p, gap_p):
    """Twenty random commands under each mix of grant stalls and producer gaps."""
    dut = new_sink()
    run_pysim(dut, sink_bench(dut, commands(seed, 20), random.Random(seed), gnt_p=gnt_p,
                              valid_p=valid_p, gap_p=gap_p))
