"""NVFP4 vs independent re-statements of TransformerEngine's and torchao's operation order."""

import ml_dtypes
import numpy as np
import pytest

from .._deps import TORCH_REASON

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
    t = nvfp4.encode(x, variant=variant, tile=(16, 16) if tile16 else (1, 16))
    codes, s8, s_enc, s_dec = te_nvfp4(x, kernel=variant == "te", tile16=tile16)
    assert np.array_equal(t.scales, s8)
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
    k, r = nvfp4.encode(x, variant="te"), nvfp4.encode(x, variant="te_ref")
    assert float(k.s_enc) == 1.0 and float(k.s_dec) == 1.0  # core_nvfp4.cuh: amax == 0 -> 1
    assert float(r.s_enc) == float(np.finfo(F32).max)  # quantization_nvfp4.py: 2688/0 -> FLT_MAX
    assert r.s_dec == F32(1.0) / np.finfo(F32).max
    for t in (k, r):
        assert not t.codes.any() and not t.scales.any() and not t.dequantize().any()


def test_negative_zero_kernel_vs_reference():
    x = np.array([[-0.0, -1e-30, 1.0] + [0.0] * 13], F32)
    assert nvfp4.encode(x, variant="te").codes[0, :2].tolist() == [8, 8]  # cvt keeps the sign
    assert nvfp4.encode(x, variant="te_ref").codes[0, :2].tolist() == [0, 8]  # only an exact 0 -> code 0


def test_inf_and_nan():
    x = np.ones((1, 32), F32)
    x[0, 3] = np.inf
    t = nvfp4.encode(x)
    assert float(t.s_enc) == 1.0  # 2688 / Inf == 0 -> 1
    assert int(t.scales[0, 0]) == 0x7E and int(t.codes[0, 3]) == 7  # saturated
    assert int(t.scales[0, 1]) == int(e4m3_sat(np.array([F32(1.0) * (F32(1.0) / F32(6.0))]))[0])
    x[0, 3] = np.nan
    for v in ("te", "te_ref"):
        t = nvfp4.encode(x, variant=v)
        assert (t.scales == 0x7F).all() and not t.codes.any() and np.isnan(t.dequantize()).all()
    for v in ("torchao_0.16", "torchao_0.17", "torchao_0.18"):
        with pytest.raises(ValueError, match="NaN"):
            nvfp4.encode(x, variant=v)


def test_calibrated_global_amax():
    x = _data(0)
    g = F32(np.max(np.abs(x)) / 4)
    t = nvfp4.encode(x, global_amax=g)
    codes, s8, s_enc, _ = te_nvfp4(x, kernel=True, amax=g)
    assert float(t.s_enc) == float(F32(2688.0) / g) == float(s_enc)
    assert np.array_equal(t.codes, codes) and np.array_equal(t.scales, s8)
    assert (t.scales == 0x7E).any()  # blocks above the calibrated amax saturate at 448
    with pytest.raises(ValueError, match="float32"):
        nvfp4.encode(x, global_amax=0.1)  # not a float32 value: say so rather than round silently


TORCHAO = ("torchao_0.16", "torchao_0.17", "torchao_0.18")


def _torchao(x, pts, variant):
    """torchao ``nvfp4_quantize`` restated line by line (float32 input; ``pts`` None = single level).

    pytorch/ao torchao/prototype/mx_formats/nvfp4_tensor.py at
    v0.16.0 (3c1065ca6ff2eb8a48262bd7c31ded2fffe0d15e) lines 676-714 (same in 0.12-0.15),
    v0.17.0 (02105d46c61dc80a8c9d39d5836e827ba3af8439) lines 679-717,
    v0.18.0 (5f2baf9d575cf732362594c998c399902942531f) lines 807-854 (= main 36027d8).
    """
    x3 = x.reshape(x.shape[0], -1, 16)  # data_hp.float().reshape(orig_shape[0], -1, block_size)
    block_scale = np.abs(x3).max(axis=-1) / F32(6.0)  # torch.amax(torch.abs(data_hp), -1) / F4_E2M1_MAX
    tiny = F32(ml_dtypes.finfo(ml_dtypes.float8_e4m3fn).tiny)  # E4M3_EPS
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if pts is None:
            s8 = e4m3_sat(np.clip(block_scale, tiny, F32(448)))  # clamp(block_scale, E4M3_EPS, 448).to(e4m3fn)
            s8f = e4m3_value(s8)  # block_scale_fp8.to(torch.float32)
            if variant == "torchao_0.18":
                data = x3 * (F32(1.0) / s8f)[..., None]  # data_hp * (1.0 / block_scale_fp32).unsqueeze(-1)
            else:
                data = x3 / s8f[..., None]  # data_hp / block_scale_fp32.unsqueeze(-1)
        else:
            s8 = e4m3_sat(np.clip(block_scale / pts, tiny, F32(448)))  # clamp(block_scale_fp32 / pts, ...)
            s8f = e4m3_value(s8)
            if variant == "torchao_0.16":
                data = x3 / (pts * s8f)[..., None]  # total_scale = pts * s8f; data_hp / total_scale
            else:
                data = x3 * ((F32(1.0) / pts) / s8f)[..., None]  # (1.0 / pts) / s8f; data_hp * reciprocal
    data = np.clip(data, F32(-6), F32(6)).reshape(x.shape)  # torch.clamp(data_scaled, -6, 6)
    return data.astype(ml_dtypes.float4_e2m1fn).view(np.uint8), s8  # f32_to_f4_unpacked: RNE


def _pts(x, mode):
    if mode == "dynamic":
        return F32(np.max(np.abs(x))) / F32(448.0 * 6.0), "dynamic"  # per_tensor_amax_to_scale
    if mode == "given":
        return F32(0.01), F32(0.01)
    return None, None


@pytest.mark.parametrize("variant", TORCHAO)
@pytest.mark.parametrize("mode", ["dynamic", None, "given"])
@pytest.mark.parametrize("seed", range(8))
def test_torchao_matches_restatement(seed, mode, variant):
    x = _data(seed)
    pts, arg = _pts(x, mode)
    t = nvfp4.encode(x, variant=variant, per_tensor_scale=arg)
    codes, s8 = _torchao(x, pts, variant)
    assert np.array_equal(t.codes, codes) and np.array_equal(t.scales, s8)
    e = codes.view(ml_dtypes.float4_e2m1fn).astype(F32)
    scale = e4m3_value(s8) if pts is None else pts * e4m3_value(s8)
    assert np.array_equal(t.dequantize(), e * np.repeat(scale, 16, axis=1))


def _tie_data():
    """Inputs that sit on E2M1 ties after scaling, so the orders' one-ulp differences show:
    ulp-perturbed grid values (two-level), and [11.25, 4.6875]: s8 = 1.875, 4.6875 / 1.875 = 2.5
    exactly (a tie, RNE -> 2) but 4.6875 * fp32(1 / 1.875) = 2.5000002 (-> 3)."""
    rng = np.random.default_rng(0)
    x = (rng.integers(-48, 49, (64, 256)) / 8.0 * 2.0 ** rng.integers(-4, 5, (64, 1))).astype(F32)
    x = np.nextafter(x, rng.choice([-np.inf, np.inf], x.shape).astype(F32))
    x[0, :16] = 0.0
    x[0, :2] = (11.25, 4.6875)
    return x


def test_torchao_orders_differ():
    x = _tie_data()
    got = {(v, m): nvfp4.encode(x, variant=v, per_tensor_scale=m).codes for v in TORCHAO for m in ("dynamic", None)}
    assert (got["torchao_0.16", "dynamic"] != got["torchao_0.17", "dynamic"]).sum() > 100
    assert np.array_equal(got["torchao_0.17", "dynamic"], got["torchao_0.18", "dynamic"])
    assert np.array_equal(got["torchao_0.16", None], got["torchao_0.17", None])
    assert got["torchao_0.17", None][0, :2].tolist() == [7, 4] and got["torchao_0.18", None][0, :2].tolist() == [7, 5]
    for v in TORCHAO:
        for m in ("dynamic", None):
            assert np.array_equal(got[v, m], _torchao(x, _pts(x, m)[0], v)[0])


def _torchao_oracle():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    torchao = pytest.importorskip("torchao", reason=TORCH_REASON)
    nv = pytest.importorskip("torchao.prototype.mx_formats.nvfp4_tensor")
    major, minor = (int(p) for p in torchao.__version__.split(".")[:2])
    assert (major, minor) >= (0, 12)
    variant = "torchao_0.16" if minor <= 16 else "torchao_0.17" if minor == 17 else "torchao_0.18"
    return torch, nv, variant


@pytest.mark.parametrize("mode", ["dynamic", None, "given"])
@pytest.mark.parametrize("seed", range(9))
def test_torchao_installed_release(seed, mode):
    """Against the installed torchao itself (the dev extras pin 0.18.0; with another release on
    PYTHONPATH the test picks the variant of that release)."""
    torch, nv, variant = _torchao_oracle()
    x = _data(seed) if seed < 8 else _tie_data()
    xt = torch.from_numpy(x)
    pts = {"dynamic": lambda: nv.per_tensor_amax_to_scale(xt.abs().max()), None: lambda: None,
           "given": lambda: torch.tensor(0.01, dtype=torch.float32)}[mode]()
    s8, packed = nv.nvfp4_quantize(xt, 16, pts)
    p = packed.view(torch.uint8).numpy()
    codes = np.stack([p & 0xF, p >> 4], axis=-1).reshape(x.shape)  # pack_uint4: element 2j in the low nibble
    t = nvfp4.encode(x, variant=variant, per_tensor_scale="dynamic" if mode == "dynamic" else _pts(x, mode)[1])
    assert np.array_equal(t.scales, s8.view(torch.uint8).numpy())
    assert np.array_equal(t.codes, codes)


def test_torchao_reciprocal_overflow():
    # a tensor amax below ~7.9e-36: 1 / (amax / 2688) is Inf in float32
    x = np.zeros((1, 32), F32)
    x[0, :16] = np.linspace(1e-37, 2e-36, 16, dtype=F32)
    with np.errstate(over="ignore"):
        assert np.isinf(F32(1.0) / (F32(np.max(x)) / F32(2688.0)))
    codes16, s816 = _torchao(x, F32(np.max(x)) / F32(2688.0), "torchao_0.16")
    t = nvfp4.encode(x, variant="torchao_0.16")
    assert np.array_equal(t.codes, codes16) and np.array_equal(t.scales, s816)
    for v in ("torchao_0.17", "torchao_0.18"):
        with pytest.raises(ValueError, match="overflows float32"):
            nvfp4.encode(x, variant=v)  # the zero block: 0 * Inf = NaN
        # without zeros, x * Inf saturates to +-6 (code 7 / 15): reproduced
        y = x[:, :16].copy()
        y[0, 3] = -y[0, 3]
        t = nvfp4.encode(y, variant=v)
        assert t.codes.tolist() == [[7, 7, 7, 15] + [7] * 12]
        assert np.array_equal(t.codes, _torchao(y, F32(np.max(np.abs(y))) / F32(2688.0), v)[0])


def test_torchao_deprecated_alias():
    x = _data(0)
    with pytest.warns(FutureWarning, match="torchao_0.16"):
        t = nvfp4.encode(x, variant="torchao")
    assert t.variant == "torchao_0.16"
    assert np.array_equal(t.codes, nvfp4.encode(x, variant="torchao_0.16").codes)
    with pytest.warns(FutureWarning):
        assert nvfp4.NVFP4Tensor(t.codes, t.scales, "torchao").variant == "torchao_0.16"


def test_torchao_rejects_zero_per_tensor_scale():
    for v in TORCHAO:
        with pytest.raises(ValueError, match="per-tensor scale"):
            nvfp4.encode(np.zeros((1, 16), F32), variant=v)


@pytest.mark.parametrize("variant", ["te", "te_ref"])
@pytest.mark.parametrize("seed", range(8))
def test_row_scaled_matches_per_row_restatement(seed, variant):
    """TE row_scaled_nvfp4: each row quantized with its own amax -- the structure of TE's own C++
    reference (tests/cpp/operator/test_cast_nvfp4_transpose.cu compute_ref, row_scaled branch:
    quantize_nvfp4(row, amax[row])), each row by the restated kernel / reference order."""
    x = _data(seed)
    x[3] = 0.0  # an all-zero row: S_enc = 1 (kernel) or FLT_MAX (reference)
    t = nvfp4.encode(x, variant=variant, row_scaled=True)
    assert t.row_scaled and t.global_amax.shape == (x.shape[0],)
    for r in range(x.shape[0]):
        amax = F32(np.max(np.abs(x[r])))
        codes, s8, s_enc, s_dec = te_nvfp4(x[r:r + 1], kernel=variant == "te", amax=amax)
        assert np.array_equal(t.codes[r:r + 1], codes) and np.array_equal(t.scales[r:r + 1], s8)
        assert t.s_enc[r].tobytes() == F32(s_enc).tobytes() and t.s_dec[r].tobytes() == F32(s_dec).tobytes()
        # dequantize_fp4_kernel with ROW_SCALED_NVFP4: amax = tensor_amax[y]
        e = np.asarray(codes, np.uint8).view(ml_dtypes.float4_e2m1fn).astype(F32)
        want = e * np.repeat((e4m3_value(s8) * amax) * F32(1.0 / 2688.0), 16, axis=1)
        assert np.array_equal(t.dequantize()[r:r + 1], want)
    assert not np.array_equal(t.codes, nvfp4.encode(x, variant=variant).codes)  # one global amax differs


def test_row_scaled_layout_and_errors():
    x = _data(2).reshape(2, 16, 64)
    t = nvfp4.encode(x, row_scaled=True)
    assert t.global_amax.shape == (2, 16) and t.s_enc.shape == (2, 16)
    flat = nvfp4.encode(x.reshape(32, 64), row_scaled=True)
    assert np.array_equal(t.codes.reshape(32, 64), flat.codes)
    g = np.max(np.abs(x), axis=-1) * F32(2)
    tg = nvfp4.encode(x, row_scaled=True, global_amax=g)
    assert np.array_equal(tg.global_amax, g)
    with pytest.raises(ValueError, match="one amax per row"):
        nvfp4.encode(x, row_scaled=True, global_amax=g[:1])
    with pytest.raises(ValueError, match="row_scaled"):
        nvfp4.encode(x.reshape(32, 64), row_scaled=True, tile=(16, 16))
    with pytest.raises(ValueError, match="row_scaled"):
        nvfp4.encode(x, row_scaled=True, variant="torchao_0.18")
    with pytest.raises(ValueError, match="row_scaled=True"):
        nvfp4.encode(x, global_amax=g)
    x[1, 5, 7] = np.nan  # NaN in one row: only that row's scales become 0x7F
    tn = nvfp4.encode(x, row_scaled=True)
    assert (tn.scales[1, 5] == 0x7F).all() and not tn.codes[1, 5].any()
    assert (tn.scales[0] != 0x7F).all()
    assert "row_scaled=True" in repr(tn) and "per row" in tn._repr_html_()


def test_threshold_table_equals_rne():
    # the TE reference's threshold cast is exactly RNE + saturation: check on every tie
    v = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 7.0, -0.25, -5.0, 0.3, -2.6], F32)
    assert np.array_equal(e2m1_thresholds(v), np.clip(v, -6, 6).astype(ml_dtypes.float4_e2m1fn).view(np.uint8))


def test_layout_padding_and_errors():
    x = _data(1, m=3, n=20)
    with pytest.raises(ValueError, match="multiple of 16"):
        nvfp4.encode(x)
    t = nvfp4.encode(x, pad=True)
    xp = np.zeros((3, 32), F32)
    xp[:, :20] = x
    full = nvfp4.encode(xp)
    assert np.array_equal(t.codes, full.codes[:, :20]) and np.array_equal(t.scales, full.scales)
    with pytest.raises(ValueError, match="rows"):
        nvfp4.encode(_data(1, m=20, n=32), tile=(16, 16))
    t3 = nvfp4.encode(_data(2).reshape(2, 16, 64))
    assert t3.codes.shape == (2, 16, 64) and t3.scales.shape == (2, 16, 4)
    assert np.array_equal(t3.codes.reshape(32, 64), nvfp4.encode(_data(2)).codes)
    with pytest.raises(ValueError, match="variant"):
        nvfp4.encode(x, variant="cublas")
    with pytest.raises(ValueError, match="tile"):
        nvfp4.encode(_data(1), tile=(1, 32))
    with pytest.raises(ValueError, match="float32"):
        nvfp4.encode(np.array([[0.1] * 16]))  # float64 data that is not float32: explicit
    p = nvfp4.encode(_data(1)).packed()
    c = nvfp4.encode(_data(1)).codes
    assert p.shape == (32, 32) and int(p[0, 0]) == int(c[0, 0]) | int(c[0, 1]) << 4
    assert "NVFP4Tensor" in repr(t) and "<table>" in t._repr_html_()
