"""One exhaustive sweep (2^32 float32 inputs, codes and flags hashed whole and per chunk) vs
``x.astype(ml_dtypes.float8_e4m3fn)`` over the same inputs, in the same run.

Usage: python benchmarks/bench_sweep.py [--jobs 1,2] [--formats e4m3fn,bf16] [--chunks N]

ml_dtypes is timed on its casts alone (each 2^24-input chunk of float32 patterns is made before
its timer starts, and nothing is hashed). The sweep is timed as ``fp8ref.sweep`` runs: inputs,
encoding, both whole-stream SHA-256s and the 512 chunk digests. Wall and CPU seconds (this
process and its threads) are printed, then sweeps per hour at that speed. ``--chunks N`` times
only the first N of the 256 chunks of each (a quick run; the figures scale to 2^32).
"""

from __future__ import annotations

import argparse
import time

import ml_dtypes
import numpy as np

from fp8ref import sweep as S

_ML = {"e4m3fn": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2, "bf16": ml_dtypes.bfloat16,
       "fp16": np.float16, "e2m1fn": ml_dtypes.float4_e2m1fn}


def _ml_dtypes(dt, nchunks):
    """Seconds (wall, CPU) of x.astype(dt) over the first nchunks 2^24-input chunks."""
    base = np.arange(1 << 24, dtype=np.uint32)
    u = np.empty_like(base)
    wall = cpu = 0.0
    for j in range(nchunks):
        np.add(base, np.uint32(j << 24), out=u)
        x = u.view(np.float32)
        t, c = time.perf_counter(), time.process_time()
        with np.errstate(over="ignore", invalid="ignore"):
            x.astype(dt)
        wall += time.perf_counter() - t
        cpu += time.process_time() - c
    return wall, cpu


def _sweep(fmt, jobs, nchunks):
    spec = S.Sweep.of(fmt)
    S.chunk_result(spec, 0, 1 << 24)  # tables and the Numba loop built before the timer
    t, c = time.perf_counter(), time.process_time()
    S.sweep_range(spec, 0, nchunks << 24, jobs=jobs)
    return time.perf_counter() - t, time.process_time() - c


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    p.add_argument("--formats", default="e4m3fn", help="comma-separated formats (default e4m3fn)")
    p.add_argument("--chunks", type=int, default=256, help="chunks of 2^24 inputs timed (default all 256)")
    args = p.parse_args(argv)
    n = args.chunks
    scale = 256 / n
    print(f"{n} of 256 chunks ({n << 24:,} float32 inputs); seconds scaled to 2^32 inputs")
    print(f"{'what':44s} {'wall s':>8s} {'CPU s':>8s} {'vs ml_dtypes (wall)':>20s} {'sweeps/hour':>12s}")
    for fmt in args.formats.split(","):
        ref = None
        if fmt in _ML:
            w, c = _ml_dtypes(_ML[fmt], n)
            ref = w * scale
            print(f"{'ml_dtypes astype f32->' + fmt + ' (casts only)':44s} {w * scale:8.1f} {c * scale:8.1f} "
                  f"{'1.00x':>20s} {3600 / (w * scale):12.0f}")
        for jobs in (int(j) for j in args.jobs.split(",")):
            w, c = _sweep(fmt, jobs, n)
            rel = f"{ref / (w * scale):.2f}x faster" if ref else "-"
            print(f"{'fp8ref sweep ' + fmt + f' --jobs {jobs}':44s} {w * scale:8.1f} {c * scale:8.1f} {rel:>20s} "
                  f"{3600 / (w * scale):12.0f}")


if __name__ == "__main__":
    main()
