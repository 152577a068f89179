"""An engine job as software describes it: mode, sizes in tiles and every constant, with its
encodings for the engine's job stream and for the HWPE's registers."""

from dataclasses import dataclass

from hw.hwpe.regmap import REGMAP
from hw.ita.config import Activation, ITAConfig, Mode
from sw.golden import FFNParams, GeluConstants, HeadParams, Requant
from sw.golden.layers import PASS

__all__ = ["ItaJob", "RQ_REGISTERS", "SizeError", "tiles", "golden_valid", "attention_job",
           "feedforward_job", "linear_job", "single_attention_job"]

#: The HWPE register of each of the job's eight requantizers (in ``rq`` order), and the
#: activation's.
RQ_REGISTERS = ("RQ_Q", "RQ_K", "RQ_V", "RQ_QK", "RQ_AV", "RQ_OW", "RQ_F1", "RQ_F2")


@dataclass(frozen=True)
class ItaJob:
    """One engine job: mode, sizes in tiles and every constant.

    ``softmax_shift`` is ITAMax's k for this job (0..7) and ``valid`` its valid length: the
    number of real keys, ITAMax masks the key columns from it on (0: none masked). Modes
    without ITAMax (Feed-forward, Linear) ignore both.
    """

    mode: Mode
    s: int
    e: int = 1
    p: int = 1
    f: int = 1
    rq: tuple[Requant, ...] = (PASS,) * 8
    act: Activation = Activation.IDENTITY
    act_rq: Requant = PASS
    gelu: GeluConstants | None = None
    overlap: bool = False
    softmax_shift: int = 5
    valid: int = 0

    def registers(self, pointers: dict[str, int]) -> dict[int, int]:
        """Return the HWPE context registers of the job, ``{offset: value}``, with the
        pointer registers from ``pointers`` (``{"IN": address, ...}``)."""
        g = self.gelu or GeluConstants(0, 0)
        regs = {
            REGMAP["CTRL"].offset: REGMAP["CTRL"].encode(mode=int(self.mode),
                                                         overlap=int(self.overlap),
                                                         act=int(self.act)),
            REGMAP["SIZES"].offset: REGMAP["SIZES"].encode(s=self.s, e=self.e, p=self.p,
                                                           f=self.f),
            REGMAP["GELU_B"].offset: REGMAP["GELU_B"].encode(q_b=g.q_b),
            REGMAP["GELU_C"].offset: REGMAP["GELU_C"].encode(q_c=g.q_c),
            REGMAP["SOFTMAX"].offset: REGMAP["SOFTMAX"].encode(k=self.softmax_shift,
                                                               valid=self.valid),
        }
        for name, rq in (*zip(RQ_REGISTERS, self.rq, strict=True), ("RQ_ACT", self.act_rq)):
            regs[REGMAP[name].offset] = REGMAP[name].encode(mult=rq.mult, shift=rq.shift,
                                                            add=rq.add)
        for name, address in pointers.items():
            regs[REGMAP[name].offset] = address
        return regs


class SizeError(ValueError):
    """A size the engine cannot take: not a positive multiple of M."""


def tiles(cfg: ITAConfig, what: str, size: int) -> int:
    """``size`` in tiles of M; a size that is not a positive multiple of M is a
    :class:`SizeError` naming ``what``."""
    if size <= 0 or size % cfg.m:
        raise SizeError(f"{what} = {size} is not a positive multiple of M = {cfg.m}")
    return size // cfg.m


def golden_valid(valid: int, keys: int) -> int | None:
    """A job's valid length as the golden model takes it (``sw.golden.itamax``) for ``keys``
    key columns: None when no key is masked (``valid`` 0, or at least ``keys``)."""
    return valid if 0 < valid < keys else None


def _shift(cfg: ITAConfig, softmax_shift: int | None) -> int:
    """ITAMax's shift of a job: the head's own, else the configuration's."""
    return cfg.softmax_shift if softmax_shift is None else softmax_shift


def attention_job(cfg: ITAConfig, seq: int, h: HeadParams, valid: int = 0) -> ItaJob:
    """The Attention job of one head on ``seq`` rows: ITAMax with the head's shift (else
    ``cfg.softmax_shift``), keys from ``valid`` on masked (0: none)."""
    return ItaJob(Mode.ATTENTION, tiles(cfg, "S", seq), tiles(cfg, "E", h.emb),
                  tiles(cfg, "P", h.proj), 1,
                  (h.rq_q, h.rq_k, h.rq_v, h.rq_qk, h.rq_av, h.rq_ow, PASS, PASS),
                  softmax_shift=_shift(cfg, h.softmax_shift), valid=valid)


def feedforward_job(cfg: ITAConfig, seq: int, p: FFNParams) -> ItaJob:
    """The Feed-forward job of a block on ``seq`` rows."""
    return ItaJob(Mode.FEEDFORWARD, tiles(cfg, "S", seq), tiles(cfg, "E", p.w1.shape[0]), 1,
                  tiles(cfg, "F", p.w1.shape[1]), (PASS,) * 6 + (p.rq_f1, p.rq_f2), p.act,
                  p.rq_act, p.gelu)


def linear_job(cfg: ITAConfig, seq: int, w_shape: tuple[int, int], rq: Requant,
               act: Activation = Activation.IDENTITY, rq_act: Requant = PASS,
               gelu: GeluConstants | None = None) -> ItaJob:
    """The Linear job of one matrix step (weights ``w_shape`` = (E, P)) on ``seq`` rows."""
    return ItaJob(Mode.LINEAR, tiles(cfg, "S", seq), tiles(cfg, "E", w_shape[0]),
                  tiles(cfg, "P", w_shape[1]), 1, (PASS,) * 6 + (rq, PASS), act, rq_act, gelu)


def single_attention_job(cfg: ITAConfig, seq: int, proj: int, rq_qk: Requant, rq_av: Requant,
                         softmax_shift: int | None = None, valid: int = 0) -> ItaJob:
    """The Single-attention job (QK, ITAMax, AV) on Q and K of ``seq`` x ``proj`` and V^T;
    ITAMax with ``softmax_shift`` (None: ``cfg.softmax_shift``), keys from ``valid`` on
    masked (0: none)."""
    return ItaJob(Mode.SINGLE_ATTENTION, tiles(cfg, "S", seq), 1, tiles(cfg, "P", proj), 1,
                  (PASS, PASS, PASS, rq_qk, rq_av, PASS, PASS, PASS),
                  softmax_shift=_shift(cfg, softmax_shift), valid=valid)
