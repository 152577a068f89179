"""Balanced reduction trees for wide datapaths."""

from collections.abc import Callable, Sequence

from amaranth import Value

__all__ = ["tree_reduce"]


def tree_reduce(op: Callable[[Value, Value], Value], values: Sequence[Value]) -> Value:
    """Combine ``values`` pairwise with ``op`` in a balanced tree of depth ceil(log2(n))."""
    values = list(values)
    if not values:
        raise ValueError("tree_reduce needs at least one value")
    while len(values) > 1:
        values = [op(values[i], values[i + 1]) if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]
