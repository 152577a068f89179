"""Checks a job's registers before it reaches the engine."""

from amaranth import Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.ita.config import Activation, ITAConfig, Mode

from .control import CONTEXT_REGS
from .layout import EXTENTS
from .regmap import POINTERS, ErrorCode
from .walker import context_field

__all__ = ["JobChecker", "SIZES_USED"]

#: Sizes each mode uses (the others are ignored and passed to the engine as 1).
SIZES_USED = {Mode.ATTENTION: "sep", Mode.SINGLE_ATTENTION: "sp", Mode.FEEDFORWARD: "sef",
              Mode.LINEAR: "sep"}


class JobChecker(wiring.Component):
    """Check the job in ``ctx``: mode, activation, the sizes the mode uses, then one pointer
    per cycle (aligned to 8 bytes, and its matrix inside ``[mem_base, mem_base + mem_size)``).
    Takes ``3 + len(POINTERS)`` cycles from ``start`` to ``done``.

    Members
    -------
    ctx : In(ArrayLayout(32, n))
        The context's registers; stable from ``start`` to ``done``.
    start : In(1)
    done : Out(1)
        Pulses with the verdict.
    error : Out(4), pointer : Out(4)
        ErrorCode (0: the job is valid) and the index of the pointer it names.
    """

    def __init__(self, cfg: ITAConfig, mem_base: int, mem_size: int):
        self._cfg, self._base, self._size = cfg, mem_base, mem_size
        super().__init__({
            "ctx": In(data.ArrayLayout(32, len(CONTEXT_REGS))), "start": In(1),
            "done": Out(1), "error": Out(4), "pointer": Out(4),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        ctx = self.ctx
        mode = context_field(ctx, "CTRL", "mode")
        act = context_field(ctx, "CTRL", "act")
        sizes = {n: context_field(ctx, "SIZES", n) for n in "sepf"}
        size_ok = {n: (v != 0) & (v <= cfg.max_tiles) for n, v in sizes.items()}

        running = Signal()
        index = Signal(range(len(POINTERS) + 1))
        m.d.sync += self.done.eq(0)
        with m.If(self.start & ~running):
            m.d.sync += [running.eq(1), index.eq(0), self.error.eq(ErrorCode.NONE),
                         self.pointer.eq(0)]
            with m.If(mode > max(Mode)):
                m.d.sync += [running.eq(0), self.done.eq(1), self.error.eq(ErrorCode.MODE)]
            with m.Elif(act > max(Activation)):
                m.d.sync += [running.eq(0), self.done.eq(1),
                             self.error.eq(ErrorCode.ACTIVATION)]
            for md, used in SIZES_USED.items():
                with m.Elif((mode == md) & ~_all(size_ok[n] for n in used)):
                    m.d.sync += [running.eq(0), self.done.eq(1), self.error.eq(ErrorCode.SIZE)]

        # one pointer per cycle
        ptr = Signal(32)
        rows = Signal(8)
        cols_bytes = Signal(16)
        used = Signal()
        for i, name in enumerate(POINTERS):
            with m.If(index == i):
                m.d.comb += ptr.eq(context_field(ctx, name))
                for md in Mode:
                    ext = EXTENTS.get((md, name))
                    if ext is None:
                        continue
                    r, c = ext
                    with m.If(mode == md):
                        m.d.comb += [used.eq(1), rows.eq(sizes[r]),
                                     cols_bytes.eq(4 if c == "bias" else sizes[c] * cfg.m)]
        extent = Signal(34)
        m.d.comb += extent.eq(rows * cfg.m * cols_bytes)
        aligned = ptr[:3] == 0
        inside = (ptr >= self._base) & (ptr + extent <= self._base + self._size)
        with m.If(running):
            with m.If(used & ~aligned):
                m.d.sync += [running.eq(0), self.done.eq(1), self.error.eq(ErrorCode.ALIGNMENT),
                             self.pointer.eq(index)]
            with m.Elif(used & ~inside):
                m.d.sync += [running.eq(0), self.done.eq(1), self.error.eq(ErrorCode.RANGE),
                             self.pointer.eq(index)]
            with m.Elif(index == len(POINTERS) - 1):
                m.d.sync += [running.eq(0), self.done.eq(1)]
            with m.Else():
                m.d.sync += index.eq(index + 1)
        return m


def _all(values):
    out = 1
    for v in values:
        out = out & v
    return out
