"""Amaranth simulator benches on a Verilator model: the unit tests run against mutants.

The unit tests of small blocks (``tests/hw/ita/test_units.py`` and the like) build a component
and call ``run_pysim(dut, bench)`` with an ``async`` bench that uses Amaranth's testbench
context (``ctx.set``, ``ctx.get``, ``await ctx.tick()``). Inside the simulator, the cocotb test
:func:`mutants` calls such a test function in a cocotb bridge thread with the test module's
``run_pysim`` replaced: the bench then drives the Verilator model, whose ports are the
component's (the model was built from the same component, mutated), through a context with
the same methods. Each mutant (``mutsel``) runs every test after a reset; the result maps
each mutant to the first failure, or ``None``.
"""

import enum
import importlib
import itertools
from collections.abc import Callable, Iterator

import cocotb
from amaranth.hdl import Const, Shape, ShapeCastable, Signal, Value, ValueCastable
from amaranth.hdl._ast import Operator, Slice  # the two expression kinds views are made of
from cocotb.task import bridge, resume
from cocotb.triggers import Timer

from .. import sim

__all__ = ["TestCase", "cases", "mutants", "CocotbContext", "MAX_TICKS"]

#: Ticks one test may take on a mutant before it counts as hung (killed).
MAX_TICKS = 1_000_000


class TestCase:
    """A pytest function and one combination of its ``parametrize`` marks (``index``)."""

    __test__ = False  # not a pytest class

    def __init__(self, module: str, name: str, index: int = 0):
        self.module, self.name, self.index = module, name, index

    @property
    def id(self) -> str:
        return f"{self.module}::{self.name}[{self.index}]"

    @classmethod
    def parse(cls, text: str) -> "TestCase":
        module, rest = text.split("::")
        name, _, index = rest.partition("[")
        return cls(module, name, int(index.rstrip("]") or 0))

    def function(self) -> Callable:
        return getattr(importlib.import_module(self.module), self.name)

    def kwargs(self) -> dict:
        return list(_combinations(self.function()))[self.index]


def _combinations(func: Callable) -> Iterator[dict]:
    axes = []
    for mark in reversed(getattr(func, "pytestmark", [])):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = [v.values if hasattr(v, "values") else v for v in values]
        axes.append([dict(zip(names, r if len(names) > 1 else [r], strict=True))
                     for r in rows])
    for combo in itertools.product(*axes):
        yield {k: v for d in combo for k, v in d.items()}


def cases(module: str, name: str) -> list[TestCase]:
    """Return every parametrisation of the pytest function ``name`` of ``module``."""
    probe = TestCase(module, name)
    return [TestCase(module, name, i) for i in range(len(list(_combinations(probe.function()))))]


def call_with_bench(case: TestCase, runner: Callable) -> None:
    """Call the test function of ``case`` with its module's ``run_pysim`` replaced by
    ``runner(component, bench)``."""
    module = importlib.import_module(case.module)
    saved = module.run_pysim
    module.run_pysim = lambda dut, bench, **_: runner(dut, bench)
    try:
        case.function()(**case.kwargs())
    finally:
        module.run_pysim = saved


# --- inside the simulator -------------------------------------------------------------------

class _Tick:
    def __init__(self, ctx: "CocotbContext"):
        self._ctx, self._samples = ctx, ()

    def sample(self, *exprs) -> "_Tick":
        self._samples = exprs
        return self

    def __await__(self):
        return self._ctx._tick(self._samples)
        yield  # a generator that never suspends: the tick ran in the simulator already


class CocotbContext:
    """The part of Amaranth's testbench context the unit tests use, on a cocotb ``dut``.

    Runs in a bridge thread: every access resumes the simulator (``cocotb.resume``). Writes
    take effect (and combinational logic settles) before the next read or tick.
    """

    def __init__(self, dut, component):
        self._dut = dut
        self._ports: dict[int, object] = {}      # id of a port's Signal: its handle
        for path, _, value in component.signature.flatten(component):
            sig = Value.cast(value)
            handle = getattr(dut, "__".join(str(p) for p in path))
            if len(handle) != len(sig):
                raise ValueError(f"port {'.'.join(map(str, path))}: {len(sig)} bits in the "
                                 f"component, {len(handle)} in the model")
            self._ports[id(sig)] = handle
        self._dirty = False
        self.ticks = 0

    def _handle(self, sig: Signal):
        try:
            return self._ports[id(sig)]
        except KeyError:
            raise ValueError(f"{sig!r} is not a port of the component") from None

    def _eval(self, v: Value) -> int:
        if isinstance(v, Signal):
            return _unsigned(self._handle(v).value)
        if isinstance(v, Const):
            return v.value & ((1 << len(v)) - 1)
        if isinstance(v, Slice):
            return (self._eval(v.value) >> v.start) & ((1 << (v.stop - v.start)) - 1)
        if isinstance(v, Operator) and v.operator in ("s", "u"):
            return self._eval(v.operands[0])
        raise NotImplementedError(f"CocotbContext cannot read {v!r}")

    def _settle(self) -> None:
        if self._dirty:
            resume(_step)()
            self._dirty = False

    def get(self, expr):
        """Return the value of ``expr`` (a port, a slice or a view of one)."""
        self._settle()
        value = Value.cast(expr)
        bits = self._eval(value)
        if isinstance(expr, ValueCastable):
            shape = expr.shape()
            if isinstance(shape, ShapeCastable):
                return shape.from_bits(bits)
        shape = Shape.cast(value.shape())
        if shape.signed and bits >> (shape.width - 1):
            bits -= 1 << shape.width
        return bits

    def set(self, expr, value) -> None:
        """Write ``value`` to ``expr`` (a port, or a slice or view of an input port)."""
        if isinstance(expr, ValueCastable) and isinstance(expr.shape(), ShapeCastable):
            value = Const.cast(expr.shape().const(value)).value
        if isinstance(value, enum.Enum):
            value = value.value
        target = Value.cast(expr)
        bits = int(value) & ((1 << len(target)) - 1)
        start = 0
        while isinstance(target, Slice):
            start += target.start
            target = target.value
        if not isinstance(target, Signal):
            raise NotImplementedError(f"CocotbContext cannot write {expr!r}")
        handle = self._handle(target)
        if start or len(Value.cast(expr)) != len(target):
            self._settle()
            mask = ((1 << len(Value.cast(expr))) - 1) << start
            bits = (_unsigned(handle.value) & ~mask) | (bits << start)
        resume(_write)(handle, bits)
        self._dirty = True

    def tick(self) -> _Tick:
        """Return an awaitable that runs one clock cycle (``.sample(...)`` as in Amaranth)."""
        return _Tick(self)

    def _tick(self, samples) -> tuple:
        self._settle()
        got = tuple(self.get(s) for s in samples)
        self.ticks += 1
        if self.ticks > MAX_TICKS:
            raise TimeoutError(f"more than {MAX_TICKS} ticks")
        resume(_cycle)(self._dut)
        return (1, 0, *got) if samples else None


def _unsigned(value) -> int:
    """The value of a port: a ``LogicArray``, or a ``Logic`` for one bit."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


async def _step() -> None:
    await Timer(1, "step")


async def _write(handle, bits: int) -> None:
    handle.value = bits


async def _cycle(dut) -> None:
    if hasattr(dut, "clk"):
        dut.clk.value = 1
        await Timer(1, "step")
        dut.clk.value = 0
    await Timer(1, "step")


def _run_case(dut, case: TestCase) -> str | None:
    def runner(component, bench):
        ctx = CocotbContext(dut, component)
        coro = bench(ctx)
        try:
            coro.send(None)
        except StopIteration:
            return
        raise RuntimeError("the bench awaited something other than ctx.tick()")

    try:
        call_with_bench(case, runner)
    except Exception as e:  # any failure of the test kills the mutant
        return f"{case.id}: {type(e).__name__}: {str(e)[:200]}"
    return None


async def _reset(dut, index: int) -> None:
    dut.mutsel.value = index
    if hasattr(dut, "rst"):
        dut.rst.value = 1
        await _cycle(dut)
        dut.rst.value = 0
    await Timer(1, "step")


@cocotb.test()
async def mutants(dut):
    """Run the tests ``params()["tests"]`` on each mutant of ``params()["mutants"]``; write
    the first failure of each (or ``None``) with :func:`tb.sim.write_result`."""
    p = sim.params()
    tests = [TestCase.parse(t) for t in p["tests"]]
    results = {}
    for index in p["mutants"]:
        failure = None
        for case in tests:
            await _reset(dut, index)
            failure = await bridge(_run_case)(dut, case)
            if failure:
                break
        results[str(index)] = failure
    sim.write_result(results)
