"""The HWPE control unit: register decoding, job contexts and the acquire/trigger protocol."""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, enum
from amaranth.lib.wiring import In, Out

from hw.checked import CheckedComponent

from .regbus import RegBusSignature
from .regmap import ACQUIRE_LOCKED, ACQUIRE_NO_CONTEXT, CONTEXT_BASE, REGISTERS, REGMAP

__all__ = ["HWPEControl", "ContextState", "CONTEXT_REGS"]

#: Context registers in offset order; their storage index is (offset - CONTEXT_BASE) / 4.
CONTEXT_REGS = tuple(r for r in REGISTERS if r.context)
assert [r.offset for r in CONTEXT_REGS] == [CONTEXT_BASE + 4 * i for i in range(len(CONTEXT_REGS))]


class ContextState(enum.Enum, shape=2):
    FREE = 0
    PROGRAMMING = 1   #: acquired by a core
    QUEUED = 2        #: triggered, not finished


class HWPEControl(CheckedComponent):
    """Registers and job contexts of an HWPE, following ``hw.hwpe.regmap``.

    Contexts are used in ring order: ACQUIRE hands out the next one if it is free, TRIGGER
    queues it, and jobs finish in order (``finish`` from the datapath), which frees the
    oldest. Only the core that acquired a context may write it or trigger it.

    Parameters
    ----------
    contexts : int
        Job contexts (2..4).
    cores : int
        Cores on the register bus (event lines).

    Members
    -------
    bus : In(RegBusSignature(8, id_bits))
    ctx : Out(ArrayLayout(ArrayLayout(32, len(CONTEXT_REGS)), contexts))
        Every context's registers.
    queued : Out(contexts)
        Contexts triggered and not finished.
    head : Out(range(contexts))
        The oldest queued context.
    finish : In(1), finish_error : In(4), finish_pointer : In(4)
        The job of context ``head`` has ended (with ErrorCode ``finish_error``).
    soft_clear : Out(1)
        High in the cycle of a write to SOFT_CLEAR (combinational): the datapath resets at the
        same clock edge as the contexts, so no job of before the clear can finish after it.
    evt : Out(cores)
        Event pulses: a job's end for the core that triggered it, and SW_EVENT.
    busy : Out(1)
    """

    @staticmethod
    def check(contexts: int = 2, cores: int = 8) -> None:
        if not 2 <= contexts <= 4:
            raise ValueError(f"HWPE contexts = {contexts}: must be in 2..4")
        if not 1 <= cores <= 16:
            raise ValueError(f"HWPE cores = {cores}: must be in 1..16")

    def __init__(self, contexts: int = 2, cores: int = 8):
        self._contexts, self._cores = contexts, cores
        self.id_bits = max(1, (cores - 1).bit_length())
        super().__init__({
            "bus": In(RegBusSignature(8, self.id_bits)),
            "ctx": Out(data.ArrayLayout(data.ArrayLayout(32, len(CONTEXT_REGS)), contexts)),
            "queued": Out(contexts), "head": Out(range(contexts)),
            "finish": In(1), "finish_error": In(4), "finish_pointer": In(4),
            "soft_clear": Out(1), "evt": Out(cores), "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        nctx = self._contexts
        bus = self.bus
        state = [Signal(ContextState, name=f"state{i}") for i in range(nctx)]
        owner = [Signal(self.id_bits, name=f"owner{i}") for i in range(nctx)]
        job_id = [Signal(31, name=f"job_id{i}") for i in range(nctx)]
        acq = Signal(range(nctx))                 # next context to acquire
        next_id = Signal(31)
        finished = Signal(32)
        last_id = Signal(31)
        error, protocol_error = Signal(), Signal()
        error_code, error_pointer = Signal(4), Signal(4)

        def ring_next(v):
            return Mux(v == nctx - 1, 0, v + 1)

        prog = [s == ContextState.PROGRAMMING for s in state]
        any_prog = Cat(*prog).any()
        prog_ctx = Signal(range(nctx))
        for i in range(nctx):
            with m.If(prog[i]):
                m.d.comb += prog_ctx.eq(i)
        prog_owner = Signal(self.id_bits)
        prog_id = Signal(31)
        for i in range(nctx):
            with m.If(prog_ctx == i):
                m.d.comb += [prog_owner.eq(owner[i]), prog_id.eq(job_id[i])]
        holds = any_prog & (prog_owner == bus.id)
        m.d.comb += [self.queued.eq(Cat(*[s == ContextState.QUEUED for s in state])),
                     self.busy.eq(self.queued.any())]

        read = bus.req & ~bus.we
        write = bus.req & bus.we
        reg = {r.name: bus.addr == r.offset for r in REGISTERS}
        ctx_index = Signal(range(len(CONTEXT_REGS)))
        ctx_sel = ((bus.addr >= CONTEXT_BASE)
                   & (bus.addr < CONTEXT_BASE + 4 * len(CONTEXT_REGS)))   # else unmapped
        m.d.comb += ctx_index.eq((bus.addr - CONTEXT_BASE)[2:])
        prog_regs = Signal(self.ctx.shape().elem_shape)
        for i in range(nctx):
            with m.If(prog_ctx == i):
                m.d.comb += prog_regs.eq(self.ctx[i])

        rdata = Signal(32)
        status = Signal(32)
        st = REGMAP["STATUS"]
        for name, value in (("busy", self.busy), ("error", error),
                            ("protocol_error", protocol_error), ("programming", any_prog),
                            ("error_code", error_code), ("error_pointer", error_pointer),
                            ("jobs", sum(Cat(*[s == ContextState.QUEUED for s in state])))):
            f = st.field(name)
            m.d.comb += status[f.lsb:f.lsb + f.width].eq(value)
        head_id = Signal(31)
        for i in range(nctx):
            with m.If(self.head == i):
                m.d.comb += head_id.eq(job_id[i])
        acq_free = Signal()
        acq_id_now = Signal(31)
        for i in range(nctx):
            with m.If(acq == i):
                m.d.comb += acq_free.eq(state[i] == ContextState.FREE)
        m.d.comb += acq_id_now.eq(next_id)
        with m.If(reg["ACQUIRE"]):
            m.d.comb += rdata.eq(Mux(any_prog, Mux(holds, prog_id, Const(ACQUIRE_LOCKED, 32)),
                                     Mux(acq_free, acq_id_now, Const(ACQUIRE_NO_CONTEXT, 32))))
        with m.Elif(reg["FINISHED"]):
            m.d.comb += rdata.eq(finished)
        with m.Elif(reg["STATUS"]):
            m.d.comb += rdata.eq(status)
        with m.Elif(reg["RUNNING_JOB"]):
            m.d.comb += rdata.eq(Mux(self.busy, head_id, last_id))
        with m.Elif(ctx_sel & any_prog):
            for k in range(len(CONTEXT_REGS)):
                with m.If(ctx_index == k):
                    m.d.comb += rdata.eq(prog_regs[k])
        m.d.sync += [bus.rvalid.eq(read), bus.rdata.eq(rdata)]

        # --- acquire, program, trigger
        m.d.sync += self.evt.eq(0)
        with m.If(read & reg["ACQUIRE"] & ~any_prog & acq_free):
            for i in range(nctx):
                with m.If(acq == i):
                    m.d.sync += [state[i].eq(ContextState.PROGRAMMING), owner[i].eq(bus.id),
                                 job_id[i].eq(next_id)]
            m.d.sync += next_id.eq(next_id + 1)
        with m.If(write & ctx_sel):
            with m.If(holds):
                for i in range(nctx):
                    for k in range(len(CONTEXT_REGS)):
                        with m.If((prog_ctx == i) & (ctx_index == k)):
                            m.d.sync += self.ctx[i][k].eq(bus.wdata)
            with m.Else():
                m.d.sync += protocol_error.eq(1)
        with m.If(write & reg["TRIGGER"]):
            with m.If(holds):
                for i in range(nctx):
                    with m.If(prog_ctx == i):
                        m.d.sync += state[i].eq(ContextState.QUEUED)
                m.d.sync += acq.eq(ring_next(acq))
            with m.Else():
                m.d.sync += protocol_error.eq(1)
        with m.If(write & reg["SW_EVENT"]):
            m.d.sync += self.evt.eq(bus.wdata)

        # --- a job ends: free its context, count it, tell its core
        with m.If(self.finish):
            for i in range(nctx):
                with m.If(self.head == i):
                    m.d.sync += [state[i].eq(ContextState.FREE), last_id.eq(job_id[i])]
                    for c in range(self._cores):
                        with m.If(owner[i] == c):
                            m.d.sync += self.evt[c].eq(1)
            m.d.sync += [self.head.eq(ring_next(self.head)), finished.eq(finished + 1),
                         error.eq(self.finish_error != 0), error_code.eq(self.finish_error),
                         error_pointer.eq(self.finish_pointer)]

        # --- soft clear: everything back to idle (counters and ids keep counting)
        m.d.comb += self.soft_clear.eq(write & reg["SOFT_CLEAR"])
        with m.If(self.soft_clear):
            m.d.sync += [acq.eq(0), self.head.eq(0), error.eq(0),
                         protocol_error.eq(0), error_code.eq(0), error_pointer.eq(0)]
            m.d.sync += [s.eq(ContextState.FREE) for s in state]
        return m
