"""Search the block-FMA parameter space for the hardware sets no published model explains.

Usage: python scripts/accum_search.py   (reads tests/data/hw_accum; prints, per set, the best
parameter choices found and their mismatch counts out of 5,000)

Tried per set: n in {8, 16, 32, 64}, F in 10..30, FP32 block output RZ/RNE to 13 or 23 fraction
bits (fp32 sets), c as stored / rounded to binary16 / zero (fp16 sets: c RNE to binary16 and
binary16 RNE output, or the FP32 chain result rounded once to binary16 at the end).
"""

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fp8ref.accum import AccumModel, dot  # noqa: E402
from tests.accum.hw import UNEXPLAINED, load  # noqa: E402


def mismatches(d, want):
    return int((d.astype(np.float32).view(np.uint32) != want).sum())


def main():
    for name, out in sorted(UNEXPLAINED):
        preset, fmt, a, b, c, want = load(name, out)
        results = []
        for n, F in itertools.product((8, 16, 32, 64), range(10, 31)):
            if F + 2 + (n + 1).bit_length() > 53:
                continue
            if out == "fp32":
                for of, rnd in itertools.product((13, 23), ("rz", "rne")):
                    m = AccumModel("s", n, F, out_frac=of, out_rounding=rnd, in_fmt=fmt, in_fmts=(fmt,))
                    for cname, cc in (("c", c), ("c=0", np.zeros_like(c))):
                        results.append((mismatches(dot(a, b, cc, model=m, in_fmt=fmt), want),
                                        f"n={n} F={F} out={rnd}-{of} {cname}"))
            else:
                c32 = c.astype(np.float32)
                for of, rnd in itertools.product((13, 23), ("rz", "rne")):
                    m = AccumModel("s", n, F, out_frac=of, out_rounding=rnd, in_fmt=fmt, in_fmts=(fmt,))
                    d = dot(a, b, c32, model=m, in_fmt=fmt).astype(np.float16)  # FP32 chain, one final RNE
                    results.append((mismatches(d, want), f"n={n} F={F} fp32 chain {rnd}-{of} then RNE fp16"))
                m = AccumModel("s", n, F, in_fmt=fmt, in_fmts=(fmt,))
                results.append((mismatches(dot(a, b, c, model=m, in_fmt=fmt, out="fp16"), want),
                                f"n={n} F={F} fp16 output mode (c RNE to fp16)"))
        results.sort()
        print(f"{name} d_{out}: best {results[0][0]} / 5000 with {results[0][1]}; next: "
              + "; ".join(f"{r} ({k})" for r, k in results[1:3]))


if __name__ == "__main__":
    main()
