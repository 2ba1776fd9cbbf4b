"""Encode vs ml_dtypes 0.7.0 (the test dependency) with the ``ml_dtypes`` preset; the
``ml_dtypes_0.6`` preset vs ml_dtypes 0.6.0's rules restated (``oracles.ml_dtypes_06_codes``;
test_ml_dtypes_06.py runs 0.6.0 itself).

Exhaustive over every float16 and bfloat16 input; boundary-directed over float32 and float64;
double-rounding traps; integers; casts between ml_dtypes' own types; hypothesis on random bit
patterns.
"""

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fp8ref import PRESETS, encode
from fp8ref.testing import assert_codes_equal

from .edge_cases import edge_values, integer_traps
from ..oracles.shared import ML_CASTS, ML_DTYPES, ml_codes, ml_dtypes_06_codes

ELEMENT_FORMATS = [n for n in ML_DTYPES if n not in ("fp16", "bf16")]
WIDE_TARGETS = ["bf16", "fp16"]


def _assert_codes(x, name, preset="ml_dtypes", ref=None):
    # the fp16 target is numpy's own cast (rounds float64 and integers directly)
    kw = dict(nan="ml_dtypes") if name == "fp16" and preset == "ml_dtypes" else dict(preset=preset)
    got = encode(x, name, **kw)
    ref = ml_codes(x, name) if ref is None else ref
    assert_codes_equal(got, ref, name, inputs=x, policy=kw.get("preset", kw))


def test_preset_names_the_installed_ml_dtypes():
    # the plain name reproduces the ml_dtypes these tests run against; a new release means
    # re-measuring the differences and keeping the old behaviour under a versioned name
    assert PRESETS["ml_dtypes"].reproduces == f"ml_dtypes {ml_dtypes.__version__}", (
        f"tests run ml_dtypes {ml_dtypes.__version__}, the preset claims {PRESETS['ml_dtypes'].reproduces!r}")
    assert PRESETS["ml_dtypes_0.6"].reproduces == "ml_dtypes 0.6.0"


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
    from ..oracles.shared import finite_values
    from fp8ref import get_format

    vals = np.array([float(v) for v in finite_values(get_format(name)) if v > 0])
    mids = (vals[1:] + vals[:-1]) / 2
    return np.concatenate([mids * (1 + 2.0**-40), mids * (1 - 2.0**-40), -mids * (1 + 2.0**-40)])


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "e3m4", "e4m3fnuz"])
def test_float64_double_rounding_traps(name):
    # ml_dtypes 0.7 rounds float64 once (the ml_dtypes preset); 0.6 went through float32
    # (ml_dtypes_0.6: input_path="via_float32"), and the two differ exactly where the traps bite
    x = double_rounding_traps(name)
    _assert_codes(x, name)
    _assert_codes(x, name, "ml_dtypes_0.6", ml_dtypes_06_codes(x, name))
    assert np.any(encode(x, name, preset="ml_dtypes") != encode(x, name, preset="ml_dtypes_0.6"))


def test_the_measured_0_6_to_0_7_examples():
    x = np.array([1 + 2.0**-4 + 2.0**-40, -431.99999999999994])
    assert ml_codes(x, "e4m3fn").tolist() == [0x39, 0xFD]  # 1.125, -416 in ml_dtypes 0.7.0
    assert encode(x, "e4m3fn", preset="ml_dtypes").tolist() == [0x39, 0xFD]
    assert encode(x, "e4m3fn", preset="ml_dtypes_0.6").tolist() == [0x38, 0xFE]  # 1.0, -448 in 0.6.0


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64])
def test_integer_inputs(dtype):
    """Every 8/16-bit integer; 32/64-bit ones around float32 and UE8M0 ties: 0.7 rounds them once
    (exactly, beyond 2^53 too), 0.6 went through float32."""
    info = np.iinfo(dtype)
    if info.bits <= 16:
        x = np.arange(info.min, info.max + 1).astype(dtype)
    else:
        u = integer_traps()
        x = u[u <= info.max].astype(dtype)
        if info.min < 0:
            x = np.concatenate([x, -x])
        x = np.concatenate([x, np.array([info.min, info.max], dtype)])
    differ = 0
    for name in [*ML_CASTS]:
        _assert_codes(x, name)
        if name != "fp16":
            _assert_codes(x, name, "ml_dtypes_0.6", ml_dtypes_06_codes(x, name))
            differ += int(np.sum(encode(x, name, preset="ml_dtypes") != encode(x, name, preset="ml_dtypes_0.6")))
    assert (differ > 0) == (info.bits >= 32)


@given(st.integers(0, 2**32 - 1), st.sampled_from(ELEMENT_FORMATS))
def test_hypothesis_float32(bits, name):
    x = np.array([bits], dtype=np.uint32).view(np.float32)
    _assert_codes(x, name)


@given(st.integers(0, 2**64 - 1), st.sampled_from(ELEMENT_FORMATS))
def test_hypothesis_float64(bits, name):
    x = np.array([bits], dtype=np.uint64).view(np.float64)
    _assert_codes(x, name)
    _assert_codes(x, name, "ml_dtypes_0.6", ml_dtypes_06_codes(x, name))


@given(st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from(ELEMENT_FORMATS))
def test_hypothesis_python_floats(v, name):
    _assert_codes(np.array([v]), name)
    assert int(encode(v, name, preset="ml_dtypes")) == int(ml_codes(np.array([v]), name)[0])


ML_SOURCES = [n for n in ML_CASTS if n not in ("fp16", "bf16")]


@pytest.mark.parametrize("src", ML_SOURCES)
def test_ml_dtypes_arrays_as_input(src):
    """Every code of each ml_dtypes 8-bit, FP6, FP4 and E8M0 type into every target (0.7 casts
    between float8 types and float8_e8m0fnu; 0.6 refused them). fp8ref reads such an array
    exactly through its decoder; identity casts are left out where ml_dtypes copies a NaN
    payload unchanged."""
    dt = ML_CASTS[src]
    n = {"e2m3fn": 64, "e3m2fn": 64, "e2m1fn": 16}.get(src, 256)  # FP6/FP4: one code a byte
    x = np.arange(n, dtype=np.uint8).view(dt)
    nan = np.isnan(x.astype(np.float32))
    for name in ML_CASTS:
        _assert_codes(x[~nan] if name == src else x, name)
