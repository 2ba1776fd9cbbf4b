#!/usr/bin/env python3
"""Recompute the code digests of float32_digests.json with independent casts (no fp8ref encode).

    python scripts/float32_digests_oracle.py golden_vectors/float32_digests.json [--jobs N] [KEY ...]

For each entry whose format has an oracle, every float32 input 0x00000000 .. 0xFFFFFFFF is cast
by the oracle (ml_dtypes 0.7 for the OCP/IEEE-like types, bfloat16 and UE8M0, numpy for binary16,
en_dtypes for HiF8: all round to nearest, ties to even except HiF8's TA and UE8M0's, ties away;
none saturates), the code stream is
hashed, and the result is compared with the recorded ``codes_sha256``. The oracle's results are
adjusted to the recorded policy by rules stated here, not by fp8ref:

* NaN results become the format's canonical NaN code (fp8ref's ``nan="canonical"``);
* ``sat_finite``: a non-NaN input whose oracle result is ±Inf or NaN (overflow, or an Inf input)
  becomes ±max finite (UE8M0: positive inputs only; zero and negatives stay NaN);
* formats without NaN (FP4/FP6, policy ``nan_to="max"``): NaN inputs give +max finite.

Flag streams are not checked (neither oracle raises flags). Entries without an oracle (P3109,
posits, UE8M0 under rne) are listed as skipped. Exit status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import sys
import time
from functools import lru_cache

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

#: fp8ref format name -> (module, type name). UE8M0 needs ml_dtypes >= 0.7 (0.6 sent every input
#: in (2^-127, 2^-126) to 2^-126; docs/formats_ue8m0_posit.md).
ORACLES = {
    "e4m3fn": ("ml_dtypes", "float8_e4m3fn"), "e5m2": ("ml_dtypes", "float8_e5m2"),
    "e4m3": ("ml_dtypes", "float8_e4m3"), "e3m4": ("ml_dtypes", "float8_e3m4"),
    "e4m3fnuz": ("ml_dtypes", "float8_e4m3fnuz"), "e5m2fnuz": ("ml_dtypes", "float8_e5m2fnuz"),
    "e4m3b11fnuz": ("ml_dtypes", "float8_e4m3b11fnuz"), "e3m2fn": ("ml_dtypes", "float6_e3m2fn"),
    "e2m3fn": ("ml_dtypes", "float6_e2m3fn"), "e2m1fn": ("ml_dtypes", "float4_e2m1fn"),
    "bf16": ("ml_dtypes", "bfloat16"), "fp16": ("numpy", "float16"), "hif8": ("en_dtypes", "hifloat8"),
    "ue8m0": ("ml_dtypes", "float8_e8m0fnu"),
}
#: the oracle's rounding (every other format: rne); UE8M0 zero and negatives -> NaN (below_range="nan")
ROUNDING = {"hif8": "rna", "ue8m0": "rna"}


def _type(fmt_name):
    mod, name = ORACLES[fmt_name]
    return getattr(__import__(mod), name)


@lru_cache(maxsize=None)
def _facts(fmt_name):
    """(code bits, max finite code, canonical NaN code or None, sign bit) from the oracle type."""
    t = _type(fmt_name)
    bits = 8 * np.dtype(t).itemsize
    uint = np.uint16 if bits == 16 else np.uint8
    with np.errstate(invalid="ignore"):
        vals = np.arange(1 << bits, dtype=np.uint32).astype(uint).view(t).astype(np.float64)
    fin = np.isfinite(vals)
    max_code = int(np.flatnonzero(fin & (vals == vals[fin].max()))[0])
    nan_codes = np.flatnonzero(np.isnan(vals))
    with np.errstate(invalid="ignore"):
        nan = int(np.array([np.nan], np.float32).astype(t).view(uint)[0]) if nan_codes.size else None
    neg_max = np.flatnonzero(fin & (vals == -vals[max_code]))
    sign = int(neg_max[0]) ^ max_code if neg_max.size else 0  # 0: no sign bit (UE8M0)
    return bits, max_code, nan, sign


def _chunk(args):
    fmt_name, overflow, lo, hi, canonical_nan = args
    t = _type(fmt_name)
    bits, max_code, nan, sign = _facts(fmt_name)
    uint = np.uint16 if bits == 16 else np.uint8
    x = np.arange(lo, hi, dtype=np.uint64).astype(np.uint32).view(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        y = x.astype(t)
    c = y.view(uint).copy()
    r = y.astype(np.float32)
    xnan = np.isnan(x)
    neg = np.signbit(x)
    if nan is None:  # no NaN in the format: NaN inputs -> +max (nan_to="max")
        c[xnan] = max_code
    else:
        c[np.isnan(r)] = canonical_nan
    if overflow == "sat_finite":
        big = ~xnan & ~np.isfinite(r) & ((x > 0) if sign == 0 else True)  # UE8M0: zero/negatives stay NaN
        c[big] = np.where(neg[big], max_code | sign, max_code).astype(uint)
    if bits == 16:
        c = c.astype("<u2")
    return c.tobytes()


def check(entry, jobs, chunk_bits=24):
    fmt_name, overflow = entry["format"], entry["policy"]["overflow"]
    from fp8ref import get_format  # only the canonical NaN code (a naming convention, no arithmetic)

    canonical_nan = get_format(fmt_name).canonical_nan
    step = 1 << chunk_bits
    tasks = [(fmt_name, overflow, lo, lo + step, canonical_nan) for lo in range(0, 1 << 32, step)]
    h = hashlib.sha256()
    with mp.get_context("spawn").Pool(jobs) as pool:
        for b in pool.imap(_chunk, tasks, chunksize=1):
            h.update(b)
    return h.hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("digests", help="float32_digests.json")
    p.add_argument("keys", nargs="*", help="entries to check (default: every entry with an oracle)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = p.parse_args(argv)
    with open(args.digests) as f:
        data = json.load(f)
    bad = 0
    for key, e in sorted(data["digests"].items()):
        if args.keys and key not in args.keys:
            continue
        pol = e["policy"]
        if e["format"] not in ORACLES or pol["rounding"] != ROUNDING.get(e["format"], "rne") \
                or pol["overflow"] not in ("ovf_inf", "sat_finite") or pol["below_range"] != "nan":
            print(f"{key}: skipped (no oracle for this format and policy)", flush=True)
            continue
        t = time.perf_counter()
        got = check(e, args.jobs)
        ok = got == e["codes_sha256"]
        bad += not ok
        print(f"{key}: {'OK' if ok else 'MISMATCH'} ({_type(e['format']).__name__}: {got}; "
              f"{time.perf_counter() - t:.1f} s)", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
