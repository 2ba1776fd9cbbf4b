"""Encode float32 -> HiFloat8, ns/element, vs en_dtypes (``hifloat8``) in the same run.

Usage: python benchmarks/bench_hif8.py [N]   (default N = 1e7)

Inputs: N(0, 1) * 100 float32 (spans most HiF8 binades, both signs). fp8ref runs
``rounding="rna"`` (TA, en_dtypes' only rule; the codes are checked equal first), then the
saturating variant and ``rne``, which en_dtypes does not offer. Decode is timed as well.
"""

import sys

import en_dtypes
import numpy as np

import fp8ref
from bench_codecs import best  # same timing rule (benchmarks/ is on sys.path when run as a script)

H8 = en_dtypes.hifloat8


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000
    x = (np.random.default_rng(0).standard_normal(n) * 100).astype(np.float32)
    print(f"N = {n:,} float32, best of 5")
    ref = x.astype(H8).view(np.uint8)
    assert np.array_equal(fp8ref.encode(x, "hif8", rounding="rna"), ref), "benchmark inputs must agree"
    rows = [(f"encode f32->hif8 {label:8s}", lambda m=label.split()[0], kw=kw: fp8ref.encode(x, "hif8", rounding=m, **kw),
             lambda: x.astype(H8)) for label, kw in (("rna", {}), ("rna sat", {"overflow": "sat_finite"}), ("rne", {}))]
    rows.append(("decode hif8->f32         ", lambda: fp8ref.decode(ref, "hif8"), lambda: ref.view(H8).astype(np.float32)))
    for label, ours, theirs in rows:
        t, t_en = best(ours), best(theirs)
        print(f"{label} fp8ref {t / n * 1e9:6.2f} ns/elem   en_dtypes {t_en / n * 1e9:6.2f} ns/elem   "
              f"speed-up {t_en / t:5.2f}x")

if __name__ == "__main__":
    main()
