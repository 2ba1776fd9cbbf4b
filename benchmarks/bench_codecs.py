"""Encode float32 -> e4m3fn/e5m2 and decode, ns/element, vs ml_dtypes in the same run.

Usage: python benchmarks/bench_codecs.py [N]   (default N = 1e7)
"""

import sys
import time

import ml_dtypes
import numpy as np

import fp8ref


def best(fn, repeat=5):
    fn()  # warm-up (builds tables)
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(n) * 100).astype(np.float32)
    print(f"N = {n:,} float32, best of 5")
    for name, dt in (("e4m3fn", ml_dtypes.float8_e4m3fn), ("e5m2", ml_dtypes.float8_e5m2), ("e2m1fn", ml_dtypes.float4_e2m1fn)):
        codes = fp8ref.encode(x, name, preset="ml_dtypes")
        assert np.array_equal(codes, x.astype(dt).view(np.uint8)), "benchmark inputs must agree"
        t_ours = best(lambda: fp8ref.encode(x, name))
        t_ml = best(lambda: x.astype(dt))
        print(f"encode f32->{name:7s} fp8ref {t_ours / n * 1e9:6.2f} ns/elem   ml_dtypes {t_ml / n * 1e9:6.2f} ns/elem   speed-up {t_ml / t_ours:5.2f}x")
        v = x.astype(dt)
        t_ours = best(lambda: fp8ref.decode(codes, name))
        t_ml = best(lambda: v.astype(np.float32))
        print(f"decode {name:7s}->f32 fp8ref {t_ours / n * 1e9:6.2f} ns/elem   ml_dtypes {t_ml / n * 1e9:6.2f} ns/elem   speed-up {t_ml / t_ours:5.2f}x")


if __name__ == "__main__":
    main()
