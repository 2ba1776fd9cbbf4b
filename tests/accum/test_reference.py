"""The Numba kernels (per-element and column-vectorised paths) against the independent pure-Python
``fractions`` reference, on hypothesis-generated blocks: cancellation, swamping, zeros, subnormal
inputs, c != 0, promotion with scales, specials, and user-built models."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fp8ref
import fp8ref.accum.api as G
from fp8ref import decode_table, get_format
from fp8ref.accum import PRESETS, AccumModel, dot, gemm, reference_dot

CUSTOM = [
    AccumModel("n1_F0", 1, 0, in_fmt="e4m3fn", in_fmts=("e4m3fn", "e5m2")),
    AccumModel("n4_F3_rne", 4, 3, out_frac=7, out_rounding="rne", in_fmt="e5m2", in_fmts=("e5m2",)),
    AccumModel("n8_F30", 8, 30, in_fmt="bf16", in_fmts=("bf16", "fp16")),
    AccumModel("n2_exact", 2, None, out_rounding="rz", in_fmt="fp16", in_fmts=("fp16",)),
    AccumModel("n16_F20_p32", 16, 20, out_frac=20, promote=32, fp16_out=False, in_fmt="e4m3fn", in_fmts=("e4m3fn",)),
]
MODELS = list(PRESETS.values()) + CUSTOM


def _finite_values(fmt):
    t = decode_table(get_format(fmt))
    return np.unique(t[np.isfinite(t)])


@st.composite
def problems(draw, allow_special=False):
    """(model, in_fmt, out, A (M,K), B (K,N), C (M,N)) with structured blocks."""
    m = draw(st.sampled_from(MODELS))
    fmt = draw(st.sampled_from(m.in_fmts))
    out = draw(st.sampled_from(["fp32", "fp16"] if m.fp16_out else ["fp32"]))
    vals = _finite_values(fmt)
    M, N = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    K = draw(st.integers(1, 70))
    pick = st.integers(0, vals.size - 1).map(lambda i: float(vals[i]))
    small = vals[np.abs(vals) < 4 * get_format(fmt).min_normal]  # subnormals and the lowest binades
    pick_small = st.integers(0, small.size - 1).map(lambda i: float(small[i]))
    A = np.array(draw(st.lists(st.lists(st.one_of(pick, pick_small, st.just(0.0)), min_size=K, max_size=K),
                               min_size=M, max_size=M)))
    B = np.array(draw(st.lists(st.lists(st.one_of(pick, pick_small, st.just(0.0)), min_size=N, max_size=N),
                               min_size=K, max_size=K)))
    shape = draw(st.sampled_from(["plain", "cancel", "swamp"]))
    if shape == "cancel" and K >= 2:  # the second half cancels the first
        h = K // 2
        A[:, h:2 * h] = -A[:, :h]
        B[h:2 * h] = B[:h]
    elif shape == "swamp":  # one dominant product, the rest tiny
        A[:, 0] = vals.max()
        B[0] = vals.max()
    if allow_special and (get_format(fmt).has_nan or get_format(fmt).has_infinity):
        f = get_format(fmt)
        sp = st.sampled_from(([math.inf, -math.inf] if f.has_infinity else []) + ([math.nan] if f.has_nan else []))
        if draw(st.booleans()):
            A[draw(st.integers(0, M - 1)), draw(st.integers(0, K - 1))] = draw(sp)
        if draw(st.booleans()):
            B[draw(st.integers(0, K - 1)), draw(st.integers(0, N - 1))] = draw(sp)
    dt = np.float16 if out == "fp16" else np.float32
    width = 16 if out == "fp16" else 32
    cval = st.one_of(st.just(0.0), st.floats(width=width, allow_nan=False, allow_infinity=False),
                     st.floats(-4, 4, width=width))
    C = np.array(draw(st.lists(st.lists(cval, min_size=N, max_size=N), min_size=M, max_size=M)), dtype=dt)
    return m, fmt, out, A, B, C


def _bits(x):
    x = np.asarray(x, dtype=np.float32)
    return np.where(np.isnan(x), np.uint32(0x7FC00000), x.view(np.uint32))


def _ref(m, fmt, out, A, B, C):
    return np.array([[reference_dot(A[i], B[:, j], float(C[i, j]), model=m, in_fmt=fmt, out=out)
                      for j in range(B.shape[1])] for i in range(A.shape[0])], dtype=np.float32)


@given(problems())
def test_gemm_matches_fractions_reference(p):
    m, fmt, out, A, B, C = p
    want = _bits(_ref(m, fmt, out, A, B, C))
    assert np.array_equal(_bits(gemm(A, B, C, model=m, in_fmt=fmt, out=out)), want)
    G._SCALAR_ONLY = True
    try:
        assert np.array_equal(_bits(gemm(A, B, C, model=m, in_fmt=fmt, out=out)), want)
    finally:
        G._SCALAR_ONLY = False
    d = dot(A[:1], B[:, :1].T, C[:1, 0], model=m, in_fmt=fmt, out=out)
    assert np.array_equal(_bits(d), want[:1, 0])


@given(problems(allow_special=True))
def test_specials_match_fractions_reference(p):
    m, fmt, out, A, B, C = p
    want = _bits(_ref(m, fmt, out, A, B, C))
    assert np.array_equal(_bits(gemm(A, B, C, model=m, in_fmt=fmt, out=out)), want)


@given(st.data())
def test_promotion_scales_match_reference(data):
    """The DeepGEMM register update fmaf(float32(sA·sB), t, acc) with arbitrary float32 scales."""
    K = data.draw(st.integers(1, 400))
    vals = _finite_values("e4m3fn")
    idx = data.draw(st.lists(st.integers(0, vals.size - 1), min_size=2 * K, max_size=2 * K))
    a, b = vals[idx[:K]], vals[idx[K:]]
    P = -(-K // 128)
    sc = st.floats(2**-20, 2**20, width=32)
    sa = np.array(data.draw(st.lists(sc, min_size=P, max_size=P)), dtype=np.float32)
    sb = np.array(data.draw(st.lists(sc, min_size=P, max_size=P)), dtype=np.float32)
    c = np.float32(data.draw(st.floats(-100, 100, width=32)))
    m = PRESETS["h100_fp8_promote128"]
    from fp8ref.accum.api import _run, alignment_exponents

    A, Bt = a[None].astype(np.float64), b[None].astype(np.float64)
    ea, eb = alignment_exponents(A, -6), alignment_exponents(Bt, -6)
    SA, SB = sa[None].astype(np.float64), sb[None].astype(np.float64)
    want = reference_dot(a, b, float(c), model=m, scales=[float(x) * float(y) for x, y in zip(sa, sb)])
    for rows in (False, True):
        d = _run(m, A, ea, Bt, eb, np.full((1, 1) if not rows else (1,), float(c)), SA, SB, "fp32", rows=rows)
        assert _bits(d.ravel()[0]) == _bits(want)


@pytest.mark.parametrize("model", [n for n, m in PRESETS.items() if m.frac_bits is not None])
def test_fast_path_equals_per_element_path(model, monkeypatch):
    """Larger random matrices (c != 0, subnormal and zero inputs): both kernels agree bit for bit."""
    m = PRESETS[model]
    rng = np.random.default_rng(7)
    for fmt in m.in_fmts[:2]:
        vals = _finite_values(fmt)
        A = rng.choice(vals, size=(37, 300))
        B = rng.choice(vals, size=(300, 70)) * (rng.random((300, 70)) < 0.9)
        A[:, :20] = rng.choice(vals[np.abs(vals) < 2 * get_format(fmt).min_normal], size=(37, 20))
        C = (rng.standard_normal((37, 70)) * 100).astype(np.float32)
        fast = gemm(A, B, C, model=m, in_fmt=fmt)
        G._SCALAR_ONLY = True
        try:
            slow = gemm(A, B, C, model=m, in_fmt=fmt)
        finally:
            G._SCALAR_ONLY = False
        assert np.array_equal(_bits(fast), _bits(slow))
        if G.narrow_ok(get_format(fmt), m.n, m.frac_bits):  # the float32 kernel vs the float64 one
            with monkeypatch.context() as mp:
                mp.setattr(G, "narrow_ok", lambda *a: False)
                assert np.array_equal(_bits(gemm(A, B, C, model=m, in_fmt=fmt)), _bits(fast))
        d = dot(A, B.T[:37], np.diag(C[:, :37]), model=m, in_fmt=fmt)
        assert np.array_equal(_bits(d), _bits(np.diag(slow[:, :37])))


def test_float32_kernel_is_used_where_exact():
    assert G.narrow_ok(get_format("e4m3fn"), 32, 13) and G.narrow_ok(get_format("e5m2"), 16, 13)
    assert not G.narrow_ok(get_format("e4m3fn"), 32, 25)  # b200: block sums exceed 2^24
    assert not G.narrow_ok(get_format("bf16"), 8, 13)     # bf16 products leave float32's range
    assert not G.narrow_ok(None, 32, 13)                  # MX: scales folded into the values


@pytest.mark.parametrize("model,fmt", [("h100_tf32", "tf32"), ("a100_bf16", "bf16"), ("b200_fp8", "e5m2")])
def test_tiny_products_large_grid_scale(model, fmt):
    """Blocks of tiny products need grid scales 2^(F-E) far above 2^126 (float64 kernel)."""
    f = get_format(fmt)
    t = _finite_values(fmt)
    small = t[(t > 0) & (t < 8 * f.min_normal)]
    A = np.array([list(small[:5]) + [-small[2]] * 3 + [0.0] * 4])
    B = np.array([[small[-1]] * 12]).T
    C = np.array([[float(np.float32(2.0**-149))]], dtype=np.float32) if fmt == "e5m2" else np.zeros((1, 1), np.float32)
    want = _bits(_ref(PRESETS[model], fmt, "fp32", A, B, C))
    assert np.array_equal(_bits(gemm(A, B, C, model=model, in_fmt=fmt)), want)


