"""Components that check their parameters before they exist.

Amaranth warns, when an elaboratable is garbage-collected, that it was "created but never
used"; a component whose ``__init__`` raises for a bad parameter has already been created, so
the error would come with that warning (an error under ``pytest -W error``). Amaranth has no
public way to mark one object as meant to be unused, so these components check in ``__new__``,
before the object exists: a bad parameter raises and leaves nothing behind.
"""

from amaranth.lib import wiring

__all__ = ["CheckedComponent"]


class CheckedComponent(wiring.Component):
    """A ``wiring.Component`` whose ``check`` (a static method taking the arguments of
    ``__init__``) runs before the object is created and raises a ValueError naming a bad
    parameter."""

    def __new__(cls, *args, **kwargs):
        cls.check(*args, **kwargs)
        return super().__new__(cls, *args, src_loc_at=1, **kwargs)

    @staticmethod
    def check(*args, **kwargs) -> None:
        """Raise a ValueError naming a bad parameter (nothing to check by default)."""
