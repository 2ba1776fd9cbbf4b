"""One vocabulary for the block tensors and quantizers (issue 16 item 5).

``encode`` is the block quantizers' verb (values -> codes and scales, as ``fp8ref.encode`` is for
one format); ``fp8ref.quantize`` keeps meaning values. Every block tensor has ``codes``,
``scales``, ``fmt``, ``scale_fmt``, ``element_values`` / ``scale_values`` (float64 by default,
exact) and ``dequantize``. The old names work for one release and warn, naming the new one.
"""

import numpy as np
import pytest

import fp8ref
from fp8ref import deepseek, mx, nvfp4
from fp8ref.blocks import DeepSeekTensor, MXTensor, NVFP4Tensor

X = np.random.default_rng(5).standard_normal((32, 256)).astype(np.float32)


def _tensors():
    return {
        "mx": mx.encode(X, "e4m3fn"),
        "mx_int8": mx.encode(X, "int8", axis=0),
        "nvfp4": nvfp4.encode(X),
        "deepseek": deepseek.encode(X, tile="per_block"),
        "deepseek_fp4": deepseek.encode(X, fmt="e2m1fn", scale_fmt="fp32"),
    }


@pytest.mark.parametrize("name", list(_tensors()))
def test_shared_attribute_names(name):
    t = _tensors()[name]
    assert t.codes.shape == X.shape and isinstance(t.fmt, str) and isinstance(t.scale_fmt, str)
    ev, sv = t.element_values(), t.scale_values()
    assert ev.dtype == np.float64 and sv.dtype == np.float64  # one default dtype
    assert ev.shape == t.codes.shape and sv.shape == t.scales.shape
    # exact: the element values are the element format's values of the codes (MXINT8: n * 2^-6)
    if t.fmt == "int8":
        want = t.codes.view(np.int8).astype(np.float64) / 64
    else:
        want = fp8ref.decode(t.codes, t.fmt, dtype=np.float64)
    np.testing.assert_array_equal(ev, want)
    if t.scale_fmt in ("ue8m0", "e4m3fn") and not isinstance(t, DeepSeekTensor):
        np.testing.assert_array_equal(sv, fp8ref.decode(t.scales, t.scale_fmt, dtype=np.float64))
    assert t.dequantize().dtype == np.float32


def test_element_and_scale_formats():
    t = _tensors()
    assert (t["mx"].fmt, t["mx"].scale_fmt, t["mx_int8"].fmt) == ("e4m3fn", "ue8m0", "int8")
    assert (t["nvfp4"].fmt, t["nvfp4"].scale_fmt) == ("e2m1fn", "e4m3fn")
    assert (t["deepseek"].fmt, t["deepseek"].scale_fmt, t["deepseek_fp4"].fmt) == ("e4m3fn", "ue8m0", "e2m1fn")


@pytest.mark.parametrize("module,args,kw", [
    (mx, (X, "e4m3fn"), {}), (nvfp4, (X,), {}), (deepseek, (X,), {"tile": "per_block"})])
def test_quantize_is_a_deprecated_alias_of_encode(module, args, kw):
    new = module.encode(*args, **kw)
    with pytest.warns(DeprecationWarning, match=rf"{module.__name__.split('.')[-1]}\.encode"):
        old = module.quantize(*args, **kw)
    assert type(old) is type(new)
    np.testing.assert_array_equal(old.codes, new.codes)
    np.testing.assert_array_equal(old.scales, new.scales)


def test_elem_keyword_is_a_deprecated_spelling_of_fmt():
    with pytest.warns(DeprecationWarning, match="fmt="):
        t = mx.encode(X, elem="e5m2")
    assert t.fmt == "e5m2"
    with pytest.warns(DeprecationWarning, match="fmt="):
        codes = mx.scale_codes(np.float32([1.0, 500.0]), elem="e4m3fn")
    np.testing.assert_array_equal(codes, mx.scale_codes(np.float32([1.0, 500.0]), "e4m3fn"))
    with pytest.warns(DeprecationWarning, match="fmt="):
        t = deepseek.encode(X, elem="e2m1fn")
    assert t.fmt == "e2m1fn"
    with pytest.warns(DeprecationWarning, match=r"\.fmt"):
        assert t.elem == "e2m1fn"
    with pytest.warns(DeprecationWarning, match="fmt="):
        t2 = DeepSeekTensor(t.codes, t.scales, elem="e2m1fn")
    assert t2.fmt == "e2m1fn"
    with pytest.raises(TypeError, match="not both"):
        deepseek.encode(X, fmt="e4m3fn", elem="e4m3fn")
    with pytest.warns(DeprecationWarning, match=r"\.fmt"):
        assert mx.encode(X, "e4m3fn").elem_name == "e4m3fn"


def test_nvfp4_old_names():
    t = nvfp4.encode(X)
    with pytest.warns(DeprecationWarning, match=r"\.scales"):
        np.testing.assert_array_equal(t.block_scales, t.scales)
    with pytest.warns(DeprecationWarning, match=r"\.scale_values"):
        old = t.block_scale_values()
    assert old.dtype == np.float32  # the old name keeps its old default
    np.testing.assert_array_equal(old, t.scale_values(np.float32))
    with pytest.warns(DeprecationWarning, match=r"\.expanded_scales"):
        np.testing.assert_array_equal(t.expanded_block_scales(), t.expanded_scales(np.float32))
    with pytest.warns(DeprecationWarning, match="scales="):
        t2 = NVFP4Tensor(t.codes, block_scales=t.scales, global_amax=t.global_amax, s_enc=t.s_enc, s_dec=t.s_dec)
    np.testing.assert_array_equal(t2.dequantize(), t.dequantize())


def test_mx_tensor_round_trips_through_its_constructor():
    t = mx.encode(X, "e2m1fn", axis=0)
    t2 = MXTensor(t.codes, t.scales, t.elem, 32, 0)
    np.testing.assert_array_equal(t2.dequantize(), t.dequantize())
