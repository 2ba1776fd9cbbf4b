"""FLOOR/RNE MX blocks vs gfloat 0.5.2 ``quantize_block`` + ``compute_scale_amax`` (float64 input).

gfloat evaluates ``floor(log2(amax))`` with a float ``log2``; on float64 copies of float32 data
that is exact (a float32 value one ulp below 2^k is 2^-24 relative below it, far outside
float64 log2's rounding), so gfloat is a valid oracle there. Known, documented divergence:
gfloat's MXINT8 rounds a scaled value below -127.5/64 to -2.0 (code 0x80); fp8ref clamps
symmetrically to -127/64.
"""

import gfloat
import gfloat.formats as gf
import numpy as np
import pytest

from fp8ref.blocks import mx

GF = {
    "e4m3fn": gf.format_info_mxfp8_e4m3,
    "e5m2": gf.format_info_mxfp8_e5m2,
    "e3m2fn": gf.format_info_mxfp6_e3m2,
    "e2m3fn": gf.format_info_mxfp6_e2m3,
    "e2m1fn": gf.format_info_mxfp4_e2m1,
    "int8": gf.format_info_mxint8,
}


def _blocks(rng, nblocks, k=32):
    """float32 blocks: random magnitudes over the whole range, amax just below / at powers of
    two, ties of the element grid, float32 subnormals, zeros, sign mixes."""
    out = []
    for i in range(nblocks):
        kind = i % 6
        e = rng.integers(-140, 120)
        v = rng.standard_normal(k) * np.ldexp(1.0, int(e))
        if kind == 1:  # amax one ulp below a power of two
            v = rng.uniform(-0.9, 0.9, k) * np.ldexp(1.0, int(e))
            v[rng.integers(k)] = np.nextafter(np.float32(np.ldexp(1.0, int(e))), np.float32(0)) * np.float32(
                rng.choice([-1, 1]))
        elif kind == 2:  # element-grid ties: multiples of 1/16 of a power of two
            v = rng.integers(-64, 64, k) / 16.0 * np.ldexp(1.0, int(rng.integers(-20, 20)))
        elif kind == 3:  # float32 subnormal amax
            v = rng.integers(-2**23, 2**23, k) * 2.0**-149
        elif kind == 4:
            v[: k // 2] = 0.0
            v[0] = -0.0
        elif kind == 5:  # wide dynamic range inside one block
            v = rng.standard_normal(k) * np.ldexp(1.0, rng.integers(-60, 60, k))
        out.append(v.astype(np.float32))
    return np.stack(out)


@pytest.mark.parametrize("elem", list(GF))
def test_floor_blocks_vs_gfloat(elem):
    rng = np.random.default_rng(list(GF).index(elem))
    x32 = _blocks(rng, 120)
    fi = GF[elem]
    ours = mx.encode(x32, elem)  # float32 input path
    ours64 = mx.encode(x32.astype(np.float64), elem)  # float64 input path
    assert np.array_equal(ours.codes, ours64.codes) and np.array_equal(ours.scales, ours64.scales)
    deq = ours.dequantize(np.float64)
    # the data must reach the binade trap: amax one float32 ulp below 2^k in a sixth of the blocks
    amax = np.abs(x32).max(axis=1)
    trap = np.frexp(np.nextafter(amax, np.float32(np.inf)))[0] == 0.5
    assert trap.sum() >= 15
    for i, blk in enumerate(x32.astype(np.float64)):
        X = gfloat.compute_scale_amax(fi.etype.emax, blk)
        assert float(ours.scale_values()[i, 0]) == X, (i, blk)
        want = gfloat.quantize_block(fi, blk, gfloat.compute_scale_amax)
        got = deq[i]
        if elem == "int8":
            asym = want == -2.0 * X
            assert np.all(got[asym] == -127 / 64 * X)
            got, want = got[~asym], want[~asym]
        assert np.array_equal(got, want), (i, blk[got != want], got[got != want], want[got != want])
        assert np.array_equal(np.signbit(got), np.signbit(want)), i
