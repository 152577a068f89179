"""Data layouts of the ITA engine's interfaces (Amaranth ``data`` layouts)."""

from amaranth import signed, unsigned
from amaranth.lib import data

from .config import ITAConfig

__all__ = ["RequantLayout", "GELU_B_BITS", "GELU_C_BITS", "SHIFT_BITS", "SOFTMAX_SHIFT_BITS",
           "BIAS_BEATS", "job_layout", "tiles_bits", "valid_bits", "input_layout",
           "weight_layout", "bias_layout", "output_layout"]

#: Width of a requantizer shift (0..31).
SHIFT_BITS = 5
#: Widths of the i-GELU constants q_b (-1023..0) and q_c (-2**24..0).
GELU_B_BITS = 11
GELU_C_BITS = 26
#: Width of ITAMax's shift k (0..7).
SOFTMAX_SHIFT_BITS = 3

RequantLayout = data.StructLayout({
    "mult": unsigned(8),
    "shift": unsigned(SHIFT_BITS),
    "add": signed(8),
})


def tiles_bits(cfg: ITAConfig) -> int:
    """Width of a size field in tiles (holds 0..max_tiles; 0 is rejected)."""
    return cfg.max_tiles.bit_length()


def valid_bits(cfg: ITAConfig) -> int:
    """Width of the valid length of a job (holds 0..max_size)."""
    return cfg.max_size.bit_length()


def job_layout(cfg: ITAConfig) -> data.StructLayout:
    """The configuration of one job: mode, sizes in tiles, requantizers, activation and
    ITAMax's shift and mask.

    ``rq`` holds one requantizer per step in the order of ``config.STEPS`` (Q, K, V, QK, AV,
    OW, F1, F2); Linear uses F1's. ``overlap`` lets the job start while the previous one
    finishes (set it only when the job does not read the previous job's outputs). ``k`` is
    ITAMax's shift for this job (0..7; ``rs(d) = floor(d / 2**k + 1/2)``). ``valid`` is the
    number of real keys (0..max_size): ITAMax masks the key columns from ``valid`` on (the
    columns of QK's output, and of A in AV); 0 masks none, and so does any value of at least
    S*M. Modes without ITAMax ignore both.
    """
    t = tiles_bits(cfg)
    return data.StructLayout({
        "mode": unsigned(2),
        "overlap": unsigned(1),
        "s": unsigned(t),
        "e": unsigned(t),
        "p": unsigned(t),
        "f": unsigned(t),
        "rq": data.ArrayLayout(RequantLayout, 8),
        "act": unsigned(2),
        "act_rq": RequantLayout,
        "gelu_b": signed(GELU_B_BITS),
        "gelu_c": signed(GELU_C_BITS),
        "k": unsigned(SOFTMAX_SHIFT_BITS),
        "valid": unsigned(valid_bits(cfg)),
    })


def input_layout(cfg: ITAConfig) -> data.ArrayLayout:
    """One input beat: a row of M int8 values."""
    return data.ArrayLayout(signed(8), cfg.m)


def weight_layout(cfg: ITAConfig) -> data.ArrayLayout:
    """One weight beat: the M int8 weights of one output column over one inner tile."""
    return data.ArrayLayout(signed(8), cfg.m)


def bias_layout(cfg: ITAConfig) -> data.ArrayLayout:
    """One bias beat: M/4 biases as 32-bit words (M bytes, as in memory); the engine uses
    their low 24 bits. Four beats hold the M biases of an output tile."""
    return data.ArrayLayout(signed(32), cfg.m // 4)


#: Bias beats per output tile.
BIAS_BEATS = 4


def output_layout(cfg: ITAConfig) -> data.ArrayLayout:
    """One output beat: a row of M int8 results of an output tile."""
    return data.ArrayLayout(signed(8), cfg.m)
