"""Edge blocks, one test each, with the behaviour documented in docs/blocks.md."""

from fractions import Fraction

import numpy as np
import pytest

import fp8ref
from fp8ref.blocks import MXTensor, mx

F32 = np.float32


def q(x, elem="e4m3fn", **kw):
    x = np.asarray(x)
    kw.setdefault("block_size", x.shape[-1])
    return mx.encode(x, elem, **kw)


def test_all_zero_block_scale_0x00_and_signed_zeros():
    t = q(np.array([0.0, -0.0, 0.0, -0.0], F32))
    assert t.scales.tolist() == [0x00]
    assert t.codes.tolist() == [0x00, 0x80, 0x00, 0x80]
    for rule in ("ceil", "even", "rceil"):
        assert q(np.zeros(4, F32), scale_rule=rule).scales.tolist() == [0x00]
    ti = q(np.array([0.0, -0.0], F32), "int8")
    assert ti.scales.tolist() == [0x00] and ti.codes.tolist() == [0, 0]  # two's complement has no -0


@pytest.mark.parametrize("elem,fill", [("e4m3fn", 0x7F), ("e5m2", 0x7F), ("e2m1fn", 0x0), ("e3m2fn", 0x0), ("int8", 0x0)])
def test_nan_in_block_gives_nan_scale_and_fill_codes(elem, fill):
    x = np.array([[1.0, np.nan, -3.0, 0.5], [1.0, 2.0, 3.0, 4.0]], F32)
    t = mx.encode(x, elem, block_size=4)
    assert t.scales[:, 0].tolist()[0] == 0xFF
    assert t.codes[0].tolist() == [fill] * 4
    d = t.dequantize()
    assert np.isnan(d[0]).all() and np.isfinite(d[1]).all()  # other blocks are untouched
    assert t.scales[1, 0] != 0xFF


@pytest.mark.parametrize("inf", [np.inf, -np.inf])
def test_inf_in_block_gives_nan_scale(inf):
    t = q(np.array([1.0, inf, 2.0, 0.0], F32), "e5m2")
    assert t.scales.tolist() == [0xFF] and t.codes.tolist() == [0x7F] * 4
    assert np.isnan(t.dequantize()).all()


def test_float32_subnormal_amax():
    x = np.array([3 * 2.0**-149, -2.0**-130, 2.0**-127 + 2.0**-149, 0.0], F32)
    for rule in ("floor", "ceil", "even", "rceil"):
        t = q(x, scale_rule=rule)
        assert t.scales.tolist() == [0x00]  # every rule's exponent is far below -127: clamped
        # X = 2^-127: elements are x * 2^127 exactly, rounded to e4m3
        want = fp8ref.quantize(x.astype(np.float64) * 2.0**127, "e4m3fn", overflow="sat_finite", dtype=np.float64)
        assert np.array_equal(t.dequantize(np.float64), want * 2.0**-127)
    # MXINT8 (emax 0) with CEIL: amax in (2^-127, 2^-126) gives exponent -126, code 0x01
    t = q(np.array([2.0**-127 + 2.0**-140, 0.0], F32), "int8", scale_rule="ceil")
    assert t.scales.tolist() == [0x01]


def test_shared_exponent_below_range_clamps_and_elements_underflow():
    x = np.array([2.0**-130, 2.0**-133, 2.0**-140, -2.0**-137], F32)
    t = q(x)
    assert t.scales.tolist() == [0x00]
    # scaled by 2^127: 2^-3, 2^-6, 2^-13 (< half of e4m3's 2^-9: rounds to 0), -2^-10 (tie -> -0)
    assert t.dequantize(np.float64).tolist() == [2.0**-130, 2.0**-133, 0.0, -0.0]
    assert t.codes.tolist() == [0x20, 0x08, 0x00, 0x80]


@pytest.mark.parametrize("overflow,code", [("nan", 0xFF), ("clamp", 0xFE)])
def test_shared_exponent_above_range(overflow, code):
    x = np.array([2.0**140, 1.0, -2.0**136, 0.0])  # float64 only: floor(log2) - 8 = 132 > 127
    t = q(x, scale_overflow=overflow)
    assert t.scales.tolist() == [code]
    if overflow == "clamp":  # X = 2^127: 2^13 saturates to 448, 2^9 = 512 -> 448, 1 * 2^-127 -> 0
        assert t.dequantize(np.float64).tolist() == [448 * 2.0**127, 0.0, -448 * 2.0**127, 0.0]
    else:
        assert np.isnan(t.dequantize(np.float64)).all()


def test_non_multiple_length_errors_without_pad():
    with pytest.raises(ValueError, match="not a multiple of block_size 32; pass pad=True"):
        mx.encode(np.ones(40, F32), "e4m3fn")


def test_non_multiple_length_with_pad():
    x = np.arange(1, 41, dtype=F32).reshape(1, 40) / 8
    t = mx.encode(x, "e4m3fn", pad=True)
    assert t.codes.shape == (1, 40) and t.scales.shape == (1, 2)
    assert t.padded_length == 64
    tail = mx.encode(x[:, 32:], "e4m3fn", block_size=8)
    assert t.scales[0, 1] == tail.scales[0, 0] and np.array_equal(t.codes[:, 32:], tail.codes)
    bc = t.block_codes()
    assert bc.shape == (1, 2, 32) and (bc[0, 1, 8:] == 0).all()


def test_directed_rounding_survives_float32_underflow_of_the_quotient():
    # x / X = 2^-140 / 2^92 underflows float32; exactly it is a tiny positive number, so rup
    # gives e4m3's smallest subnormal and rdn/rtz give +0; the negative twin mirrors it
    x = np.array([2.0**100, 2.0**-140, -(2.0**-140), 0.0], F32)
    up = q(x, rounding="rup")
    dn = q(x, rounding="rdn")
    assert up.codes.tolist()[1:] == [0x01, 0x80, 0x00]
    assert dn.codes.tolist()[1:] == [0x00, 0x81, 0x00]
    assert q(x, rounding="rto").codes.tolist()[1:3] == [0x01, 0x81]
    assert q(x, rounding="rne").codes.tolist()[1:3] == [0x00, 0x80]


def test_rna_matches_microxcaling_nearest_and_differs_from_rne_on_ties():
    x = np.array([4.0, 2.5, 0.75, 5.0], F32)  # X = 1 for e2m1 (floor(log2 5) - 2 = 0)
    assert q(x, "e2m1fn").dequantize().tolist() == [4.0, 2.0, 1.0, 4.0]
    assert q(x, "e2m1fn", rounding="rna").dequantize().tolist() == [4.0, 3.0, 1.0, 6.0]


def test_axis_and_layout():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 3, 5)).astype(F32)
    t = mx.encode(x, "e5m2", axis=0)
    assert t.scales.shape == (2, 3, 5) and t.axis == 0
    ref = mx.encode(np.ascontiguousarray(np.moveaxis(x, 0, -1)), "e5m2")
    assert np.array_equal(np.moveaxis(t.codes, 0, -1), ref.codes)
    assert np.array_equal(np.moveaxis(t.scales, 0, -1), ref.scales)
    assert t.block_codes().shape == (3, 5, 2, 32)


def test_inputs_bf16_fp16_int_and_torch_like_lists():
    import ml_dtypes

    x = np.array([1.5, -2.25, 3.0, 0.1], dtype=np.float32)
    base = q(x)
    for arr in (x.astype(ml_dtypes.bfloat16), x.astype(np.float16)):
        t = q(arr)
        want = q(arr.astype(F32))
        assert np.array_equal(t.codes, want.codes) and np.array_equal(t.scales, want.scales)
    ti = q(np.array([3, -1, 100, 0], dtype=np.int32))
    assert np.array_equal(ti.codes, q(np.array([3.0, -1.0, 100.0, 0.0])).codes)
    assert base.codes.dtype == np.uint8


def test_bad_arguments():
    x = np.ones(32, F32)
    with pytest.raises(ValueError, match="block element format"):
        mx.encode(x, "bf16")
    with pytest.raises(ValueError, match="unknown format"):
        mx.encode(x, "e9m9")
    with pytest.raises(ValueError, match="block_size"):
        mx.encode(x, "e4m3fn", block_size=0)
    with pytest.raises(ValueError, match="axis"):
        mx.encode(x, "e4m3fn", axis=1)
    with pytest.raises(ValueError, match="rounding"):
        mx.encode(x, "e4m3fn", rounding="nearest")
    with pytest.raises(ValueError, match="at least one dimension"):
        mx.encode(np.float32(1), "e4m3fn")
    with pytest.raises(TypeError):
        mx.encode(np.array(["a"]), "e4m3fn")
    with pytest.raises(ValueError, match="rbits"):
        mx.encode(x, "e4m3fn", rounding="stochastic")


def test_mxtensor_from_codes_validates_and_is_immutable():
    t = MXTensor(np.array([0x38, 0x40], np.uint8), np.array([127], np.uint8), "e4m3fn", block_size=2)
    assert t.dequantize().tolist() == [1.0, 2.0]
    with pytest.raises(ValueError):
        t.codes[0] = 1
    with pytest.raises(ValueError, match="scales have shape"):
        MXTensor(np.zeros(4, np.uint8), np.zeros(1, np.uint8), "e4m3fn", block_size=2)
    with pytest.raises(ValueError, match="out of range"):
        MXTensor(np.array([16, 0], np.uint8), np.zeros(1, np.uint8), "e2m1fn", block_size=2)
    # MXINT8 0x80 decodes to -2 (never produced by quantize)
    ti = MXTensor(np.array([0x80, 0x7F], np.uint8), np.array([127], np.uint8), "int8", block_size=2)
    assert ti.dequantize().tolist() == [-2.0, 127 / 64]


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_dequantize_float32_rounds_once_like_a_cast(sign):
    # issue 15 item 5.15: e4m3fn, `ceil`, block [0x7F7FFFFF] -> X = 2^120, FLT_MAX / X rounds to
    # the element 256: the value 2^128 lies above FLT_MAX; float32 gives what a float32 cast gives
    x = np.array([sign * np.finfo(F32).max], F32)
    t = q(x, scale_rule="ceil")
    assert t.scales.tolist() == [127 + 120] and t.codes.tolist() == [0x78 if sign > 0 else 0xF8]
    exact = sign * 2.0**128
    assert t.dequantize(np.float64).tolist() == [exact]
    with np.errstate(over="ignore"):
        want = np.array([exact]).astype(F32)  # numpy's IEEE float64 -> float32 conversion
    assert np.isinf(want[0]) and t.dequantize(np.float32).tobytes() == want.tobytes()
    # float64 data with the scale clamped at 2^127: 448 * 2^127 -> Inf; in-range values stay exact
    t64 = q(np.array([2.0**140, 1.0]), scale_overflow="clamp")
    assert t64.dequantize(np.float64)[0] == 448 * 2.0**127
    d = t64.dequantize()
    assert d.dtype == F32 and d[0] == np.inf and d[1] == 0.0
    v = Fraction(3, 2**9) * Fraction(2) ** -127  # e4m3fn subnormal 3 * 2^-9 under X = 2^-127
    tt = MXTensor(np.array([0x03], np.uint8), np.array([0], np.uint8), "e4m3fn", block_size=1)
    assert Fraction(float(tt.dequantize(np.float32)[0])) == v


def test_packed_blocks_and_reprs():
    x = np.linspace(-6, 6, 64, dtype=F32).reshape(2, 32)
    t = mx.encode(x, "e2m1fn")
    p = t.packed()
    assert p.shape == (2, 1, 16) and p.dtype == np.uint8
    c = t.codes[0]
    assert int(p[0, 0, 0]) == int(c[0]) | (int(c[1]) << 4)
    t6 = mx.encode(x, "e3m2fn")
    assert t6.packed().shape == (2, 1, 24)
    assert "MXTensor(elem='e2m1fn'" in repr(t)
    h = t._repr_html_()
    assert h.startswith("<table>") and "e2m1fn" in h and "0x" in h


def test_exactness_of_scaling_against_fractions():
    # a block whose elements are exactly representable after scaling comes back unchanged
    vals = [Fraction(448), Fraction(-3, 2**5), Fraction(1, 2**6)]
    x = np.array([float(v) * 2.0**-100 for v in vals], F32)
    t = q(x)
    assert [Fraction(float(v)) for v in t.dequantize()] == [v * Fraction(2) ** -100 for v in vals]


def test_chunked_pass_matches_small_pieces():
    # more than one internal chunk (2^18 elements): results must not depend on the chunking
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(300032) * np.ldexp(1.0, rng.integers(-20, 20, 300032))).astype(F32)
    x[-5] = np.nan
    t = mx.encode(x, "e3m2fn", rounding="rup")
    for lo in (0, 262112, 299968):
        part = mx.encode(x[lo:lo + 64], "e3m2fn", rounding="rup")
        assert np.array_equal(t.codes[lo:lo + 64], part.codes)
        assert np.array_equal(t.scales[lo // 32:lo // 32 + 2], part.scales)
    assert t.scales[-1] == 0xFF and t.scales[-2] != 0xFF


def test_non_spec_element_warns():
    # issue 15 item 5.7: "e4m3" is the IEEE-like E4M3 (max 240, Inf), not OCP E4M3 ("e4m3fn")
    x = np.linspace(-300, 300, 32, dtype=F32)
    with pytest.warns(UserWarning, match=r"'e4m3' \(max 240\) is not an OCP MX element format .*did you mean 'e4m3fn'"):
        t = mx.encode(x, "e4m3")
    assert t.elem.name == "e4m3" and t.elem.max_value == 240.0
    with pytest.warns(UserWarning, match="e5m2fnuz"):
        mx.scale_codes(np.float32(1), "e5m2fnuz")
    with pytest.warns(UserWarning, match="MXTensor"):
        MXTensor(t.codes, t.scales, "e4m3")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the spec's element formats and their aliases stay silent
        for elem in ("e4m3fn", "float8_e4m3fn", "e5m2", "e3m2fn", "e2m3fn", "e2m1fn", "fp4", "int8", "mxint8"):
            u = mx.encode(x, elem)
            MXTensor(u.codes, u.scales, elem)
            mx.scale_codes(np.float32(1), elem)


def test_ml_dtypes_inputs_are_decoded_by_their_format():
    """An ml_dtypes array of a registered format is read through fp8ref's decoder: the block
    quantizers see exactly the values ml_dtypes' own float32 cast gives (every code)."""
    import ml_dtypes

    for name, n in (("float8_e4m3fn", 256), ("float8_e5m2", 256), ("float6_e3m2fn", 64), ("float4_e2m1fn", 16),
                    ("float8_e8m0fnu", 256)):
        x = np.resize(np.arange(n, dtype=np.uint8), 256).reshape(8, 32).view(getattr(ml_dtypes, name))
        with np.errstate(invalid="ignore"):
            f32 = x.astype(np.float32)
        for elem in ("e4m3fn", "e2m1fn"):
            a, b = mx.encode(x, elem), mx.encode(f32, elem)
            np.testing.assert_array_equal(a.codes, b.codes)
            np.testing.assert_array_equal(a.scales, b.scales)
