"""A Python model of the HWPE's register file and job contexts (:mod:`hw.hwpe.control`), as
``hw.hwpe.regmap`` documents them: what every register access returns and does.

The model does not run jobs: a bench tells it when the engine finished the oldest queued job
(:meth:`ControlModel.finish`), and with which error.
"""

from dataclasses import dataclass, field

from hw.hwpe.control import CONTEXT_REGS
from hw.hwpe.regmap import ACQUIRE_LOCKED, ACQUIRE_NO_CONTEXT, CONTEXT_BASE, REGMAP

__all__ = ["ControlModel", "FREE", "PROGRAMMING", "QUEUED"]

FREE, PROGRAMMING, QUEUED = "free", "programming", "queued"
_WORD = 0xFFFF_FFFF


@dataclass
class _Context:
    state: str = FREE
    owner: int = 0
    job_id: int = 0
    regs: list[int] = field(default_factory=lambda: [0] * len(CONTEXT_REGS))


class ControlModel:
    """The register file of an HWPE with ``contexts`` job contexts and ``cores`` cores, from
    reset. :meth:`read` and :meth:`write` are one register access each; ``events`` lists the
    event masks the HWPE must pulse, in order."""

    def __init__(self, contexts: int, cores: int):
        self.cores = cores
        self.ctx = [_Context() for _ in range(contexts)]
        self.acq = self.head = 0
        self.next_id = self.finished = self.last_id = 0
        self.error = self.protocol_error = 0
        self.error_code = self.error_pointer = 0
        self.events: list[int] = []

    # --- what software sees -------------------------------------------------------------
    def programming(self) -> _Context | None:
        """The context a core holds, if any."""
        return next((c for c in self.ctx if c.state == PROGRAMMING), None)

    def holder(self) -> int | None:
        prog = self.programming()
        return None if prog is None else prog.owner

    def queued(self) -> int:
        return sum(c.state == QUEUED for c in self.ctx)

    def status(self) -> int:
        values = {"busy": int(self.queued() > 0), "error": self.error,
                  "protocol_error": self.protocol_error,
                  "programming": int(self.programming() is not None),
                  "error_code": self.error_code, "error_pointer": self.error_pointer,
                  "jobs": self.queued()}
        return REGMAP["STATUS"].encode(**values)

    def read(self, offset: int, core: int) -> int:
        """Read the register at ``offset`` as ``core``: the 32-bit word returned."""
        prog = self.programming()
        if offset == REGMAP["ACQUIRE"].offset:
            if prog is not None:
                return (prog.job_id if prog.owner == core else ACQUIRE_LOCKED) & _WORD
            ctx = self.ctx[self.acq]
            if ctx.state != FREE:
                return ACQUIRE_NO_CONTEXT & _WORD
            ctx.state, ctx.owner, ctx.job_id = PROGRAMMING, core, self.next_id
            self.next_id += 1
            return ctx.job_id
        if offset == REGMAP["FINISHED"].offset:
            return self.finished
        if offset == REGMAP["STATUS"].offset:
            return self.status()
        if offset == REGMAP["RUNNING_JOB"].offset:
            return self.ctx[self.head].job_id if self.queued() else self.last_id
        index = self._context_index(offset)
        if index is not None and prog is not None:
            return prog.regs[index]
        return 0                                   # write-only or unmapped

    def write(self, offset: int, value: int, core: int) -> None:
        """Write ``value`` to the register at ``offset`` as ``core``."""
        prog = self.programming()
        holds = prog is not None and prog.owner == core
        index = self._context_index(offset)
        if index is not None or offset == REGMAP["TRIGGER"].offset:
            if not holds:
                self.protocol_error = 1
            elif index is not None:
                prog.regs[index] = value & _WORD
            else:
                prog.state = QUEUED
                self.acq = (self.acq + 1) % len(self.ctx)
        elif offset == REGMAP["SW_EVENT"].offset:
            self._event(value & ((1 << self.cores) - 1))
        elif offset == REGMAP["SOFT_CLEAR"].offset:
            for c in self.ctx:
                c.state = FREE
            self.acq = self.head = 0
            self.error = self.protocol_error = self.error_code = self.error_pointer = 0

    # --- what the engine does -----------------------------------------------------------
    def finish(self, error: int = 0, pointer: int = 0) -> None:
        """The oldest queued job ended (with ErrorCode ``error``, naming ``pointer``)."""
        ctx = self.ctx[self.head]
        assert ctx.state == QUEUED, "the model finished a job that was not queued"
        ctx.state = FREE
        self.last_id = ctx.job_id
        self.head = (self.head + 1) % len(self.ctx)
        self.finished += 1
        self.error, self.error_code, self.error_pointer = int(error != 0), error, pointer
        self._event(1 << ctx.owner)

    def head_job(self) -> _Context | None:
        """The context of the oldest queued job, if any."""
        ctx = self.ctx[self.head]
        return ctx if ctx.state == QUEUED else None

    def _event(self, mask: int) -> None:
        if mask:
            self.events.append(mask)

    @staticmethod
    def _context_index(offset: int) -> int | None:
        index = (offset - CONTEXT_BASE) // 4
        return index if offset >= CONTEXT_BASE and index < len(CONTEXT_REGS) else None
