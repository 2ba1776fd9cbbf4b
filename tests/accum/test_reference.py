"""The Numba engine (gemm: tiles of packed columns, float32 products where ``api`` proves them
exact; dot: one row, float64) against the independent pure-Python ``fractions`` reference, on
hypothesis-generated blocks: cancellation, swamping, zeros, subnormal inputs, c != 0, specials,
promotion with scales, block scales, every preset and user-built models with stages."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fp8ref
from fp8ref import decode_table, get_format
from fp8ref.accum import MODELS, AccumModel, BlockScaled, Stage, dot, gemm, reference_dot
from fp8ref.accum.model import input_format

CUSTOM = [
    AccumModel("n1_F0", 1, 0, fmt="e4m3fn", fmts=("e4m3fn", "e5m2"), mixed=True),
    AccumModel("n4_F3_rne", 4, 3, out_frac=7, out_rounding="rne", fmt="e5m2", fmts=("e5m2",)),
    AccumModel("n8_F30", 8, 30, fmt="bf16", fmts=("bf16", "fp16")),
    AccumModel("n2_exact", 2, None, out_rounding="rtz", fmt="fp16", fmts=("fp16",)),
    AccumModel("n16_F20_p32", 16, 20, out_frac=20, promote=32, fp16_out=False, fmt="e4m3fn", fmts=("e4m3fn",),
               scaling="promotion"),
    AccumModel("rto_terms", 8, 9, out_rounding="rto", term_rounding="rto", fmt="e5m2", fmts=("e5m2",)),
    AccumModel("two_stage_rdn", 8, 12, out_rounding="rne", fmt="e4m3fn", fp16_out=False, term_rounding="rdn",
               stages=(Stage(4, 10, rounding=None, stride=2), Stage(2, 11, "rdn")), c_frac=9, c_drop=6,
               signed_zero="inexact"),
    AccumModel("chain3", 12, None, out_rounding="rne", fmt="fp16", stages=(Stage(4, 14, rounding="rtz", out_frac=11,
                                                                                   chain=True),)),
    AccumModel("rto_tree", 4, None, out_rounding="rto", fmt="bf16", fp16_out=False, ftz=True, signed_zero=True,
               stages=(Stage(1, rounding="rto", out_frac=12), Stage(2, rounding="rtz", out_frac=9),
                       Stage(2, rounding="rne"))),
]
PLAIN = [m for m in MODELS.values() if not m.scale_formats] + CUSTOM
BLOCK = [m for m in MODELS.values() if m.scale_formats]


def _finite_values(fmt):
    if fmt == "fp32":  # a spread of binary32 values: every binade, subnormals, random significands
        rng = np.random.default_rng(1)
        bits = rng.integers(0, 0x7F800000, 4000, dtype=np.int64).astype(np.uint32)
        v = bits.view(np.float32).astype(np.float64)
        v = np.concatenate([v, 2.0 ** np.arange(-149, 128)])
        return np.unique(np.concatenate([v, -v, [0.0]]))
    t = decode_table(get_format(fmt))
    return np.unique(t[np.isfinite(t)])


@st.composite
def problems(draw, models=tuple(PLAIN), allow_special=False):
    """(model, a_fmt, b_fmt, out, A (M,K), B (K,N), C (M,N)) with structured blocks."""
    m = draw(st.sampled_from(models))
    fa = draw(st.sampled_from(m.fmts))
    fb = draw(st.sampled_from(m.fmts)) if m.mixed else fa
    out = draw(st.sampled_from(["fp32", "fp16"] if m.fp16_out else ["fp32"]))
    M, N = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    K = draw(st.integers(1, 70))

    def matrix(fmt, rows, cols):
        vals = _finite_values(fmt)
        f = input_format(fmt)
        pick = st.integers(0, vals.size - 1).map(lambda i: float(vals[i]))
        small = vals[np.abs(vals) < 4 * f.min_normal]  # subnormals and the lowest binades
        pick_small = st.integers(0, small.size - 1).map(lambda i: float(small[i]))
        return np.array(draw(st.lists(st.lists(st.one_of(pick, pick_small, st.just(0.0), st.just(-0.0)),
                                               min_size=cols, max_size=cols), min_size=rows, max_size=rows)))

    A, B = matrix(fa, M, K), matrix(fb, K, N)
    shape = draw(st.sampled_from(["plain", "cancel", "swamp"]))
    if shape == "cancel" and K >= 2:  # the second half cancels the first
        h = K // 2
        A[:, h:2 * h] = -A[:, :h]
        B[h:2 * h] = B[:h] if fa == fb else B[h:2 * h]
    elif shape == "swamp":  # one dominant product, the rest tiny
        A[:, 0] = _finite_values(fa).max()
        B[0] = _finite_values(fb).max()
    if allow_special:
        for X, f, rows, cols in ((A, fa, M, K), (B, fb, K, N)):
            f = input_format(f)
            sp = ([math.inf, -math.inf] if f.has_infinity else []) + ([math.nan] if f.has_nan else [])
            if sp and draw(st.booleans()):
                X[draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))] = draw(st.sampled_from(sp))
    dt = np.float16 if out == "fp16" else np.float32
    width = 16 if out == "fp16" else 32
    cval = st.one_of(st.just(0.0), st.just(-0.0), st.floats(width=width, allow_nan=False, allow_infinity=False),
                     st.floats(-4, 4, width=width))
    if allow_special:
        cval = st.one_of(cval, st.sampled_from([math.inf, -math.inf, math.nan]))
    C = np.array(draw(st.lists(st.lists(cval, min_size=N, max_size=N), min_size=M, max_size=M)), dtype=dt)
    return m, fa, fb, out, A, B, C


def _bits(x):
    x = np.asarray(x, dtype=np.float32)
    return np.where(np.isnan(x), np.uint32(0x7FC00000), x.view(np.uint32))


def _ref(m, fa, fb, out, A, B, C):
    with np.errstate(all="ignore"):
        return np.array([[reference_dot(A[i], B[:, j], float(C[i, j]), model=m, a_fmt=fa, b_fmt=fb, out=out)
                          for j in range(B.shape[1])] for i in range(A.shape[0])], dtype=np.float32)


def _check(p):
    m, fa, fb, out, A, B, C = p
    want = _bits(_ref(m, fa, fb, out, A, B, C))
    with np.errstate(all="ignore"):
        assert np.array_equal(_bits(gemm(A, B, C, model=m, a_fmt=fa, b_fmt=fb, out=out)), want)
        d = dot(A[:1], B[:, :1].T, C[:1, 0], model=m, a_fmt=fa, b_fmt=fb, out=out)
    assert np.array_equal(_bits(d), want[:1, 0])


@settings(max_examples=300)
@given(problems())
def test_gemm_matches_fractions_reference(p):
    _check(p)


@given(problems(allow_special=True))
def test_specials_match_fractions_reference(p):
    _check(p)


@given(problems(models=tuple(m for m in PLAIN if m.stages)))
def test_staged_models_match_fractions_reference(p):
    """The models with stages (mma.sync emulation, CDNA1-3, RVBNA, user-built) on their own."""
    _check(p)


@st.composite
def block_problems(draw):
    """(model, a, b (BlockScaled, blocks along K), c, per-element scale values, formats)."""
    m = draw(st.sampled_from(BLOCK))
    sf, blk = draw(st.sampled_from(m.scale_formats))
    fa = draw(st.sampled_from(m.fmts))
    fb = draw(st.sampled_from(m.fmts)) if m.mixed else fa
    nsteps = draw(st.integers(1, 3))
    K = m.n * nsteps - draw(st.integers(0, m.n - 1))
    nb = -(-K // blk)
    M, N = draw(st.integers(1, 2)), draw(st.integers(1, 2))

    def codes(fmt, shape):
        f = get_format(fmt)
        t = decode_table(f)
        ok = np.flatnonzero(np.isfinite(t))
        idx = draw(st.lists(st.integers(0, ok.size - 1), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        return ok[idx].reshape(shape)

    if sf == "ue8m0":
        scode = st.one_of(st.integers(110, 140), st.sampled_from([0, 1, 0x7F, 0xFE, 0xFF]))
    else:
        scode = st.one_of(st.integers(0x30, 0x48), st.sampled_from([0, 1, 7, 8, 0x7E, 0x7F, 0x80, 0xB8, 0xFE]))
    sa = np.array(draw(st.lists(scode, min_size=M * nb, max_size=M * nb))).reshape(M, nb)
    sb = np.array(draw(st.lists(scode, min_size=N * nb, max_size=N * nb))).reshape(nb, N)
    a = BlockScaled(codes(fa, (M, K)), sa, fa, sf, blk, 1)
    b = BlockScaled(codes(fb, (K, N)), sb, fb, sf, blk, 0)
    cv = st.one_of(st.just(0.0), st.floats(width=32, allow_nan=False, allow_infinity=False), st.floats(-64, 64, width=32))
    c = np.array(draw(st.lists(cv, min_size=M * N, max_size=M * N)), dtype=np.float32).reshape(M, N)
    return m, a, b, c


@given(block_problems())
def test_block_scaled_models_match_fractions_reference(p):
    """b200_mxf8f6f4 (scales in the product exponents), b200_mxf4nvf4 (scales on exact 16-element
    groups), every scale format and block size they take, extreme scale codes (NaN, 2^-127,
    2^127, UE4M3 0, subnormal, sign bit) and a partial last step."""
    m, a, b, c = p
    va, vb = a.element_values(), b.element_values()
    sa, sb = a.expand(a.scale_values()), b.expand(b.scale_values())
    want = np.array([[reference_dot(va[i], vb[:, j], float(c[i, j]), model=m, a_fmt=a.fmt, b_fmt=b.fmt,
                                    a_scales=sa[i], b_scales=sb[:, j], scale_fmt=a.scale_fmt)
                      for j in range(c.shape[1])] for i in range(c.shape[0])])
    assert np.array_equal(_bits(gemm(a, b, c, model=m)), _bits(want))
    bt = b.transposed()
    d = dot(BlockScaled(a.codes[:1], a.scales[:1], a.fmt, a.scale_fmt, a.block, 1),
            BlockScaled(bt.codes[:1], bt.scales[:1], b.fmt, b.scale_fmt, b.block, 1), c[:1, 0], model=m)
    assert _bits(d[0]) == _bits(want[0, 0])


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
    m = MODELS["h100_fp8_promote128"]
    from fp8ref.accum.api import _run, alignment_exponents

    A, Bt = a[None].astype(np.float64), b[None].astype(np.float64)
    ea, eb = alignment_exponents(A, -6), alignment_exponents(Bt, -6)
    SA, SB = sa[None].astype(np.float64), sb[None].astype(np.float64)
    want = reference_dot(a, b, float(c), model=m, scales=[float(x) * float(y) for x, y in zip(sa, sb)])
    for rows in (False, True):
        d = _run(m, A, ea, Bt, eb, np.full((1, 1) if not rows else (1,), float(c)), SA, SB, "fp32", rows=rows)
        assert _bits(d.ravel()[0]) == _bits(want)


@pytest.mark.parametrize("model", [n for n, m in MODELS.items() if not m.scale_formats])
def test_gemm_tiles_equal_rows(model):
    """Larger random matrices (c != 0, subnormal and zero inputs, several tiles): the gemm kernel
    (float32 products where proved exact) equals the float64 row kernel bit for bit."""
    m = MODELS[model]
    rng = np.random.default_rng(7)
    for fmt in m.fmts[:2]:
        vals = _finite_values(fmt)
        vals = vals[np.abs(vals) < 2.0**40] if fmt == "fp32" else vals
        A = rng.choice(vals, size=(67, 300))
        B = rng.choice(vals, size=(300, 70)) * (rng.random((300, 70)) < 0.9)
        A[:, :20] = rng.choice(vals[np.abs(vals) < 2 * input_format(fmt).min_normal], size=(67, 20))
        C = (rng.standard_normal((67, 70)) * 100).astype(np.float32)
        with np.errstate(all="ignore"):
            g = gemm(A, B, C, model=m, fmt=fmt)
            d = dot(A, B.T[:67], np.diag(C[:, :67]), model=m, fmt=fmt)
        assert np.array_equal(_bits(d), _bits(np.diag(g[:, :67])))


@pytest.mark.parametrize("model,fmt", [("h100_tf32", "tf32"), ("a100_bf16", "bf16"), ("b200_f8f6f4", "e5m2")])
def test_tiny_products_large_grid_scale(model, fmt):
    """Blocks of tiny products need grid scales 2^(F-E) far above 2^126 (float64 products)."""
    f = get_format(fmt)
    t = _finite_values(fmt)
    small = t[(t > 0) & (t < 8 * f.min_normal)]
    A = np.array([list(small[:5]) + [-small[2]] * 3 + [0.0] * 4])
    B = np.array([[small[-1]] * 12]).T
    C = np.array([[float(np.float32(2.0**-149))]], dtype=np.float32) if fmt == "e5m2" else np.zeros((1, 1), np.float32)
    want = _bits(_ref(MODELS[model], fmt, fmt, "fp32", A, B, C))
    assert np.array_equal(_bits(gemm(A, B, C, model=model, fmt=fmt)), want)


def test_long_accumulator_paths():
    """Exact sums float64 cannot hold (wide exponent spread): the long accumulator, per column."""
    big, tiny = 2.0**100, 2.0**-100
    A = np.array([[big, tiny, -big, tiny, 1.0, 2.0**-60]])
    B = np.array([[1.0, 1.0, 1.0, 1.0, 2.0**-70, 1.0]]).T
    for model in ("exact", "fp32_fma", "cdna1_bf16"):
        want = _bits(_ref(MODELS[model], "bf16", "bf16", "fp32", A, B, np.zeros((1, 1), np.float32)))
        assert np.array_equal(_bits(gemm(A, B, model=model, fmt="bf16")), want), model
        assert _bits(dot(A, B.T, model=model, fmt="bf16")[0]) == want[0, 0], model


@pytest.mark.parametrize("c", [np.inf, -np.inf, np.nan])
def test_infinite_c_with_a_product_sum_inexact_in_float64(c):
    """Found by hypothesis: 57344² + 2^-32 is not exact in float64, so the sum went to the long
    accumulator, which cannot hold C = ±Inf / NaN and returned the finite sum."""
    a = np.array([[57344.0, 2.0**-16]])
    b = np.array([[57344.0], [2.0**-16]])
    want = reference_dot(a[0], b[:, 0], c, model="exact", fmt="e5m2")
    for model in ("exact", "fp32_fma", "sm100_mma_sync_fp8"):
        got = gemm(a, b, np.full((1, 1), c, np.float32), model=model, fmt="e5m2")[0, 0]
        assert (np.isnan(got) and np.isnan(want)) or got == want, model


INT32_SUMS = ["v100_fp16", "a100_fp16", "a100_tf32", "h100_tf32", "b200_tf32", "h100_fp8", "ada_fp8", "turing_fp16",
              "cdna3_fp16", "cdna3_bf16", "cdna3_xf32", "cdna3_fp8"]


@pytest.mark.parametrize("model", INT32_SUMS)
def test_largest_grid_sums_match_the_fractions_reference(model):
    """The presets whose grid sums the kernel keeps in int32 (F + 2 + bits(group + 1) <= 31), at the
    sums' largest magnitudes: every product (2 - 2^-m)^2 (one exponent and the largest
    significands, so every term is as large as its grid allows), all of one sign or alternating; K
    of one step and of three steps plus a partial one; C zero, ±1 and ±(2 - 2^-23)·2^6; against the
    fractions reference."""
    m = MODELS[model]
    fmt = input_format(m.fmt)
    big = 2.0 - 2.0**-fmt.man_bits
    for K in (m.n, 3 * m.n + 1):
        A = np.full((3, K), big)
        A[1, ::2] = -big
        A[2] = -big
        B = np.full((K, 4), big)
        B[::3, 3] = -big
        C = np.array([[0.0, 1.0, (2 - 2.0**-23) * 64, -(2 - 2.0**-23) * 64]] * 3, np.float32)
        C[1] = -C[1]
        _check((m, fmt.name, fmt.name, "fp32", A, B, C))
