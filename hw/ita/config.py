"""Generator parameters of the ITA engine.

This is plain Python (no Amaranth) so that the golden model and the compiler can read the
same numbers the hardware is generated from.
"""

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["ITAConfig", "is_pow2", "Mode", "Activation", "ACC_BITS", "BIAS_BITS", "STEPS"]

#: Width of the signed accumulator seen by the requantizers; sums are clipped to it.
ACC_BITS = 26
#: Width of the signed bias added at the last inner tile.
BIAS_BITS = 24
#: Matrix steps of the engine, each with its own requantizer.
STEPS = ("Q", "K", "V", "QK", "AV", "OW", "F1", "F2")


def is_pow2(x: int) -> bool:
    """Whether ``x`` is a positive power of two."""
    return x > 0 and x & (x - 1) == 0


@dataclass(frozen=True)
class ITAConfig:
    """Parameters of one generated ITA engine.

    Parameters
    ----------
    n : int
        Number of processing engines (dot-product units); a power of two in 2..64. It is
        also the group width of ITAMax.
    m : int
        Dot-product length and tile edge; a power of two in 8..128 and a multiple of ``n``.
    softmax_shift : int
        The default ``k`` of ITAMax (one int8 step of a logit stands for a factor
        ``2**(1/2**k)``), 0..7: the shift software gives a job whose head does not choose its
        own (``HeadParams.softmax_shift`` None). The hardware does not depend on it: every
        job carries its k (``job_layout``).
    max_tiles : int
        Largest runtime size (S, E, P, F) in tiles of ``m``; 1..64. It sets the widths of the
        tile counters and of the softmax sum.
    """

    n: int = 16
    m: int = 64
    softmax_shift: int = 5
    max_tiles: int = 8

    def __post_init__(self) -> None:
        for name, value in (("n", self.n), ("m", self.m), ("softmax_shift", self.softmax_shift),
                            ("max_tiles", self.max_tiles)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"ITAConfig.{name} must be an int, got {value!r}")
        if not (is_pow2(self.n) and 2 <= self.n <= 64):
            raise ValueError(f"ITAConfig.n = {self.n}: must be a power of two in 2..64")
        if not (is_pow2(self.m) and 8 <= self.m <= 128):
            raise ValueError(f"ITAConfig.m = {self.m}: must be a power of two in 8..128")
        if self.m % self.n:
            raise ValueError(f"ITAConfig.m = {self.m} must be a multiple of n = {self.n}")
        if not 0 <= self.softmax_shift <= 7:
            raise ValueError(
                f"ITAConfig.softmax_shift = {self.softmax_shift}: must be in 0..7")
        if self.n * self.m > 4096:
            raise ValueError(f"ITAConfig n * m = {self.n * self.m}: must be at most 4096 (a "
                             "weight chunk of n x m bytes is one signal, and Amaranth's netlist "
                             "caps a signal below 65536 bits)")
        if not 1 <= self.max_tiles <= 64:
            raise ValueError(f"ITAConfig.max_tiles = {self.max_tiles}: must be in 1..64")
        if self.max_size * 255 * 128 >= 2 ** (ACC_BITS - 1) - 2 ** (BIAS_BITS - 1):
            raise ValueError(
                f"ITAConfig.max_tiles = {self.max_tiles} with m = {self.m}: an inner dimension "
                f"of {self.max_size} could overflow the {ACC_BITS}-bit accumulator; "
                f"max_tiles * m must stay below "
                f"{(2 ** (ACC_BITS - 1) - 2 ** (BIAS_BITS - 1)) // (255 * 128) + 1}")

    @property
    def max_size(self) -> int:
        """Largest runtime size (S, E, P or F) in elements."""
        return self.max_tiles * self.m

    @property
    def sum_bits(self) -> int:
        """Width of the unsigned ITAMax row sum: holds ``max_size * 256``."""
        return (self.max_size * 256).bit_length()


class Mode(IntEnum):
    """Layer modes of the engine (the encoding of the mode register field)."""

    ATTENTION = 0         #: Q, K, V, QK, ITAMax, AV, OW for one head
    FEEDFORWARD = 1       #: F1 with activation, then F2
    LINEAR = 2            #: one matrix product, bias, requantizer and activation
    SINGLE_ATTENTION = 3  #: only QK, ITAMax and AV


class Activation(IntEnum):
    """Activation functions of the activation unit (the encoding of its register field)."""

    IDENTITY = 0
    RELU = 1
    GELU = 2
