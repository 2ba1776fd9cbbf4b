"""The boundary cases :func:`~fp8ref.testing.assert_quantize_matches` tries, and the pieces
they share with the strategies: input precisions, steps of one ulp, policy arguments, and
encoding that isolates the inputs fp8ref refuses.

Input precisions are the IEEE interchange types of :mod:`fp8ref.core.floats`; every step and
order is taken on their bit patterns (ordered keys), so nothing here rounds but the casts of
format values and midpoints into the input precision, and :func:`fp8ref.encode` itself.
"""

from __future__ import annotations

import numpy as np

from ..codecs import decode_table, encode, resolve_policy
from ..core.floats import FloatType, float_type
from ..formats import get_format
from ..policy import Policy

__all__ = ["boundary_cases", "input_dtype", "input_type", "policy_arg", "safe_encode", "step", "cast", "as_f64"]

#: C spellings accepted on top of the type names (``float`` is float32 here, as in C)
_C_NAMES = {"half": "float16", "float": "float32", "double": "float64"}


def input_type(dtype) -> FloatType:
    """The :class:`FloatType` of an input precision: ``float16``/``f16``/``half``,
    ``bfloat16``/``bf16``, ``float32``/``f32``/``float``, ``float64``/``f64``/``double``
    (any case), or a numpy dtype of one of them."""
    __tracebackhide__ = True
    if isinstance(dtype, str):
        key = _C_NAMES.get(dtype.lower(), dtype.lower())
    else:
        try:
            key = np.dtype(dtype).name
        except TypeError:
            raise TypeError(f"not a dtype: {dtype!r}") from None
    try:
        return float_type(key)
    except ValueError:
        raise ValueError(f"input dtype must be float16, bfloat16, float32 or float64, got {dtype!r}") from None


def input_dtype(dtype) -> np.dtype:
    """The numpy dtype of an input precision (see :func:`input_type`; bfloat16 needs ml_dtypes)."""
    __tracebackhide__ = True
    ft = input_type(dtype)
    try:
        return ft.dtype
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("bfloat16 inputs need ml_dtypes (pip install ml_dtypes)") from None


def cast(values64, dt) -> np.ndarray:
    """float64 values cast to ``dt`` (numpy's RNE; overflow to Inf without a warning)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values64, dtype=np.float64).astype(dt)


def as_f64(x) -> np.ndarray:
    """Values of a float array as float64 (exact for the four input precisions)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(x).astype(np.float64)


def step(x: np.ndarray, k: int) -> np.ndarray:
    """``x`` moved by ``k`` ulps of its own precision (``k`` may be negative; -0 and +0 are one
    step apart); NaN where that passes ±Inf."""
    ft = input_type(x.dtype)
    key = ft.ordered_key(ft.to_bits(x)) + k
    out = ft.from_bits(ft.from_ordered_key(np.clip(key, -ft.inf_bits - 1, ft.inf_bits)))
    out[(key > ft.inf_bits) | (key < -ft.inf_bits - 1)] = np.nan
    return out


def policy_arg(fmt, policy, deterministic: bool = True) -> tuple[Policy, str]:
    """The Policy for a ``policy`` argument of the testing helpers (None, a preset name, a dict
    of policy fields with an optional ``"preset"``, or a Policy; resolved by
    :func:`fp8ref.codecs.resolve_policy`), and a label naming the preset for messages.
    ``deterministic``: refuse stochastic roundings (they need random bits)."""
    __tracebackhide__ = True
    if isinstance(policy, Policy):
        pol, label = policy, ""
    elif policy is None or isinstance(policy, (str, dict)):
        fields = dict(policy) if isinstance(policy, dict) else {}
        preset = policy if isinstance(policy, str) else fields.pop("preset", None)
        pol = resolve_policy(fmt, preset, **fields)
        label = "" if preset is None else f"preset {preset!r}: " if isinstance(policy, str) else f"preset {preset!r} + "
    else:
        raise TypeError("policy must be None, a preset name, a dict of policy fields or an fp8ref.Policy, "
                        f"got {type(policy).__name__}")
    if pol.is_stochastic and deterministic:
        raise ValueError(
            f"rounding {pol.rounding!r} needs random bits; assert_quantize_matches checks deterministic "
            "roundings only (for stochastic rounding, encode with your rbits and use assert_codes_equal)"
        )
    return pol, label


def safe_encode(x: np.ndarray, fmt, pol: Policy) -> tuple[np.ndarray, np.ndarray]:
    """Codes (int64, -1 where fp8ref refuses the input, e.g. NaN into FP4 with nan_to='error')
    and flags. Refused inputs are isolated by halving, so a few of them cost little."""
    codes = np.full(x.shape, -1, dtype=np.int64)
    flags = np.zeros(x.shape, dtype=np.uint8)
    todo = [(0, x.size)]
    while todo:
        lo, hi = todo.pop()
        try:
            c, f = encode(x[lo:hi], fmt, policy=pol, return_flags=True)
        except ValueError:
            if hi - lo > 1:
                mid = (lo + hi) // 2
                todo += [(lo, mid), (mid, hi)]
            continue
        codes[lo:hi], flags[lo:hi] = c, f
    return codes, flags


def _specials(ft: FloatType) -> np.ndarray:
    """±0, ±Inf, ±quiet NaN, ±signalling NaN, a quiet NaN with payload, and ± the smallest
    subnormal, smallest normal and largest finite value, as patterns of ``ft``."""
    s, inf, quiet = ft.sign_mask, ft.inf_bits, ft.quiet_bit
    pats = [0, s, inf, inf | s, inf | quiet, inf | quiet | s, inf | 1, inf | 1 | s, inf | quiet | 1,
            1, ft.min_normal_bits, ft.max_bits]
    pats += [p | s for p in pats[-3:]]
    return ft.from_bits(np.array(pats, dtype=np.uint64))


def _bisect(lo: np.ndarray, hi: np.ndarray, dt, fmt, pol: Policy):
    """For input pairs lo < hi whose codes differ: the last input with lo's code and the first
    input with another code (found on the ordered bit keys, so exact)."""
    ft = input_type(dt)
    klo, khi = ft.ordered_key(ft.to_bits(lo)), ft.ordered_key(ft.to_bits(hi))
    elo, _ = safe_encode(lo, fmt, pol)
    ehi, _ = safe_encode(hi, fmt, pol)
    keep = (elo != ehi) & (klo < khi)
    klo, khi, elo = klo[keep], khi[keep], elo[keep]
    while klo.size and (khi - klo > 1).any():
        mid = klo + (khi - klo) // 2
        e, _ = safe_encode(ft.from_bits(ft.from_ordered_key(mid)), fmt, pol)
        same = e == elo
        klo = np.where(same, mid, klo)
        khi = np.where(same, khi, mid)
    return ft.from_bits(ft.from_ordered_key(klo)), ft.from_bits(ft.from_ordered_key(khi))


def boundary_cases(fmt, dtype=np.float32, policy=None) -> tuple[np.ndarray, np.ndarray]:
    """The inputs :func:`assert_quantize_matches` tries, as ``(x, labels)``.

    ``x`` (of ``dtype``, sorted by value, NaNs last, no duplicate bit patterns) holds:

    * ``value``: every finite value of ``fmt`` that ``dtype`` represents, and ``value+1ulp``,
      ``value-1ulp`` (one ulp of ``dtype`` toward +Inf / -Inf) around each; ``negative``: the
      negated values, for formats without a sign;
    * ``mid``: every midpoint between neighbouring finite values (rounded to ``dtype`` when it
      is not exact there), and ``mid+1ulp``, ``mid-1ulp``;
    * ``edge-`` / ``edge+``: the last input that still gets the smaller value's code and the
      first input that gets the next code, for every neighbouring pair, for the interval
      from max finite to the largest ``dtype`` value (the overflow threshold under ``policy``)
      and for the range below the smallest value; these coincide with midpoints for round-
      to-nearest on IEEE-like formats and find the real thresholds of any other format or
      rounding (posit, HiF8, directed modes);
    * ``special``: ±0, ±Inf, ±quiet NaN, ±signalling NaN, a NaN with payload, the smallest
      subnormal, smallest normal and largest finite value of ``dtype``.

    ``labels`` is an object array of those names.
    """
    fmt = get_format(fmt)
    ft = input_type(dtype)
    dt = input_dtype(dtype)
    pol, _ = policy_arg(fmt, policy)
    t = decode_table(fmt)
    v = np.unique(t[np.isfinite(t)])  # sorted; -0 and +0 merge
    vd = cast(v, dt)
    vals = vd[as_f64(vd) == v]
    parts, labels = [], []

    def add(arr, label):
        arr = np.asarray(arr, dtype=dt).ravel()
        if label != "special":
            arr = arr[~np.isnan(as_f64(arr))]
        parts.append(arr)
        labels.append(np.full(arr.size, label, dtype=object))

    add(_specials(ft), "special")
    add(vals, "value")
    if not (v < 0).any():  # unsigned formats (UE8M0): negative inputs are below range
        add(-vals[vals > 0], "negative")
    mids = cast((v[1:] + v[:-1]) / 2, dt)  # exact in float64 for formats of <= 52-bit precision
    mids = mids[np.isfinite(as_f64(mids))]
    add(mids, "mid")
    for k, suffix in ((1, "+1ulp"), (-1, "-1ulp")):
        add(step(vals, k), "value" + suffix)
        add(step(mids, k), "mid" + suffix)
    top = as_f64(ft.from_bits(ft.max_bits))  # dtype's largest finite value
    anchors = np.unique(np.concatenate([as_f64(vals), [0.0, top, -top]]))
    a = cast(anchors, dt)
    lo, hi = _bisect(a[:-1], a[1:], dt, fmt, pol)
    add(lo, "edge-")
    add(hi, "edge+")

    x = np.concatenate(parts)
    lab = np.concatenate(labels)
    _, first = np.unique(ft.to_bits(x), return_index=True)
    x, lab = x[first], lab[first]
    order = np.lexsort((ft.ordered_key(ft.to_bits(x)), np.isnan(as_f64(x))))  # by value (-0 before +0), NaNs last
    return x[order], lab[order]
