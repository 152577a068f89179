"""The ITA HWPE on Verilator, programmed through its registers as software will, with the
memory compared bit-exact with sw.golden after each job."""

from dataclasses import replace

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, FallingEdge, First, RisingEdge, Timer

from hw.hwpe.control import CONTEXT_REGS
from hw.hwpe.regmap import (
    ACQUIRE_LOCKED,
    ACQUIRE_NO_CONTEXT,
    CONTEXT_BASE,
    POINTERS,
    REGISTERS,
    REGMAP,
    ErrorCode,
)
from hw.ita.config import Activation, ITAConfig, Mode
from sw.engine.placement import place_job
from sw.engine.random_jobs import random_job, random_mha
from tb import sim
from tb.cocotb_util import CLOCK_NS, CycleLimitExceeded
from tb.hwpe.bench import HWPEBench
from tb.hwpe.control_model import ControlModel
from tb.hwpe.harness import MEM_BASE, hwpe_build

STATUS = REGMAP["STATUS"]


def make(cfg: ITAConfig, case: dict, base: int = MEM_BASE):
    job, steps = random_job(cfg, Mode[case["mode"]], s=case["s"], e=case["e"], p=case["p"],
                            f=case["f"], act=Activation[case["act"]], seed=case["seed"],
                            softmax_shift=case.get("k"), valid=case.get("valid"))
    job = replace(job, overlap=case.get("overlap", False))
    return job, place_job(cfg, job, steps, base)


@cocotb.test()
async def hwpe_jobs(dut):
    """Jobs one after the other, or ``batch`` at a time through the contexts."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = HWPEBench(dut)
    await bench.reset(stall=p["stall"], seed=p["seed"], bursts=p.get("bursts", False))
    rng = np.random.default_rng(p["seed"])
    done = 0
    cases = p["cases"]
    for first in range(0, len(cases), p["batch"]):
        batch = cases[first:first + p["batch"]]
        base, placed = MEM_BASE, []
        for case in batch:
            job, placement = make(cfg, case, base)
            base = placement.end
            bench.load(placement, rng)
            placed.append((case, job, placement))
        for case, job, placement in placed:
            await bench.submit(job, placement.pointers, core=case.get("core", 0))
        done += len(batch)
        await bench.wait_finished(done, max_cycles=400_000)
        status = await bench.read_reg(STATUS.offset)
        assert not STATUS.field("error").decode(status), f"STATUS 0x{status:x} after {batch}"
        for case, _, placement in placed:
            bench.check(placement, f"n={cfg.n} m={cfg.m} stall={p['stall']} {case}")
        bench.check_memory(f"n={cfg.n} m={cfg.m} stall={p['stall']} after {batch}")


@cocotb.test()
async def hwpe_multihead(dut):
    """Heads of one multi-head attention back to back through the two contexts (overlapping);
    the sum of the heads' outputs in memory equals the golden head sum."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = HWPEBench(dut)
    await bench.reset(stall=p["stall"], seed=p["seed"])
    rng = np.random.default_rng(p["seed"])
    mha, jobs = random_mha(cfg, s=p["s"], e=p["e"], p=p["p"], heads=p["heads"], seed=p["seed"])
    base, placed = MEM_BASE, []
    for job, steps in jobs:
        placement = place_job(cfg, replace(job, overlap=True), steps, base)
        base = placement.end
        bench.load(placement, rng)
        placed.append(placement)
    start = int(dut.cycles.value)
    for (job, _), placement in zip(jobs, placed, strict=True):
        await bench.submit(replace(job, overlap=True), placement.pointers)
    await bench.wait_finished(len(jobs), max_cycles=400_000)
    dut._log.info(f"{len(jobs)} heads in {int(dut.cycles.value) - start} cycles, "
                  f"{int(dut.gaps.value)} gaps of {int(dut.gap_cycles.value)} cycles in all")
    total = np.zeros_like(mha.head_sum)
    for h, placement in enumerate(placed):
        bench.check(placement, f"head {h} of {p}")
        _, address, expected = placement.expected[-1]
        total += np.frombuffer(bench.read(address, expected.size), np.int8).reshape(
            expected.shape)
    np.testing.assert_array_equal(total, mha.head_sum, err_msg=f"head sum, {p}")
    assert int(dut.gaps.value) == len(jobs) - 1


async def _expect_error(bench, job, pointers, code, pointer=0, raw=None):
    """Submit a job (with raw register overrides) and check it ends with ``code``."""
    finished = await bench.read_reg(REGMAP["FINISHED"].offset)
    job_id = await bench.trigger({**job.registers(pointers), **(raw or {})})
    await bench.wait_finished(finished + 1, max_cycles=200)
    status = await bench.read_reg(STATUS.offset)
    got = {f: STATUS.field(f).decode(status) for f in ("busy", "error", "error_code",
                                                        "error_pointer")}
    assert got == {"busy": 0, "error": 1, "error_code": code, "error_pointer": pointer}, \
        (code, pointer, got)
    assert int(bench.dut.issued.value) == 0, "a rejected job reached the array"
    return job_id


@cocotb.test()
async def hwpe_errors(dut):
    """Every bad job ends at once with its error code, the engine idle and busy low; a
    trigger without a context is a protocol error; a soft clear in the middle of a job
    returns to idle; then a valid job runs and is bit-exact, and so does one after a soft clear
    that meets a rejected job waiting behind a running one."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = HWPEBench(dut)
    await bench.reset()
    rng = np.random.default_rng(9)
    job, placement = make(cfg, p["good"])
    bench.load(placement, rng)
    ptr = placement.pointers
    size = p["mem_size"]
    sizes = REGMAP["SIZES"]
    ctrl = REGMAP["CTRL"]
    await _expect_error(bench, job, ptr, ErrorCode.SIZE,
                        raw={sizes.offset: sizes.encode(s=0, e=job.e, p=job.p, f=job.f)})
    await _expect_error(bench, job, ptr, ErrorCode.SIZE,
                        raw={sizes.offset: sizes.encode(s=job.s, e=cfg.max_tiles + 1, p=job.p,
                                                        f=job.f)})
    await _expect_error(bench, job, {**ptr, "IN": ptr["IN"] + 4}, ErrorCode.ALIGNMENT,
                        POINTERS.index("IN"))
    await _expect_error(bench, job, {**ptr, "OUT": MEM_BASE + size - 8}, ErrorCode.RANGE,
                        POINTERS.index("OUT"))
    await _expect_error(bench, job, {**ptr, "W0": MEM_BASE - 64}, ErrorCode.RANGE,
                        POINTERS.index("W0"))
    await _expect_error(bench, job, ptr, ErrorCode.MODE,
                        raw={ctrl.offset: ctrl.encode(mode=5, overlap=0, act=0)})
    await _expect_error(bench, job, ptr, ErrorCode.ACTIVATION,
                        raw={ctrl.offset: ctrl.encode(mode=int(job.mode), overlap=0, act=3)})
    # a trigger from a core without a context
    finished = await bench.read_reg(REGMAP["FINISHED"].offset)
    await bench.write_reg(REGMAP["TRIGGER"].offset, 0, core=3)
    status = await bench.read_reg(STATUS.offset)
    assert STATUS.field("protocol_error").decode(status) == 1
    assert STATUS.field("busy").decode(status) == 0
    assert await bench.read_reg(REGMAP["FINISHED"].offset) == finished
    # a soft clear in the middle of a job
    await bench.submit(job, ptr)
    while int(dut.issued.value) < 20:
        await ClockCycles(dut.clk, 10)
    await bench.write_reg(REGMAP["SOFT_CLEAR"].offset, 0)
    await RisingEdge(dut.clk)
    assert int(dut.busy.value) == 0
    status = await bench.read_reg(STATUS.offset)
    assert status & 0xFFFF_FFFF == 0, f"STATUS 0x{status:x} after a soft clear"
    issued = int(dut.issued.value)
    await ClockCycles(dut.clk, 200)
    assert int(dut.issued.value) == issued, "the engine kept working after a soft clear"
    # everything works again
    bench.load(placement, rng)
    await bench.submit(job, ptr)
    await bench.wait_finished(finished + 1, max_cycles=200_000)
    bench.check(placement, "after the errors and the soft clear")
    # a soft clear while a rejected job waits, checked, behind a job running in the other
    # context: the next job still runs (the clear once reset the datapath a cycle after the
    # contexts; the waiting job ended in that cycle and moved the head of the ring past the
    # next job's context, which then never ran)
    rejected = {**job.registers(ptr), ctrl.offset: ctrl.encode(mode=5, overlap=0, act=0)}
    await bench.write_reg(REGMAP["SOFT_CLEAR"].offset, 0)   # the ring back at context 0
    await bench.trigger(rejected)                            # context 0: ends at once
    dut.stall.value = HOLD                                   # the next job runs slowly
    await ClockCycles(dut.clk, 5)
    finished = await bench.read_reg(REGMAP["FINISHED"].offset)
    await bench.submit(job, ptr)                             # context 1
    await bench.trigger(rejected)                            # context 0, behind it
    await ClockCycles(dut.clk, 50)
    assert int(dut.busy.value) and await bench.read_reg(REGMAP["FINISHED"].offset) == finished, \
        "the two jobs are not both waiting"
    await bench.write_reg(REGMAP["SOFT_CLEAR"].offset, 0)
    dut.stall.value = 0
    finished = await bench.read_reg(REGMAP["FINISHED"].offset)
    bench.load(placement, rng)
    await bench.submit(job, ptr)
    await bench.wait_finished(finished + 1, max_cycles=200_000)
    bench.check(placement, "the job after a soft clear with a rejected job waiting")


@cocotb.test()
async def hwpe_protocol(dut):
    """ACQUIRE locks a context to one core, a second context lets another core program while
    a job runs, the end event goes to the core that triggered, SW_EVENT pulses events."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = HWPEBench(dut)
    await bench.reset()
    events = []

    async def watch():
        while True:
            await RisingEdge(dut.clk)
            if int(dut.evt.value):
                events.append(int(dut.evt.value))

    cocotb.start_soon(watch())
    rng = np.random.default_rng(4)
    job0, place0 = make(cfg, p["job"])
    job1, place1 = make(cfg, dict(p["job"], seed=p["job"]["seed"] + 1), place0.end)
    for pl in (place0, place1):
        bench.load(pl, rng)
    acquire = REGMAP["ACQUIRE"].offset
    id0 = await bench.read_reg(acquire, core=0)
    assert id0 >= 0
    assert await bench.read_reg(acquire, core=1) == ACQUIRE_LOCKED
    assert await bench.read_reg(acquire, core=0) == id0          # already held
    await bench.write_reg(REGMAP["SIZES"].offset, 0, core=1)     # not the holder
    assert STATUS.field("protocol_error").decode(await bench.read_reg(STATUS.offset)) == 1
    for offset, value in job0.registers(place0.pointers).items():
        await bench.write_reg(offset, value, core=0)
    await bench.write_reg(REGMAP["TRIGGER"].offset, 0, core=0)
    id1 = await bench.submit(job1, place1.pointers, core=1)      # the second context
    assert id1 == id0 + 1
    assert await bench.read_reg(acquire, core=2) == ACQUIRE_NO_CONTEXT
    assert await bench.read_reg(REGMAP["RUNNING_JOB"].offset) == id0
    await bench.wait_finished(2, max_cycles=400_000)
    bench.check(place0, "job of core 0")
    bench.check(place1, "job of core 1")
    await bench.write_reg(REGMAP["SW_EVENT"].offset, 0b1010_0000, core=0)
    await ClockCycles(dut.clk, 3)
    assert events == [0b1, 0b10, 0b1010_0000], events
    assert await bench.read_reg(REGMAP["RUNNING_JOB"].offset) == id1


@cocotb.test()
async def hwpe_program_ahead(dut):
    """The compiler's pattern: two jobs queued; a third programmed and triggered once a
    context frees; a fourth programmed as soon as another frees but triggered only after the
    third has finished; a fifth programmed while the fourth runs. Every job finishes,
    bit-exact."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    bench = HWPEBench(dut)
    await bench.reset(stall=p["stall"], seed=7)
    rng = np.random.default_rng(7)
    base, placed = MEM_BASE, []
    for c in p["cases"]:
        job, placement = make(cfg, c, base)
        base = placement.end
        bench.load(placement, rng)
        placed.append((job, placement))
    (j0, p0), (j1, p1), (j2, p2), (j3, p3), (j4, p4) = placed

    async def program(job, placement):
        await bench.acquire()                        # waits for a free context
        for offset, value in job.registers(placement.pointers).items():
            await bench.write_reg(offset, value)

    await bench.submit(j0, p0.pointers)
    await bench.submit(j1, p1.pointers)
    await bench.submit(j2, p2.pointers)              # waits for a context
    await program(j3, p3)
    await bench.wait_finished(3, max_cycles=400_000)
    await bench.write_reg(REGMAP["TRIGGER"].offset, 0)
    await program(j4, p4)                            # while the fourth runs
    await bench.wait_finished(4, max_cycles=400_000)
    await bench.write_reg(REGMAP["TRIGGER"].offset, 0)
    await bench.wait_finished(5, max_cycles=400_000)
    for k, (_, placement) in enumerate(placed):
        bench.check(placement, f"job {k}")
    bench.check_memory("after the jobs programmed ahead")
    word = bench.words - 1                           # a write nobody expects shows
    bench.mem[word].value = int(bench.mem[word].value) ^ (1 << 8)
    await ClockCycles(dut.clk, 1)                    # the write lands
    with pytest.raises(AssertionError, match=f"memory at 0x{MEM_BASE + 8 * word + 1:x} holds"):
        bench.check_memory("a stray write")


#: Memory grant stalls (in 1/256) while the register bench works: a lane is granted in one
#: cycle of 256, so a valid job takes far longer than the traffic between two pauses (were
#: one to finish, the model would not expect it and the bench would fail); jobs the checker
#: rejects end at once.
HOLD = 255


@cocotb.test()
async def hwpe_registers(dut):
    """Random register traffic from every core, one access per cycle, against
    :class:`~tb.hwpe.control_model.ControlModel`: every read's data and every event pulse.
    Acquires, context writes and reads (holder and not), every other offset, triggers of
    valid jobs (held by memory stalls until released) and of jobs the checker rejects, soft
    clears and software events."""
    p = sim.params()
    cfg = ITAConfig(**p["cfg"])
    cores, contexts = p["cores"], p["contexts"]
    bench = HWPEBench(dut)
    await bench.reset(stall=HOLD / 256)
    rng = np.random.default_rng(p["seed"])
    noise = np.random.default_rng(p["seed"] + 1000)     # fresh outputs after each check
    job, placement = make(cfg, p["job"])
    bench.load(placement, rng)
    valid_regs = job.registers(placement.pointers)
    model = ControlModel(contexts, cores)
    kinds: dict[int, str] = {}          # job id -> "valid" or "rejected"
    events: list[int] = []
    offsets = [4 * i for i in range(64)]
    other = [o for o in offsets if o < CONTEXT_BASE or o >= CONTEXT_BASE + 4 * len(CONTEXT_REGS)]
    named = {r.offset: r.name for r in REGISTERS}
    d = dut
    cycle = 0
    outputs_checked: list[int] = []     # cycles at which a valid job's outputs were checked

    async def watch():
        while True:
            await FallingEdge(d.clk)
            if int(d.evt.value):
                events.append(int(d.evt.value))

    cocotb.start_soon(watch())
    await FallingEdge(d.clk)

    async def access(we: int, offset: int, value: int = 0, core: int = 0) -> None:
        """One access in one cycle; a read's data is checked in the next cycle."""
        nonlocal cycle
        d.reg_req.value, d.reg_we.value, d.reg_id.value = 1, we, core
        d.reg_addr.value, d.reg_wdata.value = offset, value & 0xFFFF_FFFF
        expected = None if we else model.read(offset, core)
        if we:
            model.write(offset, value, core)
        await FallingEdge(d.clk)
        d.reg_req.value = 0
        cycle += 1
        where = (f"cycle {cycle}: {'write' if we else 'read'} of "
                 f"{named.get(offset, hex(offset))} by core {core}")
        assert int(d.reg_rvalid.value) == (not we), f"{where}: rvalid {int(d.reg_rvalid.value)}"
        if not we:
            got = int(d.reg_rdata.value)
            assert got == expected, f"{where}: got 0x{got:08x}, expected 0x{expected:08x}"

    async def settle() -> None:
        """Let every queued job run to its end, then finish them in the model, in order."""
        d.stall.value = 0
        if int(d.busy.value):
            limit = Timer(400_000 * CLOCK_NS, unit="ns")
            if await First(FallingEdge(d.busy), limit) is limit:
                state = {n: await bench.read_reg(REGMAP[n].offset) for n in
                         ("STATUS", "FINISHED", "RUNNING_JOB")}
                raise CycleLimitExceeded(
                    f"cycle {cycle}: queued jobs did not finish: {state}; the model expected "
                    f"STATUS 0x{model.status():08x}, FINISHED {model.finished}, jobs "
                    f"{[(c.state, c.job_id, kinds.get(c.job_id)) for c in model.ctx]}")
        await ClockCycles(d.clk, 2)                  # the last event pulse is seen
        ran_valid = False
        while (ctx := model.head_job()) is not None:
            ran_valid |= kinds[ctx.job_id] == "valid"
            model.finish(ErrorCode.MODE if kinds[ctx.job_id] == "rejected" else 0)
        assert events == model.events, f"cycle {cycle}: events {events}, expected {model.events}"
        if ran_valid:
            bench.check(placement, f"cycle {cycle}: the valid job")
            outputs_checked.append(cycle)
            bench.load(placement, noise)             # the next job must write them again
        await FallingEdge(d.clk)
        d.stall.value = HOLD

    def random_core(*, besides: int | None = None) -> int:
        return int(rng.choice([c for c in range(cores) if c != besides]))

    # first a run of rejected jobs, one after the other, so that job ids reach bit 9
    for _ in range(p["first_jobs"]):
        core = random_core()
        job_id = model.next_id
        await access(0, REGMAP["ACQUIRE"].offset, core=core)
        kinds[job_id] = "rejected"
        await access(1, REGMAP["CTRL"].offset, int(rng.integers(4, 8)), core)
        await access(1, REGMAP["TRIGGER"].offset, 0, core)
        await settle()
    actions = ["acquire", "write", "stray write", "read context", "read", "write other",
               "trigger", "soft clear", "release", "idle"]
    weights = np.array([10, 25, 3, 10, 12, 6, 6, 1, 2, 3], dtype=float)
    clears = 0                          # soft clears with jobs queued
    for _ in range(p["accesses"]):      # writes and triggers without a holder: idle cycles
        action = actions[rng.choice(len(actions), p=weights / weights.sum())]
        holder = model.holder()
        if action == "acquire":
            await access(0, REGMAP["ACQUIRE"].offset, core=holder if holder is not None
                         and rng.random() < 0.3 else random_core())
        elif action == "write" and holder is not None:
            reg = CONTEXT_REGS[rng.integers(len(CONTEXT_REGS))]
            await access(1, reg.offset, int(rng.integers(0, 2 ** 32)), holder)
        elif action == "stray write":
            offset = int(rng.choice([REGMAP["TRIGGER"].offset,
                                     CONTEXT_BASE + 4 * int(rng.integers(len(CONTEXT_REGS)))]))
            await access(1, offset, int(rng.integers(0, 2 ** 32)), random_core(besides=holder))
        elif action == "read context":
            await access(0, CONTEXT_BASE + 4 * int(rng.integers(len(CONTEXT_REGS))),
                         core=random_core())
        elif action == "read":
            offset = int(rng.choice([REGMAP[n].offset for n in ("STATUS", "FINISHED",
                                                                 "RUNNING_JOB")] + offsets))
            await access(0, offset, core=random_core())
        elif action == "write other":
            offset = int(rng.choice([o for o in other if o not in (
                REGMAP["TRIGGER"].offset, REGMAP["SOFT_CLEAR"].offset)]))
            await access(1, offset, int(rng.integers(0, 2 ** 32)), random_core())
        elif action == "trigger" and holder is not None:
            ahead = model.queued()
            job_id = model.programming().job_id
            if rng.random() < 0.5:
                kinds[job_id] = "valid"
                for offset, value in valid_regs.items():
                    await access(1, offset, value, holder)
            else:
                kinds[job_id] = "rejected"
                ctrl = int(rng.integers(0, 2 ** 32)) & ~0b111 | int(rng.integers(4, 8))
                await access(1, REGMAP["CTRL"].offset, ctrl, holder)
            for reg in CONTEXT_REGS:             # what the job will run with, read back
                await access(0, reg.offset, core=random_core())
            await access(1, REGMAP["TRIGGER"].offset, int(rng.integers(0, 2 ** 32)), holder)
            if kinds[job_id] == "rejected" and not ahead:
                await settle()
        elif action == "soft clear":
            clears += bool(model.queued())
            await access(1, REGMAP["SOFT_CLEAR"].offset, int(rng.integers(0, 2 ** 32)),
                         random_core())
        elif action == "release":
            await settle()
        else:
            await FallingEdge(d.clk)
            cycle += 1
            assert not int(d.reg_rvalid.value), f"cycle {cycle}: rvalid without a read"
    await settle()
    finished = model.finished - p["first_jobs"]
    assert finished > 50 and len(outputs_checked) > 10 and clears > 5, \
        f"the traffic ran too few jobs: {finished} finished, outputs checked at " \
        f"{outputs_checked}, {clears} soft clears with jobs queued"
    dut._log.info(f"{cycle} accesses and idle cycles, {finished} jobs finished after the first "
                  f"{p['first_jobs']}, {len(outputs_checked)} valid ones checked, {clears} soft "
                  "clears with jobs queued")


def case(mode: str, s: int, e: int = 1, p: int = 1, f: int = 1, act: str = "IDENTITY",
         seed: int = 1, **extra) -> dict:
    return {"mode": mode, "s": s, "e": e, "p": p, "f": f, "act": act, "seed": seed, **extra}


SMALL = ITAConfig(n=4, m=16, softmax_shift=5)


def run(cfg: ITAConfig, test: str, contexts: int = 2, **params) -> None:
    sim.run(hwpe_build(cfg, contexts=contexts), __name__, tests=test,
            params={"cfg": cfg.__dict__, "contexts": contexts, **params})


@pytest.mark.parametrize("stall", [0.0, 0.3])
def test_every_mode(stall):
    """An attention head, feed-forward with each activation, linear and single-attention,
    one job at a time, with and without memory stalls."""
    run(SMALL, "hwpe_jobs", stall=stall, seed=3, batch=1, cases=[
        case("ATTENTION", 2, 3, 1, seed=1), case("FEEDFORWARD", 2, 1, 1, 2, act="GELU", seed=2),
        case("FEEDFORWARD", 1, 2, 1, 1, act="RELU", seed=3),
        case("LINEAR", 3, 2, 2, act="IDENTITY", seed=4),
        case("SINGLE_ATTENTION", 2, 1, 2, seed=5)])


@pytest.mark.parametrize("seed", [7, 8])
def test_every_mode_under_bursts_of_stalls(seed):
    """Memory grants stalled in runs (each lane on its own), two seeds."""
    run(SMALL, "hwpe_jobs", stall=0.4, bursts=True, seed=seed, batch=2, cases=[
        case("ATTENTION", 2, 2, 1, seed=seed), case("FEEDFORWARD", 2, 1, 1, 2, act="GELU",
                                                    seed=seed + 1),
        case("LINEAR", 3, 2, 2, act="RELU", seed=seed + 2),
        case("SINGLE_ATTENTION", 2, 1, 2, seed=seed + 3)])


def test_back_to_back_multihead():
    """Four heads through two contexts, overlapping, under memory stalls."""
    run(SMALL, "hwpe_multihead", s=2, e=2, p=1, heads=4, seed=21, stall=0.25)


def test_back_to_back_jobs_of_every_mode():
    """Jobs two at a time without overlap (each waits for the previous one), mixed modes."""
    run(SMALL, "hwpe_jobs", stall=0.1, seed=5, batch=2, cases=[
        case("LINEAR", 2, 1, 3, act="RELU", seed=11), case("ATTENTION", 1, 2, 2, seed=12),
        case("FEEDFORWARD", 2, 2, 1, 3, act="GELU", seed=13),
        case("SINGLE_ATTENTION", 3, 1, 1, seed=14)])


@pytest.mark.parametrize("stall", [0.0, 0.2])
def test_a_job_programmed_ahead_and_triggered_later(stall):
    run(ITAConfig(n=8, m=32), "hwpe_program_ahead", stall=stall, cases=[
        case("LINEAR", s, 4, 1, seed=61 + k) for k, s in enumerate((1, 3, 1, 1, 3))])


@pytest.mark.parametrize("cfg", [SMALL, ITAConfig(n=8, m=32)], ids=["n4m16", "n8m32"])
def test_one_tile_jobs_back_to_back(cfg):
    """Jobs of one row tile, four through the two contexts: a walker that finished a job
    must not come round the ring and walk a context whose job is still running (it did, and
    wrote the first job's output over with the next one's)."""
    run(cfg, "hwpe_jobs", stall=0.0, seed=5, batch=4, cases=[
        case("LINEAR", 1, 4, 1, seed=71 + k) for k in range(4)])


def test_errors_and_soft_clear():
    run(SMALL, "hwpe_errors", mem_size=256 * 1024, good=case("ATTENTION", 2, 1, 1, seed=31))


def test_protocol_and_events():
    run(SMALL, "hwpe_protocol", job=case("ATTENTION", 2, 2, 2, seed=41))


@pytest.mark.parametrize("cfg", [ITAConfig(n=8, m=32, softmax_shift=0),
                                 ITAConfig(n=16, m=64, softmax_shift=5)],
                         ids=["n8m32k0", "n16m64k5"])
def test_other_engines(cfg):
    run(cfg, "hwpe_jobs", stall=0.2, seed=6, batch=2, cases=[
        case("ATTENTION", 2, 1, 2, seed=51, overlap=False),
        case("FEEDFORWARD", 1, 2, 1, 2, act="GELU", seed=52, overlap=True)])


@pytest.mark.parametrize("cfg", [SMALL, ITAConfig(n=8, m=32)], ids=["n4m16", "n8m32"])
def test_softmax_register_reaches_the_engine(cfg):
    """SOFTMAX carries each job's ITAMax shift (none the configuration's) and valid length
    through the contexts to the engine, overlapping jobs included: a mask that cuts a group,
    one that covers the trailing key tile, none; a valid length above max_size masks none,
    and is not cut to the engine's width (its low bits here would mask from key 5 on)."""
    m, n = cfg.m, cfg.n
    past = (40000 >> 10 << 10) + 5
    run(cfg, "hwpe_jobs", stall=0.2, seed=9, batch=2, cases=[
        case("ATTENTION", 3, 1, 2, seed=101, k=1, valid=m + n + n // 2),
        case("SINGLE_ATTENTION", 3, 1, 1, seed=102, k=7, valid=2 * m, overlap=True),
        case("ATTENTION", 2, 2, 1, seed=103, k=0, valid=0, overlap=True),
        case("SINGLE_ATTENTION", 2, 1, 2, seed=104, k=4, valid=past, overlap=True)])


@pytest.mark.parametrize(("contexts", "seed"), [(2, 1), (2, 2), (4, 3)],
                         ids=["c2-seed1", "c2-seed2", "c4-seed3"])
def test_registers_against_their_model(contexts, seed):
    """Thousands of random register accesses after 520 jobs, compared access by access with
    the model."""
    run(SMALL, "hwpe_registers", contexts=contexts, seed=seed, cores=8, accesses=3000,
        first_jobs=520,
        job=case("LINEAR", 3, 4, 1, seed=81))
