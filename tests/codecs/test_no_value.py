"""Inputs with no result under the policy (nan_to='error', below_range='error'): every encode
path (full table, key table, fused key table, generic, stochastic) raises the one error of
fp8ref.codecs._no_value, naming the first such element, and data without one encodes as under
the harmless rule."""

import ml_dtypes
import numpy as np
import pytest

from fp8ref import encode
from fp8ref.codecs._no_value import NO_VALUE

NAN_MSG = r"input element {i} is NaN: NaN input cannot be encoded in e2m1fn, which has no NaN"
BELOW_MSG = r"input element {i} \(.*\) has no ue8m0 value under rounding 'rtz'"


@pytest.mark.parametrize("dtype,n", [(np.float16, 100), (ml_dtypes.bfloat16, 100), (np.float32, 100),
                                     (np.float32, 1 << 17), (np.float64, 100), (np.int32, 100)])
def test_nan_to_error_names_the_first_nan(dtype, n):
    x = np.linspace(-6, 6, n).astype(dtype)
    ok = encode(x, "e2m1fn")
    np.testing.assert_array_equal(ok, encode(x, "e2m1fn", nan_to="zero"))  # no NaN: no error
    if np.dtype(dtype).kind == "i":
        return
    x[n // 2] = np.nan
    x[n - 1] = np.nan
    with pytest.raises(ValueError, match=NAN_MSG.format(i=n // 2)):
        encode(x, "e2m1fn")
    r = np.zeros(n, np.uint8)
    with pytest.raises(ValueError, match=NAN_MSG.format(i=n // 2)):
        encode(x, "e2m1fn", rounding="stochastic", rbits=r, srbits=8)


@pytest.mark.parametrize("dtype,n", [(np.float16, 50), (np.float32, 50), (np.float32, 1 << 17), (np.float64, 50)])
def test_below_range_error_names_the_first_element(dtype, n):
    x = np.full(n, 3.0, dtype=dtype)
    want = encode(x, "ue8m0", rounding="rtz", below_range="nan", return_flags=True)
    got = encode(x, "ue8m0", rounding="rtz", below_range="error", return_flags=True)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert not (got[1] & NO_VALUE).any()  # the internal mark never leaves the front end
    x[7] = -1.0
    x[9] = 0.0
    with pytest.raises(ValueError, match=BELOW_MSG.format(i=7)):
        encode(x, "ue8m0", rounding="rtz", below_range="error")


def test_codes_sources_are_decoded_by_their_format():
    """ml_dtypes arrays of a registered format are decoded by fp8ref's own decoder in the front
    end (core.unpack does not import the codecs), errors included."""
    x = np.array([1.0, np.nan, -2.0], dtype=np.float32).astype(ml_dtypes.float8_e4m3fn)
    assert encode(x, "e5m2").tolist() == encode(np.array([1.0, np.nan, -2.0]), "e5m2").tolist()
    with pytest.raises(ValueError, match=NAN_MSG.format(i=1)):
        encode(x, "e2m1fn")
