"""fp8ref.testing with torch tensors (float8 dtypes included). Skipped without torch."""

from __future__ import annotations

import numpy as np
import pytest

from .._deps import TORCH_REASON

torch = pytest.importorskip("torch", reason=TORCH_REASON)

from fp8ref.testing import as_codes_or_values, assert_codes_equal, assert_quantize_matches  # noqa: E402

TORCH = {
    "e4m3fn": torch.float8_e4m3fn,
    "e5m2": torch.float8_e5m2,
    "e4m3fnuz": torch.float8_e4m3fnuz,
    "e5m2fnuz": torch.float8_e5m2fnuz,
}


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("name", list(TORCH))
def test_torch_casts_pass_with_torch_preset(name, dtype):
    r = assert_quantize_matches(lambda t: t.to(TORCH[name]), name, "torch", dtype=dtype, input="torch")
    assert r.cases > 100


def test_torch_output_views():
    f = lambda t: t.to(torch.float8_e4m3fn)  # noqa: E731
    assert_quantize_matches(lambda t: f(t).view(torch.uint8), "e4m3fn", "torch", input="torch")
    assert_quantize_matches(lambda t: f(t).view(torch.int8), "e4m3fn", "torch", input="torch")
    assert_quantize_matches(lambda t: f(t).float(), "e4m3fn", "torch", input="torch")  # values
    assert_quantize_matches(lambda t: f(t).to(torch.bfloat16), "e4m3fn", "torch", input="torch")
    kind, c = as_codes_or_values(torch.tensor([1.0]).to(torch.float8_e4m3fn), "e4m3fn")
    assert kind == "codes" and c.tolist() == [0x38]
    with pytest.raises(TypeError, match="float8_e5m2"):
        as_codes_or_values(torch.tensor([1.0]).to(torch.float8_e5m2), "e4m3fn")


def test_torch_float64_input_goes_through_float32():
    # torch 2.x casts float64 -> float8 via float32 (double rounding), as ml_dtypes does: the
    # helper finds it at the float64 neighbours of the midpoints when asked for one rounding,
    # and the `torch` preset (input_path="via_float32") reproduces it
    f = lambda t: t.to(torch.float8_e5m2)  # noqa: E731
    with pytest.raises(AssertionError) as ei:
        assert_quantize_matches(f, "e5m2", {"preset": "torch", "input_path": "direct"}, dtype="float64", input="torch")
    assert "mid+1ulp" in str(ei.value) or "mid-1ulp" in str(ei.value)
    assert_quantize_matches(f, "e5m2", "torch", dtype="float64", input="torch")


def test_torch_vs_ml_dtypes_policy_is_caught():
    # torch saturates E4M3FN overflow (448); ml_dtypes gives NaN
    with pytest.raises(AssertionError, match="edge"):
        assert_quantize_matches(lambda t: t.to(torch.float8_e4m3fn), "e4m3fn", "ml_dtypes", input="torch")


def test_assert_codes_equal_with_tensors():
    x = torch.tensor([[1.0, 0.3], [500.0, -2.0**-10]])
    a = x.to(torch.float8_e4m3fn)
    assert_codes_equal(a, a.view(torch.uint8), "e4m3fn", inputs=x)
    b = a.view(torch.uint8).clone()
    b[0, 1] = 0x2B
    with pytest.raises(AssertionError) as ei:
        assert_codes_equal(a, b, "e4m3fn", inputs=x)
    assert "(0, 1)" in str(ei.value) and "0x3e99999a" in str(ei.value)
    assert_codes_equal(a, np.asarray(a.view(torch.uint8)), "e4m3fn")
