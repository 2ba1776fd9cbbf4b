"""Scale rules vs exact Fraction definitions, and vs bit-level re-statements of the peers."""


import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fp8ref.blocks import mx, scale_rules

from ._ref import ELEMS, e8m0_code

RULES = ("floor", "ceil", "even", "rceil")


def _boundary_amax():
    """Positive float32 amax values at and around every rule's decision points."""
    vals = set()
    f32 = np.float32
    for k in list(range(-149, 128, 7)) + [-149, -127, -126, -125, -1, 0, 1, 8, 126, 127]:
        p = f32(2.0) ** f32(k) if k > -127 else f32(np.ldexp(1.0, k))
        for v in (p, np.nextafter(p, f32(0)), np.nextafter(p, f32(np.inf))):
            vals.add(float(v))
        for name, (emax, m, mx_, _) in ELEMS.items():
            # the EVEN step (2 - 2^-(m+1)) * 2^k and the RCEIL step max_elem * 2^k, +-1 ulp
            for c in (2 - 2.0 ** -(m + 1), float(mx_)):
                with np.errstate(over="ignore"):
                    q = f32(np.ldexp(c, k))
                if np.isfinite(q) and q > 0:
                    for v in (q, np.nextafter(q, f32(0)), np.nextafter(q, f32(np.inf))):
                        if np.isfinite(v) and v > 0:
                            vals.add(float(v))
    vals.add(float(np.finfo(np.float32).max))
    vals.add(float(np.finfo(np.float32).smallest_subnormal))
    return np.array(sorted(vals), dtype=np.float32)


AMAX = _boundary_amax()


@pytest.mark.parametrize("elem", list(ELEMS))
@pytest.mark.parametrize("rule", RULES)
def test_rules_vs_fractions_boundaries(rule, elem):
    got = mx.scale_codes(AMAX, elem, rule)
    want = [e8m0_code(float(a), rule, elem) for a in AMAX]
    bad = [(float(a), int(g), w) for a, g, w in zip(AMAX, got, want) if int(g) != w]
    assert not bad, bad[:5]


@given(st.lists(st.integers(1, 0x7F7FFFFF), min_size=1, max_size=64), st.sampled_from(RULES),
       st.sampled_from(list(ELEMS)))
def test_rules_vs_fractions_random_bits(bits, rule, elem):
    a = np.array(bits, dtype=np.uint32).view(np.float32)
    got = mx.scale_codes(a, elem, rule)
    assert got.tolist() == [e8m0_code(float(v), rule, elem) for v in a]


@given(st.lists(st.floats(min_value=2.0**-1074, max_value=1e308, allow_subnormal=True), min_size=1, max_size=32),
       st.sampled_from(RULES), st.sampled_from(list(ELEMS)), st.sampled_from(["nan", "clamp"]))
def test_rules_vs_fractions_float64(vals, rule, elem, overflow):
    a = np.array(vals, dtype=np.float64)
    got = mx.scale_codes(a, elem, rule, scale_overflow=overflow)
    assert got.tolist() == [e8m0_code(float(v), rule, elem, overflow) for v in a]


def test_special_amax():
    a = np.array([0.0, np.nan, np.inf, -np.inf], dtype=np.float32)
    for rule in RULES:
        assert mx.scale_codes(a, "e4m3fn", rule).tolist() == [0x00, 0xFF, 0xFF, 0xFF]


def _torchao_style(amax, rule, elem):
    """torchao/TE bit formulas for *normal* float32 amax (independent re-statement)."""
    emax, m, mxv, _ = ELEMS[elem]
    bits = amax.view(np.uint32).astype(np.int64)
    exp = (bits >> 23) & 0xFF
    mant = bits & 0x7FFFFF
    if rule == "floor":
        e = exp - 127 - emax
    elif rule == "ceil":
        e = exp - 127 - emax + (mant != 0)
    elif rule == "even":
        e = (((bits + (1 << (22 - m))) & 0x7F800000) >> 23) - 127 - emax
    else:  # rceil as TE/PTX compute it: FP32 multiply by the rounded reciprocal, then round up
        q = amax * (np.float32(1) / np.float32(float(mxv)))
        qb = q.view(np.uint32).astype(np.int64)
        e = ((qb >> 23) & 0xFF) - 127 + ((qb & 0x7FFFFF) != 0)
    return np.clip(e, -127, 127) + 127


@pytest.mark.parametrize("elem", [e for e in ELEMS if e != "int8"])
@pytest.mark.parametrize("rule", RULES)
def test_rules_vs_bit_restatement(rule, elem):
    rng = np.random.default_rng(7)
    bits = rng.integers(0x00800000, 0x7F7FFFFF, 20000, dtype=np.uint32)
    a = np.concatenate([bits.view(np.float32), AMAX[AMAX >= np.finfo(np.float32).tiny * 2**10]])
    if rule == "rceil":  # the reciprocal route is exact while the quotient is a normal float32
        a = a[(a / np.float32(float(ELEMS[elem][2])) >= np.finfo(np.float32).tiny)]
    assert np.array_equal(mx.scale_codes(a, elem, rule), _torchao_style(a, rule, elem))


def test_floor_log2_exact_below_powers_of_two():
    # one float32 ulp below 2^k: a float log2 rounds to k, the bits give k - 1
    k = np.arange(-125, 127)
    a = np.nextafter(np.ldexp(np.float32(1), k).astype(np.float32), np.float32(0))
    assert np.array_equal(scale_rules.floor_log2(a), k - 1)
    assert np.array_equal(np.floor(np.log2(a)).astype(np.int64)[k == 100], [100])  # the trap itself


def test_e8m0_values_is_a_deprecated_alias_of_the_ue8m0_decoder():
    with pytest.warns(DeprecationWarning, match='decode\\(codes, "ue8m0"'):
        v = scale_rules.e8m0_values(np.array([0, 1, 127, 128, 254, 255]))
    assert v.dtype == np.float64
    assert v[:5].tolist() == [2.0**-127, 2.0**-126, 1.0, 2.0, 2.0**127] and np.isnan(v[5])
    with pytest.warns(DeprecationWarning):
        v32 = scale_rules.e8m0_values(np.arange(255), np.float32)
    assert np.array_equal(v32.astype(np.float64), np.ldexp(1.0, np.arange(255) - 127))
    for name, value in (("E8M0_NAN", 0xFF), ("E8M0_BIAS", 127)):
        with pytest.warns(DeprecationWarning, match='get_format\\("ue8m0"\\)'):
            assert getattr(scale_rules, name) == value


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_floor_log2_and_powers_of_two_every_binade(dtype):
    """floor_log2 / is_power_of_two from the bits, every binade of the type (subnormals too),
    at 2^k, 2^k ± 1 ulp and 1.5 * 2^k, against exact fractions."""
    from fractions import Fraction

    fi = np.finfo(dtype)
    ks = range(int(np.log2(float(fi.smallest_subnormal))), int(fi.maxexp))
    vals = []
    for k in ks:
        p = dtype(np.ldexp(1.0, k))
        vals += [p, np.nextafter(p, dtype(np.inf)), np.nextafter(p, dtype(0)), dtype(1.5) * p]
    a = np.array([v for v in vals if np.isfinite(v) and v > 0], dtype=dtype)
    for s in (1, -1):
        got, pw = scale_rules.floor_log2(s * a), scale_rules.is_power_of_two(s * a)
        for v, g, p in zip(a, got, pw):
            q = Fraction(float(v))
            assert Fraction(2) ** int(g) <= q < Fraction(2) ** (int(g) + 1), (v, g)
            assert bool(p) == (q.numerator & (q.numerator - 1) == 0 and q.denominator & (q.denominator - 1) == 0)


def test_bad_rule_and_overflow_names():
    with pytest.raises(ValueError, match="scale_rule"):
        mx.scale_codes(np.float32(1), "e4m3fn", "round")
    with pytest.raises(ValueError, match="scale_overflow"):
        mx.scale_codes(np.float32(1), "e4m3fn", "floor", scale_overflow="wrap")


@pytest.mark.parametrize("elem", ["e4m3fn", "e5m2", "e3m2fn", "e2m3fn", "e2m1fn"])
@pytest.mark.parametrize("rule,rounding,divide_by_max", [("floor", "rdn", False), ("ceil", "rup", False),
                                                          ("rceil", "rup", True)])
def test_rules_are_the_ue8m0_codec_on_the_quotient(rule, rounding, divide_by_max, elem):
    """The exponent-bit rules agree with the UE8M0 codec (``below_range="min"``) applied to
    amax·2^-emax (FLOOR, CEIL) or amax / max_elem (RCEIL). float64 holds amax·2^-emax exactly,
    and amax / max_elem rounded to float64 never reaches or crosses a power of two that the
    exact quotient does not: a float32 quotient that is not a power of two lies at relative
    distance at least 2^-24 from one, far above float64's rounding error)."""
    import fp8ref

    el = fp8ref.get_format(elem)
    a = AMAX.astype(np.float64)
    q = a / float(el.max_finite) if divide_by_max else np.ldexp(a, -el.emax)
    want = fp8ref.encode(q, "ue8m0", rounding=rounding, below_range="min", overflow="sat_finite")
    assert np.array_equal(mx.scale_codes(AMAX, elem, rule), want)


# ---- rceil_hw: the kernels' operation order ---------------------------------------------------
def _te_float_to_e8m0(val):
    """TransformerEngine ``ptx::float_to_e8m0``, software path, restated line by line
    (NVIDIA/TransformerEngine d0067d0da6cb01811b8072a7d304f0e00344ce2b,
    transformer_engine/common/util/ptx_arch_spec.cuh lines 72-101; on Blackwell the function
    issues ``cvt.rp.satfinite.ue8m0x2.f32`` instead)."""
    val = np.asarray(val, np.float32)
    u = val.view(np.uint32)
    exponent = (u >> 23).astype(np.int64)  # e8m0_t exponent = (val_u32 >> FP32_MANTISSA_BITS)
    mantissa = (u & 0x7FFFFF).astype(np.int64)
    up = (mantissa > 0) & (exponent != 0xFE) & ~((exponent == 0) & (mantissa <= 0x400000))
    out = exponent + up
    out = np.where(val == 0, 0x00, out)
    out = np.where(np.isinf(val), 0xFE, out)
    return np.where(np.isnan(val), 0xFF, out)


def _torchao_main_rceil(amax, max_pos):
    """torchao main ``_to_mx_rceil`` + ``_f32_to_e8m0_rceil`` restated (pytorch/ao
    36027d82d1ad9949597ea16002ff4940374b1b94, torchao/prototype/mx_formats/mx_tensor.py
    lines 111-129 and 185)."""
    descale = amax * np.float32(1.0 / max_pos)  # max_abs * (1.0 / max_pos), float32 tensor op
    bits = descale.view(np.int32)
    biased = (bits >> 23) & 0xFF
    mant = bits & 0x7FFFFF
    e = biased + np.where(biased == 0, mant > 0x400000, mant != 0)
    return np.where(np.isfinite(descale), e, 0xFF)


def _hw_amax(max_elem):
    """Float32 amax where the orders could part: around max * 2^-127 and max * 2^-126 (the
    product's subnormal range), every float32 subnormal sampled, random bits, the boundaries."""
    f32 = np.float32
    vals = [AMAX]
    for k in (-128, -127, -126, -125):
        c = f32(np.ldexp(float(max_elem), k))
        u = np.array([c], f32).view(np.uint32).astype(np.int64)[0]
        vals.append(np.arange(max(u - 4096, 1), u + 4096, dtype=np.int64).astype(np.uint32).view(f32))
    vals.append(np.arange(1, 0x00800000, 61, dtype=np.uint32).view(f32))
    rng = np.random.default_rng(3)
    vals.append(rng.integers(1, 0x7F800000, 50000, dtype=np.uint32).view(f32))
    vals.append(np.array([0x04600001], np.uint32).view(f32))
    return np.concatenate(vals)


@pytest.mark.parametrize("elem", list(ELEMS))
def test_rceil_hw_is_te_and_torchao_main(elem):
    max_elem = float(ELEMS[elem][2])
    a = _hw_amax(max_elem)
    got = mx.scale_codes(a, elem, "rceil_hw").astype(np.int64)
    with np.errstate(under="ignore"):
        p = a * np.float32(1.0 / max_elem)  # constexpr float max_norm_rcp = 1.0 / max_norm
    assert np.array_equal(got, _te_float_to_e8m0(p))
    if elem != "int8":  # torchao has no MXINT8 (and its cvt.rp without .satfinite gives 0xFF above 2^127)
        assert np.array_equal(got, _torchao_main_rceil(a, max_elem))
    # the exact quotient gives the same code wherever the float32 product is normal (with the
    # saturating E8M0 overflow of the instruction: MXINT8 amax above 127/64 * 2^127 -> 0xFE)
    exact = mx.scale_codes(a, elem, "rceil", scale_overflow="clamp").astype(np.int64)
    normal = p >= np.finfo(np.float32).tiny
    if elem != "int8":
        assert np.array_equal(got[normal], exact[normal])
    assert mx.scale_codes(np.array([0.0, np.nan, np.inf], np.float32), elem, "rceil_hw").tolist() == [0, 0xFF, 0xFF]


def test_rceil_hw_differs_from_the_exact_quotient():
    # the one float32 amax where they differ for E4M3 (exhaustive count, docs/blocks.md):
    # 0x04600001 = 448 * 2^-127 * (1 + 2^-23); fp32(amax * fp32(1/448)) rounds to 2^-127 exactly
    a = np.array([0x04600001], np.uint32).view(np.float32)
    assert mx.scale_codes(a, "e4m3fn", "rceil").tolist() == [1]  # the quotient exceeds 2^-127
    assert mx.scale_codes(a, "e4m3fn", "rceil_hw").tolist() == [0]
    assert _te_float_to_e8m0(a * np.float32(1.0 / 448.0)).tolist() == [0]
    t = mx.encode(np.concatenate([a, np.zeros(31, np.float32)]), "e4m3fn", scale_rule="rceil_hw")
    assert t.scales.tolist() == [0] and t.scale_rule == "rceil_hw"


def test_rceil_hw_mxint8_differs_in_every_binade():
    # MXINT8: 1/max = 64/127 is inexact and 127 has 7 significant bits, so amax one ulp above
    # 127/64 * 2^k has an exact quotient just above 2^k that the float32 product rounds onto 2^k
    k = np.arange(-126, 127)
    a = np.nextafter(np.ldexp(127 / 64, k).astype(np.float32), np.float32(np.inf))
    hw = mx.scale_codes(a, "int8", "rceil_hw")
    assert hw.tolist() == (k + 127).tolist()
    assert np.array_equal(hw, _te_float_to_e8m0(a * np.float32(64 / 127)))
    assert mx.scale_codes(a, "int8", "rceil", scale_overflow="clamp").tolist() == np.minimum(k + 128, 254).tolist()


def test_rceil_hw_needs_float32_values():
    with pytest.raises(ValueError, match="float32"):
        mx.scale_codes(np.array([0.1]), "e4m3fn", "rceil_hw")
    with pytest.raises(ValueError, match="float32"):
        mx.encode(np.full(32, 0.1), "e4m3fn", scale_rule="rceil_hw")
    x = np.arange(-32, 32) / 8.0  # float64 holding float32 values is fine
    assert np.array_equal(mx.encode(x, "e4m3fn", scale_rule="rceil_hw").codes,
                          mx.encode(x.astype(np.float32), "e4m3fn", scale_rule="rceil").codes)
