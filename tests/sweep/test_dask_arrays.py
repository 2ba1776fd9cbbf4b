"""fp8ref.encode / decode / quantize, fp8ref.mx.quantize and fp8ref.gemm on dask arrays: dask
arrays out, bit-identical to the numpy results, for several policies, presets and chunkings."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="dask extra not installed: pip install -e '.[dask]'")

import fp8ref  # noqa: E402


def _bits(n, seed):
    return np.random.default_rng(seed).integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)


def _f32(shape, seed):
    """float32 values from random bits, with the special classes mixed in."""
    u = _bits(int(np.prod(shape)), seed)
    special = np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00001, 0x7F800001, 0x00000001, 0x43E00000,
                        0x43E80000, 0x3F800000], np.uint32)
    u[: special.size] = special
    return u.view(np.float32).reshape(shape)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


X = _f32((37, 50), 1)
XD = da.from_array(X, chunks=(10, 16))


@pytest.mark.parametrize("fmt,kw", [
    ("e4m3fn", {}), ("e4m3fn", {"preset": "ml_dtypes"}), ("e5m2", {"rounding": "rtz", "overflow": "sat_finite"}),
    ("e2m1fn", {"nan_to": "max", "tininess": "before"}), ("hif8", {}), ("ue8m0", {"rounding": "rup"}),
    ("bf16", {"overflow": "sat_propagate"}), ("tf32", {"rounding": "rto"}), ("posit8_es1", {}),
])
def test_encode_dask_equals_numpy(fmt, kw):
    codes, flags = fp8ref.encode(XD, fmt, return_flags=True, **kw)
    assert isinstance(codes, da.Array) and isinstance(flags, da.Array)
    want_c, want_f = fp8ref.encode(X, fmt, return_flags=True, **kw)
    got_c, got_f = da.compute(codes, flags)
    _same(got_c, want_c)
    _same(got_f, want_f)
    only = fp8ref.encode(XD, fmt, **kw)
    assert isinstance(only, da.Array)
    _same(only.compute(), want_c)


@pytest.mark.parametrize("as_dask", [False, True])
def test_stochastic_encode_with_rbits(as_dask):
    r = _bits(X.size, 2).reshape(X.shape) >> np.uint32(20)
    rb = da.from_array(r, chunks=(7, 25)) if as_dask else r  # chunked differently from x: realigned
    got = fp8ref.encode(XD, "e4m3fn", rounding="stochastic", rbits=rb, srbits=12, overflow="sat_finite")
    want = fp8ref.encode(X, "e4m3fn", rounding="stochastic", rbits=r, srbits=12, overflow="sat_finite")
    _same(got.compute(), want)


def test_encode_errors_are_eager():
    with pytest.raises(ValueError, match="stochastic rounding needs rbits"):
        fp8ref.encode(XD, "e4m3fn", rounding="stochastic")
    with pytest.raises(ValueError, match="unknown rounding"):
        fp8ref.encode(XD, "e4m3fn", rounding="nearest")
    with pytest.raises(ValueError, match="rbits has shape"):
        fp8ref.encode(XD, "e4m3fn", rounding="stochastic", rbits=np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("fmt,dtype", [("e4m3fn", np.float32), ("e5m2", "bfloat16"), ("hif8", np.float64),
                                       ("ue8m0", np.float32), ("fp16", np.float16)])
def test_decode_and_quantize_dask_equal_numpy(fmt, dtype):
    codes = fp8ref.encode(X, fmt, overflow="sat_finite")
    got = fp8ref.decode(da.from_array(codes, chunks=(9, 20)), fmt, dtype=dtype)
    assert isinstance(got, da.Array)
    _same(got.compute(), fp8ref.decode(codes, fmt, dtype=dtype))
    q = fp8ref.quantize(XD, fmt, overflow="sat_finite")
    assert isinstance(q, da.Array) and q.dtype == np.float32
    _same(q.compute(), fp8ref.quantize(X, fmt, overflow="sat_finite"))


def test_decode_refuses_float_codes():
    with pytest.raises(TypeError, match="integer"):
        fp8ref.decode(XD, "e4m3fn")


# ---- MX ---------------------------------------------------------------------------------------
XM = np.ldexp(np.random.default_rng(3).standard_normal((6, 100)), np.arange(600).reshape(6, 100) % 40 - 20)
XM = XM.astype(np.float32)
XM[2, 5] = np.nan
XM[4, :40] = 0


@pytest.mark.parametrize("axis,chunks,kw", [
    (1, (4, 45), {"pad": True}),                      # 45 -> 32-element chunks along the blocks
    (1, (6, 100), {"pad": True, "scale_rule": "rceil", "elem": "e2m1fn"}),
    (0, (4, 30), {"block_size": 2, "rounding": "rna"}),
    (1, (3, 64), {"pad": True, "elem": "e5m2", "rounding": "rdn"}),
])
def test_mx_quantize_dask_equals_numpy(axis, chunks, kw):
    kw = {"elem": "e4m3fn", **kw}
    elem = kw.pop("elem")
    got = fp8ref.mx.encode(da.from_array(XM, chunks=chunks), elem, axis=axis, **kw)
    assert isinstance(got.codes, da.Array) and isinstance(got.scales, da.Array)
    bs = kw.get("block_size", 32)
    assert all(c % bs == 0 for c in got.codes.chunks[axis][:-1])  # no block straddles two chunks
    t = got.compute()
    want = fp8ref.mx.encode(XM, elem, axis=axis, **kw)
    _same(t.codes, want.codes)
    _same(t.scales, want.scales)
    assert (t.axis, t.block_size, t.scale_rule, t.rounding) == (want.axis, want.block_size, want.scale_rule,
                                                                 want.rounding)


def test_mx_quantize_stochastic_and_errors():
    r = (_bits(XM.size, 4).reshape(XM.shape) >> np.uint32(24)).astype(np.uint8)
    got = fp8ref.mx.encode(da.from_array(XM[:, :96], chunks=(6, 40)), "e4m3fn", rounding="stochastic",
                             rbits=r[:, :96]).compute()
    want = fp8ref.mx.encode(XM[:, :96], "e4m3fn", rounding="stochastic", rbits=r[:, :96])
    _same(got.codes, want.codes)
    with pytest.raises(ValueError, match="not a multiple of block_size 32"):
        fp8ref.mx.encode(da.from_array(XM, chunks=(6, 50)), "e4m3fn")
    with pytest.raises(ValueError, match="unknown rounding"):
        fp8ref.mx.encode(da.from_array(XM[:, :64], chunks=(6, 32)), "e4m3fn", rounding="near")


# ---- GEMM -------------------------------------------------------------------------------------
def _operands(model, M, K, N, seed, special=False):
    m = fp8ref.accum.get_model(model)
    g = np.random.default_rng(seed)
    fmt = m.in_fmt
    a = fp8ref.quantize(g.standard_normal((M, K)) * 4.0 ** g.integers(-3, 4, (M, K)), fmt, dtype=np.float64,
                        overflow="sat_finite")
    b = fp8ref.quantize(g.standard_normal((K, N)) * 4.0 ** g.integers(-3, 4, (K, N)), fmt, dtype=np.float64,
                        overflow="sat_finite")
    c = fp8ref.quantize(g.standard_normal((M, N)), "fp16" if fmt in ("fp16",) else "bf16", dtype=np.float32)
    if special:
        inf = np.inf if fp8ref.get_format(fmt).has_infinity else np.nan
        a[1, 3], a[7, 0], b[5, 2], c[0, 0], c[3, 4] = inf, -inf, np.nan, -np.inf, np.inf
    return a, b, c


@pytest.mark.parametrize("model,kchunk,out", [
    ("h100_fp8", 64, "fp32"), ("h100_fp8_promote128", 128, "fp32"), ("a100_fp16", 24, "fp32"),
    ("a100_fp16", 40, "fp16"), ("fp32_fma", 37, "fp32"), ("b200_fp8", 96, "fp32"), ("v100_fp16", 12, "fp16"),
    ("exact", 256, "fp32"), ("h100_tf32", 56, "fp32"),
])
@pytest.mark.parametrize("special", [False, True])
def test_gemm_dask_chains_k_chunks_bit_exactly(model, kchunk, out, special):
    M, K, N = 40, 256, 24
    a, b, c = _operands(model, M, K, N, 5, special)
    if out == "fp16":
        c = c.astype(np.float16)
    want = fp8ref.gemm(a, b, c, model=model, out=out)
    got = fp8ref.gemm(da.from_array(a, chunks=(16, kchunk)), da.from_array(b, chunks=(kchunk, 10)),
                      da.from_array(c, chunks=(13, 11)), model=model, out=out)
    assert isinstance(got, da.Array) and got.chunks[0] == (16, 16, 8) and got.chunks[1] == (10, 10, 4)
    _same(got.compute(), want)


def test_gemm_dask_mixed_operands_and_c_forms():
    a, b, c = _operands("h100_fp8", 20, 96, 12, 6)
    ad = da.from_array(a, chunks=(8, 32))
    for cc in (None, np.float32(1.5), c[0], da.from_array(c, chunks=(20, 12))):
        want = fp8ref.gemm(a, b, None if cc is None else np.asarray(cc), model="h100_fp8")
        _same(fp8ref.gemm(ad, b, cc, model="h100_fp8").compute(), want)
        _same(fp8ref.gemm(a, da.from_array(b, chunks=(64, 5)), cc, model="h100_fp8").compute(), want)


def test_gemm_dask_refuses_k_chunks_off_the_model_boundaries():
    a, b, _ = _operands("h100_fp8", 8, 96, 8, 7)
    with pytest.raises(ValueError, match=r"multiple of 32, the block size n of model 'h100_fp8'"):
        fp8ref.gemm(da.from_array(a, chunks=(8, 40)), b, model="h100_fp8")
    a2, b2, _ = _operands("h100_fp8_promote128", 8, 256, 8, 7)
    with pytest.raises(ValueError, match="multiple of 128, the promotion interval"):
        fp8ref.gemm(da.from_array(a2, chunks=(8, 64)), b2, model="h100_fp8_promote128")
    with pytest.raises(ValueError, match="n=None.*one chunk"):
        fp8ref.gemm(da.from_array(a, chunks=(8, 32)), b, model="exact")
    with pytest.raises(ValueError, match="inner dimensions differ"):
        fp8ref.gemm(da.from_array(a, chunks=(8, 32)), b[:64], model="h100_fp8")


@pytest.mark.parametrize("model,kchunk", [("h100_fp8", 40), ("h100_fp8_promote128", 64), ("exact", 128)])
def test_misaligned_k_chunks_would_change_the_bits(model, kchunk, monkeypatch):
    """Why the refusal: chained K chunks that split a block (or promotion interval, or the one
    exact sum) round where one call does not, and most elements change."""
    from fp8ref import _dask

    monkeypatch.setattr(_dask, "_check_k_chunks", lambda m, k: None)
    a, b, c = _operands(model, 24, 256, 16, 5)
    want = fp8ref.gemm(a, b, c, model=model)
    got = fp8ref.gemm(da.from_array(a, chunks=(24, kchunk)), b, c, model=model).compute()
    assert (got.view(np.uint32) != want.view(np.uint32)).mean() > 0.2


@pytest.mark.parametrize("model,elem,kchunk,bchunk", [("b200_mxf8f6f4", "e4m3fn", 64, 96), ("b200_mxf8f6f4", "e5m2", 96, 144),
                                                      ("exact", "e2m1fn", 192, 96)])
def test_gemm_on_dask_mx_tensors(model, elem, kchunk, bchunk):
    """MX operands quantized from dask arrays, multiplied tile by tile: the numpy MX gemm's bits."""
    g = np.random.default_rng(8)
    x = (g.standard_normal((24, 192)) * 4.0 ** g.integers(-4, 5, (24, 192))).astype(np.float32)
    y = (g.standard_normal((192, 20)) * 4.0 ** g.integers(-4, 5, (192, 20))).astype(np.float32)
    qa = fp8ref.mx.encode(da.from_array(x, chunks=(10, kchunk)), elem, axis=1)
    qb = fp8ref.mx.encode(da.from_array(y, chunks=(bchunk, 8)), elem, axis=0)  # K rechunked to a's
    want = fp8ref.gemm(fp8ref.mx.encode(x, elem, axis=1), fp8ref.mx.encode(y, elem, axis=0), model=model)
    got = fp8ref.gemm(qa, qb, model=model)
    assert isinstance(got, da.Array)
    _same(got.compute(), want)
