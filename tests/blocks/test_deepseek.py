"""DeepSeek / DeepGEMM tile FP8 vs an independent numpy restatement of deep_gemm/utils/math.py."""

import numpy as np
import pytest

from fp8ref.blocks import DeepSeekTensor, deepseek, packing

from ._ref import deepgemm_cast, e4m3_value

F32 = np.float32


def _data(seed, m, n):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, n)) * np.ldexp(1.0, rng.integers(-20, 20, (m, 1)))
    x[rng.random((m, n)) < 0.05] = 0.0
    if seed % 3 == 0:
        x[0, :] = 0.0  # an all-zero row: amax clamps at 1e-4
    if seed % 3 == 1:  # amax exactly 448 * 2^k: sf a power of two with no round-up
        x[1, 5] = 448.0 * 2.0**-3
    return x.astype(F32)


TILES = [("per_token", (1, 128)), ("per_block", (128, 128)), ("per_channel", (128, 1)), ((1, 32), (1, 32))]


@pytest.mark.parametrize("scale_fmt", ["ue8m0", "fp32"])
@pytest.mark.parametrize("variant", ["deepgemm", "deepseek_v3"])
@pytest.mark.parametrize("tile,dims", TILES)
@pytest.mark.parametrize("seed", range(3))
def test_matches_restatement(seed, tile, dims, variant, scale_fmt):
    m, n = (130, 300) if dims[0] == 128 else (5, 300)
    x = _data(seed, m, n)
    t = deepseek.quantize(x, tile=tile, scale_fmt=scale_fmt, variant=variant)
    codes, sf = deepgemm_cast(x, dims, scale_fmt == "ue8m0", divide=variant == "deepseek_v3")
    assert np.array_equal(t.codes, codes)
    assert t.scales.tobytes() == sf.astype(F32).tobytes()
    full = np.repeat(np.repeat(sf, dims[0], axis=0), dims[1], axis=1)[:m, :n]
    assert np.array_equal(t.dequantize(), e4m3_value(codes) * full)
    if scale_fmt == "ue8m0":
        assert np.array_equal(t.scale_bytes, (sf.view(np.uint32) >> 23).astype(np.uint8))
        assert np.array_equal(t.dequantize(np.float64), t.dequantize().astype(np.float64))  # exact


def test_ue8m0_variants_agree_and_fp32_can_differ():
    x = _data(4, 64, 256)
    a = deepseek.quantize(x, variant="deepgemm")
    b = deepseek.quantize(x, variant="deepseek_v3")
    assert np.array_equal(a.codes, b.codes)  # power-of-two scales: multiply == divide
    rng = np.random.default_rng(0)
    y = rng.standard_normal((256, 128)).astype(F32)
    fa = deepseek.quantize(y, scale_fmt="fp32")
    fb = deepseek.quantize(y, scale_fmt="fp32", variant="deepseek_v3")
    ca, _ = deepgemm_cast(y, (1, 128), False)
    cb, _ = deepgemm_cast(y, (1, 128), False, divide=True)
    assert np.array_equal(fa.codes, ca) and np.array_equal(fb.codes, cb)


def test_nan_inf_and_zero_tiles():
    x = np.zeros((3, 128), F32)
    x[1, 0] = np.inf
    x[2, 7] = np.nan
    t = deepseek.quantize(x)
    # zero tile: amax 1e-4 -> sf 2^-22; Inf: sf bits exponent 255 -> clamp 254 -> 2^127; NaN: 256 -> 2^127
    assert t.scales[:, 0].tolist() == [2.0**-22, 2.0**127, 2.0**127]
    assert int(t.codes[1, 0]) == 0x7E  # Inf * 2^-127 = Inf, saturated to 448
    assert int(t.codes[2, 7]) == 0x7F  # NaN stays NaN
    tf = deepseek.quantize(x, scale_fmt="fp32")
    assert np.isinf(tf.scales[1, 0]) and np.isnan(tf.scales[2, 0])


def test_packed_scales_layout():
    x = _data(2, 4, 512)
    t = deepseek.quantize(x)
    p = t.packed_scales()
    assert p.shape == (4, 1) and p.dtype == np.int32
    assert np.array_equal(packing.unpack_ue8m0(p), t.scale_bytes)
    b = t.scale_bytes[0]
    assert int(p.view(np.uint32)[0, 0]) == int(b[0]) | int(b[1]) << 8 | int(b[2]) << 16 | int(b[3]) << 24
    with pytest.raises(ValueError, match="multiple of 4"):
        deepseek.quantize(_data(2, 4, 300)).packed_scales()
    with pytest.raises(ValueError, match="ue8m0"):
        deepseek.quantize(x, scale_fmt="fp32").scale_bytes


def test_errors_and_constructor():
    with pytest.raises(ValueError, match="2-D"):
        deepseek.quantize(np.ones(128, F32))
    with pytest.raises(ValueError, match="tile"):
        deepseek.quantize(np.ones((1, 128), F32), tile="per_row")
    with pytest.raises(ValueError, match="float32"):
        deepseek.quantize(np.full((1, 4), 0.1))
    with pytest.raises(ValueError, match="powers of two"):
        DeepSeekTensor(np.zeros((1, 4), np.uint8), np.array([[0.3]], F32))
    t = DeepSeekTensor(np.array([[0x38, 0xB8]], np.uint8), np.array([[0.5]], F32))
    assert t.dequantize().tolist() == [[0.5, -0.5]]
    assert "DeepSeekTensor" in repr(t) and "<table>" in t._repr_html_()
