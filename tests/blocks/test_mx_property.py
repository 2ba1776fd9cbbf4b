"""Property: every element of dequantize(quantize(x)) is X * Q(x / X), with X from the exact
scale rule and Q the element conversion (saturating), for random shapes, axes, block sizes,
rules, roundings and element formats.

Q is ml_dtypes' cast of the clipped value for RNE (an independent oracle), integer rounding
written out for MXINT8, and fp8ref's element codec on the exact float64 quotient for the other
modes (checking the block machinery: scaling, underflow handling, layout).
"""

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fp8ref
from fp8ref.blocks import mx, scale_rules

from ._ref import ELEMS, e8m0_code

ROUNDINGS = ("rne", "rna", "rtz", "rup", "rdn", "rto")


def _int8_round(v, rounding):
    s = v * 64.0  # exact: v is a float32 value times a power of two
    if rounding == "rne":
        r = np.rint(s)
    elif rounding == "rna":
        r = np.sign(s) * np.floor(np.abs(s) + 0.5)
    elif rounding == "rtz":
        r = np.trunc(s)
    elif rounding == "rup":
        r = np.ceil(s)
    elif rounding == "rdn":
        r = np.floor(s)
    else:  # rto: truncate, then make odd if inexact
        t = np.trunc(s)
        r = np.where((t != s) & (np.abs(t) % 2 == 0), t + np.sign(s), t)
    return np.clip(r, -127, 127) / 64.0


def _element_q(v, elem, rounding):
    emax, m, mxv, mldt = ELEMS[elem]
    if elem == "int8":
        return _int8_round(v, rounding)
    if rounding == "rne":
        return np.clip(v, -float(mxv), float(mxv)).astype(mldt).astype(np.float64)
    return fp8ref.quantize(v, elem, rounding=rounding, overflow="sat_finite", dtype=np.float64)


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)


@st.composite
def cases(draw):
    ndim = draw(st.integers(1, 3))
    bs = draw(st.sampled_from([1, 2, 3, 4, 7, 8, 16, 32]))
    axis = draw(st.integers(-ndim, ndim - 1))
    shape = [draw(st.integers(1, 4)) for _ in range(ndim)]
    shape[axis] = draw(st.integers(1, 70))
    x = draw(hnp.arrays(np.float32, tuple(shape), elements=finite32))
    scale = draw(st.sampled_from([1.0, 2.0**-100, 2.0**60, 2.0**-140]))
    with np.errstate(over="ignore"):
        y = (x.astype(np.float64) * scale).astype(np.float32)  # shift whole arrays to range edges
    x = np.where(np.isfinite(y), y, np.copysign(np.finfo(np.float32).max, x)).astype(np.float32)
    return x, bs, axis, draw(st.sampled_from(list(ELEMS))), draw(st.sampled_from(scale_rules.SCALE_RULES)), \
        draw(st.sampled_from(ROUNDINGS))


@given(cases(), st.booleans())
def test_dequantize_is_scaled_element_quantization(case, as64):
    x, bs, axis, elem, rule, rounding = case
    xin = x.astype(np.float64) if as64 else x
    t = mx.encode(xin, elem, block_size=bs, axis=axis, scale_rule=rule, rounding=rounding, pad=True)
    assert t.codes.shape == x.shape and t.codes.dtype == np.uint8
    ax = axis % x.ndim
    # scale codes from the exact rule, block by block
    xm = np.moveaxis(x, ax, -1)
    n = xm.shape[-1]
    nb = -(-n // bs)
    sm = np.moveaxis(t.scales, ax, -1)
    assert sm.shape == xm.shape[:-1] + (nb,)
    for idx in np.ndindex(*xm.shape[:-1]):
        for j in range(nb):
            amax = float(np.max(np.abs(xm[idx][j * bs:(j + 1) * bs])))
            assert int(sm[idx + (j,)]) == e8m0_code(amax, rule, elem), (idx, j, amax)
    # elements
    X = t.expanded_scales(np.float64)
    v = x.astype(np.float64) / X  # exact (power-of-two scale, float64 range)
    want = _element_q(v, elem, rounding) * X
    got = t.dequantize(np.float64)
    assert np.array_equal(got, want, equal_nan=True)  # NaN: a 0xFF scale (E > 127, e.g. MXINT8 ceil)
    if elem != "int8":
        assert np.array_equal(np.signbit(got), np.signbit(want))


@given(st.lists(finite32, min_size=32, max_size=32), st.sampled_from(["e4m3fn", "e2m1fn", "e5m2"]),
       st.sampled_from(["stochastic", "stochastic_rne"]), st.integers(0, 2**32 - 1))
def test_stochastic_rounding_uses_the_given_bits(vals, elem, mode, seed):
    x = np.array(vals, dtype=np.float32)
    r = np.random.default_rng(seed).integers(0, 2**16, 32, dtype=np.uint16)
    t = mx.encode(x, elem, rounding=mode, rbits=r)
    X = float(t.scale_values()[0])
    want = fp8ref.quantize(x.astype(np.float64) / X, elem, rounding=mode, rbits=r, overflow="sat_finite",
                           dtype=np.float64) * X
    assert np.array_equal(t.dequantize(np.float64), want)
    t2 = mx.encode(x, elem, rounding=mode, rbits=r)
    assert np.array_equal(t.codes, t2.codes)  # deterministic given the bits


def test_exact_scale_values():
    # a block's X is exactly 2^(code-127), so X * P is exact in float64: spot-check with Fractions
    x = np.array([1.5e-3, -2.25, 7.0, 1e-9] * 8, dtype=np.float32)
    t = mx.encode(x, "e2m1fn")
    s = int(t.scales[0])
    for c, v in zip(t.codes, t.dequantize(np.float64)):
        assert Fraction(v) == Fraction(2) ** (s - 127) * fp8ref.get_format("e2m1fn").exact_value(int(c))
