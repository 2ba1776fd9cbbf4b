"""Encode vs ml_dtypes (RNE, non-saturating) with the ``ml_dtypes`` preset.

Exhaustive over every float16 and bfloat16 input; boundary-directed over float32 and float64;
hypothesis on random bit patterns.
"""

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fp8ref import encode

from .edge_cases import edge_values
from .oracles import ML_DTYPES, ml_codes

ELEMENT_FORMATS = [n for n in ML_DTYPES if n not in ("fp16", "bf16")]
WIDE_TARGETS = ["bf16", "fp16"]


def _assert_codes(x, name, **kw):
    # numpy's own float16 cast rounds float64 directly; ml_dtypes' casts go through float32
    preset = dict(nan="ml_dtypes") if name == "fp16" else dict(preset="ml_dtypes")
    got = encode(x, name, **preset, **kw)
    ref = ml_codes(x, name)
    bad = np.flatnonzero(got.ravel() != ref.ravel())
    assert bad.size == 0, (
        f"{name}: {bad.size} mismatches, first x={np.asarray(x).ravel()[bad[0]]!r} "
        f"got {int(got.ravel()[bad[0]]):#x} ml_dtypes {int(ref.ravel()[bad[0]]):#x}"
    )


@pytest.mark.parametrize("name", ELEMENT_FORMATS + ["bf16"])
def test_every_float16_input(name):
    x = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    _assert_codes(x, name)


@pytest.mark.parametrize("name", ELEMENT_FORMATS + ["fp16"])
def test_every_bfloat16_input(name):
    x = np.arange(1 << 16, dtype=np.uint16).view(ml_dtypes.bfloat16)
    _assert_codes(x, name)


@pytest.mark.parametrize("name", ELEMENT_FORMATS + WIDE_TARGETS)
def test_float32_edge_set(name):
    _assert_codes(edge_values_for(name, np.float32), name)


@pytest.mark.parametrize("name", ELEMENT_FORMATS + WIDE_TARGETS)
def test_float64_edge_set(name):
    _assert_codes(edge_values_for(name, np.float64), name)


def edge_values_for(name, dtype):
    from fp8ref import get_format

    return edge_values(get_format(name), dtype)


@pytest.mark.parametrize("name", ELEMENT_FORMATS)
def test_float32_random_bits_every_exponent(name):
    # one million float32 patterns: all 2^9 sign/exponent pairs x random fractions
    rng = np.random.default_rng(12345)
    se = np.repeat(np.arange(512, dtype=np.uint32), 2048)
    frac = rng.integers(0, 1 << 23, size=se.size, dtype=np.uint32)
    x = ((se << 23) | frac).view(np.float32)
    _assert_codes(x, name)


def double_rounding_traps(name):
    """midpoint ± tiny: RNE from float64 must round away from the tie, while rounding through
    float32 first lands exactly on the midpoint and then ties to even."""
    from .oracles import finite_values
    from fp8ref import get_format

    vals = np.array([float(v) for v in finite_values(get_format(name)) if v > 0])
    mids = (vals[1:] + vals[:-1]) / 2
    return np.concatenate([mids * (1 + 2.0**-40), mids * (1 - 2.0**-40), -mids * (1 + 2.0**-40)])


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "e3m4"])
def test_float64_double_rounding_traps_ml_dtypes_path(name):
    # ml_dtypes 0.6 rounds float64 through float32: the ml_dtypes preset reproduces it ...
    x = double_rounding_traps(name)
    _assert_codes(x, name)
    # ... and the default (direct) path differs from it exactly where the traps bite
    direct = encode(x, name)
    assert np.any(direct != ml_codes(x, name))


@given(st.integers(0, 2**32 - 1), st.sampled_from(ELEMENT_FORMATS))
def test_hypothesis_float32(bits, name):
    x = np.array([bits], dtype=np.uint32).view(np.float32)
    _assert_codes(x, name)


@given(st.integers(0, 2**64 - 1), st.sampled_from(ELEMENT_FORMATS))
def test_hypothesis_float64(bits, name):
    x = np.array([bits], dtype=np.uint64).view(np.float64)
    _assert_codes(x, name)


@given(st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from(ELEMENT_FORMATS))
def test_hypothesis_python_floats(v, name):
    _assert_codes(np.array([v]), name)
    assert int(encode(v, name, preset="ml_dtypes")) == int(ml_codes(np.array([v]), name)[0])


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m3fn", "e4m3fnuz"])
def test_ml_dtypes_arrays_as_input(name):
    # an ml_dtypes array of another format is read exactly through fp8ref's decoder
    # (NaN payloads are not carried over: ml_dtypes' e5m2 -> e5m2 identity keeps them)
    codes = np.arange(256, dtype=np.uint8)
    src = codes[~np.isnan(codes.view(ml_dtypes.float8_e5m2).astype(np.float32))].view(ml_dtypes.float8_e5m2)
    _assert_codes(src, name)
