"""The register map of the ITA HWPE (the engine's registers), declared once with
:mod:`hw.regmap`.

This declaration is the source of the hardware's register decoding
(:class:`hw.hwpe.control.HWPEControl`), of docs/regmap.md and of the constants software uses
(``REGMAP["SIZES"].offset``, ``REGMAP["CTRL"].field("mode")``).
"""

from hw.regmap import Field, Register, RegisterMap

__all__ = ["ENGINE_REGS", "REGISTERS", "REGMAP", "POINTERS", "CONTEXT_BASE", "ErrorCode",
           "ACQUIRE_NO_CONTEXT", "ACQUIRE_LOCKED", "STATUS_BUSY"]


def _rq(name: str, offset: int, step: str) -> Register:
    return Register(name, offset, "rw", f"requantizer of {step}", (
        Field("mult", 0, 8, "multiplier, unsigned"),
        Field("shift", 8, 5, "right shift, 0..31"),
        Field("add", 16, 8, "offset after rounding, signed", signed=True),
    ), context=True)


#: Job-context registers holding a pointer, in order (their index is reported in errors).
POINTERS = ("IN", "W0", "W1", "W2", "W3", "B0", "B1", "B2", "B3", "T0", "T1", "T2", "T3",
            "T4", "OUT")
_POINTER_DOCS = {
    "IN": "input X (S x E int8)",
    "W0": "first weight matrix, transposed (Wq^T P x E; W1^T F x E in Feed-forward; W^T P x E "
          "in Linear)",
    "W1": "second weight matrix, transposed (Wk^T P x E; W2^T E x F in Feed-forward)",
    "W2": "Wv^T (P x E)", "W3": "Wo^T (E x P)",
    "B0": "bias of Q (P x int32); of F1 (F) or Linear (P)", "B1": "bias of K (P); of F2 (E)",
    "B2": "bias of V (P)", "B3": "bias of OW (E)",
    "T0": "Q (S x P), written; F1 (S x F) in Feed-forward",
    "T1": "K (S x P)", "T2": "V^T (P x S)", "T3": "logits (S x S)", "T4": "O (S x P)",
    "OUT": "output (S x E; S x P in Linear)",
}
CONTEXT_BASE = 0x20

REGISTERS: tuple[Register, ...] = (
    Register("TRIGGER", 0x00, "wo", "write 0: commit the context this core acquired; the job "
             "runs when the engine is free"),
    Register("ACQUIRE", 0x04, "ro", "read: acquire the next job context and return its job id "
             "(>= 0), or -1 when no context is free, or -2 when another core is programming "
             "one; a core that already holds a context gets its id again"),
    Register("FINISHED", 0x08, "ro", "number of jobs finished since reset (with or without "
             "error): job j has finished when FINISHED > j"),
    Register("STATUS", 0x0C, "ro", "engine status", (
        Field("busy", 0, 1, "a job is queued or running"),
        Field("error", 1, 1, "the last finished job ended with an error"),
        Field("protocol_error", 2, 1, "a trigger or a context write came from a core holding "
              "no context (sticky until SOFT_CLEAR)"),
        Field("programming", 3, 1, "a core holds a context"),
        Field("error_code", 8, 4, "ErrorCode of the last finished job"),
        Field("error_pointer", 12, 4, "index in POINTERS of the pointer an error names"),
        Field("jobs", 16, 8, "jobs queued or running"),
    )),
    Register("RUNNING_JOB", 0x10, "ro", "id of the oldest job queued or running, else of the "
             "last finished job"),
    Register("SOFT_CLEAR", 0x14, "wo", "write: abort every job, free every context and clear "
             "the errors; the engine is idle and busy low in the next cycle"),
    Register("SW_EVENT", 0x1C, "wo", "write a mask: pulse the event line of each core whose bit "
             "is set"),
    Register("CTRL", 0x20, "rw", "job control", (
        Field("mode", 0, 3, "0 Attention, 1 Feed-forward, 2 Linear, 3 Single-attention"),
        Field("overlap", 3, 1, "may start while the previous job finishes (only if it does not "
              "read that job's outputs)"),
        Field("act", 4, 2, "activation of F1/Linear: 0 identity, 1 ReLU, 2 i-GELU"),
    ), context=True),
    Register("SIZES", 0x24, "rw", "sizes in tiles of M", (
        Field("s", 0, 8, "sequence S"), Field("e", 8, 8, "embedding E"),
        Field("p", 16, 8, "projection P"), Field("f", 24, 8, "feed-forward F"),
    ), context=True),
    _rq("RQ_Q", 0x28, "Q"), _rq("RQ_K", 0x2C, "K"), _rq("RQ_V", 0x30, "V"),
    _rq("RQ_QK", 0x34, "QK"), _rq("RQ_AV", 0x38, "AV"), _rq("RQ_OW", 0x3C, "OW"),
    _rq("RQ_F1", 0x40, "F1 and Linear"), _rq("RQ_F2", 0x44, "F2"),
    _rq("RQ_ACT", 0x48, "the activation"),
    Register("GELU_B", 0x4C, "rw", "i-GELU constant", (
        Field("q_b", 0, 11, "q_b, -1023..0", signed=True),), context=True),
    Register("GELU_C", 0x50, "rw", "i-GELU constant", (
        Field("q_c", 0, 26, "q_c, -2**24..0", signed=True),), context=True),
    *(Register(name, 0x54 + 4 * i, "rw", f"byte address of {_POINTER_DOCS[name]}", (),
               context=True) for i, name in enumerate(POINTERS)),
    Register("SOFTMAX", 0x54 + 4 * len(POINTERS), "rw", "ITAMax of this job (Attention and "
             "Single-attention)", (
                 Field("k", 0, 3, "ITAMax shift of this job, 0..7"),
                 Field("valid", 16, 16, "real keys: columns from this index on are masked; 0 "
                       "masks none (as does any value of at least S*M)"),
             ), context=True),
)


#: ACQUIRE results.
ACQUIRE_NO_CONTEXT = -1
ACQUIRE_LOCKED = -2


class ErrorCode:
    """Values of STATUS.error_code."""

    NONE = 0
    SIZE = 1         #: a size the mode uses is 0 or above max_tiles
    MODE = 2         #: mode 4..7
    ACTIVATION = 3   #: act 3
    ALIGNMENT = 4    #: a pointer the mode uses is not a multiple of 8
    RANGE = 5        #: a matrix the mode uses is not inside the memory

    DOCS = {SIZE: "a size the mode uses is 0 or above max_tiles",
            MODE: "an unknown mode (4..7)", ACTIVATION: "an unknown activation (3)",
            ALIGNMENT: "a pointer the mode uses is not a multiple of 8 (error_pointer names it)",
            RANGE: "a matrix the mode uses does not lie inside the memory (error_pointer names "
                   "it)"}


ENGINE_REGS = RegisterMap(
    "ITA engine (HWPE)", "`ENGINE_BASE`",
    "Context registers exist once per job context and are written into the context the "
    "writing core acquired.", REGISTERS, notes=(
        "\n".join(["### Error codes (STATUS.error_code)", "", "| code | meaning |", "|---|---|",
                   *(f"| {code} | {doc} |" for code, doc in ErrorCode.DOCS.items())]),
        "\n".join(["### Pointer indices (STATUS.error_pointer)", "", "| index | register |",
                   "|---|---|", *(f"| {i} | {name} |" for i, name in enumerate(POINTERS))])))
#: The engine's registers by name.
REGMAP = ENGINE_REGS
STATUS_BUSY = REGMAP["STATUS"].field("busy").mask
