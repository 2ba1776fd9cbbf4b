"""Decode: every code of every shared format vs ml_dtypes and gfloat (exhaustive)."""

import gfloat
from gfloat.formats import format_info_p3109
import ml_dtypes
import numpy as np
import pytest

import fp8ref
from fp8ref import decode, get_format, list_formats

from .._deps import TORCH_REASON
from ..oracles.shared import ML_DTYPES, gfloat_format


def _same(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.array_equal(a.view(np.uint64), b.view(np.uint64)) or (
        np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)])
        and np.array_equal(np.signbit(a[~np.isnan(a)]), np.signbit(b[~np.isnan(b)]))
    )


@pytest.mark.parametrize("name", list(ML_DTYPES))
def test_decode_all_codes_vs_ml_dtypes(name):
    fmt = get_format(name)
    dt = np.dtype(ML_DTYPES[name])
    codes = np.arange(fmt.num_codes, dtype=np.uint8 if dt.itemsize == 1 else np.uint16)
    ref = codes.view(dt).astype(np.float64)
    assert _same(decode(codes, fmt, dtype=np.float64), ref)


@pytest.mark.parametrize("name", list_formats("ieee"))
def test_decode_all_codes_vs_gfloat(name):
    fmt = get_format(name)
    fi = gfloat_format(fmt)
    codes = np.arange(fmt.num_codes)
    ref = gfloat.decode_ndarray(fi, codes)
    assert _same(decode(codes, fmt, dtype=np.float64), ref)


def test_decode_p3109_vs_gfloat_p3109():
    for p in range(1, 8):
        fi = format_info_p3109(8, p, gfloat.Signedness.Signed, gfloat.Domain.Extended)
        codes = np.arange(256)
        assert _same(decode(codes, f"p3109_8p{p}", dtype=np.float64), gfloat.decode_ndarray(fi, codes))


def test_decode_dtypes_and_shapes():
    codes = np.array([[0x38, 0xB8], [0x7E, 0x01]], dtype=np.uint8)
    for dt in (np.float16, np.float32, np.float64, ml_dtypes.bfloat16):
        out = decode(codes, "e4m3fn", dtype=dt)
        assert out.dtype == np.dtype(dt) and out.shape == (2, 2)
        assert out.astype(np.float64).tolist() == [[1.0, -1.0], [448.0, 2.0**-9]]
    assert decode(np.uint8(0x38), "e4m3fn").shape == ()
    assert decode(np.zeros((0, 3), np.uint8), "e5m2").shape == (0, 3)
    big = np.array([0x38, 0x40], dtype=">u2")
    assert decode(big, "e4m3fn").tolist() == [1.0, 2.0]
    strided = np.arange(256, dtype=np.uint8)[::7]
    assert np.array_equal(decode(strided, "e5m2"), decode(strided.copy(), "e5m2"), equal_nan=True)


def test_decode_rejects_bad_input():
    with pytest.raises(ValueError, match="out of range"):
        decode(np.array([256]), "e4m3fn")
    with pytest.raises(ValueError, match="out of range"):
        decode(np.array([16]), "e2m1fn")
    with pytest.raises(ValueError, match="out of range"):
        decode(np.array([-1]), "e4m3fn")
    with pytest.raises(TypeError, match="integer"):
        decode(np.array([1.0]), "e4m3fn")
    with pytest.raises(ValueError, match="dtype"):
        decode(np.array([1]), "e4m3fn", dtype=np.int32)


def test_decode_refuses_inexact_dtype():
    # bf16 max is far outside float16: decoding it to float16 would round
    with pytest.raises(ValueError, match="not exactly representable"):
        decode(np.array([0x7F7F], np.uint16), "bf16", dtype=np.float16)
    assert decode(np.array([0x3F80], np.uint16), "bf16", dtype=np.float16).tolist() == [1.0]


def test_decode_table_is_read_only():
    t = fp8ref.decode_table(get_format("e4m3fn"))
    with pytest.raises(ValueError):
        t[0] = 1.0


# ---- typed codes: ml_dtypes arrays and torch tensors of a registered format (issue 15, 5.8) ----
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")  # NaN codes cast to float64
@pytest.mark.parametrize("name", list(ML_DTYPES) + ["ue8m0"])
def test_decode_ml_dtypes_arrays(name):
    """An ml_dtypes (or float16) array of a registered format decodes from its bit patterns, to
    the values ml_dtypes itself gives them; shape kept; the same as decoding the raw codes."""
    fmt = get_format(name)
    dt = np.dtype(ML_DTYPES[name] if name != "ue8m0" else ml_dtypes.float8_e8m0fnu)
    codes = np.arange(fmt.num_codes, dtype=np.uint8 if dt.itemsize == 1 else np.uint16)
    typed = codes.view(dt).reshape(-1, 4)
    for out in (np.float64, np.float32) if fmt.bits < 16 else (np.float64,):  # (bf16/fp16 fit float32 too)
        got = decode(typed, name, dtype=out)
        assert got.shape == typed.shape and got.dtype == out
        assert _same(got.ravel(), typed.ravel().astype(np.float64))
        assert _same(got, decode(codes.reshape(-1, 4), name, dtype=out))
    assert _same(decode(typed[:, ::2], fmt, dtype=np.float64), typed[:, ::2].astype(np.float64))  # strided view


TORCH_DTYPES = {"e4m3fn": "float8_e4m3fn", "e5m2": "float8_e5m2", "e4m3fnuz": "float8_e4m3fnuz",
                "e5m2fnuz": "float8_e5m2fnuz", "ue8m0": "float8_e8m0fnu", "bf16": "bfloat16", "fp16": "float16"}


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
@pytest.mark.parametrize("name", list(TORCH_DTYPES))
def test_decode_torch_tensors(name):
    """A torch float8 (or bfloat16/float16) tensor decodes from its bit patterns, to the values
    torch itself gives them (torch's own cast to float64)."""
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    fmt = get_format(name)
    tdt = getattr(torch, TORCH_DTYPES[name])
    if fmt.bits == 8:
        t = torch.from_numpy(np.arange(256, dtype=np.uint8)).view(tdt)
    else:
        t = torch.from_numpy(np.arange(1 << 16, dtype=np.uint16).view(np.int16)).view(tdt)
    t = t.reshape(-1, 16)
    got = decode(t, name, dtype=np.float64)
    assert got.shape == tuple(t.shape)
    assert _same(got, t.to(torch.float64).numpy())
    assert _same(decode(t.T, fmt, dtype=np.float64), t.T.to(torch.float64).numpy())  # non-contiguous
    if fmt.bits == 8:
        assert _same(decode(t, name), t.to(torch.float32).numpy())


def test_decode_typed_codes_of_another_format_refused():
    with pytest.raises(ValueError, match=r"float8_e5m2 .*e5m2.* not e4m3fn") as e:
        decode(np.zeros(3, ml_dtypes.float8_e5m2), "e4m3fn")
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="bf16"):
        decode(np.zeros(3, ml_dtypes.bfloat16), "fp16")
    with pytest.raises(TypeError, match="integer"):
        decode(np.zeros(3, np.float32), "e4m3fn")
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    with pytest.raises(ValueError, match="e4m3fn.* not e5m2"):
        decode(torch.zeros(3, dtype=torch.float8_e4m3fn), "e5m2")
    with pytest.raises(TypeError, match="float4_e2m1fn_x2"):
        decode(torch.zeros(3, dtype=torch.uint8).view(torch.float4_e2m1fn_x2), "e2m1fn")


@pytest.mark.parametrize("name", sorted(ML_DTYPES))
def test_decode_table_takes_a_name(name):
    """fp8ref.decode_table accepts a format name as every other entry point does (it raised
    AttributeError for names); values equal ml_dtypes' for every code."""
    t = fp8ref.decode_table(name)
    assert t is not None and t.flags.writeable is False
    assert np.array_equal(t, fp8ref.decode_table(get_format(name)), equal_nan=True)
    dt = ML_DTYPES[name]
    bits = np.dtype(dt).itemsize * 8
    want = np.arange(t.size, dtype=np.uint32).astype(np.uint8 if bits == 8 else np.uint16).view(dt).astype(np.float64)
    assert np.array_equal(t, want, equal_nan=True)
