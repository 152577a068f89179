"""The minimal SoC: one core, RAM at 0x8000_0000, the exit register and character output.

Both core ports see random wait states (grant stalls and response delays) when asked; a
retirement trace is kept in a ring buffer that the bench reads in bulk.
"""

from amaranth import Cat, ClockSignal, Const, Instance, Module, Mux, ResetInserter, Signal
from amaranth.lib import data, fifo, memory, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature
from hw.cluster.regmap import CTRL_REGS
from hw.config import CLUSTER_CTRL, L2_BASE, CtrlReg
from hw.core.core import Core

from ..hdl import RAM_VERILOG
from ..hdl.registered import registered, registered_sync
from ..hdl.stalls import Stalls

__all__ = ["CoreHarness", "core_build", "TraceLayout", "CoreTraceLayout", "TRACE_DEPTH",
           "CHAR_DEPTH", "PUBLIC"]

TRACE_DEPTH = 8192
CHAR_DEPTH = 4096
#: What the bench reads and writes besides the ports (``tb.public``).
PUBLIC = ("trace", "char_buf", "ram.mem", "core.regfile")
TraceLayout = data.StructLayout({"pc": 32, "insn": 32, "rd": 5, "rd_we": 1, "rd_value": 32,
                                 "trap": 1, "cause": 5})
#: The core harness's trace: :data:`TraceLayout` and the retirement's memory access (its byte
#: address, and the store data or the loaded value).
CoreTraceLayout = data.StructLayout({**{name: f.shape for name, f in TraceLayout},
                                     "mem": 1, "mem_we": 1, "mem_addr": 32, "mem_data": 32})


class _Port(wiring.Component):
    """A core port onto one RAM lane (or the control registers), with random grant stalls
    and random response delays (responses stay in order). Without stalls it is a
    single-cycle memory: read data one cycle after the grant."""

    def __init__(self, words: int, salt: int):
        self._words, self._salt = words, salt
        aw = (words - 1).bit_length()
        super().__init__({
            "bus": In(TCDMSignature(32, 32)), "stall": In(8), "seed": In(32), "profile": In(1),
            "ram_en": Out(1), "ram_we": Out(1), "ram_addr": Out(aw), "ram_wdata": Out(32),
            "ram_be": Out(4), "ram_rdata": In(32),
            "io": Out(1), "io_rdata": In(32),    # a request outside the RAM, its read data
            "enable": In(1),                      # grants nothing while low
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        m.submodules.stalls = stalls = Stalls(2, salt=self._salt)    # grants, responses
        m.submodules.responses = q = fifo.SyncFIFO(width=32, depth=4)
        m.d.comb += [stalls.seed.eq(self.seed), stalls.level.eq(self.stall),
                     stalls.profile.eq(self.profile)]
        offset = bus.addr - L2_BASE
        in_ram = (bus.addr >= L2_BASE) & (offset < self._words * 4)
        pending = Signal(range(5))                 # reads granted, not yet answered
        room = pending + q.level < 4
        grant = self.enable & bus.req & room & stalls.go[0]
        m.d.comb += [bus.gnt.eq(grant), self.ram_en.eq(grant & in_ram),
                     self.ram_we.eq(bus.we), self.ram_addr.eq(offset[2:]),
                     self.ram_wdata.eq(bus.wdata), self.ram_be.eq(bus.be),
                     self.io.eq(grant & ~in_ram)]
        read = grant & ~bus.we
        was_read, was_ram = Signal(), Signal()
        io_data = Signal(32)
        m.d.sync += [was_read.eq(read), was_ram.eq(in_ram), io_data.eq(self.io_rdata)]
        # the response due first: the oldest queued one, else the read of the last cycle
        # (so with no stalls data arrive one cycle after the grant)
        fresh = Mux(was_ram, self.ram_rdata, io_data)
        have = q.r_rdy | was_read
        release = have & stalls.go[1]
        m.d.comb += [bus.rvalid.eq(release), bus.rdata.eq(Mux(q.r_rdy, q.r_data, fresh)),
                     q.r_en.eq(release & q.r_rdy),
                     q.w_en.eq(was_read & (q.r_rdy | ~release)), q.w_data.eq(fresh)]
        m.d.sync += pending.eq(pending + read - was_read)
        return m


class CoreHarness(wiring.Component):
    """Members
    -------
    clk, rst : In(1)
        The clock, and the reset (registered, as are all inputs: see
        :mod:`tb.hdl.registered`).
    run : In(1)
        The core runs while high and is held in reset while low.
    stall : In(8), seed : In(32)
        Wait states of both ports, in 1/256 (0: a single-cycle memory).
    tohost : In(32)
        Address of the ``tohost`` symbol (0: none).
    event : In(1)
        The core's event input (wakes ``wfi``).
    events : In(8)
        Besides ``event``: random event pulses in ``events / 256`` of the cycles (drawn from
        ``seed``).
    exited : Out(1), exit_code : Out(32)
    cycles, retired : Out(32)
        Since ``run`` rose.
    chars : Out(32)
        Characters written to the character output (kept in ``char_buf``).
    trace_count : Out(32)
        Retirements recorded in the ring ``trace`` (the last ``trace_depth``; its layout is
        :data:`CoreTraceLayout`).
    """

    def __init__(self, mem_size: int = 4 * 1024 * 1024, hartid: int = 0,
                 trace_depth: int = TRACE_DEPTH):
        self.mem_size, self.hartid, self.trace_depth = mem_size, hartid, trace_depth
        self.words = mem_size // 4
        super().__init__({
            "clk": In(1), "rst": In(1), "run": In(1), "stall": In(8), "seed": In(32),
            "profile": In(1), "tohost": In(32), "event": In(1), "events": In(8),
            "exited": Out(1), "exit_code": Out(32), "cycles": Out(32), "retired": Out(32),
            "chars": Out(32), "trace_count": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        registered_sync(m, self.clk, self.rst)
        run, stall, seed, profile, tohost = (registered(m, s) for s in (
            self.run, self.stall, self.seed, self.profile, self.tohost))
        core = Core(hartid=self.hartid, reset_pc=L2_BASE)
        m.submodules.core = ResetInserter(~run)(core)
        m.submodules.event_rng = event_rng = Stalls(1, salt=0x5EED_E7E7)
        m.d.comb += [event_rng.seed.eq(seed), event_rng.load.eq(~run),
                     event_rng.level.eq(registered(m, self.events)),
                     core.event.eq(registered(m, self.event) | ~event_rng.go[0])]
        ports = []
        for name, bus, salt in (("iport", core.ibus, 0x1234_5678), ("dport", core.dbus, 0)):
            p = _Port(self.words, salt)
            m.submodules[name] = ResetInserter(~run)(p)   # nothing survives a reset
            wiring.connect(m, bus, p.bus)
            m.d.comb += [p.stall.eq(stall), p.seed.eq(seed), p.profile.eq(profile),
                         p.enable.eq(run)]
            ports.append(p)
        aw = (self.words - 1).bit_length()
        en, we, be = Signal(2), Signal(2), Signal(8)
        addr, wdata, rdata = Signal(2 * aw), Signal(64), Signal(64)
        for i, p in enumerate(ports):
            m.d.comb += [en[i].eq(p.ram_en), we[i].eq(p.ram_we),
                         addr[i * aw:(i + 1) * aw].eq(p.ram_addr),
                         wdata[32 * i:32 * (i + 1)].eq(p.ram_wdata),
                         be[4 * i:4 * (i + 1)].eq(p.ram_be),
                         p.ram_rdata.eq(rdata[32 * i:32 * (i + 1)])]
        m.submodules.ram = Instance("tinyita_tb_ram", p_LANES=2, p_WORDS=self.words, p_AW=aw,
                                    p_DW=32, i_clk=ClockSignal(), i_en=en, i_we=we,
                                    i_addr=addr, i_wdata=wdata, i_be=be, o_rdata=rdata)
        # control registers and tohost, on the data port
        d = core.dbus
        dp = ports[1]
        store = d.req & d.gnt & d.we
        word = Signal(32)
        m.d.comb += word.eq(Cat(Const(0, 2), d.addr[2:32]))
        m.d.comb += dp.io_rdata.eq(Mux(word == CLUSTER_CTRL + CtrlReg.CYCLES, self.cycles, 0))
        exit_reg = CTRL_REGS["EXIT"]
        exit_now = store & exit_reg.field("exit").extract(d.wdata)[0] & (
            (word == CLUSTER_CTRL + CtrlReg.EXIT) | ((tohost != 0) & (word == tohost)))
        char = CTRL_REGS["CHAR_OUT"].field("char").extract(d.wdata)
        code = exit_reg.field("code").extract(d.wdata)
        m.submodules.char_buf = chars = memory.Memory(shape=8, depth=CHAR_DEPTH, init=[])
        cw = chars.write_port()
        m.d.comb += [cw.addr.eq(self.chars), cw.data.eq(char),
                     cw.en.eq(store & (word == CLUSTER_CTRL + CtrlReg.CHAR_OUT) & run)]
        m.submodules.trace = trace = memory.Memory(shape=CoreTraceLayout,
                                                   depth=self.trace_depth, init=[])
        tw = trace.write_port()
        r = core.retire
        m.d.comb += [tw.addr.eq(self.trace_count), tw.en.eq(r.valid & run & ~self.exited),
                     tw.data.pc.eq(r.pc), tw.data.insn.eq(r.insn), tw.data.rd.eq(r.rd),
                     tw.data.rd_we.eq(r.rd_we), tw.data.rd_value.eq(r.rd_value),
                     tw.data.trap.eq(r.trap), tw.data.cause.eq(r.cause),
                     tw.data.mem.eq(r.mem), tw.data.mem_we.eq(r.mem_we),
                     tw.data.mem_addr.eq(r.mem_addr), tw.data.mem_data.eq(r.mem_data)]
        with m.If(~run):
            m.d.sync += [self.exited.eq(0), self.exit_code.eq(0), self.cycles.eq(0),
                         self.retired.eq(0), self.chars.eq(0), self.trace_count.eq(0)]
        with m.Elif(~self.exited):
            m.d.sync += [self.cycles.eq(self.cycles + 1),
                         self.retired.eq(self.retired + (r.valid & ~r.trap)),
                         self.trace_count.eq(self.trace_count + r.valid),
                         self.chars.eq(self.chars + cw.en)]
            with m.If(exit_now):
                m.d.sync += [self.exited.eq(1), self.exit_code.eq(code)]
        return m


def core_build(mem_size: int = 4 * 1024 * 1024, trace_depth: int = TRACE_DEPTH):
    """The cached Verilator build of the harness."""
    from .. import sim

    suffix = "" if trace_depth == TRACE_DEPTH else f"_t{trace_depth}"
    return sim.build(lambda: CoreHarness(mem_size, trace_depth=trace_depth),
                     key=f"{mem_size}/{trace_depth}", public=PUBLIC, extra_verilog=RAM_VERILOG,
                     name=f"core_soc_{mem_size // 1024}k{suffix}")
