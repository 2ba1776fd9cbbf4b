"""Every worked example of the spec notes (formats.md §2.7, §3.3, §4), copied into the test."""

import numpy as np
import pytest

from fp8ref.blocks import deepseek, element, mx, nvfp4, packing

# ---- formats.md §2.7: single element encodes under the MX element conversion (RNE + saturate)
ELEMENT_CASES = [
    ("e4m3fn", 1.0, 0x38, 1.0),
    ("e4m3fn", 0.3, 0x2A, 0.3125),
    ("e4m3fn", 464.0, 0x7E, 448.0),
    ("e4m3fn", 500.0, 0x7E, 448.0),
    ("e4m3fn", 2.0**-10, 0x00, 0.0),
    ("e5m2", 240.0, 0x5C, 256.0),
    ("e5m2", 61440.0, 0x7B, 57344.0),
    ("e2m1fn", 2.5, 0x4, 2.0),
    ("e2m1fn", 0.75, 0x2, 1.0),
    ("e2m1fn", 5.0, 0x6, 4.0),
    ("e2m1fn", 6.5, 0x7, 6.0),
]


@pytest.mark.parametrize("elem,x,code,value", ELEMENT_CASES)
def test_element_examples(elem, x, code, value):
    el = element(elem)
    c = el.encode(np.array([x]))
    assert int(c[0]) == code
    assert el.decode(c)[0] == value


# (elem, rule, block, scale code, element codes, dequantized)
BLOCK_CASES = [
    ("e4m3fn", "floor", [3.0, 1.0, -0.3, 0.0], 0x78, [0x7C, 0x70, 0xE2, 0x00], [3.0, 1.0, -0.3125, 0]),
    ("e4m3fn", "rceil", [3.0, 1.0, -0.3, 0.0], 0x78, [0x7C, 0x70, 0xE2, 0x00], [3.0, 1.0, -0.3125, 0]),
    ("e4m3fn", "floor", [500, 1, -250, 0], 0x7F, [0x7E, 0x38, 0xF8, 0x00], [448, 1, -256, 0]),
    ("e4m3fn", "rceil", [500, 1, -250, 0], 0x80, [0x78, 0x30, 0xF0, 0x00], [512, 1, -256, 0]),
    ("e4m3fn", "ceil", [500, 1, -250, 0], 0x80, [0x78, 0x30, 0xF0, 0x00], [512, 1, -256, 0]),
    ("e4m3fn", "floor", [0.0, 0.0, 0.0, 0.0], 0x00, [0, 0, 0, 0], [0, 0, 0, 0]),
    ("e4m3fn", "floor", [2.0**-130, 2.0**-133], 0x00, [0x20, 0x08], [2.0**-130, 2.0**-133]),
    ("e5m2", "floor", [60000, 1, 2.0**-20], 0x7F, [0x7B, 0x3C, 0x00], [57344, 1, 0]),
    ("e3m2fn", "floor", [100, 3.3, -0.01], 0x81, [0x1E, 0x0B, 0x20], [96, 3.5, -0.0]),
    ("e2m3fn", "floor", [100, 3.3, -0.01], 0x83, [0x1C, 0x02, 0x20], [96, 4, -0.0]),
    ("e2m1fn", "floor", [5.0, 2.5, -0.75, 0.25, 0.2], 0x7F, [0x6, 0x4, 0xA, 0x0, 0x0], [4, 2, -1, 0, 0]),
    ("e2m1fn", "floor", [7.0, 6.5, 1.0], 0x7F, [0x7, 0x7, 0x2], [6, 6, 1]),
    ("int8", "floor", [1.0, 0.3, -1.0, 0.5078125], 0x7F, [0x40, 0x13, 0xC0, 0x20], [1, 0.296875, -1, 0.5]),
    ("int8", "floor", [1.9, -1.99, 0.01], 0x7F, [0x7A, 0x81, 0x01], [1.90625, -1.984375, 0.015625]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("elem,rule,block,scale,codes,deq", BLOCK_CASES)
def test_mx_block_examples(elem, rule, block, scale, codes, deq, dtype):
    x = np.array(block, dtype=np.float64)
    if dtype == np.float32 and not np.array_equal(x.astype(np.float32), x):
        x = x.astype(np.float32)  # 0.3, 3.3, ... as float32: the expected codes do not change
    t = mx.encode(x.astype(dtype), elem, block_size=len(block), scale_rule=rule)
    assert t.scales.tolist() == [scale]
    assert t.codes.tolist() == codes
    got = t.dequantize(np.float64)
    assert np.array_equal(got, np.array(deq, dtype=np.float64))
    assert np.array_equal(np.signbit(got), np.signbit(np.array(deq, dtype=np.float64)))


# ---- formats.md §3.3: DeepGEMM UE8M0 scales
DS_SCALES = [(3.0, 2.0**-7, 120), (448.0, 1.0, 127), (449.0, 2.0, 128), (1.0, 2.0**-8, 119),
             (0.0, 2.0**-22, 105), (2.0**-10, 2.0**-18, 109), (57344.0, 128.0, 134), (1e6, 4096.0, 139)]


@pytest.mark.parametrize("amax,sf,byte", DS_SCALES)
def test_deepseek_scale_examples(amax, sf, byte):
    s, b = deepseek.tile_scales(np.float32(amax))
    assert float(s) == sf and int(b) == byte


def test_deepseek_row_example():
    t = deepseek.encode(np.array([[3.0, -1.5, 0.01, 2.9]], dtype=np.float32))
    assert float(t.scales[0, 0]) == 2.0**-7
    assert t.codes[0].tolist() == [0x7C, 0xF4, 0x3A, 0x7C]
    assert t.element_values()[0].tolist() == [384.0, -192.0, 1.25, 384.0]


def test_deepseek_packing_example():
    p = packing.pack_ue8m0(np.array([120, 127, 105, 128], dtype=np.uint8))
    assert p.dtype == np.int32 and int(p[0]) == -2140569736
    assert int(p.view(np.uint32)[0]) == 0x80697F78


# ---- formats.md §4: NVFP4, TE recipe
NV_CASES = [
    (2688.0, [6, 3, -2.5, 1.25, 0.75, 0.2, 0, -6], 1.0, 0x38, [7, 5, 0xC, 2, 2, 0, 0, 0xF], [6, 3, -2, 1, 1, 0, 0, -6]),
    (2688.0, [3.3, 1.0, -0.5, 0.26], 1.0, 0x31, [7, 4, 0xA, 1], [3.375, 1.125, -0.5625, 0.28125]),
    (3.3, [3.3, 1.0, -0.5, 0.26], 0.0012276785, 0x7E, [7, 4, 0xA, 1], [3.3, 1.1, -0.55, 0.275]),
    (1000.0, [100, -37, 5, 0.9], 0.37202382, 0x63, [7, 0xC, 1, 0], [98.214, -32.738, 8.1845, 0]),
    (1000.0, [0.0, 0.0], 0.37202382, 0x00, [0, 0], [0, 0]),
]


@pytest.mark.parametrize("amax,block,s_dec,scale,codes,deq", NV_CASES)
def test_nvfp4_examples(amax, block, s_dec, scale, codes, deq):
    x = np.zeros((1, 32), dtype=np.float32)
    x[0, : len(block)] = block
    x[0, 16] = amax  # the tensor amax lives in a second block
    t = nvfp4.encode(x)
    assert float(t.s_dec) == pytest.approx(s_dec, rel=1e-7)
    assert int(t.scales[0, 0]) == scale
    assert t.codes[0, : len(block)].tolist() == codes
    # dequantized values are given to 5 significant digits / "±1 ulp" in the notes
    np.testing.assert_allclose(t.dequantize()[0, : len(block)], deq, rtol=1e-4, atol=0)
