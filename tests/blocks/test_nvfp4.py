"""NVFP4 vs independent re-statements of TransformerEngine's and torchao's operation order."""

import ml_dtypes
import numpy as np
import pytest

from fp8ref.blocks import nvfp4

from ._ref import e2m1_thresholds, e4m3_sat, e4m3_value, te_nvfp4

F32 = np.float32


def _data(seed, m=32, n=64):
    rng = np.random.default_rng(seed)
    kind = seed % 4
    if kind == 0:
        x = rng.standard_normal((m, n)) * 10.0 ** rng.integers(-3, 4)
    elif kind == 1:  # grid values: many exact ties after scaling
        x = rng.integers(-48, 49, (m, n)) / 8.0 * 2.0 ** rng.integers(-4, 5)
    elif kind == 2:  # wide per-block dynamic range
        x = rng.standard_normal((m, n)) * np.ldexp(1.0, rng.integers(-30, 30, (m, n // 16))).repeat(16, axis=1)
    else:  # heavy tails + zeros
        x = rng.standard_cauchy((m, n))
        x[rng.random((m, n)) < 0.2] = 0.0
    return x.astype(F32)


@pytest.mark.parametrize("tile16", [False, True])
@pytest.mark.parametrize("variant", ["te", "te_ref"])
@pytest.mark.parametrize("seed", range(12))
def test_te_matches_restatement(seed, variant, tile16):
    x = _data(seed)
    t = nvfp4.quantize(x, variant=variant, tile=(16, 16) if tile16 else (1, 16))
    codes, s8, s_enc, s_dec = te_nvfp4(x, kernel=variant == "te", tile16=tile16)
    assert np.array_equal(t.block_scales, s8)
    assert np.array_equal(t.codes, codes)
    assert t.s_enc.tobytes() == F32(s_enc).tobytes() and t.s_dec.tobytes() == F32(s_dec).tobytes()
    # TE dequantize kernel order: e2m1 * ((fp32(s8) * amax) * fp32(1 / 2688))
    e = np.asarray(codes, np.uint8).view(ml_dtypes.float4_e2m1fn).astype(F32)
    want = e * np.repeat((e4m3_value(s8) * F32(np.max(np.abs(x)))) * F32(1.0 / 2688.0), 16, axis=1)
    assert np.array_equal(t.dequantize(), want)
    exact = t.dequantize(exact=True)
    assert np.array_equal(exact, e.astype(np.float64) * np.repeat(e4m3_value(s8), 16, axis=1).astype(np.float64)
                          * float(s_dec))


def test_all_zero_tensor_kernel_vs_reference():
    x = np.zeros((2, 32), F32)
    k, r = nvfp4.quantize(x, variant="te"), nvfp4.quantize(x, variant="te_ref")
    assert float(k.s_enc) == 1.0 and float(k.s_dec) == 1.0  # core_nvfp4.cuh: amax == 0 -> 1
    assert float(r.s_enc) == float(np.finfo(F32).max)  # quantization_nvfp4.py: 2688/0 -> FLT_MAX
    assert r.s_dec == F32(1.0) / np.finfo(F32).max
    for t in (k, r):
        assert not t.codes.any() and not t.block_scales.any() and not t.dequantize().any()


def test_negative_zero_kernel_vs_reference():
    x = np.array([[-0.0, -1e-30, 1.0] + [0.0] * 13], F32)
    assert nvfp4.quantize(x, variant="te").codes[0, :2].tolist() == [8, 8]  # cvt keeps the sign
    assert nvfp4.quantize(x, variant="te_ref").codes[0, :2].tolist() == [0, 8]  # only an exact 0 -> code 0


def test_inf_and_nan():
    x = np.ones((1, 32), F32)
    x[0, 3] = np.inf
    t = nvfp4.quantize(x)
    assert float(t.s_enc) == 1.0  # 2688 / Inf == 0 -> 1
    assert int(t.block_scales[0, 0]) == 0x7E and int(t.codes[0, 3]) == 7  # saturated
    assert int(t.block_scales[0, 1]) == int(e4m3_sat(np.array([F32(1.0) * (F32(1.0) / F32(6.0))]))[0])
    x[0, 3] = np.nan
    for v in ("te", "te_ref"):
        t = nvfp4.quantize(x, variant=v)
        assert (t.block_scales == 0x7F).all() and not t.codes.any() and np.isnan(t.dequantize()).all()
    with pytest.raises(ValueError, match="NaN"):
        nvfp4.quantize(x, variant="torchao")


def test_calibrated_global_amax():
    x = _data(0)
    g = F32(np.max(np.abs(x)) / 4)
    t = nvfp4.quantize(x, global_amax=g)
    codes, s8, s_enc, _ = te_nvfp4(x, kernel=True, amax=g)
    assert float(t.s_enc) == float(F32(2688.0) / g) == float(s_enc)
    assert np.array_equal(t.codes, codes) and np.array_equal(t.block_scales, s8)
    assert (t.block_scales == 0x7E).any()  # blocks above the calibrated amax saturate at 448
    with pytest.raises(ValueError, match="float32"):
        nvfp4.quantize(x, global_amax=0.1)  # not a float32 value: say so rather than round silently


def _torchao(x, pts):
    """torchao _nvfp4_quantize restated (float32 tensor input)."""
    x3 = x.reshape(x.shape[0], -1, 16)
    block_scale = np.abs(x3).max(axis=-1) / F32(6.0)
    tiny = F32(ml_dtypes.finfo(ml_dtypes.float8_e4m3fn).tiny)
    if pts is None:
        s8 = e4m3_sat(np.clip(block_scale, tiny, F32(448)))
        total = e4m3_value(s8)
    else:
        s8 = e4m3_sat(np.clip(block_scale / pts, tiny, F32(448)))
        total = pts * e4m3_value(s8)
    data = np.clip(x3 / total[..., None], F32(-6), F32(6)).reshape(x.shape)
    return data.astype(ml_dtypes.float4_e2m1fn).view(np.uint8), s8


@pytest.mark.parametrize("mode", ["dynamic", None, "given"])
@pytest.mark.parametrize("seed", range(8))
def test_torchao_matches_restatement(seed, mode):
    x = _data(seed)
    if np.max(np.abs(x)) == 0:
        pytest.skip("all zero")
    if mode == "dynamic":
        pts = F32(np.max(np.abs(x))) / F32(448.0 * 6.0)
        arg = "dynamic"
    elif mode == "given":
        pts = arg = F32(0.01)
    else:
        pts = arg = None
    t = nvfp4.quantize(x, variant="torchao", per_tensor_scale=arg)
    codes, s8 = _torchao(x, pts)
    assert np.array_equal(t.codes, codes) and np.array_equal(t.block_scales, s8)
    e = codes.view(ml_dtypes.float4_e2m1fn).astype(F32)
    scale = e4m3_value(s8) if pts is None else pts * e4m3_value(s8)
    assert np.array_equal(t.dequantize(), e * np.repeat(scale, 16, axis=1))


def test_torchao_rejects_zero_per_tensor_scale():
    with pytest.raises(ValueError, match="per-tensor scale"):
        nvfp4.quantize(np.zeros((1, 16), F32), variant="torchao")


def test_threshold_table_equals_rne():
    # the TE reference's threshold cast is exactly RNE + saturation: check on every tie
    v = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 7.0, -0.25, -5.0, 0.3, -2.6], F32)
    assert np.array_equal(e2m1_thresholds(v), np.clip(v, -6, 6).astype(ml_dtypes.float4_e2m1fn).view(np.uint8))


def test_layout_padding_and_errors():
    x = _data(1, m=3, n=20)
    with pytest.raises(ValueError, match="multiple of 16"):
        nvfp4.quantize(x)
    t = nvfp4.quantize(x, pad=True)
    xp = np.zeros((3, 32), F32)
    xp[:, :20] = x
    full = nvfp4.quantize(xp)
    assert np.array_equal(t.codes, full.codes[:, :20]) and np.array_equal(t.block_scales, full.block_scales)
    with pytest.raises(ValueError, match="rows"):
        nvfp4.quantize(_data(1, m=20, n=32), tile=(16, 16))
    t3 = nvfp4.quantize(_data(2).reshape(2, 16, 64))
    assert t3.codes.shape == (2, 16, 64) and t3.block_scales.shape == (2, 16, 4)
    assert np.array_equal(t3.codes.reshape(32, 64), nvfp4.quantize(_data(2)).codes)
    with pytest.raises(ValueError, match="variant"):
        nvfp4.quantize(x, variant="cublas")
    with pytest.raises(ValueError, match="tile"):
        nvfp4.quantize(_data(1), tile=(1, 32))
    with pytest.raises(ValueError, match="float32"):
        nvfp4.quantize(np.array([[0.1] * 16]))  # float64 data that is not float32: explicit
    p = nvfp4.quantize(_data(1)).packed()
    c = nvfp4.quantize(_data(1)).codes
    assert p.shape == (32, 32) and int(p[0, 0]) == int(c[0, 0]) | int(c[0, 1]) << 4
    assert "NVFP4Tensor" in repr(t) and "<table>" in t._repr_html_()
