#!/usr/bin/env python3
"""Recompute the digests of a digest set (golden_digests/) with independent casts (no fp8ref encode).

    python scripts/float32_digests_oracle.py golden_digests [--jobs N] [--only GLOB ...]

For each entry whose format and policy have an oracle, every input of the entry's source
(float32 0x00000000 .. 0xFFFFFFFF, or every float16 / bfloat16 pattern, widened exactly to
float32) is cast by the oracle: ml_dtypes 0.7 for the OCP/IEEE-like types, bfloat16 and UE8M0,
numpy for binary16, en_dtypes for HiF8; tf32 from numpy's binary16 cast by exact power-of-two
scaling (each float32 binade scaled into [1, 2), float32 subnormals by 2^112 onto binary16's
subnormal grid, which is tf32's scaled). All round to nearest, ties to even, except HiF8's TA
and UE8M0's, ties away; none saturates. The code and flag streams are hashed, whole and per
chunk, and compared with the entry's recorded digests. The oracle's results are adjusted to the
recorded policy by rules stated here, not by fp8ref:

* NaN results become the format's canonical NaN code (fp8ref's ``nan="canonical"``);
* ``sat_finite``: a non-NaN input whose oracle result is ±Inf or NaN (overflow, or an Inf input)
  becomes ±max finite (UE8M0: positive inputs only; zero and negatives stay NaN);
* ``sat_propagate``: the same for finite inputs only; Inf inputs keep the oracle's result;
* formats without NaN (FP4/FP6, policy ``nan_to="max"``): NaN inputs give +max finite.

Flag streams (every oracle but HiF8's and UE8M0's, whose tininess and sign rules are their own)
are recomputed from the same casts by the IEEE 754 / TestFloat definitions (``fp8ref.Policy``'s
docstring):

* inexact: a finite input whose oracle value differs from it, or that overflows;
* overflow: a finite input whose rounding with unbounded exponent exceeds max finite: the
  oracle's rounding of |x|/2 (same relative precision, one binade lower, inside the format's
  range) doubled is above max (every |x| > 2 max overflows: the rounding is monotone and max
  is a value);
* underflow: inexact and tiny; tiny: 0 < |x| < 2^emin ('before'), or the oracle's rounding of
  |x| * 2^(1-emin) (scaled into [0, 2), the format's normal range) is below 2 ('after'; every
  |x| < 2^emin / 2 is tiny: its scaled value is below 1, a value);
* invalid: signalling NaN inputs (quiet bit clear); every NaN input of a format without NaN; an
  Inf input of a format without Inf and NaN, unless ``sat_finite``.

One cast per chunk serves every entry of a (source, format) pair: the overflow and tininess
variants are adjustments of it. Chunks run on ``--jobs`` threads (the casts and hashes release
the GIL); the whole-stream hashes are fed in input order. Entries without an oracle (P3109,
posits, other rounding modes, UE8M0 under rne) are listed as skipped. Exit status 1 on any
mismatch.
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

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
NO_FLAGS = ("hif8", "ue8m0")  # tininess on HiF8's tapered value set, UE8M0's sign rules: no flag oracle here
OVERFLOWS = ("ovf_inf", "sat_finite", "sat_propagate")
TF32_MAX = (2 - 2.0**-10) * 2.0**127
_SOURCE_BITS = {"float32": 32, "float16": 16, "bfloat16": 16}


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
    """The oracle's result for float32 inputs x: (codes, values as float32, which hold every value
    of these formats exactly; ±Inf/NaN as it delivers them)."""
    with np.errstate(invalid="ignore", over="ignore"):
        if fmt_name == "tf32":
            v = _tf32(x)
            return (v.view(np.uint32) >> np.uint32(13)).astype(np.uint32), v
        y = x.astype(_type(fmt_name))
        return y.view(np.uint16 if y.dtype.itemsize == 2 else np.uint8).copy(), y.astype(np.float32)


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


def _inputs(source, lo, hi):
    """Inputs lo .. hi-1 of ``source`` as float32 (16-bit patterns widened exactly, NaN payloads
    and quiet bits kept: bfloat16 by a shift, binary16 NaNs rebuilt from their bits)."""
    u = np.arange(lo, hi, dtype=np.uint64)
    if source == "float32":
        return u.astype(np.uint32).view(np.float32)
    if source == "bfloat16":
        return (u.astype(np.uint32) << np.uint32(16)).view(np.float32)
    h = u.astype(np.uint16)
    x = h.view(np.float16).astype(np.float32)
    nan = (h & 0x7C00) == 0x7C00
    nan &= (h & 0x3FF) != 0
    bits = x.view(np.uint32)
    bits[nan] = ((h[nan].astype(np.uint32) & 0x8000) << 16) | 0x7F800000 | ((h[nan].astype(np.uint32) & 0x3FF) << 13)
    return x


def _code_parts(fmt_name, x, c, r, canonical_nan):
    """(codes with the NaN rules applied, overflowed inputs that saturate, Inf inputs among them,
    the saturated codes) of inputs x (c, r: the oracle's cast of x), by the rules above."""
    bits, max_code, nan, sign = _facts(fmt_name)
    c = c.copy()
    xnan = np.isnan(x)
    if nan is None:  # no NaN in the format: NaN inputs -> +max (nan_to="max")
        c[xnan] = max_code
    else:
        c[np.isnan(r)] = canonical_nan
    big = ~xnan & ~np.isfinite(r) & ((x > 0) if sign == 0 else True)  # UE8M0: zero/negatives stay NaN
    sat = np.where(np.signbit(x[big]), max_code | sign, max_code).astype(c.dtype)
    return c.astype("<u4" if bits > 16 else "<u2" if bits == 16 else "u1"), big, np.isinf(x[big]), sat


def _codes(parts, overflow):
    """Code bytes of one overflow mode."""
    c, big, big_inf, sat = parts
    if overflow == "ovf_inf":
        return c
    c = c.copy()
    if overflow == "sat_finite":
        c[big] = sat
    else:  # sat_propagate: Inf inputs keep the oracle's result
        idx = np.flatnonzero(big)[~big_inf]
        c[idx] = sat[~big_inf]
    return c


def _flag_parts(fmt_name, x, r):
    """(flags every variant shares, underflow 'before', underflow 'after', Inf inputs that are
    invalid unless sat_finite) of inputs x, by the definitions above (float32 arithmetic here is
    exact: |x|, |x|/2 of a large x and |x| * 2^(1-emin) of a small one are powers-of-two
    rescalings inside float32's range, and every oracle value is a float32)."""
    smallest, maxf, has_inf, has_nan = _range(fmt_name)
    xnan, xinf = np.isnan(x), np.isinf(x)
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(x)
        nz = ~xnan & ~xinf & (a != 0)
        big, small = nz & (a > maxf), nz & (a < smallest)
        # above 2 * max, |x|/2 rounds to max or beyond (rounding is monotone and max is a value):
        # overflow without a cast; the oracle decides between max and 2 * max
        of = big.copy()
        lim = np.float32(2 * maxf) if 2 * maxf <= float(np.finfo(np.float32).max) else np.float32(np.inf)
        near = big & (a <= lim)
        of[near] = ~(2 * _cast(fmt_name, a[near] / np.float32(2))[1].astype(np.float64) <= maxf)
        nx = nz & ((r != x) | of)
    # tiny after rounding: the rounding of |x| * 2^(1-emin) is below 2. Below 2^emin / 2 the scaled
    # value is below 1 and rounds to at most 1 (a value): tiny without a cast
    tiny_after = small.copy()
    edge = small & (a >= np.float32(smallest / 2))
    tiny_after[edge] = np.abs(_cast(fmt_name, a[edge] * np.float32(2 / smallest))[1]) < 2
    quiet = (x.view(np.uint32) & np.uint32(1 << 22)) != 0
    nv = (xnan & ~quiet) | (xnan & (not has_nan))
    shared = (nx * 0x01 | of * 0x04 | nv * 0x10).astype(np.uint8)
    inf_nv = xinf if not (has_inf or has_nan) else np.zeros(x.shape, bool)
    return shared, nx & small, nx & tiny_after, inf_nv


def _flags(parts, overflow, tininess):
    """Flag bytes (NX 0x01, UF 0x02, OF 0x04, NV 0x10) of one overflow mode and tininess rule."""
    shared, uf_before, uf_after, inf_nv = parts
    f = shared | ((uf_after if tininess == "after" else uf_before) * np.uint8(0x02))
    if overflow != "sat_finite":
        f = f | (inf_nv * np.uint8(0x10))
    return f


def oracle_for(e) -> str | None:
    """None when the entry has an oracle, else why not."""
    fmt, pol = e["format"], e["policy"]
    if fmt not in ORACLES:
        return "no oracle for this format"
    if pol["rounding"] != ROUNDING.get(fmt, "rne"):
        return f"the oracle rounds {ROUNDING.get(fmt, 'rne')}"
    if pol["overflow"] not in OVERFLOWS or pol["nan"] != "canonical" or pol["below_range"] != "nan" \
            or pol["input_path"] != "direct":
        return "no oracle for this policy"
    return None


def _chunk(fmt_name, source, lo, hi, variants, canonical_nan):
    """{(overflow, tininess): (codes, flags or None)} of inputs lo .. hi-1: one cast, adjusted."""
    x = _inputs(source, lo, hi)
    c, r = _cast(fmt_name, x)
    cparts = _code_parts(fmt_name, x, c, r, canonical_nan)
    codes = {o: _codes(cparts, o) for o in {v[0] for v in variants}}
    parts = None if fmt_name in NO_FLAGS else _flag_parts(fmt_name, x, r)
    out, flags = {}, {}
    for o, t in variants:
        f = None
        if parts is not None:
            k = (o == "sat_finite", t)  # the flag rules see only whether the mode is sat_finite
            if k not in flags:
                flags[k] = _flags(parts, o, t)
            f = flags[k]
        out[(o, t)] = (codes[o], f)
    return out


def check_group(fmt_name, source, entries, jobs, chunk_bits):
    """Recompute every entry of one (format, source) pair: {name: (codes ok, flags ok or None,
    first differing chunk or None)}."""
    from fp8ref import get_format  # only the canonical NaN code (a naming convention, no arithmetic)

    canonical_nan = get_format(fmt_name).canonical_nan
    variants = sorted({(e["policy"]["overflow"], e["policy"]["tininess"]) for e in entries.values()})
    step = 1 << chunk_bits
    bounds = [(lo, lo + step) for lo in range(0, 1 << _SOURCE_BITS[source], step)]
    hashers = {n: (hashlib.sha256(), hashlib.sha256()) for n in entries}
    first_bad = {n: None for n in entries}
    with ThreadPoolExecutor(jobs) as ex:
        pending = collections.deque()
        it = iter(enumerate(bounds))
        for _ in range(jobs + 1):
            j_b = next(it, None)
            if j_b is not None:
                pending.append((j_b[0], ex.submit(_chunk, fmt_name, source, *j_b[1], variants, canonical_nan)))
        while pending:
            j, fut = pending.popleft()
            res = fut.result()
            j_b = next(it, None)
            if j_b is not None:
                pending.append((j_b[0], ex.submit(_chunk, fmt_name, source, *j_b[1], variants, canonical_nan)))
            shas = {}
            for n, e in entries.items():
                c, f = res[(e["policy"]["overflow"], e["policy"]["tininess"])]
                hashers[n][0].update(c)
                if f is not None:
                    hashers[n][1].update(f)
                for s, b in (("codes", c), ("flags", f)):
                    if b is None:
                        continue
                    if id(b) not in shas:
                        shas[id(b)] = hashlib.sha256(b).hexdigest()
                    if shas[id(b)] != e["chunks"][s][j] and first_bad[n] is None:
                        first_bad[n] = f"chunk {j:#04x} {s}"
    out = {}
    for n, e in entries.items():
        ok_c = hashers[n][0].hexdigest() == e["codes_sha256"]
        ok_f = None if fmt_name in NO_FLAGS else hashers[n][1].hexdigest() == e["flags_sha256"]
        out[n] = (ok_c, ok_f, first_bad[n])
    return out


def load(directory):
    """{entry name: entry} of a digest set directory (its MANIFEST.json lists the entries)."""
    with open(os.path.join(directory, "MANIFEST.json")) as f:
        man = json.load(f)
    if not str(man.get("schema", "")).startswith("fp8ref-digests/"):
        raise SystemExit(f"{directory}: not a digest set (MANIFEST.json schema {man.get('schema')!r})")
    out = {}
    for name in sorted(man["entries"]):
        with open(os.path.join(directory, *f"{name}.json".split("/"))) as f:
            out[name] = json.load(f)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("digests", help="a digest set directory (golden_digests)")
    p.add_argument("--only", action="append", default=[], metavar="GLOB", help="entries to check (fnmatch)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="threads (default: the CPUs)")
    args = p.parse_args(argv)
    entries = load(args.digests)
    groups = collections.defaultdict(dict)
    rows = []
    for name, e in entries.items():
        if args.only and not any(fnmatch.fnmatchcase(name, g) for g in args.only):
            continue
        why = oracle_for(e)
        if why:
            rows.append((name, "skipped", why))
            print(f"{name}: skipped ({why})", flush=True)
        else:
            groups[(e["source"], e["format"], e["chunk_bits"])][name] = e
    bad = 0
    for (source, fmt, cb), es in sorted(groups.items()):
        t = time.perf_counter()
        res = check_group(fmt, source, es, args.jobs, cb)
        dt = time.perf_counter() - t
        for name, (ok_c, ok_f, where) in sorted(res.items()):
            ok = ok_c and ok_f is not False and where is None
            bad += not ok
            fl = "flags not checked" if ok_f is None else f"flags {'OK' if ok_f else 'MISMATCH'}"
            print(f"{name}: codes {'OK' if ok_c else 'MISMATCH'}, {fl}{'' if where is None else ', first at ' + where}"
                  f" ({'tf32 by binary16 scaling' if fmt == 'tf32' else _type(fmt).__name__}; group of {len(es)}: "
                  f"{dt:.1f} s)", flush=True)
    print(f"{sum(len(g) for g in groups.values())} entries checked, {bad} with mismatches; {len(rows)} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
