"""MXFP8 (E4M3, 32-element blocks, FLOOR scales) quantize vs a plain ml_dtypes cast, same data.

Usage: python benchmarks/bench_mx.py [N]   (default N = 1e7 float32; best of 5 warm runs, interleaved)

fp8ref.mx.encode computes the block maxima, the E8M0 scales and the E4M3 element codes;
the baseline only casts the same float32 array to ml_dtypes.float8_e4m3fn (no scaling at all).
ratio > 1 means fp8ref is faster.
"""

import sys
import time

import ml_dtypes
import numpy as np

from fp8ref.blocks import mx


def best_pair(fa, fb, repeat=5):
    """Best-of-``repeat`` times of two functions, runs interleaved so load noise hits both."""
    fa(), fb()  # warm-up (builds the codec tables)
    ta, tb = [], []
    for _ in range(repeat):
        for fn, ts in ((fa, ta), (fb, tb)):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return min(ta), min(tb)


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000
    n -= n % 32
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(n) * 100).astype(np.float32)
    print(f"N = {n:,} float32, blocks of 32 along the last axis, best of 5")
    for rule in ("floor", "rceil"):
        t_mx, t_ml = best_pair(lambda: mx.encode(x, "e4m3fn", scale_rule=rule),
                               lambda: x.astype(ml_dtypes.float8_e4m3fn))
        print(f"MXFP8 e4m3fn {rule:5s}: fp8ref.mx.encode {t_mx / n * 1e9:6.2f} ns/elem   "
              f"ml_dtypes astype {t_ml / n * 1e9:6.2f} ns/elem   ratio (ml_dtypes / fp8ref) {t_ml / t_mx:5.2f}x")


if __name__ == "__main__":
    main()
