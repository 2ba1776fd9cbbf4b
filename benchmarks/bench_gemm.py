"""Accumulation-model GEMM (Numba) versus numpy float32 matmul on the same matrices.

Usage: python benchmarks/bench_gemm.py [N] [model ...]
       (default N = 1024, models h100_fp8 h100_fp8_promote128 b200_fp8; best of 3 warm runs,
       interleaved with numpy so machine load hits both)

Inputs: N x N standard-normal float32 matrices quantized to E4M3 (RNE). The first call compiles
the kernels (or loads Numba's on-disk cache): that time is printed separately and excluded.
Threads: Numba's default (every core); numpy uses its BLAS threads. ratio = gemm / numpy.
"""

import os
import sys
import time

import numpy as np

import fp8ref
from fp8ref.accum import gemm


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    models = sys.argv[2:] or ["h100_fp8", "h100_fp8_promote128", "b200_fp8"]
    rng = np.random.default_rng(0)
    a = fp8ref.quantize(rng.standard_normal((n, n)).astype(np.float32), "e4m3fn")
    b = fp8ref.quantize(rng.standard_normal((n, n)).astype(np.float32), "e4m3fn")
    import numba

    print(f"(M, K, N) = ({n}, {n}, {n}), E4M3 inputs, {numba.get_num_threads()} Numba threads, "
          f"{os.cpu_count()} CPUs")
    for m in models:
        t = time.perf_counter()
        gemm(a[:8, :64], b[:64, :8], model=m)
        print(f"{m}: first call (compile or cache load) {time.perf_counter() - t:.2f} s")
    for m in models:
        tg, tn = [], []
        for _ in range(3):
            t = time.perf_counter()
            gemm(a, b, model=m)
            tg.append(time.perf_counter() - t)
            t = time.perf_counter()
            a @ b
            tn.append(time.perf_counter() - t)
        g, nb = min(tg), min(tn)
        print(f"{m:22s} fp8ref.gemm {g:7.3f} s   numpy float32 matmul {nb:7.4f} s   ratio {g / nb:6.1f}x")


if __name__ == "__main__":
    main()
