"""Encode float32 -> UE8M0 (ml_dtypes float8_e8m0fnu), ns/element, vs ml_dtypes in the same run.

Usage: python benchmarks/bench_ue8m0.py [N]   (default N = 1e7)

Inputs: |N(0, 1)| * 100 (block-amax-like positive values) and the same with signs (negatives
take the below-range path). fp8ref runs ``rounding="rna"`` (ml_dtypes' rule; the results are
checked equal first) and the other modes, which ml_dtypes does not offer.
"""

import sys
import ml_dtypes
import numpy as np

import fp8ref
from bench_codecs import best  # same timing rule (benchmarks/ is on sys.path when run as a script)

E8 = ml_dtypes.float8_e8m0fnu


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000
    rng = np.random.default_rng(0)
    signed = (rng.standard_normal(n) * 100).astype(np.float32)
    print(f"N = {n:,} float32, best of 5")
    with np.errstate(invalid="ignore"):
        for label, x in (("|x|", np.abs(signed)), ("±x", signed)):
            ref = x.astype(E8).view(np.uint8)
            assert np.array_equal(fp8ref.encode(x, "ue8m0", rounding="rna"), ref), "benchmark inputs must agree"
            t_ml = best(lambda: x.astype(E8))
            for mode in ("rna", "rne", "rup", "rdn"):
                t = best(lambda: fp8ref.encode(x, "ue8m0", rounding=mode))
                print(f"encode f32->ue8m0 {label:3s} {mode}  fp8ref {t / n * 1e9:6.2f} ns/elem   "
                      f"ml_dtypes (rna) {t_ml / n * 1e9:6.2f} ns/elem   speed-up {t_ml / t:5.2f}x")
    codes = fp8ref.encode(np.abs(signed), "ue8m0", rounding="rna")
    v = codes.view(E8)
    t = best(lambda: fp8ref.decode(codes, "ue8m0"))
    t_ml = best(lambda: v.astype(np.float32))
    print(f"decode ue8m0->f32      fp8ref {t / n * 1e9:6.2f} ns/elem   ml_dtypes       {t_ml / n * 1e9:6.2f} ns/elem"
          f"   speed-up {t_ml / t:5.2f}x")


if __name__ == "__main__":
    main()
