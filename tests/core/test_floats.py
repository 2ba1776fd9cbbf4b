"""fp8ref.core.floats against numpy / ml_dtypes: fields, order, steps, exact floor(log2)."""

import math

import ml_dtypes
import numpy as np
import pytest

from fp8ref.core.floats import BF16, F16, F32, F64, FLOAT_TYPES, float_type, float_type_of

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # casts of NaN/Inf patterns
RNG = np.random.default_rng(20261203)


def _patterns(t, n=20000):
    """Random bit patterns plus every boundary class (zeros, subnormals, normals, max, Inf, NaN)."""
    rnd = RNG.integers(0, 1 << t.bits, size=n, dtype=np.uint64)
    edges = [0, 1, 2, t.man_mask, t.man_mask + 1, t.min_normal_bits + 1, t.max_bits - 1, t.max_bits, t.inf_bits,
             t.canonical_nan, t.inf_bits + 1]
    edges += [e | t.sign_mask for e in edges]
    return np.concatenate([rnd, np.array(edges, dtype=np.uint64)]).astype(t.uint)


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
def test_figures_match_finfo(t):
    fi = ml_dtypes.finfo(t.dtype) if t.name == "bfloat16" else np.finfo(t.dtype)
    assert t.bits == t.dtype.itemsize * 8
    assert t.man_bits == fi.nmant and t.emin == fi.minexp and t.emax == fi.maxexp - 1
    assert float(t.from_bits(t.max_bits)) == float(fi.max)
    assert float(t.from_bits(t.min_normal_bits)) == float(fi.tiny)
    assert float(t.from_bits(1)) == float(fi.smallest_subnormal) == math.ldexp(1.0, t.min_exp)
    assert np.isinf(t.from_bits(t.inf_bits)) and np.isnan(t.from_bits(t.canonical_nan))
    assert t.is_nan_bits(np.array([t.canonical_nan, t.inf_bits, t.inf_bits + 1], dtype=t.uint)).tolist() == [True, False, True]


def test_canonical_nan_and_lookup():
    assert F32.canonical_nan == 0x7FC00000 and F16.canonical_nan == 0x7E00
    assert BF16.canonical_nan == 0x7FC0 and F64.canonical_nan == 0x7FF8000000000000
    assert float_type("f32") is F32 and float_type(np.float64) is F64 and float_type(F16) is F16
    assert float_type_of(np.int32) is None and float_type_of(ml_dtypes.bfloat16) is BF16
    with pytest.raises(ValueError, match="unknown IEEE interchange type 'f8'"):
        float_type("f8")


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
def test_fields_roundtrip_and_abs(t):
    u = _patterns(t)
    s, e, f = t.fields(u)
    back = (s.astype(np.uint64) << np.uint64(t.bits - 1)) | (e.astype(np.uint64) << np.uint64(t.man_bits)) | f.astype(np.uint64)
    assert np.array_equal(back.astype(t.uint), u)
    x = t.from_bits(u).astype(np.float64)
    a = t.from_bits(t.abs_bits(u)).astype(np.float64)
    ok = ~np.isnan(x)
    assert np.array_equal(a[ok], np.abs(x[ok])) and np.isnan(a[~ok]).all()


@pytest.mark.parametrize("t", [F16, F32, F64], ids=lambda t: t.name)
def test_steps_match_nextafter(t):
    u = _patterns(t)
    x = t.from_bits(u)
    ok = ~np.isnan(x)
    up = t.from_bits(t.next_up(u[ok]))
    dn = t.from_bits(t.next_down(u[ok]))
    ref_up = np.nextafter(x[ok], t.dtype.type(np.inf))
    ref_dn = np.nextafter(x[ok], t.dtype.type(-np.inf))
    # nextafter treats -0 and +0 as one value; fp8ref steps through both patterns
    z = x[ok] == 0
    assert np.array_equal(up[~z], ref_up[~z]) and np.array_equal(dn[~z], ref_dn[~z])
    assert np.array_equal(t.next_up(np.array([t.sign_mask], dtype=t.uint)), np.array([0], dtype=t.uint))
    assert np.array_equal(t.step(np.array([t.inf_bits], dtype=t.uint), 5), np.array([t.inf_bits], dtype=t.uint))


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
def test_ordered_key_is_monotone(t):
    u = _patterns(t)
    x = t.from_bits(u).astype(np.float64)
    ok = ~np.isnan(x)
    k = t.ordered_key(u[ok])
    order = np.argsort(k, kind="stable")
    assert np.all(np.diff(x[ok][order]) >= 0)
    assert np.array_equal(t.from_ordered_key(k), u[ok])


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
def test_floor_log2_exact(t):
    u = _patterns(t)
    x = t.from_bits(u).astype(np.float64)
    ok = np.isfinite(x) & (x != 0)
    ref = np.frexp(np.abs(x[ok]))[1] - 1  # float64 holds every value of the four types exactly
    assert np.array_equal(t.floor_log2(u[ok]), ref)
    # every subnormal exponent of float64, where frexp of the value itself is the oracle
    sub = (np.uint64(1) << np.arange(52, dtype=np.uint64))
    assert np.array_equal(F64.floor_log2(sub), np.arange(52) - 1074)


def test_amax_from_bits():
    x = np.array([[1.5, -3.0, 2.0], [-0.0, 1e-45, -1e-45]], dtype=np.float32)
    assert F32.amax(x, axis=1).tolist() == [3.0, np.float32(1e-45)]
    y = np.array([1.0, np.nan, -np.inf], dtype=np.float32)
    assert np.isnan(F32.amax(y))


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
def test_from_bits_native_is_the_same_value_in_a_numpy_dtype(t):
    u = _patterns(t)
    x = t.from_bits_native(u)
    assert x.dtype == (np.float32 if t is BF16 else t.dtype)
    want = t.from_bits(u).astype(np.float64)  # ml_dtypes' own bfloat16 -> float64
    got = x.astype(np.float64)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert np.array_equal(got[ok], want[ok]) and np.array_equal(np.signbit(got), np.signbit(want))
    if t is BF16:  # NaN payloads and quiet bits survive: the float32 pattern is the bfloat16 one << 16
        assert np.array_equal(x.view(np.uint32) >> np.uint32(16), u.astype(np.uint32))


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
def test_signed_special_patterns(t):
    dt = np.float32 if t is BF16 else t.dtype  # numpy's own patterns (bfloat16: the top half of float32's)
    shift = 16 if t is BF16 else 0
    for v in (0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan):
        want = int(np.array([v], dtype=dt).view(f"u{np.dtype(dt).itemsize}")[0]) >> shift
        assert t.signed_special(v) == want, (t.name, v)
    with pytest.raises(ValueError, match="not a zero"):
        t.signed_special(1.5)


@pytest.mark.parametrize("t", list(FLOAT_TYPES.values()), ids=lambda t: t.name)
@pytest.mark.parametrize("keep_sign", [True, False])
def test_to_bits_canonical_rewrites_only_nans(t, keep_sign):
    dt = np.float32 if t is BF16 else t.dtype  # numpy's own NaN (bfloat16: float32's top half)
    qnan = int(np.array([np.nan], dtype=dt).view(f"u{np.dtype(dt).itemsize}")[0]) >> (16 if t is BF16 else 0)
    u = _patterns(t)
    x = t.from_bits(u)
    got = t.to_bits_canonical(x, keep_sign=keep_sign).astype(np.uint64)
    assert got.dtype == np.uint64 and t.to_bits_canonical(x).dtype == t.uint
    nan = np.isnan(x.astype(np.float64))
    assert nan.any() and (~nan).any()
    assert np.array_equal(got[~nan], u[~nan].astype(np.uint64))  # everything else untouched
    neg = (u.astype(np.uint64) >> np.uint64(t.bits - 1)) == 1
    want = np.where(neg & keep_sign, np.uint64(qnan) | np.uint64(1 << (t.bits - 1)), np.uint64(qnan))
    assert np.array_equal(got[nan], want[nan])
