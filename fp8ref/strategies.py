"""Hypothesis strategies for fp8ref formats (needs ``hypothesis``; ``import fp8ref`` does not
import this module).

* :func:`codes` — integer codes of a format (every code, or without NaN/Inf);
* :func:`values` — the format's values as Python floats (exact);
* :func:`near_boundaries` — inputs a few ulps (of the input precision) around the midpoints
  between neighbouring values and around the overflow midpoint: where rounding bugs live;
* :func:`mx_blocks` — float blocks for MX-style block quantizers: a random power-of-two scale
  times element values, midpoints and clipping probes.

Every strategy shrinks toward small magnitudes. Testing a third-party cast against fp8ref::

    import ml_dtypes, numpy as np
    from hypothesis import given
    import fp8ref
    from fp8ref import strategies as fst

    @given(fst.near_boundaries("e4m3fn", dtype=np.float32))
    def test_ml_dtypes_e4m3fn_cast(x):
        a = np.array([x], dtype=np.float32)
        got = a.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
        want = fp8ref.encode(a, "e4m3fn", preset="ml_dtypes")
        assert got[0] == want[0], f"{x!r}: ml_dtypes {got[0]:#04x}, fp8ref {want[0]:#04x}"
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError as _e:  # pragma: no cover - depends on the environment
    raise ImportError("fp8ref.strategies needs hypothesis: pip install hypothesis") from _e

from .codecs import decode_table
from .core.floats import F64
from .formats import get_format
from .testing.cases import as_f64, cast, input_dtype, input_type, step

__all__ = ["codes", "values", "near_boundaries", "mx_blocks", "midpoints"]


def _magnitude_order(t: np.ndarray) -> np.ndarray:
    """Codes ordered by |value| (finite first, then Inf, then NaN), positive before negative."""
    mag = np.where(np.isnan(t), np.inf, np.abs(t))
    rank = np.where(np.isnan(t), 2, np.where(np.isinf(t), 1, 0))
    return np.lexsort((np.signbit(t), mag, rank))


@lru_cache(maxsize=None)
def _allowed_codes(fmt, allow_nan: bool, allow_infinity: bool) -> np.ndarray:
    t = decode_table(fmt)
    order = _magnitude_order(t)
    keep = np.ones(t.size, dtype=bool)
    if not allow_nan:
        keep &= ~np.isnan(t)
    if not allow_infinity:
        keep &= ~np.isinf(t)
    out = order[keep[order]]
    out.setflags(write=False)
    return out


def _pick(arr):
    if arr.size == 0:
        return st.nothing()
    return st.integers(0, arr.size - 1).map(lambda i: arr[i])


def codes(fmt, *, allow_nan: bool = True, allow_infinity: bool = True) -> st.SearchStrategy[int]:
    """Codes of ``fmt`` as Python ints, shrinking toward +0 (every code by default; leave out
    the NaN and/or Inf codes with ``allow_nan=False`` / ``allow_infinity=False``)."""
    fmt = get_format(fmt)
    arr = _allowed_codes(fmt, bool(allow_nan), bool(allow_infinity))
    return _pick(arr).map(int)


def values(fmt, *, allow_nan: bool = True, allow_infinity: bool = True) -> st.SearchStrategy[float]:
    """Values of ``fmt`` as Python floats (float64 holds every value of a format of up to 20
    bits exactly), -0.0 included where the format has it, shrinking toward 0."""
    fmt = get_format(fmt)
    t = decode_table(fmt)
    arr = _allowed_codes(fmt, bool(allow_nan), bool(allow_infinity))
    return _pick(arr).map(lambda c: float(t[c]))


def _next_above_max(fmt, v: np.ndarray) -> float:
    """The value the top binade's spacing would give after max finite (for the overflow midpoint):
    IEEE-like ``max + 2^(emax - man_bits)``; otherwise the spacing below max continued, or
    ``2 * max`` for formats whose values are powers of two."""
    vmax, prev = float(v[-1]), float(v[-2])
    if getattr(fmt, "kind", "") == "ieee":
        return vmax + math.ldexp(1.0, fmt.emax - fmt.man_bits)
    if prev == vmax / 2:
        return 2 * vmax
    return vmax + (vmax - prev)


@lru_cache(maxsize=None)
def midpoints(fmt) -> np.ndarray:
    """Every midpoint between neighbouring finite values of ``fmt`` (both signs) plus the
    overflow midpoints ``±(max + next)/2``, as exact float64, sorted."""
    fmt = get_format(fmt)
    t = decode_table(fmt)
    v = np.unique(t[np.isfinite(t)])
    mids = (v[1:] + v[:-1]) / 2  # exact: at most 21 significant bits
    top = [(float(v[-1]) + _next_above_max(fmt, v[v >= 0])) / 2]
    if v[0] < 0:
        top.append(-top[0])
    out = np.unique(np.concatenate([mids, top]))
    out.setflags(write=False)
    return out


@lru_cache(maxsize=None)
def _boundary_table(fmt, dtype_name: str, ulps: int) -> np.ndarray:
    dt = input_dtype(dtype_name)
    m = midpoints(fmt)
    order = np.argsort(np.abs(m), kind="stable")
    m = cast(m[order], dt)  # round to the input precision when not exact there
    m = m[np.isfinite(as_f64(m))]
    rows = [m]
    for k in range(1, ulps + 1):
        rows += [step(m, k), step(m, -k)]
    out = np.stack(rows, axis=1)  # [midpoint, +1, -1, +2, -2, ...]
    out.setflags(write=False)
    return out


def near_boundaries(fmt, *, dtype=np.float32, ulps: int = 2) -> st.SearchStrategy[float]:
    """Python floats exactly representable in ``dtype`` within ``ulps`` steps (ulps of
    ``dtype``) of a midpoint between neighbouring values of ``fmt`` or of an overflow midpoint
    (see :func:`midpoints`); offset 0 is the midpoint itself (rounded to ``dtype`` if it is
    not exact there). Shrinks toward the smallest midpoint."""
    fmt = get_format(fmt)
    if not isinstance(ulps, (int, np.integer)) or ulps < 0:
        raise ValueError(f"ulps must be a non-negative integer, got {ulps!r}")
    dt = input_dtype(dtype)
    table = _boundary_table(fmt, dt.name, int(ulps))
    cols = table.shape[1]

    def get(ij):
        x = float(as_f64(table[ij[0], ij[1]]))
        return x

    s = st.tuples(st.integers(0, table.shape[0] - 1), st.integers(0, cols - 1)).map(get)
    return s.filter(lambda x: not math.isnan(x))


def mx_blocks(fmt=None, *, block_size: int = 32, num_blocks: int = 1, dtype=np.float32,
              exp_range: tuple[int, int] | None = None, allow_zero_blocks: bool = True,
              allow_special: bool = False, elem=None) -> st.SearchStrategy[np.ndarray]:
    """1-D ``dtype`` arrays of ``num_blocks * block_size`` elements for MX-style quantizers.

    Each block draws a power-of-two scale ``2^s`` (``|s| <= 8``, anywhere in ``exp_range``, or
    at its bottom or top, with equal weight; default range: where ``2 * max(elem) * 2^s``
    stays finite in ``dtype``, down into its subnormals) and fills its elements with ``2^s`` times: values of
    ``elem``, midpoints and their neighbours (:func:`near_boundaries`) and zeros; most blocks
    also get one amax probe in ``[max(elem), 2^(floor(log2 max(elem)) + 1))``, where the OCP
    spec's floor scale clips the block maximum, or in the rest of ``[max(elem), 2 max(elem))``.
    The products are rounded (RNE) to ``dtype``. ``allow_zero_blocks`` (default on) makes
    one block in 16 all zeros on purpose (a block may still come out all zeros by chance);
    ``allow_special`` adds NaN/±Inf elements. ``fmt``: the element format, any MX element name
    (``fp8ref.mx.ELEMENTS``, ``int8`` = MXINT8, drawn as its values ``n * 2^-6``) or format
    (``elem=``: its old name, deprecated).
    """
    from .blocks.elements import element

    if elem is not None:
        if fmt is not None:
            raise TypeError("mx_blocks() takes fmt, not both fmt and elem")
        warnings.warn("mx_blocks(elem=...) is deprecated: the element format is fmt (the first argument)",
                      DeprecationWarning, stacklevel=2)
        fmt = elem
    if fmt is None:
        raise TypeError("mx_blocks() missing the element format fmt")
    fmt = element(fmt).fmt
    ft = input_type(dtype)
    dt = input_dtype(dtype)
    if not (isinstance(block_size, (int, np.integer)) and block_size >= 1):
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    if not (isinstance(num_blocks, (int, np.integer)) and num_blocks >= 1):
        raise ValueError(f"num_blocks must be a positive integer, got {num_blocks!r}")
    t = decode_table(fmt)
    vmax = float(np.nanmax(np.abs(t[np.isfinite(t)])))
    e_max = int(F64.floor_log2(F64.to_bits(vmax)))  # floor(log2 max(fmt)), exactly
    if exp_range is None:  # 2 * max(fmt) * 2^hi below dt's 2^(emax+1); 2^lo 8 binades under its smallest subnormal
        exp_range = (ft.min_exp - 8, ft.emax - (e_max + 1 + (vmax != math.ldexp(1.0, e_max))))  # - ceil(log2(2 max))
    lo, hi = (int(e) for e in exp_range)
    if lo > hi:
        raise ValueError(f"exp_range must be (lo, hi) with lo <= hi, got {exp_range!r}")
    near = max(lo, min(hi, 0))
    scale_exp = st.one_of(
        st.integers(max(lo, near - 8), min(hi, near + 8)),  # ordinary scales
        st.integers(lo, hi),  # anywhere
        st.integers(lo, min(hi, lo + 12)),  # bottom: subnormal inputs, scales clamped at 2^-127
        st.integers(max(lo, hi - 4), hi),  # top of the range
    )
    elements = st.one_of(
        values(fmt, allow_nan=False, allow_infinity=False),
        near_boundaries(fmt, dtype=dt, ulps=1).filter(lambda x: abs(x) <= 2 * vmax),
        st.just(0.0),
    )
    if allow_special:
        elements = st.one_of(elements, st.sampled_from([math.nan, math.inf, -math.inf]))
    # amax probes: [max, 2^(floor(log2 max) + 1)) is where the spec's floor scale clips;
    # [2^(floor(log2 max) + 1), 2 max) is where it does not but a larger element would
    top = math.ldexp(1.0, e_max + 1)
    probe = st.one_of(
        st.none(),
        st.floats(vmax, top, exclude_max=True),
        st.floats(top, 2 * vmax, exclude_max=True) if top < 2 * vmax else st.none(),
    ).flatmap(lambda a: st.just(None) if a is None else st.sampled_from([a, -a]))

    @st.composite
    def block(draw):
        if allow_zero_blocks and draw(st.integers(0, 15)) == 0:
            return [0.0] * block_size
        s = draw(scale_exp)
        xs = draw(st.lists(elements, min_size=block_size, max_size=block_size))
        p = draw(probe)
        if p is not None:
            xs[draw(st.integers(0, block_size - 1))] = p
        return [math.ldexp(x, s) if math.isfinite(x) else x for x in xs]

    def build(blocks):
        flat = np.array([x for b in blocks for x in b], dtype=np.float64)
        return cast(flat, dt)

    return st.lists(block(), min_size=num_blocks, max_size=num_blocks).map(build)

