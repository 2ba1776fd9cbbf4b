"""The conventions hold on every codec path: the generic encoder, the key tables (float32 input
below the Numba threshold), the fused Numba gather (from 65,536 elements) and the full tables of
16-bit sources all give the same codes and flags."""

import ml_dtypes
import numpy as np
import pytest

from fp8ref import Policy, encode, get_format
from fp8ref.codecs import _FUSED_MIN, _generic, codec_for
from fp8ref.core.unpack import as_source_array

POLICIES = [
    Policy(ftz=True), Policy(daz=True), Policy(ftz=True, daz=True, tininess="before", rounding="rup"),
    Policy(nan="x86", ftz=True), Policy(nan="arm", daz=True), Policy(nan="riscv"),
]
FORMATS = ["e5m2", "e4m3fn", "e4m3", "e3m4", "e4m3fnuz", "p3109_8p1", "p3109_8p3", "p3109_8p6", "e2m1fn", "e3m2fn"]


def f32_inputs():
    rng = np.random.default_rng(19)
    e = rng.integers(-30, 3, 4000)
    frac = rng.integers(0, 1 << 23, 4000) & ~np.where(np.arange(4000) % 2 == 0, (1 << 15) - 1, 0)
    raw = (rng.integers(0, 2, 4000) << 31) | ((e + 127) << 23) | frac
    nans = (rng.integers(0, 2, 500) << 31) | 0x7F800000 | rng.integers(1, 1 << 23, 500)
    subs = (rng.integers(0, 2, 500) << 31) | rng.integers(1, 1 << 23, 500)
    special = np.array([0, 1 << 31, 0x7F800000, 0xFF800000, 0x7F7FFFFF, 0xFF7FFFFF])
    return np.concatenate([raw, nans, subs, special]).astype(np.uint32).view(np.float32)


def generic(x, fmt, pol):
    arr, src = as_source_array(x)
    codes, flags = _generic(fmt, codec_for(fmt), pol, arr, src)
    return codes.astype(fmt.code_dtype), flags


def _pol(fmt, pol):
    return pol if fmt.has_nan else Policy(**{**pol.as_dict(), "nan_to": "zero"})


@pytest.mark.parametrize("name", FORMATS)
def test_key_table_and_numba_gather_match_generic(name):
    fmt = get_format(name)
    x = f32_inputs()
    reps = -(-_FUSED_MIN // x.size) + 1
    big = np.tile(x, reps)
    assert x.size < _FUSED_MIN <= big.size
    for pol in POLICIES:
        pol = _pol(fmt, pol)
        gc, gf = generic(x, fmt, pol)
        kc, kf = encode(x, fmt, policy=pol, return_flags=True)
        bc, bf = encode(big, fmt, policy=pol, return_flags=True)
        assert (kc == gc).all() and (kf == gf).all(), (name, pol)
        assert (bc == np.tile(gc, reps)).all() and (bf == np.tile(gf, reps)).all(), (name, pol)


@pytest.mark.parametrize("src", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", ["e5m2", "e4m3fn", "p3109_8p3", "fp16", "bf16", "e2m3fn"])
def test_full_tables_match_generic(src, name):
    fmt = get_format(name)
    dt = np.float16 if src == "float16" else ml_dtypes.bfloat16
    x = np.arange(1 << 16, dtype=np.uint16).view(dt)
    for pol in POLICIES:
        pol = _pol(fmt, pol)
        gc, gf = generic(x, fmt, pol)
        tc, tf = encode(x, fmt, policy=pol, return_flags=True)
        assert (tc == gc).all() and (tf == gf).all(), (src, name, pol)


def test_fp16_key_table_large_input_matches_generic():
    """float32 -> fp16 uses its 2^21-entry key table only for large inputs: check that path too."""
    fmt = get_format("fp16")
    x = f32_inputs()
    x = np.concatenate([x, (x.view(np.uint32) ^ np.uint32(0x1234)).view(np.float32)])
    reps = -(-(1 << 19) // x.size)
    pol = Policy(nan="x86", ftz=True, daz=True)
    gc, gf = generic(x, fmt, pol)
    bc, bf = encode(np.tile(x, reps), fmt, policy=pol, return_flags=True)
    assert (bc == np.tile(gc, reps)).all() and (bf == np.tile(gf, reps)).all()
