"""Stochastic, hybrid and round-to-odd encodes, ns/element, vs gfloat and vs fp8ref's RNE, one run.

Usage: python benchmarks/bench_fast_modes.py [N] [SRBITS]   (default N = 1e6, SRBITS = 32)

Inputs: N(0, 1) * 100 float32 (both signs, e4m3fn's whole range and some overflow) and SRBITS
caller random bits per element (uint32). Rows:

* each stochastic rule, float32 -> e4m3fn: fp8ref vs gfloat's vectorised ``round_ndarray`` with
  the matching mode (the values are checked equal first) and vs fp8ref's own RNE encode;
  targets: >= 10x faster than gfloat, <= 3x fp8ref RNE;
* ``rto`` float32 -> e4m3fn vs RNE (gfloat has no round-to-odd);
* HiF8 ``hybrid`` vs HiF8 TA (``rna``), float32 -> hif8; target <= 3x.
"""

import sys

import gfloat
import numpy as np
from gfloat.formats import format_info_ocp_e4m3

import fp8ref
from bench_codecs import best  # same timing rule (benchmarks/ is on sys.path when run as a script)

GF_MODE = {
    "stochastic": gfloat.RoundMode.StochasticFastest,
    "stochastic_fast": gfloat.RoundMode.StochasticFast,
    "stochastic_rne": gfloat.RoundMode.Stochastic,
    "stochastic_rno": gfloat.RoundMode.StochasticOdd,
}


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    nb = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(n) * 100).astype(np.float32)
    r = rng.integers(0, 1 << nb, n, dtype=np.uint64).astype(np.uint32)
    x64, r64 = x.astype(np.float64), r.astype(np.int64)
    print(f"N = {n:,} float32 -> e4m3fn / hif8, {nb} random bits per element (uint32), best of 5")
    t_rne = best(lambda: fp8ref.encode(x, "e4m3fn"))
    print(f"{'e4m3fn rne':22s} fp8ref {t_rne / n * 1e9:7.2f} ns/elem")
    for mode, gm in GF_MODE.items():
        def ours(mode=mode):
            return fp8ref.encode(x, "e4m3fn", rounding=mode, rbits=r, srbits=nb)

        def theirs(gm=gm):
            return gfloat.round_ndarray(format_info_ocp_e4m3, x64, gm, False, r64, nb)

        got = fp8ref.decode(ours(), "e4m3fn", dtype=np.float64)
        assert np.array_equal(got, theirs(), equal_nan=True), f"{mode}: fp8ref and gfloat differ on the inputs"
        t, t_gf = best(ours), best(theirs)
        print(f"{'e4m3fn ' + mode:22s} fp8ref {t / n * 1e9:7.2f} ns/elem   gfloat {t_gf / n * 1e9:8.2f} ns/elem   "
              f"gfloat/fp8ref {t_gf / t:6.1f}x (>= 10)   fp8ref/RNE {t / t_rne:5.2f}x (<= 3)")
    t = best(lambda: fp8ref.encode(x, "e4m3fn", rounding="rto"))
    print(f"{'e4m3fn rto':22s} fp8ref {t / n * 1e9:7.2f} ns/elem   fp8ref/RNE {t / t_rne:5.2f}x")
    t_ta = best(lambda: fp8ref.encode(x, "hif8", rounding="rna"))
    t_hr = best(lambda: fp8ref.encode(x, "hif8", rounding="hybrid"))
    print(f"{'hif8 rna (TA)':22s} fp8ref {t_ta / n * 1e9:7.2f} ns/elem")
    print(f"{'hif8 hybrid':22s} fp8ref {t_hr / n * 1e9:7.2f} ns/elem   hybrid/TA {t_hr / t_ta:5.2f}x (<= 3)")


if __name__ == "__main__":
    main()
