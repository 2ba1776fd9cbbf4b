"""The ``torch`` preset against torch's own casts (torch 2.13.0+cpu, a test dependency):
every float16 and bfloat16 input, fp8ref's float32 boundary cases, random float32 bit patterns
and the same as float64, integers, for every float8 dtype torch has."""

import ml_dtypes
import numpy as np
import pytest

import fp8ref
from fp8ref.testing import boundary_cases

from .._deps import TORCH_REASON

torch = pytest.importorskip("torch", reason=TORCH_REASON)

DTYPES = {"e4m3fn": "float8_e4m3fn", "e5m2": "float8_e5m2", "e4m3fnuz": "float8_e4m3fnuz",
          "e5m2fnuz": "float8_e5m2fnuz", "ue8m0": "float8_e8m0fnu"}


def _torch_codes(x, name):
    t = (torch.from_numpy(x.view(np.int16).copy()).view(torch.bfloat16) if x.dtype == ml_dtypes.bfloat16
         else torch.from_numpy(x.copy()))
    return t.to(getattr(torch, DTYPES[name])).view(torch.uint8).numpy()


def _inputs(name):
    rng = np.random.default_rng(13)
    bits = rng.integers(0, 1 << 32, 100_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    yield "every float16", np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    yield "every bfloat16", np.arange(1 << 16, dtype=np.uint16).view(ml_dtypes.bfloat16)
    yield "float32 boundary cases", boundary_cases(name, np.float32)[0]
    yield "float64 boundary cases", boundary_cases(name, np.float64)[0]
    yield "random float32", bits
    yield "random float64", bits.astype(np.float64) * (1 + 2.0**-35)  # between float32 values


@pytest.mark.parametrize("name", sorted(DTYPES))
def test_torch_preset_is_torch(name):
    for what, x in _inputs(name):
        want = _torch_codes(x, name)
        got = fp8ref.encode(x, name, preset="torch")
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, (f"{name} {what}: {bad.size} differ, first x={x[bad[0]]!r} "
                               f"fp8ref {int(got[bad[0]]):#x} torch {int(want[bad[0]]):#x}")


def test_preset_names_the_installed_torch():
    # the plain name reproduces the torch these tests run against (a newer one: re-measure it,
    # and keep a changed behaviour under a versioned name, as ml_dtypes_0.6)
    version = torch.__version__.split("+")[0]
    assert fp8ref.PRESETS["torch"].reproduces == f"torch {version}", (
        f"tests run torch {torch.__version__}, the preset claims {fp8ref.PRESETS['torch'].reproduces!r}")


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int16])
def test_torch_preset_integers(dtype):
    """Integer tensors: torch rounds 32/64-bit integers to float32 first (input_path='via_float32';
    visible for UE8M0, whose ties 1.5 * 2^k +- 1 float32 cannot hold above 2^24)."""
    info = np.iinfo(dtype)
    if info.bits <= 16:
        x = np.arange(info.min, info.max + 1).astype(dtype)
    else:
        k = np.arange(2, info.bits - 1, dtype=np.int64)
        mid = (np.int64(3) << (k - 1)).astype(dtype)
        x = np.concatenate([mid - 1, mid, mid + 1, -(mid + 1), np.array([info.min, info.max], dtype)])
    for name in sorted(DTYPES):
        want = torch.from_numpy(x.copy()).to(getattr(torch, DTYPES[name])).view(torch.uint8).numpy()
        assert np.array_equal(fp8ref.encode(x, name, preset="torch"), want), name
    if info.bits >= 32:  # the float32 path matters there
        assert np.any(fp8ref.encode(x, "ue8m0", preset="torch", input_path="direct") != fp8ref.encode(x, "ue8m0", preset="torch"))


def test_torch_decodes_like_fp8ref():
    for name in sorted(DTYPES):
        codes = np.arange(256, dtype=np.uint8)
        want = torch.from_numpy(codes).view(getattr(torch, DTYPES[name])).to(torch.float32).numpy()
        got = fp8ref.decode(codes, name)
        assert np.array_equal(np.isnan(got), np.isnan(want)), name
        ok = ~np.isnan(want)
        assert np.array_equal(got[ok].view(np.uint32), want[ok].view(np.uint32)), name
