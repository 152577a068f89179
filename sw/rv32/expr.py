"""Assembler expressions: integers, symbols, ``+ - * << >> & | ^ ~``, parentheses,
``%hi(...)`` and ``%lo(...)``, and ``.`` for the current address."""

import ast
import re
from numbers import Integral

from .isa import sign_extend

__all__ = ["evaluate", "hi", "lo", "symbols_in"]


def hi(value: int) -> int:
    """The upper 20 bits for ``lui``, rounded so that ``lo`` adds back (``%hi``)."""
    return ((value + 0x800) >> 12) & 0xFFFFF


def lo(value: int) -> int:
    """The signed low 12 bits (``%lo``)."""
    return sign_extend(value, 12)


def _shift_count(b: int) -> int:
    if not 0 <= b <= 63:
        raise ValueError(f"shift count {b} is outside 0..63")
    return b


def _word(value: int, what: str) -> int:
    if not -(1 << 31) <= value < 1 << 32:
        raise ValueError(f"{what}: {value} (0x{value & ((1 << 64) - 1):x}) does not fit 32 bits "
                         f"(-2147483648..4294967295)")
    return value


_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.LShift: lambda a, b: a << _shift_count(b),
        ast.RShift: lambda a, b: a >> _shift_count(b), ast.BitAnd: lambda a, b: a & b,
        ast.BitOr: lambda a, b: a | b, ast.BitXor: lambda a, b: a ^ b}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a, ast.Invert: lambda a: ~a}


def _parse(text: str) -> ast.expr:
    src = re.sub(r"%(hi|lo)\s*\(", r"__\1__(", text.strip())
    src = re.sub(r"(?<![\w.])\.(?![\w.])", "__pc__", src)
    src = re.sub(r"\b0[bB]([01]+)\b", lambda mo: str(int(mo.group(1), 2)), src)
    src = re.sub(r"'(\\?.)'", lambda mo: str(ord(mo.group(1)[-1])), src)
    try:
        return ast.parse(src, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"cannot parse the expression {shown!r}") from None


def symbols_in(text: str) -> set[str]:
    """The symbol names an expression uses."""
    return {n.id for n in ast.walk(_parse(text)) if isinstance(n, ast.Name)
            and n.id not in ("__hi__", "__lo__", "__pc__")}


def evaluate(expr: int | str, symbols: dict[str, int], pc: int = 0) -> int:
    """Evaluate an expression with the given symbol values; ``.`` is ``pc``."""
    if isinstance(expr, Integral) and not isinstance(expr, bool):
        return int(expr)
    if not isinstance(expr, str):
        raise ValueError(f"{expr!r} is neither an integer nor an expression")

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id == "__pc__":
                return pc
            if node.id not in symbols:
                raise ValueError(f"undefined symbol {node.id!r} in {expr!r}")
            return symbols[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("__hi__", "__lo__") and len(node.args) == 1):
            what = "%hi" if node.func.id == "__hi__" else "%lo"
            value = _word(ev(node.args[0]), f"{what} in {expr!r}")
            return (hi if node.func.id == "__hi__" else lo)(value)
        raise ValueError(f"unsupported expression {expr!r}")

    try:
        return ev(_parse(expr))
    except RecursionError:
        raise ValueError(f"the expression {expr[:40]!r}... is nested too deeply") from None
