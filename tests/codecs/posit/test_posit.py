"""Posits: decode and encode against SoftPosit (``posit8``: es = 0; ``posit_2(x, 8)``: 8 bits,
es = 2, the 2022 standard's posit8) and an exact reference of the 2022 standard (every es, user
widths). SoftPosit has no es = 1 type: es = 1 is checked against the reference only.

The reference shares no code with fp8ref: it decodes codes from their bit *strings*, and rounds
by bisection over the sorted values, with the tie point between neighbours ``i`` and ``i+1``
taken as the value of the ``(n+1)``-bit posit ``2i+1`` (the pattern midpoint: "round to
nearest even on the bit pattern"). The codec is imported by the ``codec`` fixture
(conftest.py), which registers posit8_es0/1/2 for this module only.
"""

from bisect import bisect_right
from fractions import Fraction
from functools import lru_cache

import ml_dtypes
import numpy as np
import pytest
import softposit

from fp8ref import decode, encode, get_format
from fp8ref.core.unpack import as_source_array, unpack
from fp8ref.formats.posit import PositFormat
from fp8ref.policy import Policy
from fp8ref.testing import assert_codes_equal

INEXACT, UNDERFLOW, OVERFLOW, INVALID = 0x01, 0x02, 0x04, 0x10
USER = [PositFormat(6, 1), PositFormat(5, 0), PositFormat(10, 2), PositFormat(12, 3)]


# ---- reference ------------------------------------------------------------------------------
def ref_decode(code, n, es):
    """Value of an n-bit posit code from its bit string (Fraction; None for NaR)."""
    s = format(code, f"0{n}b")
    if code == 0:
        return Fraction(0)
    if s == "1" + "0" * (n - 1):
        return None
    neg = s[0] == "1"
    if neg:
        s = format((1 << n) - code, f"0{n}b")
    body = s[1:]
    run = len(body) - len(body.lstrip(body[0]))
    k = run - 1 if body[0] == "1" else -run
    rest = body[run + 1:]
    ebits = (rest[:es] + "0" * es)[:es]
    frac = rest[es:]
    e = int(ebits, 2) if es else 0
    f = Fraction(int(frac, 2), 1 << len(frac)) if frac else Fraction(0)
    v = Fraction(2) ** (k * (1 << es) + e) * (1 + f)
    return -v if neg else v


@lru_cache(maxsize=None)
def ref_tables(n, es):
    vals = [ref_decode(i, n, es) for i in range(1, 1 << (n - 1))]  # codes 1 .. maxpos
    mids = [ref_decode(2 * i + 1, n + 1, es) for i in range(1, (1 << (n - 1)) - 1)]  # between i, i+1
    return vals, mids


def ref_encode(x, n, es):
    """(code, flags): x a Fraction, float inf/nan, or "snan"."""
    if x == "snan":
        return 1 << (n - 1), INVALID
    if isinstance(x, float):
        return 1 << (n - 1), 0  # NaN, ±Inf -> NaR
    if x == 0:
        return 0, 0
    vals, mids = ref_tables(n, es)
    a = abs(x)
    if a > vals[-1]:
        i, fl = len(vals), INEXACT | OVERFLOW
    elif a < vals[0]:
        i, fl = 1, INEXACT | UNDERFLOW
    else:
        j = bisect_right(vals, a) - 1  # vals[j] <= a, code j + 1
        i, fl = j + 1, 0
        if vals[j] != a:
            fl = INEXACT
            m = mids[j]
            i = j + 1 if a < m else j + 2 if a > m else (j + 1 if (j + 1) % 2 == 0 else j + 2)
    return ((1 << n) - i if x < 0 else i), fl


def as_exact(v):
    if v != v:
        bits = np.asarray(v).view(np.uint32 if v.dtype == np.float32 else np.uint64 if v.dtype == np.float64 else np.uint16)
        quiet = {4: 1 << 22, 8: 1 << 51, 2: 1 << (9 if v.dtype == np.float16 else 6)}[v.dtype.itemsize]
        return float("nan") if int(bits) & quiet else "snan"
    v = float(v)
    return v if not np.isfinite(v) else Fraction(v)


# ---- inputs ----------------------------------------------------------------------------------
def f32_edges(fmt):
    """Every value, every pattern midpoint, each +-1 float32 ulp; beyond maxpos, below minpos;
    specials; both signs."""
    n, es = fmt.nbits, fmt.es
    vals, mids = ref_tables(n, es)
    pts = np.array([float(v) for v in vals + mids], dtype=np.float32)
    assert all(Fraction(float(p)) == v for p, v in zip(pts, vals + mids))  # exact in float32
    u = pts.view(np.uint32)
    grid = np.concatenate([u - 1, u, u + 1]).view(np.float32)
    mx, mn = float(vals[-1]), float(vals[0])
    extra = np.array([mx * 1.5, mx * 2, mx * 1e3, 3e38, mn / 2, mn * 0.75, mn / 1e3, 1e-45, 1.2e-38, 0.0,
                      np.inf, np.nan], dtype=np.float32)
    snan = np.array([0x7F800001, 0x7FA00000], dtype=np.uint32).view(np.float32)
    x = np.concatenate([grid, extra, snan])
    return np.concatenate([x, -x])


def every16(dtype):
    return np.arange(1 << 16, dtype=np.uint16).view(dtype)


def _assert_flags(got, ref, what):
    """Flags equal element for element (codes go through fp8ref.testing.assert_codes_equal)."""
    np.testing.assert_array_equal(np.asarray(got).ravel(), np.asarray(ref).ravel(), err_msg=what)


def _softposit8(x):
    return np.array([softposit.posit8(float(v)).v.v for v in np.asarray(x).ravel()])


def _softposit8_es2(x):
    """SoftPosit's posit_2 type with 8 bits (es = 2); it keeps the bits left-aligned in 32."""
    return np.array([softposit.posit_2(float(v), 8).v.v >> 24 for v in np.asarray(x).ravel()])


# ---- decode ----------------------------------------------------------------------------------
def test_decode_posit8_es2_vs_softposit():
    got = decode(np.arange(256), "posit8_es2", dtype=np.float64)
    ref = []
    for c in range(256):
        p = softposit.posit_2(0.0, 8)
        p.fromBits(c << 24)
        ref.append(np.nan if p.isNaR() else float(p))
    assert softposit.posit_2(float("nan"), 8).v.v >> 24 == 0x80
    np.testing.assert_array_equal(got, np.array(ref))


def test_decode_posit8_es0_vs_softposit():
    got = decode(np.arange(256), "posit8_es0", dtype=np.float64)
    ref = []
    for c in range(256):
        p = softposit.posit8(0.0)
        p.fromBits(c)
        ref.append(np.nan if p.isNaR() else float(p))  # float(NaR) is not NaN in SoftPosit
    assert softposit.posit8(float("nan")).v.v == 0x80
    np.testing.assert_array_equal(got, np.array(ref))


@pytest.mark.parametrize("fmt", ["posit8_es0", "posit8_es1", "posit8_es2"] + USER,
                         ids=lambda f: f if isinstance(f, str) else f.name)
def test_decode_every_code_vs_reference(fmt):
    fmt = get_format(fmt)
    got = decode(np.arange(fmt.num_codes), fmt, dtype=np.float64)
    for c in range(fmt.num_codes):
        r = ref_decode(c, fmt.nbits, fmt.es)
        assert (np.isnan(got[c]) if r is None else Fraction(float(got[c])) == r), hex(c)
        assert (fmt.exact_value(c) != fmt.exact_value(c)) if r is None else fmt.exact_value(c) == r


def test_spec_decode_examples():
    """../shared/specs/formats.md §6 (es = 2) and the figures table."""
    d = decode(np.arange(256), "posit8_es2", dtype=np.float64)
    ex = {0x01: 2.0**-24, 0x02: 2.0**-20, 0x10: 2.0**-8, 0x20: 1 / 16, 0x30: 1 / 4, 0x38: 1 / 2, 0x3F: 15 / 16,
          0x41: 9 / 8, 0x48: 2, 0x50: 4, 0x60: 16, 0x70: 256, 0x7E: 2.0**20, 0x81: -(2.0**24), 0xC0: -1,
          0xFF: -(2.0**-24), 0x7F: 2.0**24, 0x40: 1, 0x00: 0}
    assert {c: d[c] for c in ex} == ex and np.isnan(d[0x80])
    for es, mx in ((0, 64), (1, 4096), (2, 2**24)):
        f = get_format(f"posit8_es{es}")
        assert f.max_finite == mx and f.min_normal == 1 / mx and f.es == es and f.kind == "posit"
        assert f.nan_codes == (0x80,) and f.canonical_nan == 0x80 and f.code_dtype == np.uint8
    assert get_format("posit8") is get_format("posit8_es2")
    assert PositFormat(10, 1).code_dtype == np.uint16 and PositFormat(6, 1).name == "posit6_es1"
    assert "posit8_es1" in get_format("posit8_es1")._repr_html_()
    with pytest.raises(ValueError):
        PositFormat(2, 0)


# ---- encode vs SoftPosit (es = 0) ------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
@pytest.mark.parametrize("x", [every16(np.float16), every16(ml_dtypes.bfloat16), f32_edges(PositFormat(8, 0))],
                         ids=["every_float16", "every_bfloat16", "float32_edges"])
def test_encode_es0_vs_softposit(x):
    ref = _softposit8(x.astype(np.float64))
    assert_codes_equal(encode(x, "posit8_es0"), ref, "posit8_es0", inputs=x)


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
@pytest.mark.parametrize("x", [every16(np.float16), every16(ml_dtypes.bfloat16), f32_edges(PositFormat(8, 2))],
                         ids=["every_float16", "every_bfloat16", "float32_edges"])
def test_encode_es2_vs_softposit(x):
    assert_codes_equal(encode(x, "posit8_es2"), _softposit8_es2(x.astype(np.float64)), "posit8_es2", inputs=x)


def test_spec_encode_examples():
    x = np.array([3.3, 0.1, 1000, 17, 1.0625, 1.1875, -2.5, 1e9, 1e-9, -1e9, -1e-9, 0.0, -0.0, np.inf, -np.inf, np.nan])
    assert [int(c) for c in encode(x, "posit8_es2")] == [
        0x4D, 0x25, 0x74, 0x60, 0x40, 0x42, 0xB6, 0x7F, 0x01, 0x81, 0xFF, 0, 0, 0x80, 0x80, 0x80]


# ---- encode vs the exact reference -------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["posit8_es0", "posit8_es1", "posit8_es2"] + USER,
                         ids=lambda f: f if isinstance(f, str) else f.name)
def test_encode_float32_edges_vs_reference(fmt):
    fmt = get_format(fmt)
    x = f32_edges(fmt)
    codes, flags = encode(x, fmt, return_flags=True)
    ref = [ref_encode(as_exact(v), fmt.nbits, fmt.es) for v in x]
    assert_codes_equal(codes, [r[0] for r in ref], fmt, inputs=x)
    _assert_flags(flags, [r[1] for r in ref], f"{fmt.name} flags")


@pytest.mark.parametrize("name", ["posit8_es1", "posit8_es2"])
@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16], ids=["float16", "bfloat16"])
def test_encode_every16_vs_reference(name, dtype):
    fmt = get_format(name)
    x = every16(dtype)
    codes, flags = encode(x, fmt, return_flags=True)
    ref = [ref_encode(as_exact(v), 8, fmt.es) for v in x]
    assert_codes_equal(codes, [r[0] for r in ref], name, inputs=x)
    _assert_flags(flags, [r[1] for r in ref], f"{name} flags")


@pytest.mark.parametrize("name", ["posit8_es0", "posit8_es1", "posit8_es2"])
def test_encode_float64_vs_reference(name):
    """float64 inputs: midpoints +-1 float64 ulp (the float32 ulp is far coarser), extremes."""
    fmt = get_format(name)
    _, mids = ref_tables(8, fmt.es)
    m = np.array([float(v) for v in mids])
    x = np.concatenate([np.nextafter(m, 0), m, np.nextafter(m, np.inf),
                        [1e300, -1e300, 5e-324, -5e-324, 1e-300, 2.0**fmt.emax * (1 + 2.0**-52)]])
    codes, flags = encode(x, fmt, return_flags=True)
    ref = [ref_encode(as_exact(v), 8, fmt.es) for v in x]
    assert_codes_equal(codes, [r[0] for r in ref], name, inputs=x)
    _assert_flags(flags, [r[1] for r in ref], f"{name} float64 flags")


def test_integer_inputs():
    x = np.array([0, 1, -1, 3, 17, 1000, 2**40, -(2**62), 2**63 - 1], dtype=np.int64)
    ref = [ref_encode(Fraction(int(v)), 8, 2)[0] for v in x]
    assert [int(c) for c in encode(x, "posit8_es2")] == ref


@pytest.mark.parametrize("fmt", ["posit8_es0", "posit8_es2", PositFormat(6, 1)], ids=str)
def test_table_paths_agree_with_generic(fmt, codec):
    fmt = get_format(fmt)
    pol = Policy()
    for x in (f32_edges(fmt), every16(np.float16)):
        arr, src = as_source_array(x)
        c0, f0 = codec.encode_exact(fmt, *unpack(arr, src), pol)
        c1, f1 = encode(x, fmt, policy=pol, return_flags=True)
        assert_codes_equal(c1, c0, fmt, inputs=x)
        _assert_flags(f1, f0, f"{fmt.name} {x.dtype} table flags")


def test_only_rne():
    with pytest.raises(ValueError, match="not defined for posits"):
        encode(np.float32(1.0), "posit8_es1", rounding="rtz")


def test_roundtrip_every_code():
    for es in (0, 1, 2):
        name = f"posit8_es{es}"
        codes = np.array([c for c in range(256) if c != 0x80])
        vals = decode(codes, name, dtype=np.float64)
        assert list(encode(vals, name)) == list(codes)


def _random_float64(n, seed, span):
    rng = np.random.default_rng(seed)
    sig = rng.uniform(1, 2, n)
    exp = rng.integers(-span, span + 1, n)
    sign = np.where(rng.integers(0, 2, n) == 1, -1.0, 1.0)
    return sign * np.ldexp(sig, exp)


def test_encode_es2_vs_softposit_random_float64():
    x = _random_float64(20_000, 13, 28)
    assert_codes_equal(encode(x, "posit8_es2"), _softposit8_es2(x), "posit8_es2", inputs=x)


def test_encode_es0_vs_softposit_random_float64():
    """SoftPosit converts float64 directly: an oracle for fp8ref's direct float64 path."""
    x = _random_float64(20_000, 11, 10)
    assert_codes_equal(encode(x, "posit8_es0"), _softposit8(x), "posit8_es0", inputs=x)


@pytest.mark.parametrize("name", ["posit8_es1", "posit8_es2"])
def test_encode_random_float64_vs_reference(name):
    fmt = get_format(name)
    x = _random_float64(4_000, 12 + fmt.es, fmt.emax + 3)
    codes, flags = encode(x, fmt, return_flags=True)
    ref = [ref_encode(Fraction(float(v)), 8, fmt.es) for v in x]
    assert_codes_equal(codes, [r[0] for r in ref], name, inputs=x)
    _assert_flags(flags, [r[1] for r in ref], f"{name} flags")
