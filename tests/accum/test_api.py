"""gemm / dot front end: block-scaled operands (MX, DeepSeek) against the fractions reference,
the error study, model descriptions, and every bad input."""

from fractions import Fraction

import numpy as np
import pytest

import fp8ref
from fp8ref import deepseek, mx
from fp8ref.accum import MODELS, AccumModel, BlockScaled, dot, error_study, gemm, get_model, list_models, reference_dot


def _bits(x):
    x = np.asarray(x, dtype=np.float32)
    return np.where(np.isnan(x), np.uint32(0x7FC00000), x.view(np.uint32))


@pytest.mark.parametrize("elem", ["e4m3fn", "e5m2", "e2m1fn", "e3m2fn"])
@pytest.mark.parametrize("model", ["b200_mxf8f6f4", "exact", "fp32_fma"])
def test_mx_gemm_matches_reference(elem, model):
    """Scales enter the alignment inside the block FMA: value v·2^X, alignment exponent e(v) + X."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((3, 96)) * np.exp2(rng.integers(-8, 8, (3, 96)))).astype(np.float32)
    y = (rng.standard_normal((96, 4)) * np.exp2(rng.integers(-8, 8, (96, 4)))).astype(np.float32)
    qa, qb = mx.quantize(x, elem, axis=1), mx.quantize(y, elem, axis=0)
    got = gemm(qa, qb, model=model)
    va, vb = qa.element_values(np.float64), qb.element_values(np.float64)
    xa = np.repeat(qa.scale_exponents(), 32, axis=1)
    xb = np.repeat(qb.scale_exponents(), 32, axis=0)
    for i in range(3):
        for j in range(4):
            want = reference_dot(va[i], vb[:, j], model=model, fmt=elem, a_scale_exp=xa[i], b_scale_exp=xb[:, j])
            assert _bits(got[i, j]) == _bits(want), (i, j)


def test_mx_exact_model_equals_mx_matmul():
    """The exact model on MX operands equals the blocks layer's exact matmul (one rounding)."""
    rng = np.random.default_rng(4)
    qa = mx.quantize(rng.standard_normal((5, 64)).astype(np.float32), "e4m3fn", axis=1)
    qb = mx.quantize(rng.standard_normal((64, 6)).astype(np.float32), "e4m3fn", axis=0)
    assert np.array_equal(_bits(gemm(qa, qb, model="exact")), _bits(mx.matmul(qa, qb)))


def test_mx_nan_scale_makes_nan():
    x = np.ones((1, 32), np.float32)
    x[0, 3] = np.nan
    qa = mx.quantize(x, "e4m3fn", axis=1)
    qb = mx.quantize(np.ones((32, 1), np.float32), "e4m3fn", axis=0)
    assert qa.scales[0, 0] == 0xFF and np.isnan(gemm(qa, qb, model="b200_mxf8f6f4")[0, 0])


def test_deepseek_gemm_matches_reference():
    """DeepGEMM: raw E4M3 blocks through the tensor core, acc = fmaf(sA·sB, partial, acc) per 128."""
    rng = np.random.default_rng(5)
    M, K, N = 3, 300, 130
    x = (rng.standard_normal((M, K)) * 3).astype(np.float32)
    w = (rng.standard_normal((K, N)) / 7).astype(np.float32)
    for scale_fmt in ("ue8m0", "fp32"):
        qa = deepseek.quantize(x, tile="per_token", scale_fmt=scale_fmt)
        qb = deepseek.quantize(w, tile="per_block", scale_fmt=scale_fmt)
        got = gemm(qa, qb, model="h100_fp8_promote128")
        va, vb = qa.element_values(np.float64), qb.element_values(np.float64)
        for i, j in [(0, 0), (1, 129), (2, 64), (2, 128)]:
            sc = [float(qa.scales[i, p]) * float(qb.scales[p, j // 128]) for p in range(3)]
            want = reference_dot(va[i], vb[:, j], model="h100_fp8_promote128", scales=sc)
            assert _bits(got[i, j]) == _bits(want), (scale_fmt, i, j)


def _round_f32(x):
    """An exact Fraction rounded to binary32, nearest-even, by comparing it with the two float32
    neighbours of its float64 approximation (no double rounding)."""
    f = np.float32(float(x))
    cands = {f, np.nextafter(f, np.float32(np.inf)), np.nextafter(f, np.float32(-np.inf))}
    best = sorted(cands, key=lambda v: (abs(Fraction(float(v)) - x), int(np.float32(v).view(np.uint32)) & 1))
    return best[0]


@pytest.mark.parametrize("scale_fmt", ["fp32", "ue8m0"])
def test_deepseek_exact_model_is_the_exact_dequantized_sum(scale_fmt):
    """gemm(model="exact") on DeepSeek operands = Σ (a·sA)(b·sB) exactly, rounded once (FP32
    scales have 24 significant bits: the products need 56 bits, more than float64 holds)."""
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((3, 300)) * 3).astype(np.float32)
    w = (rng.standard_normal((300, 5)) / 7).astype(np.float32)
    qa = deepseek.quantize(x, tile="per_token", scale_fmt=scale_fmt)
    qb = deepseek.quantize(w, tile="per_block", scale_fmt=scale_fmt)
    da, db = qa.dequantize(np.float64), qb.dequantize(np.float64)
    c = np.float32(0.375)
    got = gemm(qa, qb, c, model="exact")
    for i in range(3):
        for j in range(5):
            want = _round_f32(Fraction(float(c)) + sum(Fraction(float(u)) * Fraction(float(v))
                                                     for u, v in zip(da[i], db[:, j])))
            assert got[i, j].view(np.uint32) == want.view(np.uint32), (i, j)


def test_deepseek_exact_product_wider_than_float64():
    """(1.875·sA)(1.875·sB) = (317·2^47 - 1)·2^-71 exactly (sA = 13005183·2^-30, sB =
    15246497·2^-35: 15·13005183·15·15246497 = 317·2^47 - 1, 56 bits). In float64 the product
    rounds to 317·2^-24, and c + 317·2^-24 with c = 1 + 2^-23 is a binary32 tie (RNE: up to
    1 + 160·2^-23); the exact sum lies just below it (down to 1 + 159·2^-23)."""
    from fp8ref.blocks import DeepSeekTensor

    assert 15 * 13005183 * 15 * 15246497 == 317 * 2**47 - 1
    code = fp8ref.encode(np.array([[1.875]]), "e4m3fn")
    qa = DeepSeekTensor(code, np.array([[13005183 * 2.0**-30]], np.float32), (1, 128), "fp32")
    qb = DeepSeekTensor(code, np.array([[15246497 * 2.0**-35]], np.float32), (128, 128), "fp32")
    c = np.float32(1 + 2.0**-23)
    want = _round_f32(Fraction(float(c)) + Fraction(317 * 2**47 - 1, 2**71))
    assert want == np.float32(1 + 159 * 2.0**-23)
    assert float(qa.dequantize(np.float64)[0, 0] * qb.dequantize(np.float64)[0, 0]) == 317 * 2.0**-24
    assert gemm(qa, qb, c, model="exact")[0, 0].view(np.uint32) == want.view(np.uint32)


def test_error_study_on_deepseek_tensors():
    """Default models for DeepSeek operands (the promotion model), compared with the exact sum."""
    rng = np.random.default_rng(9)
    qa = deepseek.quantize(np.abs(rng.standard_normal((4, 512))).astype(np.float32), tile="per_token", scale_fmt="fp32")
    qb = deepseek.quantize(np.abs(rng.standard_normal((512, 6))).astype(np.float32), tile="per_block", scale_fmt="fp32")
    s = error_study(qa, qb)
    ref = gemm(qa, qb, model="exact").astype(np.float64)
    d = gemm(qa, qb, model="h100_fp8_promote128").astype(np.float64)
    (name, mx_, _, _, equal), = s.rows
    assert name == "h100_fp8_promote128" and s.shape == (4, 512, 6) and s.size == 24
    assert mx_ == pytest.approx(np.max(np.abs(d - ref) / ref)) and equal == np.count_nonzero(d == ref)
    with pytest.raises(ValueError, match="'fp32_fma' is neither"):
        error_study(qa, qb, ("fp32_fma",))


def test_error_study_table_shows_counts():
    """Counts, not percentages: 2047 of 2048 equal must not read as 100.0%."""
    a, b = np.ones((2, 1)), np.ones((1, 1024))
    c = np.zeros((2, 1024), np.float32)
    c[1, 5] = 1 + 2.0**-20  # exact: 2 + 2^-20; h100_fp8 truncates c to 13 fraction bits: 2
    s = error_study(a, b, ("h100_fp8",), c=c)
    assert s.rows[0][4] == 2047 and s.size == 2048
    assert "2047 / 2048" in s.table() and "%" not in s.table() and "2047 / 2048" in s._repr_html_()


def test_deepseek_needs_promotion_model_and_matching_tiles():
    qa = deepseek.quantize(np.ones((2, 128), np.float32), tile="per_token")
    qb = deepseek.quantize(np.ones((128, 2), np.float32), tile="per_block")
    with pytest.raises(ValueError, match="promotion"):
        gemm(qa, qb, model="h100_fp8")
    qc = deepseek.quantize(np.ones((128, 2), np.float32), tile=(64, 128))
    with pytest.raises(ValueError, match="span the promotion interval 128"):
        gemm(qa, qc, model="h100_fp8_promote128")
    with pytest.raises(TypeError, match="both be DeepSeekTensor"):
        gemm(qa, np.ones((128, 2)), model="h100_fp8_promote128")


def test_top_level_names_and_torch_free_inputs():
    a = np.array([[1.0, 2.0]])
    assert fp8ref.gemm is gemm and fp8ref.dot is dot and fp8ref.AccumModel is AccumModel
    ml = pytest.importorskip("ml_dtypes")
    got = fp8ref.gemm(a.astype(ml.float8_e4m3fn), np.array([[3.0], [0.5]]).astype(ml.float8_e4m3fn))
    assert got.dtype == np.float32 and got[0, 0] == 4.0


def test_dir_lists_the_lazy_names():
    """dir(fp8ref) (tab completion) lists gemm, dot, error_study, AccumModel, accum and __all__."""
    names = dir(fp8ref)
    assert {"gemm", "dot", "error_study", "AccumModel", "accum"} <= set(names)
    assert set(fp8ref.__all__) <= set(names) and names == sorted(names)


def test_fp16_output_mode():
    a = np.array([[1.0] * 4])
    b = np.array([[2.0**-24] * 4]).T
    d = gemm(a, b, np.float16(1.0), model="h100_fp16", out="fp16")
    assert d.dtype == np.float16 and d[0, 0] == 1.0  # RNE to binary16 (accumulation.md T4 note)
    assert gemm(a, b, np.float32(1.0), model="h100_fp16")[0, 0] == float.fromhex("0x1.000004p+0")


def test_error_study_reports_every_model():
    rng = np.random.default_rng(6)
    a = fp8ref.quantize(np.abs(rng.standard_normal((4, 512))).astype(np.float32), "e4m3fn")
    b = fp8ref.quantize(np.abs(rng.standard_normal((512, 4))).astype(np.float32), "e4m3fn")
    s = error_study(a, b, ("h100_fp8", "h100_fp8_promote128", "exact"))
    rows = {r[0]: r for r in s.rows}
    ref = gemm(a, b, model="exact").astype(np.float64)
    h = gemm(a, b, model="h100_fp8").astype(np.float64)
    assert rows["h100_fp8"][1] == pytest.approx(np.max(np.abs(h - ref) / np.abs(ref)))
    assert rows["exact"][1] == 0.0 and rows["exact"][4] == s.size == 16
    assert rows["h100_fp8_promote128"][1] < rows["h100_fp8"][1]
    assert "h100_fp8" in s.table() and "<table>" in s._repr_html_()


def test_models_are_descriptions_users_can_build():
    m = get_model("h100_fp8").replace(name="mine", n=8, frac_bits=20)
    assert m.n == 8 and get_model(m) is m and "h100_fp8" in list_models()
    for bad, msg in [({"n": 0}, "n must be"), ({"frac_bits": -1}, "frac_bits"), ({"out_rounding": "rd"}, "out_rounding"),
                     ({"promote": 20, "fp16_out": False}, "multiple of n"), ({"promote": 32}, "fp16_out=False"), ({"fmt": "hif8x"}, "hif8x"),
                     ({"frac_bits": 60}, "53-bit window"), ({"out_frac": 30}, "out_frac")]:
        with pytest.raises(ValueError, match=msg):
            MODELS["h100_fp8"].replace(**bad)
    wide = fp8ref.Format("e5m12", exp_bits=5, man_bits=12, bias=15, has_infinity=True, num_high_nans=0)
    with pytest.raises(ValueError, match="too wide"):
        AccumModel("wide", 4, 10, fmt="e4m3fn", fmts=("e4m3fn",)).replace(fmt=wide, fmts=(wide,))


BAD = [
    (lambda: gemm(np.array([[1.0, 0.3]]), np.ones((2, 1))), ValueError, r"a\[0, 1\] = 0.3 is not exactly representable in e4m3fn"),
    (lambda: gemm(np.ones((1, 2)), np.array([[1.0], [500.0]])), ValueError, r"b\[1, 0\] = 500.0"),
    (lambda: gemm(np.ones((1, 2)), np.ones((3, 1))), ValueError, "inner dimensions differ"),
    (lambda: gemm(np.ones(2), np.ones((2, 1))), ValueError, "must be 2-D"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), model="h200_fp8"), ValueError, "presets: exact, fp32_fma"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), fmt="fp16"), ValueError, "takes inputs in e4m3fn, e5m2"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), fmt="nope"), ValueError, "nope"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), np.array([[0.1]])), ValueError, r"c\[0, 0\] = 0.1 is not a float32"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), np.ones((2, 2))), ValueError, "c must broadcast"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), out="bf16"), ValueError, "out must be one of fp32, fp16"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), model="h100_tf32", fmt="tf32", out="fp16"), ValueError,
     "no fp16 output mode"),
    (lambda: gemm(np.ones((1, 2)), np.ones((2, 1)), np.float32(0.1), model="h100_fp16", out="fp16"), ValueError,
     "not a float16"),
    (lambda: gemm(np.ones((1, 2), dtype=np.int32), np.ones((2, 1))), TypeError, "floating-point"),
    # formats whose values are all binary32 values are checked on the binary32 copy: a value that
    # is not binary32, one that is binary32 but not of the format, one beyond binary32's range
    (lambda: gemm(np.array([[1.0, 1.0 + 2.0**-30]]), np.ones((2, 1)), model="h100_fp16"), ValueError,
     r"a\[0, 1\] = 1.000000000931322\d* is not exactly representable in fp16"),
    (lambda: gemm(np.ones((1, 2)), np.array([[1.0], [1.0 + 2.0**-12]]), model="h100_fp16"), ValueError,
     r"b\[1, 0\] = 1.000244140625 is not exactly representable in fp16"),
    (lambda: gemm(np.array([[1e300, 1.0]]), np.ones((2, 1)), model="h100_bf16"), ValueError,
     r"a\[0, 0\] = 1e\+300 is not exactly representable in bf16"),
    (lambda: gemm(np.array([[np.inf, 1.0]]), np.ones((2, 1)), model="h100_fp8"), ValueError,
     r"a\[0, 0\] = inf is not exactly representable in e4m3fn"),
    (lambda: dot(np.ones((2, 3)), np.ones((2, 4))), ValueError, "one shape"),
    (lambda: dot(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 2))), ValueError, "c must be None, a scalar or shape"),
    (lambda: error_study(np.ones((1, 1)), np.ones((1, 1)), ()), ValueError, "at least one"),
    (lambda: reference_dot([1.0], [1.0, 2.0]), ValueError, "differ in length"),
]


@pytest.mark.parametrize("call,exc,msg", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_special_values_of_the_format_pass_the_check():
    """NaN and ±Inf are fp16 values (and NaN an e4m3fn one): the operand check accepts them."""
    a = np.array([[np.inf, 1.0], [np.nan, -np.inf]])
    d = gemm(a, np.ones((2, 1)), model="h100_fp16")
    assert np.isinf(d[0, 0]) and np.isnan(d[1, 0])
    assert np.isnan(gemm(np.array([[np.nan, 1.0]]), np.ones((2, 1)))[0, 0])


@pytest.mark.parametrize("model", ["h100_fp8", "sm100_mma_sync_fp8", "h100_fp8_promote128", "cdna3_fp8"])
def test_gemm_bits_do_not_depend_on_thread_count(model):
    """Each output element is computed by one thread in a fixed order: 1 thread == all threads."""
    import numba

    rng = np.random.default_rng(11)
    f = get_model(model).fmt
    a = fp8ref.quantize(rng.standard_normal((130, 300)).astype(np.float32) * 4, f)
    b = fp8ref.quantize(rng.standard_normal((300, 70)).astype(np.float32) * 4, f)
    full = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = gemm(a, b, model=model)
    finally:
        numba.set_num_threads(full)
    assert np.array_equal(_bits(one), _bits(gemm(a, b, model=model)))


# ---- issue 20: operand formats, block-scaled operands, refusals, deprecated names ---------------
def test_mixed_operand_formats():
    """a_fmt / b_fmt: e4m3 x e5m2 where the instruction takes it, refused where it does not."""
    a = np.array([[1.5, 448.0]])
    b = np.array([[57344.0], [2.0**-16]])
    want = reference_dot(a[0], b[:, 0], model="h100_fp8", a_fmt="e4m3fn", b_fmt="e5m2")
    assert gemm(a, b, model="h100_fp8", a_fmt="e4m3fn", b_fmt="e5m2")[0, 0] == np.float32(want)
    with pytest.raises(ValueError, match="not exactly representable in e4m3fn"):
        gemm(a, b, model="h100_fp8")
    with pytest.raises(ValueError, match="one format"):
        gemm(a, b, model="h100_fp8_promote128", a_fmt="e4m3fn", b_fmt="e5m2")


def _mx_pair(elem="e4m3fn", k=64):
    rng = np.random.default_rng(21)
    qa = mx.quantize(rng.standard_normal((3, k)).astype(np.float32), elem, axis=1)
    qb = mx.quantize(rng.standard_normal((k, 2)).astype(np.float32), elem, axis=0)
    return qa, qb


def test_block_scaled_operands_only_where_the_instruction_takes_them():
    """h100_fp8 used to accept MX operands silently (Hopper has no block-scaled MMA)."""
    qa, qb = _mx_pair()
    for model in ("h100_fp8", "sm90_mma_sync_fp8", "cdna3_fp8", "rvbna_fp8"):
        with pytest.raises(ValueError, match="takes no block-scaled operands"):
            gemm(qa, qb, model=model)
    with pytest.raises(ValueError, match="block-scaled instruction"):
        gemm(qa.element_values(), qb.element_values(), model="b200_mxf8f6f4")
    q4a, q4b = _mx_pair("e2m1fn")
    with pytest.raises(ValueError, match="takes inputs in e2m1fn, not 'e4m3fn'"):
        gemm(qa, qb, model="b200_mxf4nvf4")
    gemm(q4a, q4b, model="b200_mxf4nvf4")  # MXFP4: UE8M0, block 32
    bad = BlockScaled(q4a.codes, q4a.scales, "e2m1fn", "ue4m3", 32, 1)
    bbad = BlockScaled(q4b.codes, q4b.scales, "e2m1fn", "ue4m3", 32, 0)
    with pytest.raises(ValueError, match="not ue4m3 with block 32"):
        gemm(bad, bbad, model="b200_mxf4nvf4")


def test_mx_tensor_equals_its_raw_codes():
    """An MXTensor and the same codes and scales as BlockScaled give the same bits."""
    for elem, model in (("e4m3fn", "b200_mxf8f6f4"), ("e2m1fn", "b200_mxf4nvf4"), ("e3m2fn", "b200_mxf8f6f4")):
        qa, qb = _mx_pair(elem)
        raw = gemm(BlockScaled(qa.codes, qa.scales, elem, "ue8m0", 32, 1),
                   BlockScaled(qb.codes, qb.scales, elem, "ue8m0", 32, 0), model=model)
        assert np.array_equal(gemm(qa, qb, model=model).view(np.uint32), raw.view(np.uint32))


def test_nvfp4_tensors():
    """NVFP4Tensor operands (b given as its transpose, blocks along K): single-level scaling is the
    instruction; a per-tensor decode scale is refused with the way out."""
    from fp8ref import nvfp4

    rng = np.random.default_rng(22)
    x = rng.standard_normal((2, 64)).astype(np.float32)
    w = rng.standard_normal((3, 64)).astype(np.float32)  # B^T: (N, K)
    qa = nvfp4.quantize(x, variant="torchao_0.18", per_tensor_scale=None)
    qw = nvfp4.quantize(w, variant="torchao_0.18", per_tensor_scale=None)
    got = gemm(qa, qw, model="b200_mxf4nvf4")
    raw = gemm(BlockScaled(qa.codes, qa.block_scales, "e2m1fn", "ue4m3", 16, 1),
               BlockScaled(qw.codes.T, qw.block_scales.T, "e2m1fn", "ue4m3", 16, 0), model="b200_mxf4nvf4")
    assert got.shape == (2, 3) and np.array_equal(got.view(np.uint32), raw.view(np.uint32))
    va, vw = qa.element_values(np.float64), qw.element_values(np.float64)
    sa, sw = qa.expanded_block_scales(np.float64), qw.expanded_block_scales(np.float64)
    want = reference_dot(va[1], vw[2], model="b200_mxf4nvf4", a_scales=sa[1], b_scales=sw[2], scale_fmt="ue4m3")
    assert got[1, 2] == np.float32(want)
    with pytest.raises(ValueError, match="per-tensor decode scale"):
        gemm(nvfp4.quantize(x), nvfp4.quantize(w), model="b200_mxf4nvf4")


@pytest.mark.parametrize("old,new", [("b200_fp8", "sm100_mma_sync_fp8"), ("b200_fp8_mmasim", "b200_f8f6f4")])
def test_renamed_presets_warn(old, new):
    with pytest.warns(DeprecationWarning, match=f"'{old}' is deprecated: use '{new}'"):
        assert get_model(old) is MODELS[new]
    assert old not in list_models()
    a = np.ones((1, 32))
    with pytest.warns(DeprecationWarning):
        assert gemm(a, a.T, model=old)[0, 0] == 32.0


def test_deprecated_spellings_warn():
    import fp8ref.accum as accum

    with pytest.warns(DeprecationWarning, match="MODELS"):
        assert accum.PRESETS is MODELS
    with pytest.warns(DeprecationWarning, match="fmt="):
        assert gemm(np.ones((1, 2)), np.ones((2, 1)), model="h100_fp16", in_fmt="fp16")[0, 0] == 2.0
    with pytest.warns(DeprecationWarning, match="'rtz'"):
        m = AccumModel("old", 8, 20, out_rounding="rz", fmt="fp16")
    assert m.out_rounding == "rtz"
    with pytest.warns(DeprecationWarning, match="fmt="):
        m = AccumModel("old", 8, 20, in_fmt="bf16", in_fmts=("bf16",))
    assert m.fmt == "bf16" and m.fmts == ("bf16",)
    with pytest.warns(DeprecationWarning, match=".fmt"):
        assert m.in_fmt == "bf16"


def test_stage_descriptions_are_validated():
    from fp8ref.accum import Stage

    base = MODELS["cdna3_fp16"]
    for bad, msg in [({"stages": (Stage(3),)}, "does not divide"), ({"n": None}, "needs a finite step"),
                     ({"stages": (Stage(4, stride=3), Stage(2))}, "does not split"),
                     ({"frac_bits": 52}, "53-bit window"), ({"signed_zero": True}, "IEEE")]:
        with pytest.raises(ValueError, match=msg):
            base.replace(**bad)
    with pytest.raises(ValueError, match="unrounded"):
        MODELS["cdna1_fp16"].replace(scaling="stage")
    with pytest.raises(ValueError, match="chained stage"):
        Stage(4, 10, chain=True)
    with pytest.raises(ValueError, match="term_rounding"):
        Stage(4, 10, term_rounding="rne")


@pytest.mark.parametrize("bits,want", [(0x7FC00000, 0x7E00), (0x7FFFFFFF, 0x7FFF), (0xFFC02000, 0xFE01)])
def test_nan_pattern_narrows_to_binary16(bits, want):
    """FP16 output keeps the sign and the top 10 payload bits (written out: sign bit 15, exponent
    all ones 0x7C00, payload bits 22..13 of the float32 pattern)."""
    m = get_model("h100_fp16").replace(nan_bits=bits)
    assert m.nan_pattern("fp16") == want and m.nan_pattern("fp32") == bits


def test_fma_chain_rounds_float64_ties_whole():
    """fp32_fma where acc + the exact product rounds in float64 onto a binary32 tie: x = 1 + 2^-23,
    a·b = 2^-24 - 2^-54 (a, b = 2^-12 (1 ± 2^-15)); the float64 sum is the tie 1 + 3·2^-24 and RNE
    would give 1 + 2^-22, but the exact sum is below it: fmaf gives 1 + 2^-23. Beside it columns
    that need no fix, and a second step; checked against one Fraction rounding per step."""
    a = np.array([[2.0**-12 * (1 + 2.0**-15), 1.0]], np.float32)
    b = np.array([[2.0**-12 * (1 - 2.0**-15), 1.0, 0.0, -(2.0**-12) * (1 - 2.0**-15)],
                  [2.0**-30, 0.25, -1.0, 2.0**-40]], np.float32)
    c = np.full((1, 4), 1 + 2.0**-23, np.float32)
    got = gemm(a, b, c, model="fp32_fma", fmt="fp32")
    assert got[0, 0] == np.float32(1 + 2.0**-23)  # + 2^-30 is below half an ulp
    for j in range(4):
        acc = Fraction(float(c[0, j]))
        for k in range(2):
            acc = Fraction(float(_round_f32(acc + Fraction(float(a[0, k])) * Fraction(float(b[k, j])))))
        assert got[0, j].view(np.uint32) == np.float32(float(acc)).view(np.uint32), j
