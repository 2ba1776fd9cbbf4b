"""UE8M0: decode and encode against ml_dtypes (0.7.0; 0.6.0 restated), gfloat and an exact ``fractions`` reference.

The codec is imported by the ``codec`` fixture (conftest.py), which registers ``ue8m0`` for
this module only. The reference below restates the rules of ``fp8ref.codecs.ue8m0``
(docs/formats_ue8m0_posit.md) with Fractions and value lists; it shares no code with the codec.
"""

from fractions import Fraction

import gfloat
import ml_dtypes
import numpy as np
import pytest
from gfloat.formats import format_info_ocp_e8m0

import fp8ref
from fp8ref import decode, encode, get_format
from fp8ref.codecs._no_value import NO_VALUE
from fp8ref.core.unpack import as_source_array, unpack
from fp8ref.policy import Policy
from fp8ref.testing import assert_codes_equal

from ...oracles.shared import ml_dtypes_06_codes

E8 = ml_dtypes.float8_e8m0fnu
MODES = ("rdn", "rup", "rne", "rna", "rtz")
INEXACT, UNDERFLOW, OVERFLOW, INVALID = 0x01, 0x02, 0x04, 0x10
TWO = Fraction(2)
LO, HI = TWO**-127, TWO**127


# ---- inputs -----------------------------------------------------------------------------------
def f32_edges(signs=True):
    """Every float32 exponent field with its 1.0, 1.5 (midpoint) significands ±1 ulp and ends,
    every subnormal power of two and 1.5x one ±1 ulp, zeros, infinities, NaNs."""
    half, top = 1 << 22, (1 << 23) - 1
    fr = np.array([0, 1, 2, half - 1, half, half + 1, top - 1, top], dtype=np.uint32)
    e = np.arange(0, 256, dtype=np.uint32)
    pats = ((e[:, None] << np.uint32(23)) | fr[None, :]).ravel()
    sub = []
    for k in range(23):
        p = 1 << k
        sub += [p, p - 1, p + 1, p + (p >> 1), p + (p >> 1) - 1, p + (p >> 1) + 1]
    pats = np.concatenate([pats, np.array(sub, dtype=np.uint32), np.array([0x7FC00000, 0x7F800001], np.uint32)])
    pats = np.unique(pats)
    if signs:
        pats = np.concatenate([pats, pats | np.uint32(1 << 31)])
    return pats.view(np.float32)


def every16(dtype):
    return np.arange(1 << 16, dtype=np.uint16).view(dtype)


# ---- exact reference -------------------------------------------------------------------------
def _floor_pow2(x: Fraction) -> int:
    e = x.numerator.bit_length() - x.denominator.bit_length()
    while TWO**e > x:
        e -= 1
    while TWO ** (e + 1) <= x:
        e += 1
    return e


def ref_encode(x, mode, overflow="ovf_inf", below="nan", tininess="after"):
    """(code, flags) for one input: a Fraction, or float inf/-inf/nan."""
    if x == "snan":
        return 0xFF, INVALID
    if isinstance(x, float):
        if x != x:
            return 0xFF, 0
        if x > 0:
            return (0xFE if overflow == "sat_finite" else 0xFF), 0
        return _below(below, INVALID)
    if x <= 0:
        return _below(below, INVALID)
    e = _floor_pow2(x)
    a, b = TWO**e, TWO ** (e + 1)
    if x == a:
        r = a
    elif mode in ("rtz", "rdn"):
        r = a
    elif mode == "rup":
        r = b
    else:
        mid = (a + b) / 2  # arithmetic midpoint
        if x != mid:
            r = a if x < mid else b
        elif mode == "rna":
            r = b
        else:  # rne: even code; code(2^e) = e + 127
            r = a if (e + 127) % 2 == 0 else b
    if r > HI:
        code = 0xFE if (overflow == "sat_finite" or mode in ("rtz", "rdn")) else 0xFF
        return code, INEXACT | OVERFLOW
    if x < LO:
        tiny = (r < LO) if tininess == "after" else True
        fl = INEXACT | (UNDERFLOW if tiny else 0)
        if mode in ("rtz", "rdn"):
            return _below(below, fl)
        return 0x00, fl
    code = _floor_pow2(r) + 127
    return code, (INEXACT if r != x else 0)


def _below(below, flags):
    if below == "error":
        return "error", flags
    return (0xFF if below == "nan" else 0x00), flags


def as_exact(v):
    """A Fraction, float +-inf / nan, or "snan" (signalling NaN: quiet bit clear)."""
    if v != v:
        u = int(np.asarray(v).view(np.uint32 if v.dtype == np.float32 else np.uint64))
        quiet = 1 << (22 if v.dtype == np.float32 else 51)
        return float("nan") if u & quiet else "snan"
    v = float(v)
    return v if not np.isfinite(v) else Fraction(v)


# ---- decode ----------------------------------------------------------------------------------
def test_decode_every_code_vs_ml_dtypes():
    codes = np.arange(256, dtype=np.uint8)
    ref = codes.view(E8).astype(np.float64)
    for dt in (np.float32, np.float64):
        got = decode(codes, "ue8m0", dtype=dt).astype(np.float64)
        np.testing.assert_array_equal(got, ref)


def test_exact_values_and_figures():
    f = get_format("float8_e8m0fnu")
    assert f is get_format("e8m0fnu") is get_format("UE8M0")
    assert f.kind == "ue8m0" and f.bits == 8 and f.num_codes == 256 and f.code_dtype == np.uint8
    assert f.exact_value(0) == TWO**-127 and f.exact_value(127) == 1 and f.exact_value(254) == HI
    assert f.exact_value(255) != f.exact_value(255)
    assert f.nan_codes == (0xFF,) and f.canonical_nan == 0xFF and not f.has_infinity
    assert f.max_finite == 2.0**127 and f.min_normal == 2.0**-127
    figs = f.figures()
    assert figs["num_finite"] == 255 and figs["emin"] == -127 and figs["emax"] == 127
    assert "ue8m0" in f._repr_html_()
    with pytest.raises(ValueError):
        f.exact_value(256)


# ---- oracles ---------------------------------------------------------------------------------
def _assert_flags(got, ref, what):
    """Flags equal element for element (codes go through fp8ref.testing.assert_codes_equal)."""
    np.testing.assert_array_equal(np.asarray(got).ravel(), np.asarray(ref).ravel(), err_msg=what)


def in_gap(x):
    """Inputs in (2^-127, 2^-126): where ml_dtypes 0.6.0 delivered 0x01 (2^-126) whatever the
    nearest value (below_range='ml_dtypes_0.6'); 0.7.0 rounds them like any other input."""
    with np.errstate(invalid="ignore"):
        v = np.asarray(x).astype(np.float64)
    return (v > 2.0**-127) & (v < 2.0**-126)


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
@pytest.mark.parametrize("x", [f32_edges(), every16(np.float16), every16(ml_dtypes.bfloat16)],
                         ids=["float32_edges", "every_float16", "every_bfloat16"])
def test_rna_vs_ml_dtypes(x):
    assert_codes_equal(encode(x, "ue8m0", rounding="rna", below_range="nan"), x.astype(E8).view(np.uint8), "ue8m0", inputs=x)
    below_mid = in_gap(x) & (np.asarray(x).astype(np.float64) < 1.5 * 2.0**-127)
    assert (int(below_mid.sum()) == 0) if x.dtype == np.float16 else (below_mid.sum() > 0)  # gap exercised


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
def test_rna_vs_ml_dtypes_random_float32():
    rng = np.random.default_rng(20261203)
    x = rng.integers(0, 1 << 32, size=200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    assert_codes_equal(encode(x, "ue8m0", rounding="rna"), x.astype(E8).view(np.uint8), "ue8m0", inputs=x)


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
def test_ml_dtypes_presets_float64():
    # 1.5*2^127*(1-2^-30) rounds to the tie 1.5*2^127 in float32, then up to NaN: ml_dtypes 0.6.0
    # (via float32); 0.7.0 rounds it once, below the tie
    x = np.array([1.5 * 2.0**127 * (1 - 2.0**-30), 2.0**-128 * (1 - 2.0**-40), 3.0, 1e-300])
    assert_codes_equal(encode(x, "ue8m0", preset="ml_dtypes"), x.astype(E8).view(np.uint8), "ue8m0", inputs=x)
    assert list(encode(x, "ue8m0", preset="ml_dtypes")) == [0xFE, 0x00, 0x81, 0x00]
    assert list(encode(x, "ue8m0", preset="ml_dtypes_0.6")) == [0xFF, 0x00, 0x81, 0xFF]  # 1e-300 -> 0.0f -> NaN


GF_MODES = {
    "rne": gfloat.RoundMode.TiesToEven,
    "rna": gfloat.RoundMode.TiesToAway,
    "rtz": gfloat.RoundMode.TowardZero,
    "rup": gfloat.RoundMode.TowardPositive,
    "rdn": gfloat.RoundMode.TowardNegative,
}


def _gfloat_codes(vals, mode, sat):
    r = gfloat.round_ndarray(format_info_ocp_e8m0, np.asarray(vals, dtype=np.float64), GF_MODES[mode], sat)
    return gfloat.encode_ndarray(format_info_ocp_e8m0, r)  # NaN -> 0xFF


def _in_gfloat_range(x):
    """Positive finite inputs >= 2^-127. Below 2^-127 gfloat returns values outside the UE8M0
    set (0.0, 2^-128, ...) and negatives stay negative: not comparable."""
    with np.errstate(invalid="ignore"):
        v = np.asarray(x).astype(np.float64)
    return x[np.isfinite(v) & (v >= 2.0**-127)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("overflow", ["ovf_inf", "sat_finite"])
@pytest.mark.parametrize("x", [f32_edges(signs=False), every16(np.float16), every16(ml_dtypes.bfloat16)],
                         ids=["float32_edges", "every_float16", "every_bfloat16"])
def test_vs_gfloat_in_range(x, mode, overflow):
    """gfloat (rne = ties to the even code) in every mode, saturating or not."""
    x = _in_gfloat_range(x)
    ref = _gfloat_codes(x, mode, overflow == "sat_finite")
    assert_codes_equal(encode(x, "ue8m0", rounding=mode, overflow=overflow), ref, "ue8m0", inputs=x,
                       policy={"rounding": mode, "overflow": overflow})


def test_peer_table_worked_examples():
    """The peer table of ../shared/specs/peers.md: ties up (ml_dtypes/torch) vs even code (gfloat)."""
    x = np.array([0.75, 1.5, 3.0, 6.0, 12.0], dtype=np.float32)
    assert [2.0 ** (int(c) - 127) for c in encode(x, "ue8m0", rounding="rna")] == [1, 2, 4, 8, 16]
    assert [2.0 ** (int(c) - 127) for c in encode(x, "ue8m0", rounding="rne")] == [0.5, 2, 2, 8, 8]


def test_torch_min_behaviour():
    """torch / TransformerEngine (peers.md): 0 -> 0x00, 2^-128 -> 0x00, NaN/Inf/overflow -> 0xFF,
    ties up. (torch maps a negative x to |x|: below_range='torch'; min gives 0x00 for negatives.)"""
    x = np.array([0.0, -0.0, 2.0**-128, np.nan, np.inf, 1.5 * 2.0**127, 3.0, -1.0], dtype=np.float32)
    got = encode(x, "ue8m0", rounding="rna", below_range="min")
    assert list(got) == [0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x81, 0x00]
    # TE / PTX cvt.rp.satfinite.ue8m0x2.f32: round up, saturate; amax 0 -> 0x00, Inf -> 0xFE
    got = encode(np.array([0.0, 1.0, 1.0000001, np.inf, 2.0**127 * 1.5], np.float32), "ue8m0",
                 rounding="rup", overflow="sat_finite", below_range="min")
    assert list(got) == [0x00, 0x7F, 0x80, 0xFE, 0xFE]


# ---- exact reference, every policy ------------------------------------------------------------
def _f64_extras():
    return np.array([2.0**128, 2.0**200, 1.75 * 2.0**127, 1.5 * 2.0**127 * (1 + 2.0**-52),
                     1.5 * 2.0**127 * (1 - 2.0**-52), 2.0**-128 * (1.5 + 2.0**-50), 2.0**-150,
                     5e-324, 1e-300, -1e-300, 1.5 * 2.0**-128, 1.5 * 2.0**-128 * (1 - 2.0**-52)])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tininess", ["after", "before"])
def test_every_policy_vs_fractions(mode, tininess):
    xs = [f32_edges(), _f64_extras()]
    for x in xs:
        exact = [as_exact(v) for v in x]
        for overflow in ("ovf_inf", "sat_finite"):
            for below in ("nan", "min"):
                codes, flags = encode(x, "ue8m0", rounding=mode, overflow=overflow, below_range=below,
                                      tininess=tininess, return_flags=True)
                ref = [ref_encode(v, mode, overflow, below, tininess) for v in exact]
                rc = np.array([r[0] for r in ref])
                rf = np.array([r[1] for r in ref])
                what = f"{x.dtype} {mode}/{overflow}/{below}/{tininess}"
                assert_codes_equal(codes, rc, "ue8m0", inputs=x)
                _assert_flags(flags, rf, what + " flags")


@pytest.mark.parametrize("mode", MODES)
def test_table_paths_agree_with_generic(mode, codec):
    """float32 key table and float16/bfloat16 full tables vs encode_exact on the decomposed input."""
    pol = Policy(rounding=mode, below_range="min")
    for x in (f32_edges(), every16(np.float16), every16(ml_dtypes.bfloat16)):
        arr, src = as_source_array(x)
        c0, f0 = codec.encode_exact(get_format("ue8m0"), *unpack(arr, src), pol)
        c1, f1 = encode(x, "ue8m0", policy=pol, return_flags=True)
        assert_codes_equal(c1, c0, "ue8m0", inputs=x)
        _assert_flags(f1, f0, f"{x.dtype} table flags")


def test_below_range_error(codec):
    f = get_format("ue8m0")
    pol = Policy(rounding="rne", below_range="error")
    x = np.array([1.0, 0.0], dtype=np.float64)
    with pytest.raises(ValueError, match=r"input element 1 \(0\) has no ue8m0 value"):
        codec.encode_exact(f, *unpack(*as_source_array(x)), pol)
    ok = np.array([1.0, 2.0**-140, 3.0])  # tiny positives round up to 2^-127 under rne
    codes, _ = codec.encode_exact(f, *unpack(*as_source_array(ok)), pol)
    assert list(codes) == [127, 0, 128]
    with pytest.raises(ValueError, match=r"input element 1 \(7.17\d*e-43\) has no ue8m0 value"):
        codec.encode_exact(f, *unpack(*as_source_array(ok)), Policy(rounding="rtz", below_range="error"))
    # errors="mark" (the front end's tables): the element is marked instead, nothing raised
    codes, flags = codec.encode_exact(f, *unpack(*as_source_array(ok)), Policy(rounding="rtz", below_range="error"),
                                      errors="mark")
    assert list(flags & NO_VALUE) == [0, NO_VALUE, 0] and codes[0] == 127 and codes[2] == 128


def test_unsupported_rounding():
    with pytest.raises(ValueError, match="not defined for UE8M0"):
        encode(np.float32(1.0), "ue8m0", rounding="rto")


def test_flags_examples():
    x = np.array([1.0, 1.5, 2.0**-130, 3.0 * 2.0**127, 0.0, -2.0, np.inf], dtype=np.float64)
    _, fl = encode(x, "ue8m0", rounding="rna", return_flags=True)
    assert [fp8ref.flag_names(f) for f in fl] == [
        [], ["inexact"], ["inexact", "underflow"], ["inexact", "overflow"], ["invalid"], ["invalid"], []]


def test_quantize_roundtrip_every_code():
    vals = decode(np.arange(255, dtype=np.uint8), "ue8m0", dtype=np.float64)
    for mode in MODES:
        assert list(encode(vals, "ue8m0", rounding=mode)) == list(range(255))


@pytest.mark.parametrize("mode", MODES)
def test_vs_gfloat_random_float32(mode):
    rng = np.random.default_rng(3)
    x = _in_gfloat_range(rng.integers(0, 1 << 31, size=100_000, dtype=np.uint64).astype(np.uint32).view(np.float32))
    for overflow in ("ovf_inf", "sat_finite"):
        ref = _gfloat_codes(x, mode, overflow == "sat_finite")
        assert_codes_equal(encode(x, "ue8m0", rounding=mode, overflow=overflow), ref, "ue8m0", inputs=x,
                       policy={"rounding": mode, "overflow": overflow})


def test_below_range_error_through_front_end():
    x = np.array([1.0, 3.0], dtype=np.float32)
    assert list(encode(x, "ue8m0", below_range="error")) == [127, 128]


@pytest.mark.parametrize("x,rounding", [(0.0, "rne"), (-2.0, "rup"), (2.0**-130, "rdn"), (2.0**-128, "rtz")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_below_range_error_names_the_element(x, rounding, dtype):
    if dtype == np.float16 and 0 < abs(x) < 2.0**-24:
        pytest.skip("not a float16 value")
    data = np.array([1.0, x, 4.0], dtype=dtype)
    with pytest.raises(ValueError, match=r"input element 1 .* choose below_range='nan' or 'min'"):
        encode(data, "ue8m0", rounding=rounding, below_range="error")
    # a value in range under the same rounding is fine
    assert list(encode(np.array([1.0, 4.0], dtype=dtype), "ue8m0", rounding=rounding, below_range="error")) == [127, 129]


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
def test_ml_dtypes_presets_match_ml_dtypes_casts():
    """preset='ml_dtypes' (rna, below_range='nan') is ml_dtypes 0.7.0's float8_e8m0fnu cast
    exactly, and preset='ml_dtypes_0.6' (below_range='ml_dtypes_0.6', float64 via float32) is
    0.6.0's, restated (tests/oracles/shared.ml_dtypes_06_codes): every float16 and bfloat16, the
    float32 edges, 200,000 random float32 bit patterns and the same as float64."""
    rng = np.random.default_rng(20261204)
    bits = rng.integers(0, 1 << 32, size=200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    xs = [every16(np.float16), every16(ml_dtypes.bfloat16), f32_edges(), bits, bits.astype(np.float64),
          f32_edges().astype(np.float64) * (1 + 2.0**-40)]
    gap = 0
    for x in xs:
        assert_codes_equal(encode(x, "ue8m0", preset="ml_dtypes"), x.astype(E8).view(np.uint8), "ue8m0", inputs=x)
        assert_codes_equal(encode(x, "ue8m0", preset="ml_dtypes_0.6"), ml_dtypes_06_codes(x, "ue8m0"), "ue8m0", inputs=x)
        gap += int(in_gap(x).sum())
    assert gap > 0  # the gap is exercised


def test_peer_below_range_rules():
    """below_range='ml_dtypes_0.6' / 'torch' under every rounding: the gap (2^-127, 2^-126) -> 0x01
    (inexact); 'torch': 0 -> 0x00 (invalid), a negative x -> the code of |x| (invalid added)."""
    g = np.array([2.0**-127 * (1 + 2.0**-20), 1.25 * 2.0**-127, 2.0**-126 * (1 - 2.0**-23)], np.float32)
    for mode in MODES:
        for br in ("ml_dtypes_0.6", "torch"):
            c, f = encode(g, "ue8m0", rounding=mode, below_range=br, return_flags=True)
            assert list(c) == [1, 1, 1] and list(f) == [INEXACT] * 3
        x = np.array([-3.0, -0.0, 0.0, -np.inf, -2.0**-130, 2.0**-127], np.float32)
        c, f = encode(x, "ue8m0", rounding=mode, below_range="torch", return_flags=True)
        ref, rf = encode(np.abs(x[[0, 4]]), "ue8m0", rounding=mode, below_range="min", return_flags=True)
        assert list(c) == [ref[0], 0x00, 0x00, 0xFF, ref[1], 0x00]
        assert (f[[0, 3, 4]] & INVALID).all() and list(f[[1, 2]]) == [INVALID, INVALID] and f[5] == 0
        assert list(f[[0, 4]]) == list(rf | INVALID)
        c = encode(x, "ue8m0", rounding=mode, below_range="ml_dtypes_0.6")
        assert list(c[:5]) == [0xFF] * 5


def test_below_range_ml_dtypes_is_a_deprecated_alias_of_ml_dtypes_0_6():
    """below_range='ml_dtypes' was renamed 'ml_dtypes_0.6' (ml_dtypes 0.7.0 is plain 'nan'): the
    old value still works for one release, warns naming the new one and means exactly it."""
    x = np.array([1.5 * 2.0**-127, 2.0**-127, 1.75 * 2.0**-127, 0.0, -1.0, 3.0, np.nan, 2.0**-140], np.float64)
    for rounding in ("rne", "rna", "rtz", "rup", "rdn"):
        with pytest.warns(DeprecationWarning, match="below_range='ml_dtypes_0.6'"):
            old = encode(x, "ue8m0", rounding=rounding, below_range="ml_dtypes", return_flags=True)
        new = encode(x, "ue8m0", rounding=rounding, below_range="ml_dtypes_0.6", return_flags=True)
        np.testing.assert_array_equal(old[0], new[0])
        np.testing.assert_array_equal(old[1], new[1])
    with pytest.warns(DeprecationWarning):
        assert Policy(below_range="ml_dtypes").below_range == "ml_dtypes_0.6"
