#!/usr/bin/env python3
"""Recompute the code and flag digests of float32_digests.json with independent casts (no fp8ref encode).

    python scripts/float32_digests_oracle.py golden_vectors/float32_digests.json [--jobs N] [KEY ...]

For each entry whose format has an oracle, every float32 input 0x00000000 .. 0xFFFFFFFF is cast
by the oracle (ml_dtypes 0.7 for the OCP/IEEE-like types, bfloat16 and UE8M0, numpy for binary16,
en_dtypes for HiF8; tf32 from numpy's binary16 cast by exact power-of-two scaling: each float32
binade is scaled into [1, 2), float32 subnormals by 2^112 onto binary16's subnormal grid, which
is tf32's scaled; all round to nearest, ties to even except HiF8's TA and UE8M0's, ties away;
none saturates), the code stream is hashed, and the result is compared with the recorded
``codes_sha256``. The oracle's results are adjusted to the recorded policy by rules stated here,
not by fp8ref:

* NaN results become the format's canonical NaN code (fp8ref's ``nan="canonical"``);
* ``sat_finite``: a non-NaN input whose oracle result is ±Inf or NaN (overflow, or an Inf input)
  becomes ±max finite (UE8M0: positive inputs only; zero and negatives stay NaN);
* formats without NaN (FP4/FP6, policy ``nan_to="max"``): NaN inputs give +max finite.

Flag streams (every oracle but HiF8's, whose tininess has its own definition, and UE8M0's, which has no
subnormals or signs) are recomputed
from the same casts by the IEEE 754 / TestFloat definitions (``fp8ref.Policy``'s docstring):

* inexact: a finite input whose oracle value differs from it, or that overflows;
* overflow: a finite input whose rounding with unbounded exponent exceeds max finite: the
  oracle's rounding of |x|/2 (same relative precision, one binade lower, inside the format's
  range) doubled is above max;
* underflow: inexact and tiny; tiny: 0 < |x| < 2^emin ('before'), or the oracle's rounding of
  |x| * 2^(1-emin) (scaled into [0, 2), the format's normal range) is below 2 ('after');
* invalid: signalling NaN inputs (float32 quiet bit clear); every NaN input of a format without
  NaN; an Inf input of a format without Inf and NaN, unless ``sat_finite``.

Entries without an oracle (P3109, posits, UE8M0 under rne) are listed
as skipped. Exit status 1 on any mismatch.
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
    "tf32": ("numpy", "float16"),  # by scaling, see _tf32
}
#: the oracle's rounding (every other format: rne); UE8M0 zero and negatives -> NaN (below_range="nan")
ROUNDING = {"hif8": "rna", "ue8m0": "rna"}
#: no flag oracle: HiF8's tininess is defined on its tapered value set; UE8M0 has no subnormals/signs
NO_FLAGS = ("hif8", "ue8m0")
TF32_MAX = (2 - 2.0**-10) * 2.0**127


def _type(fmt_name):
    mod, name = ORACLES[fmt_name]
    return getattr(__import__(mod), name)


def _tf32(x):
    """float32 x rounded to tf32 (float32 values): binary16's RNE cast on x scaled by a power of
    two (exact both ways): normal x into [1, 2) (11 significant bits either way), subnormal x by
    2^112 (tf32's quantum 2^-136 onto binary16's 2^-24). 2^128 becomes Inf (overflow)."""
    e = ((x.view(np.uint32) >> np.uint32(23)) & np.uint32(0xFF)).astype(np.int64)
    s = np.where(e == 0, 112, 127 - e).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        y = (x.astype(np.float64) * np.exp2(s)).astype(np.float32)
        r = (y.astype(np.float16).astype(np.float64) * np.exp2(-s)).astype(np.float32)
    return np.where(e == 255, x, r)


def _cast(fmt_name, x):
    """The oracle's result for float32 inputs x: (codes, values as float64; ±Inf/NaN as it
    delivers them)."""
    with np.errstate(invalid="ignore", over="ignore"):
        if fmt_name == "tf32":
            v = _tf32(x)
            return (v.view(np.uint32) >> np.uint32(13)).astype(np.uint32), v.astype(np.float64)
        y = x.astype(_type(fmt_name))
        return y.view(np.uint16 if y.dtype.itemsize == 2 else np.uint8).copy(), y.astype(np.float64)


@lru_cache(maxsize=None)
def _facts(fmt_name):
    """(code bits, max finite code, canonical NaN code or None, sign bit) from the oracle type."""
    if fmt_name == "tf32":  # the top 19 bits of a float32
        return 19, int(np.array([TF32_MAX], np.float32).view(np.uint32)[0]) >> 13, 0x3FE00, 1 << 18
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


@lru_cache(maxsize=None)
def _range(fmt_name):
    """(smallest normal, max finite, has Inf, has NaN) of the oracle's format."""
    if fmt_name == "tf32":
        return 2.0**-126, TF32_MAX, True, True
    t = _type(fmt_name)
    fi = np.finfo(t) if t is np.float16 else __import__("ml_dtypes").finfo(t)
    with np.errstate(invalid="ignore", over="ignore"):
        inf = np.isinf(np.array([np.inf], np.float32).astype(t).astype(np.float64)[0])
    return float(fi.smallest_normal), float(fi.max), bool(inf), _facts(fmt_name)[2] is not None


def _inputs(lo, hi):
    return np.arange(lo, hi, dtype=np.uint64).astype(np.uint32).view(np.float32)


def _chunk(args):
    """Code bytes of float32 patterns lo .. hi-1, adjusted to the policy by the rules above."""
    fmt_name, overflow, lo, hi, canonical_nan = args
    bits, max_code, nan, sign = _facts(fmt_name)
    x = _inputs(lo, hi)
    c, r = _cast(fmt_name, x)
    xnan = np.isnan(x)
    neg = np.signbit(x)
    if nan is None:  # no NaN in the format: NaN inputs -> +max (nan_to="max")
        c[xnan] = max_code
    else:
        c[np.isnan(r)] = canonical_nan
    if overflow == "sat_finite":
        big = ~xnan & ~np.isfinite(r) & ((x > 0) if sign == 0 else True)  # UE8M0: zero/negatives stay NaN
        c[big] = np.where(neg[big], max_code | sign, max_code).astype(c.dtype)
    return c.astype("<u4" if bits > 16 else "<u2" if bits == 16 else "u1").tobytes()


def _flag_chunk(args):
    """Flag bytes (NX 0x01, UF 0x02, OF 0x04, NV 0x10) of float32 patterns lo .. hi-1, by the
    definitions above."""
    fmt_name, overflow, tininess, lo, hi = args
    smallest, maxf, has_inf, has_nan = _range(fmt_name)
    x = _inputs(lo, hi)
    r = _cast(fmt_name, x)[1]
    xnan, xinf = np.isnan(x), np.isinf(x)
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(x.astype(np.float64))
        nz = ~xnan & ~xinf & (a != 0)
        big, small = nz & (a > maxf), nz & (a < smallest)
        of = np.zeros(x.shape, bool)  # |x|/2 is exact here
        of[big] = ~(2 * _cast(fmt_name, (a[big] / 2).astype(np.float32))[1] <= maxf)
        nx = nz & ((r != x.astype(np.float64)) | of)
    tiny = small.copy()
    if tininess == "after":  # |x| * 2^(1-emin) < 2: exact in float32
        tiny[small] = np.abs(_cast(fmt_name, (a[small] * (2 / smallest)).astype(np.float32))[1]) < 2
    quiet = (x.view(np.uint32) & np.uint32(1 << 22)) != 0
    nv = (xnan & ~quiet) | (xnan & (not has_nan))
    if not (has_inf or has_nan) and overflow != "sat_finite":
        nv |= xinf
    flags = nx * 0x01 | (nx & tiny) * 0x02 | of * 0x04 | nv * 0x10
    return flags.astype(np.uint8).tobytes()


def check(entry, jobs, chunk_bits=24):
    """(codes digest, flags digest or None) of one entry's policy, recomputed by the oracle."""
    fmt_name, pol = entry["format"], entry["policy"]
    from fp8ref import get_format  # only the canonical NaN code (a naming convention, no arithmetic)

    canonical_nan = get_format(fmt_name).canonical_nan
    step = 1 << chunk_bits
    ranges = [(lo, lo + step) for lo in range(0, 1 << 32, step)]
    hc, hf = hashlib.sha256(), (None if fmt_name in NO_FLAGS else hashlib.sha256())
    with mp.get_context("spawn").Pool(jobs) as pool:
        for b in pool.imap(_chunk, [(fmt_name, pol["overflow"], lo, hi, canonical_nan) for lo, hi in ranges], chunksize=1):
            hc.update(b)
        if hf is not None:
            tasks = [(fmt_name, pol["overflow"], pol["tininess"], lo, hi) for lo, hi in ranges]
            for b in pool.imap(_flag_chunk, tasks, chunksize=1):
                hf.update(b)
    return hc.hexdigest(), (hf.hexdigest() if hf is not None else None)


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
        codes, flags = check(e, args.jobs)
        ok_c = codes == e["codes_sha256"]
        ok_f = flags is None or flags == e["flags_sha256"]
        bad += not (ok_c and ok_f)
        what = "flags not checked" if flags is None else f"flags {'OK' if ok_f else 'MISMATCH'} {flags}"
        print(f"{key}: codes {'OK' if ok_c else 'MISMATCH'} {codes}, {what} "
              f"({'tf32 by binary16 scaling' if e['format'] == 'tf32' else _type(e['format']).__name__}; "
              f"{time.perf_counter() - t:.1f} s)", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
