"""Sub-byte packing: round trips and bit order vs an independent big-integer construction."""

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fp8ref.blocks import packing


def _stream_bytes(codes, width):
    """Independent construction: code i at bits [width*i, width*i + width) of a little-endian
    integer, serialised least significant byte first."""
    acc = 0
    for i, c in enumerate(codes):
        acc |= int(c) << (width * i)
    nbytes = len(codes) * width // 8
    return list(acc.to_bytes(nbytes, "little"))


def test_fp4_bit_order_from_ml_dtypes_codes():
    vals = np.array([1.0, 6.0, -0.5, 3.0, 0.0, -6.0], dtype=np.float32)
    codes = vals.astype(ml_dtypes.float4_e2m1fn).view(np.uint8)
    assert codes.tolist() == [0x2, 0x7, 0x9, 0x5, 0x0, 0xF]
    p = packing.pack_fp4(codes)
    assert p.tolist() == [0x72, 0x59, 0xF0]  # code 2j in the low nibble
    assert p.tolist() == _stream_bytes(codes, 4)
    back = packing.unpack_fp4(p).view(ml_dtypes.float4_e2m1fn).astype(np.float32)
    assert np.array_equal(back, vals)


def test_fp6_bit_order():
    codes = np.array([0x01, 0x02, 0x03, 0x3F, 0x2A, 0x15, 0x00, 0x20], dtype=np.uint8)
    p = packing.pack_fp6(codes)
    # word 0 = 0x01 | 0x02 << 6 | 0x03 << 12 | 0x3F << 18 = 0xFC3081
    assert p[:3].tolist() == [0x81, 0x30, 0xFC]
    assert p.tolist() == _stream_bytes(codes, 6)
    vals = np.array([7.5, -0.125, 1.0, 0.0], dtype=np.float32)
    c6 = vals.astype(ml_dtypes.float6_e2m3fn).view(np.uint8)
    assert packing.pack_fp6(c6).tolist() == _stream_bytes(c6, 6)


@given(st.sampled_from([4, 6, 8]), st.integers(0, 5), st.data())
def test_round_trip(bits, groups, data):
    per = {4: 2, 6: 4, 8: 1}[bits]
    rows = data.draw(st.integers(1, 3))
    codes = np.array(data.draw(st.lists(st.integers(0, (1 << bits) - 1), min_size=rows * per * groups,
                                        max_size=rows * per * groups)), dtype=np.uint8).reshape(rows, per * groups)
    p = packing.pack(codes, bits)
    assert p.shape == (rows, groups * per * bits // 8)
    assert np.array_equal(packing.unpack(p, bits), codes)
    for r in range(rows):
        assert p[r].tolist() == _stream_bytes(codes[r], bits)


@given(st.lists(st.integers(0, 255), min_size=1, max_size=40))
def test_ue8m0_round_trip_and_layout(bs):
    b = np.array(bs, dtype=np.uint8)
    p = packing.pack_ue8m0(b, pad=0)
    assert p.dtype == np.int32 and p.shape == (-(-len(bs) // 4),)
    assert np.array_equal(packing.unpack_ue8m0(p, count=len(bs)), b)
    for j, w in enumerate(p.view(np.uint32)):
        want = sum(int(v) << (8 * i) for i, v in enumerate(bs[4 * j:4 * j + 4]))
        assert int(w) == want


def test_padding_and_errors():
    with pytest.raises(ValueError, match="multiple of 2"):
        packing.pack_fp4(np.array([1, 2, 3], np.uint8))
    assert packing.pack_fp4(np.array([1, 2, 3], np.uint8), pad=0).tolist() == [0x21, 0x03]
    assert packing.unpack_fp4(np.array([0x21, 0x03], np.uint8), count=3).tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="0..15"):
        packing.pack_fp4(np.array([16, 0], np.uint8))
    with pytest.raises(ValueError, match="multiple of 4"):
        packing.pack_ue8m0(np.array([1, 2, 3], np.uint8))
    assert packing.pack_ue8m0(np.array([1, 2, 3], np.uint8), pad=127).view(np.uint32).tolist() == [0x7F030201]
    with pytest.raises(ValueError, match="multiple of 3 bytes"):
        packing.unpack_fp6(np.zeros(4, np.uint8))
    with pytest.raises(TypeError):
        packing.pack_fp4(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="bits"):
        packing.pack(np.zeros(2, np.uint8), 5)
