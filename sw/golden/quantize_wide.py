"""Post-training quantization of a float encoder layer into :class:`WideEncoderParams`, for
real models with outlier channels.

Measured on a calibration batch (the real tokens only, see :func:`.quantize.calibrate`):

- the tensors between layers (the input and the output of each LayerNorm) have one scale per
  column, ``s_c = s * (max_c / max)**alpha``, and the weights that read them take the scales
  into their rows before their own (per-matrix) quantization, so the engine sees ordinary int8
  operands (scale migration, as in SmoothQuant);
- the outputs that feed a wide sum (each head's output projection, each feed-forward group's
  F2) have one gain per column folded into their weight columns and bias, so each int8 output
  column has a range that fits it; the sum's per-column multipliers undo the gains;
- the feed-forward's hidden units are cut into groups (as many as the engine needs), each with
  its own F1 scale, i-GELU constants and F2 scale;
- each head's softmax shift is the one whose ITAMax output is closest to the float softmax on
  the calibration rows;
- E, P and F that are not multiples of M are padded with zero weights (exact: padded columns
  of the layer's tensors, of Q, K and V are 0, the norms' statistics are over the real
  columns, padded hidden units give act(0) = 0 and meet zero rows of W2).

Scales given from outside (a QDQ graph's, :class:`GivenScales`) replace the calibrated ones of
the tensors that have one scale per tensor: Q, K, V and the attention context of every head,
the F1 pre-activation and activation of every group, the logits when their scale is one ITAMax
reads. :attr:`WideQuantized.scales` records the scales every tensor got.
"""

import math
from dataclasses import dataclass, field, replace

import numpy as np

from hw.ita.config import Activation, ITAConfig

from .activation import GeluConstants, derive_gelu, gelu_min_scale, gelu_scale
from .add_norm import BETA_MAX, GAMMA_MAX, MULT_MAX, T_MAX, AddNormParams
from .checks import instance, int_scalar
from .itamax import itamax
from .layers import BIAS_MAX, BIAS_MIN, FFNParams, HeadParams
from .quantize import A_SCALE, NORM_SCALE, calibrate, logit_scale, pad_head, quantize_tensor
from .reference import FloatEncoder, softmax
from .requant import MAX_SHIFT, requant_for
from .wide_encoder import WideEncoderParams, wide_encoder_layer

__all__ = ["WideOptions", "WideQuantized", "GivenScales", "quantize_wide_encoder",
           "column_scales", "choose_softmax_shift", "feedforward_groups", "ALPHA"]

#: Migration strength: 0 gives one scale per tensor, 1 one scale per column.
ALPHA = 0.5


def column_scales(v: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Per-column scales of calibration values ``v`` (rows, C): the largest column gets
    ``max / 127``, a column of maximum ``max_c`` that times ``(max_c / max)**alpha``."""
    mc = np.maximum(np.abs(v).max(axis=0), 1e-8)
    top = mc.max()
    return top / 127 * (mc / top) ** alpha


def _scale(t: np.ndarray) -> float:
    return max(float(np.abs(t).max()), 1e-8) / 127


def _quantize(w: np.ndarray) -> tuple[np.ndarray, float]:
    s = _scale(w)
    return quantize_tensor(w, s), s


def _bias(b: np.ndarray, scale) -> np.ndarray:
    return np.clip(np.rint(b / scale), BIAS_MIN, BIAS_MAX).astype(np.int64)


def _rows(stacked: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    return np.split(stacked, np.cumsum(lengths)[:-1])


def choose_softmax_shift(qs: list[np.ndarray], ks: list[np.ndarray], group: int) -> int:
    """The shift ``k`` (0..7) whose ITAMax, on the float logits ``q k^T`` of each calibration
    sequence (already divided by sqrt(P)) rounded to its int8 scale, is closest (squared error)
    to the float softmax."""
    errors = []
    for k in range(8):
        err = 0.0
        for q, kk in zip(qs, ks, strict=True):
            logits = q @ kk.T
            ints = np.clip(np.rint(logits / logit_scale(k)), -128, 127).astype(np.int64)
            err += float(((itamax(ints, group=group, k=k) / 255 - softmax(logits)) ** 2).sum())
        errors.append(err)
    return int(np.argmin(errors))


def feedforward_groups(ff: int, cfg: ITAConfig, groups: int | None = None) -> int:
    """Groups of the hidden units: ``groups`` if given, else the fewest that the engine runs
    (each at most ``max_tiles * M``); each group is an equal multiple of M."""
    if groups is None:
        groups = -(-ff // cfg.max_size)
        while groups <= ff // cfg.m and (ff % groups or (ff // groups) % cfg.m):
            groups += 1
    if groups < 1 or ff % groups or (ff // groups) % cfg.m or ff // groups > cfg.max_size:
        raise ValueError(f"F = {ff} does not split into {groups} equal groups of a multiple of "
                         f"M = {cfg.m} of at most {cfg.max_size} units")
    return groups


@dataclass(frozen=True)
class WideOptions:
    """Choices of :func:`quantize_wide_encoder`; the defaults are the measured best
    (docs/accuracy.md), the others exist for the ablation.

    Parameters
    ----------
    alpha : float
        Migration strength of the residual stream's column scales (0: one scale per tensor).
    gain_alpha : float
        Strength of the column gains of the outputs summed wide (0: none).
    groups : int or None
        Feed-forward groups (None: the fewest the engine runs).
    sort_units : bool
        Sort the hidden units by size before cutting them into groups (measured: no gain).
    balance_qk : bool
        Balance each column of Q against the same column of K (measured: no gain).
    gain_v : bool
        Column gains on V, undone in the rows of Wo (measured: no gain).
    softmax_shift : int or None
        One shift for every head (None: each head's best).
    """

    alpha: float = ALPHA
    gain_alpha: float = ALPHA
    groups: int | None = None
    sort_units: bool = False
    balance_qk: bool = False
    gain_v: bool = False
    softmax_shift: int | None = None

    def __post_init__(self) -> None:
        for name in ("alpha", "gain_alpha"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0 <= value <= 1):
                raise ValueError(f"WideOptions.{name}: {value!r} is not a number in 0..1")
        if self.groups is not None:
            int_scalar("WideOptions.groups", self.groups, 1, 1 << 16)
        for name in ("sort_units", "balance_qk", "gain_v"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"WideOptions.{name}: {getattr(self, name)!r} is not a bool")
        if self.softmax_shift is not None:
            int_scalar("WideOptions.softmax_shift", self.softmax_shift, 0, 7)


@dataclass(frozen=True)
class GivenScales:
    """Activation scales (real value of one int8 step) a layer uses instead of calibrating
    them, each for every head or feed-forward group; None: calibrated.

    Parameters
    ----------
    q, k, v, context : float or None
        Q, K, V and the attention context A V of every head.
    logits : float or None
        The logits' scale: used when it is ``logit_scale(k)`` of a softmax shift ``k``.
    f1_pre, f1 : float or None
        The F1 pre-activation and the activation's output of every group.

    A scale the requantizer cannot reach from its operands (a ratio over 255) or, for i-GELU,
    a pre-activation scale under :func:`.gelu_min_scale` is raised to the smallest that works.
    """

    q: float | None = None
    k: float | None = None
    v: float | None = None
    context: float | None = None
    logits: float | None = None
    f1_pre: float | None = None
    f1: float | None = None

    def __post_init__(self) -> None:
        for name in ("q", "k", "v", "context", "logits", "f1_pre", "f1"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(
                    value, int | float) or not 0 < value < math.inf):
                raise ValueError(f"GivenScales.{name}: {value!r} is not a positive scale")


@dataclass(frozen=True)
class WideQuantized:
    """The integer layer, the per-column scales of its input and output, and the scales every
    activation got (``scales``: "q", "k", "v", "context", "logits" per head, "out" the heads'
    summed outputs' column scales, "ln1", "f1_pre", "f1" per group, "f2" the groups' column
    scales)."""

    params: WideEncoderParams
    scale_in: np.ndarray
    scale_out: np.ndarray
    scales: dict[str, np.ndarray] = field(default_factory=dict, compare=False)

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """int8 ``x`` with E padded to the layer's (zero columns)."""
        q = np.clip(np.rint(x / self.scale_in), -128, 127).astype(np.int8)
        return np.pad(q, [(0, 0)] * (q.ndim - 1) + [(0, self.params.emb - q.shape[-1])])

    def dequantize_output(self, y: np.ndarray) -> np.ndarray:
        """The real columns of ``y``, in float."""
        return y[..., :len(self.scale_out)].astype(np.float64) * self.scale_out

    def run(self, x: np.ndarray, valid: int | None = None) -> np.ndarray:
        """The layer's int8 output for int8 ``x`` (S, E) with ``valid`` real tokens."""
        return wide_encoder_layer(x, self.params, cfg=self.params.cfg, valid=valid).out


def _add_norm(in_scales: list[np.ndarray], sum_max: float, gamma: np.ndarray,
              beta: np.ndarray, s_out: np.ndarray) -> AddNormParams:
    """Multipliers that bring every input to one unit, the shift that fits the calibrated sum
    into 12 bits, and gamma and beta with the output's column scales folded in."""
    unit = max(float(s.max()) for s in in_scales) / MULT_MAX
    mults = np.stack([np.rint(s / unit) for s in in_scales]).astype(np.int64)
    shift = int(np.clip(math.ceil(math.log2(max(sum_max / unit / T_MAX, 1))), 0, MAX_SHIFT))
    g, b = gamma * NORM_SCALE / s_out, beta / s_out
    room = min(GAMMA_MAX / max(np.abs(g).max(), 1e-30), BETA_MAX / max(np.abs(b).max(), 1e-30))
    out_shift = int(np.clip(math.floor(math.log2(room)), 0, MAX_SHIFT))
    return AddNormParams(mults, shift, np.rint(g * 2 ** out_shift).astype(np.int64),
                         np.rint(b * 2 ** out_shift).astype(np.int64), out_shift)


def _gains(v: np.ndarray, alpha: float) -> np.ndarray:
    """Column gains (at most 1) that give each column of ``v`` its own range."""
    return column_scales(v, alpha) / _scale(v)


def _given(given: float | None, own: float, top: float) -> float:
    """``given`` (None: ``own``), at least ``top / 255`` so that a requantizer ratio of
    ``top`` over it fits."""
    return own if given is None else max(float(given), top / 255)


def quantize_wide_encoder(p: FloatEncoder, x_calib: np.ndarray, *, lengths=None,
                          cfg: ITAConfig, options: WideOptions = WideOptions(),
                          scales: GivenScales | None = None) -> WideQuantized:
    """Quantize a float layer for the engine ``cfg`` on the calibration batch ``x_calib``
    (B, S, E) with real lengths ``lengths`` (default: all tokens real), with the activation
    scales ``scales`` where given (default: every scale calibrated)."""
    instance("p", p, FloatEncoder)
    instance("cfg", cfg, ITAConfig)
    instance("options", options, WideOptions)
    o = options
    if scales is not None:
        instance("scales", scales, GivenScales)
    given = scales or GivenScales()
    if scales is not None and (o.balance_qk or o.gain_v):
        raise ValueError("given scales: the options balance_qk and gain_v change the scales "
                         "of Q, K and V; use them without given scales")
    used: dict[str, list] = {n: [] for n in ("q", "k", "v", "context", "logits", "out",
                                              "f1_pre", "f1", "f2")}
    emb = p.heads[0].wq.shape[0]
    pad = -p.w1.shape[1] % cfg.m                # F padded with units of zero weights: their
    if pad:                                     # F1 is act(0) = 0 and W2 ignores them
        p = replace(p, w1=np.pad(p.w1, ((0, 0), (0, pad))), b1=np.pad(p.b1, (0, pad)),
                    w2=np.pad(p.w2, ((0, pad), (0, 0))))
    t = calibrate(p, x_calib, lengths)
    lengths = (np.full(1 if np.ndim(x_calib) == 2 else len(x_calib), np.shape(x_calib)[-2])
               if lengths is None else np.asarray(lengths))
    s_x, s_ln1, s_out = (column_scales(t[n], o.alpha) for n in ("x", "ln1", "out"))
    gain1 = _gains(t["mha"], o.gain_alpha)
    heads, y_scales = [], []
    for h, fh in enumerate(p.heads):
        proj = fh.wq.shape[1]
        q, k, v, av = (t[f"{n}{h}"] for n in "qkvo")
        # column gains that Q K^T and A V Wo do not see: Q / gq with K * gq, and V / gv (so
        # O / gv) with the rows of Wo times gv
        gq = (np.sqrt(np.maximum(np.abs(q).max(0), 1e-8) / np.maximum(np.abs(k).max(0), 1e-8))
              if o.balance_qk else np.ones(proj))
        gv = _gains(v, o.alpha) if o.gain_v else np.ones(proj)
        s_q, s_k, s_v, s_o = _scale(q / gq), _scale(k * gq), _scale(v / gv), _scale(av / gv)
        wq, sq = _quantize(s_x[:, None] * fh.wq / gq)
        wk, sk = _quantize(s_x[:, None] * fh.wk * gq)
        wv, sv = _quantize(s_x[:, None] * fh.wv / gv)
        s_q, s_k = _given(given.q, s_q, sq), _given(given.k, s_k, sk)
        s_v = _given(given.v, s_v, sv)
        s_o = _given(given.context, s_o, A_SCALE * s_v)
        shift = o.softmax_shift
        if shift is None and given.logits is not None:
            shift = next((k for k in range(8)
                          if abs(logit_scale(k) / given.logits - 1) < 1e-6), None)
        if shift is None:
            shift = choose_softmax_shift(_rows(q / math.sqrt(proj), lengths),
                                         _rows(k, lengths), cfg.n)
        wo, so = _quantize(gv[:, None] * fh.wo / gain1)
        acc_o = s_o * so
        bo = p.bo / gain1 if h == 0 else np.zeros(emb)
        s_y = _scale(t[f"y{h}"] / gain1)
        y_scales.append(s_y * gain1)
        for name, value in zip(("q", "k", "v", "context", "logits", "out"),
                               (s_q, s_k, s_v, s_o, logit_scale(shift), s_y * gain1),
                               strict=True):
            used[name].append(value)
        heads.append(pad_head(HeadParams(
            wq, wk, wv, wo, _bias(fh.bq / gq, sq), _bias(fh.bk * gq, sk), _bias(fh.bv / gv, sv),
            _bias(bo, acc_o), requant_for(sq / s_q), requant_for(sk / s_k), requant_for(sv / s_v),
            requant_for(s_q * s_k / math.sqrt(proj) / logit_scale(shift)),
            requant_for(A_SCALE * s_v / s_o), requant_for(acc_o / s_y), shift), cfg.m))
    norm1 = _add_norm([s_x] + y_scales, float(np.abs(t["add1"]).max()), p.gamma1, p.beta1,
                      s_ln1)

    ff = p.w1.shape[1]
    size = np.abs(t["f1"]).max(axis=0)
    order = np.argsort(size, kind="stable") if o.sort_units else np.arange(ff)
    gain2 = _gains(t["f2"], o.gain_alpha)
    act = Activation(p.act)
    ffn, f_scales = [], []
    for g, units in enumerate(np.split(order, feedforward_groups(ff, cfg, o.groups))):
        units = np.sort(units)
        w1, s_w1 = _quantize(s_ln1[:, None] * p.w1[:, units])
        s_pre, s_f1 = _scale(t["f1_pre"][:, units]), _scale(t["f1"][:, units])
        s_pre = _given(given.f1_pre, s_pre, s_w1)
        gelu: GeluConstants | None = None
        if act is Activation.GELU:
            s_pre = max(s_pre, gelu_min_scale())     # tiny pre-activations: less resolution
            s_f1 = _given(given.f1, s_f1, gelu_scale(s_pre))
            gelu, rq_act = derive_gelu(s_pre, s_f1)
        else:
            s_f1 = _given(given.f1, s_f1, s_pre)
            rq_act = requant_for(s_pre / s_f1)
        w2, s_w2 = _quantize(p.w2[units] / gain2)
        b2 = p.b2 if g == 0 else np.zeros(emb)
        s_part = _scale((t["f1"][:, units] @ p.w2[units] + b2) / gain2)
        f_scales.append(s_part * gain2)
        used["f1_pre"].append(s_pre)
        used["f1"].append(s_f1)
        used["f2"].append(s_part * gain2)
        ffn.append(FFNParams(w1, _bias(p.b1[units], s_w1), w2, _bias(b2 / gain2, s_f1 * s_w2),
                             requant_for(s_w1 / s_pre), requant_for(s_f1 * s_w2 / s_part), act,
                             rq_act, gelu))
    norm2 = _add_norm([s_ln1] + f_scales, float(np.abs(t["add2"]).max()), p.gamma2, p.beta2,
                      s_out)
    params = _pad_emb(WideEncoderParams(tuple(heads), norm1, tuple(ffn), norm2, cfg), cfg.m)
    record = {n: np.array(v, dtype=np.float64) for n, v in used.items()}
    return WideQuantized(params, s_x, s_out, record | {"ln1": s_ln1})


def _pad_emb(p: WideEncoderParams, m: int) -> WideEncoderParams:
    """Pad E to a multiple of ``m`` with zero columns: zero weight rows for what reads the
    layer's input and N1, zero columns and biases for what writes the heads' and groups'
    outputs, and norms whose statistics stay over the real columns (their padded gamma and
    beta are 0, so the padded output columns are 0 too)."""
    pad = -p.emb % m
    if not pad:
        return p
    rows, cols, vec = ((0, pad), (0, 0)), ((0, 0), (0, pad)), (0, pad)
    heads = tuple(replace(h, wq=np.pad(h.wq, rows), wk=np.pad(h.wk, rows),
                          wv=np.pad(h.wv, rows), wo=np.pad(h.wo, cols), bo=np.pad(h.bo, vec))
                  for h in p.heads)
    ffn = tuple(replace(f, w1=np.pad(f.w1, rows), w2=np.pad(f.w2, cols), b2=np.pad(f.b2, vec))
                for f in p.ffn)
    norms = [AddNormParams(np.pad(n.mults, cols), n.shift, np.pad(n.gamma, vec),
                           np.pad(n.beta, vec), n.out_shift, n.real) for n in (p.norm1, p.norm2)]
    return WideEncoderParams(heads, norms[0], ffn, norms[1], p.cfg)
