"""The ``torch`` preset against torch's own casts (torch 2.13.0+cpu, a test dependency):
every float16 and bfloat16 input, fp8ref's float32 boundary cases, random float32 bit patterns
and the same as float64, for every float8 dtype torch has."""

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


def test_torch_decodes_like_fp8ref():
    for name in sorted(DTYPES):
        codes = np.arange(256, dtype=np.uint8)
        want = torch.from_numpy(codes).view(getattr(torch, DTYPES[name])).to(torch.float32).numpy()
        got = fp8ref.decode(codes, name)
        assert np.array_equal(np.isnan(got), np.isnan(want)), name
        ok = ~np.isnan(want)
        assert np.array_equal(got[ok].view(np.uint32), want[ok].view(np.uint32)), name
