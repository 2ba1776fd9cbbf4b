"""Arithmetic-unit suite: ``arith/<op>/<formats>.<mode>`` vectors from ``fp8ref.arith``.

One operation per line in TestFloat form, ``a b [c] z flags`` (``a [rbits] z flags`` and so on):
operand codes, the result code (a 1-digit 0/1 for comparisons) and the flags. The suite chooses
operands; every result comes from ``fp8ref.arith`` (exact result, rounded once by the result
format's codec; docs/arithmetic.md).

Operands of a file (generator ids in the sidecar):

* ``exhaustive``: every operand pair (every code for unary operations) — the full tier for 8-bit
  binary operations, and every tier where that is at most ``DEFAULT_LINES`` lines (FP4/FP6
  pairs, 8-bit unary operations);
* otherwise (default tier, 16-bit formats) up to ``DEFAULT_LINES`` lines: ``specials`` (special
  and boundary codes crossed), ``ties`` (results exactly on a rounding midpoint of the result
  format), ``near_ties`` (the pairs whose approximate result lies nearest a midpoint, the
  overflow threshold or the underflow boundary, without being on it), ``overflow`` and
  ``underflow`` (results around max finite and the smallest normal), ``cancellation`` (sums
  much smaller than their operands), ``steered`` (16-bit: second operand placed a few bits below
  the first), then ``random`` (SplitMix64);
* fma (every tier; boundary-directed): ``specials`` triples, ``exact_zero`` (c = -(a b) where
  that is representable), ``cancellation`` (c within a few codes of -(a b)), ``overflow``
  (a b near max finite, c pushing over or back), ``subnormal_products`` (a b below the
  smallest normal, c zero or tiny), ``sticky`` (c far below a b), then ``random``.

The approximate results that rank the boundary cases are float64 computations used only to
choose inputs (sums and products of 8-bit values are exact in float64).

Tiers: the default (committed) tier holds the files an RTL team starts from (OCP FP8 + - × ÷
fma √ under RNE with both overflow policies, the E4M3FN multiplier in every rounding mode,
FP6/FP4, P3109 binary8p3/p4 signed and unsigned/finite, comparisons, min/max, sign
operations, fp16/bf16 and posit8 samples), boundary-directed; the full tier has every rounding
× overflow × tininess combination, each file in its full form: the same stems, exhaustive pairs
for 8-bit binary operations (65,536 lines), 20,000 lines for fma and 16-bit formats.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from .. import arith
from .. import policy as _policy
from ..arith.semantics import semantics_of
from ..codecs import decode_table
from ..formats import get_format
from .fields import Field
from .prng import stream, subseed
from .suites import FileSpec, Suite, gen_entry, register_suite

__all__ = ["DEFAULT_LINES", "ARITH_FILES", "operands"]

DEFAULT_LINES = 5000
FMA_LINES = {"default": 5000, "full": 20000}
SRBITS = 8

ROUNDINGS = ("rne", "rna", "rtz", "rup", "rdn", "rto", "raz")
OVERFLOWS = ("ovf_inf", "sat_finite", "sat_propagate")
ARITH_OPS = ("add", "sub", "mul", "div", "fma", "sqrt", "recip", "rsqrt")
SELECT_OPS = ("minimum", "maximum", "minimum_number", "maximum_number", "minimum_magnitude", "maximum_magnitude",
              "minimum_magnitude_number", "maximum_magnitude_number")
SIGN_OPS = ("neg", "abs", "copysign")
PREDICATES = ("eq", "lt", "le", "gt", "ge", "unordered", "total_order")
ARITY = {**{op: 2 for op in ("add", "sub", "mul", "div", "copysign", *SELECT_OPS, *PREDICATES,
                             "minimum_finite", "maximum_finite")},
         **{op: 1 for op in ("sqrt", "recip", "rsqrt", "neg", "abs", "convert")}, "fma": 3, "clamp": 3}

#: formats the suite covers, pinned (a format registered at run time never changes the output)
IEEE8 = ("e4m3fn", "e5m2", "e4m3fnuz", "e5m2fnuz")
MX_SMALL = ("e2m3fn", "e3m2fn", "e2m1fn")
P3109 = ("p3109_8p3", "p3109_8p4", "p3109_k8p4ue", "p3109_k8p4sf")
WIDE = ("fp16", "bf16")
POSITS = ("posit8_es2",)
CONVERTS = (("e5m2", "e4m3fn"), ("e4m3fn", "e5m2"), ("p3109_8p4", "p3109_8p3"), ("e4m3fn", "e2m1fn"))


# ---- which files, which tier ------------------------------------------------------------
def _policies(fmt, op):
    """(policy fields, default-tier?) pairs for an operation on a result format."""
    f = get_format(fmt)
    if f.kind == "posit":
        return [({"rounding": "rne"}, True)]
    if op not in ARITH_OPS and op != "convert":  # selections, sign operations, clamp: results are operands
        return [({"rounding": "rne", "overflow": "ovf_inf"}, True)]
    out = []
    for rm, ovf, tin in itertools.product(ROUNDINGS, OVERFLOWS, ("after", "before")):
        if getattr(f, "overflow_rule", "") == "p3109" and not f.has_infinity and ovf != "sat_finite":
            continue  # P3109 Finite formats: SatFinite only (the reference defines no other)
        out.append(({"rounding": rm, "overflow": ovf, "tininess": tin}, _default(f.name, op, rm, ovf, tin)))
    return out


def _default(fmt, op, rm, ovf, tin):
    """The committed set (see the module docstring)."""
    if tin != "after":
        return fmt == "e4m3fn" and op == "mul" and rm == "rne" and ovf == "sat_finite"  # tininess control
    if fmt in ("e4m3fn", "e5m2"):
        if op == "mul" and fmt == "e4m3fn" and ovf == "sat_finite":
            return rm != "raz"  # the multiplier in every IEEE rounding mode
        if op in ("recip", "rsqrt"):
            return rm == "rne" and ovf == "ovf_inf"
        return rm == "rne" and ovf in ("ovf_inf", "sat_finite")
    if fmt in MX_SMALL:
        return op in ("add", "mul", "fma") and rm == "rne" and ovf == "sat_finite"
    if fmt in ("p3109_8p3", "p3109_8p4"):
        return op in ("add", "mul", "div", "fma", "sqrt") and rm == "rne" and ovf == "ovf_inf"
    if fmt in ("p3109_k8p4ue", "p3109_k8p4sf"):
        return op in ("add", "mul") and rm == "rne" and ovf == "sat_finite"
    if fmt in WIDE:
        return op in ("add", "mul", "div", "fma", "sqrt") and rm == "rne" and ovf == "ovf_inf"
    return False


def ARITH_FILES():
    """[(op, operand formats, result format or None, policy fields, srbits, tier)]."""
    out = []

    def add(op, fmts, res, tier_ok_policies):
        for pol, dflt in tier_ok_policies:
            out.append((op, tuple(fmts), res, pol, 0, "default" if dflt else "full"))

    for fmt in IEEE8 + MX_SMALL + P3109 + WIDE:
        for op in ARITH_OPS:
            add(op, [fmt] * ARITY[op], fmt, _policies(fmt, op))
        if get_format(fmt).bits <= 8:
            for op in SELECT_OPS + SIGN_OPS + ("clamp",):
                add(op, [fmt] * ARITY[op], fmt, [(p, d and fmt == "e4m3fn") for p, d in _policies(fmt, op)])
            for op in PREDICATES:
                out.append((op, (fmt, fmt), None, {}, 0, "default" if fmt in ("e4m3fn", "e5m2") else "full"))
    for fmt in ("p3109_8p3",):
        for op in ("minimum_finite", "maximum_finite"):
            add(op, [fmt] * 2, fmt, [(p, False) for p, _ in _policies(fmt, op)])
    for fmt in POSITS:
        for op in ("add", "sub", "mul", "div", "fma", "sqrt"):
            add(op, [fmt] * ARITY[op], fmt, [({"rounding": "rne"}, op in ("add", "sub", "mul", "div"))])
    for src, dst in CONVERTS:
        for pol, _ in _policies(dst, "convert"):
            dflt = pol.get("rounding") == "rne" and pol.get("tininess") == "after" and pol.get("overflow") == (
                "sat_finite" if dst != "p3109_8p3" else "ovf_inf")
            out.append(("convert", (src,), dst, pol, 0, "default" if dflt else "full"))
    for op in ("add", "mul"):  # stochastic rounding, 8 random bits per line
        for rm in _policy.STOCHASTIC_MODES:
            for ovf in OVERFLOWS:
                dflt = rm == "stochastic" and ovf == "sat_finite"
                out.append((op, ("e4m3fn", "e4m3fn"), "e4m3fn", {"rounding": rm, "overflow": ovf, "tininess": "after"}, SRBITS,
                            "default" if dflt else "full"))
    return out


# ---- operand selection --------------------------------------------------------------------------
def _values(fmt):
    return decode_table(get_format(fmt))


def special_codes(fmt) -> np.ndarray:
    """Zeros, the smallest and largest subnormal, the smallest normal and its neighbours, 1 and
    its neighbours, 1.5, max finite and the code below it, ±Inf, the NaN codes (up to 4:
    signalling and quiet), and the negatives of the finite ones."""
    f = get_format(fmt)
    v = _values(f)
    codes = np.arange(f.num_codes)
    fin = np.isfinite(v)
    pos = codes[fin & (v > 0)]
    order = pos[np.argsort(v[pos], kind="stable")]
    picks = {int(order[0]), int(order[1]), int(order[-1]), int(order[-2])}
    for target in (f.min_normal, 1.0, 1.5):
        i = int(np.searchsorted(v[order], target))
        picks |= {int(order[j]) for j in (i - 1, i, i + 1) if 0 <= j < order.size}
    picks |= set(codes[fin & (v == 0)].tolist()) | set(codes[np.isinf(v)].tolist())
    nans = codes[np.isnan(v)]
    picks |= set(nans[:: max(1, nans.size // 3)][:3].tolist()) | set(nans[-1:].tolist())
    neg = set()
    for c in picks:
        if np.isfinite(v[c]) and v[c] != 0:
            m = np.flatnonzero(v == -v[c])
            neg |= set(m[:1].tolist())
    return np.array(sorted(picks | neg), dtype=np.uint64)


def _grid(out):
    """Sorted decision points of a result format: its non-negative finite values, the
    midpoints between them, and the overflow threshold (midpoint between max and the value an
    unbounded exponent range would have next)."""
    v = _values(out)
    g = np.unique(np.abs(v[np.isfinite(v)]))
    top = g[-1] + (g[-1] - g[-2])
    mids = (g[:-1] + g[1:]) / 2
    return g, mids, (g[-1] + top) / 2


def _approx(op, va, vb):
    with np.errstate(all="ignore"):
        if op == "add":
            return va + vb
        if op == "sub":
            return va - vb
        if op == "mul":
            return va * vb
        if op == "div":
            return va / vb
        if op == "sqrt":
            return np.sqrt(va)
        if op == "recip":
            return 1 / va
        if op == "rsqrt":
            return 1 / np.sqrt(va)
        return va


def _rank_boundary(op, fmts, out, a, b):
    """Index arrays into (a, b): ties, near ties (nearest first), overflow, underflow,
    cancellation (b None: unary)."""
    va = _values(fmts[0])[a.astype(np.intp)]
    vb = _values(fmts[1])[b.astype(np.intp)] if b is not None else None
    r = np.abs(_approx(op, va, vb))
    ok = np.isfinite(r)
    g, mids, ovf = _grid(out)
    pts = np.unique(np.concatenate([g, mids, [ovf]]))
    with np.errstate(all="ignore"):
        j = np.clip(np.searchsorted(pts, r), 1, pts.size - 1)
        lo, hi = pts[j - 1], pts[j]
        dist = np.minimum(np.abs(r - lo), np.abs(hi - r)) / (hi - lo)
    on_mid = ok & np.isin(r, mids)
    minn = get_format(out).min_normal
    near = np.flatnonzero(ok & ~on_mid & (dist > 0) & (r > 0) & (r < 2 * ovf))
    near = near[np.argsort(dist[near], kind="stable")]
    with np.errstate(all="ignore"):
        over = np.flatnonzero(ok & (r > g[-1] * 0.75) & (r < ovf * 1.5))
        under = np.flatnonzero(ok & (r > 0) & (r < 2 * minn))
        mag = np.maximum(np.abs(va), np.abs(vb)) if vb is not None else np.abs(va)
        cancel = np.flatnonzero(ok & (r > 0) & (r < mag / 8)) if op in ("add", "sub") else np.zeros(0, np.int64)
    return {"ties": np.flatnonzero(on_mid), "near_ties": near, "overflow": over, "underflow": under,
            "cancellation": cancel}


def _pick(idx, k, names, seed):
    """k indices spread over idx (deterministic)."""
    if idx.size <= k:
        return idx
    s = stream(seed, *names).below(k, idx.size).astype(np.int64)
    return np.unique(idx[np.sort(np.unique(s))])[:k]


def _exhaustive(fmts):
    sizes = [get_format(f).num_codes for f in fmts]
    grids = np.meshgrid(*(np.arange(n, dtype=np.uint64) for n in sizes), indexing="ij")
    return [g.reshape(-1) for g in grids]


def _random(fmts, n, names, seed):
    s = stream(seed, *names)
    return [s.below(n, get_format(f).num_codes).astype(np.uint64) for f in fmts]


@lru_cache(maxsize=64)
def operands(op, fmts, out, tier, seed, count):
    """(operand columns as uint64 arrays, generator entries): the same in every mode's file."""
    k = ARITY[op]
    fmts = list(fmts)
    total = 1
    for f in fmts:
        total *= get_format(f).num_codes
    if op == "fma":
        return _fma_operands(fmts, out, tier, seed)
    if total <= DEFAULT_LINES or (tier == "full" and total <= 1 << 16):
        cols = _exhaustive(fmts)
        return _freeze_cols(cols, [gen_entry("exhaustive", cols[0].size)])
    names = ("arith", op, *fmts, str(out))
    budget = DEFAULT_LINES if tier == "default" else 4 * DEFAULT_LINES
    sp = [special_codes(f) for f in fmts]
    if k == 3:
        sp = [s[:: max(1, s.size // 10)] for s in sp]
    parts = [("specials", [g.reshape(-1) for g in np.meshgrid(*sp, indexing="ij")], None)]
    small = all(get_format(f).num_codes <= 256 for f in fmts)
    if op in ARITH_OPS and (k == 1 or small):
        cols = _exhaustive(fmts)
        ranks = _rank_boundary(op, fmts, out, cols[0], cols[1] if k == 2 else None)
        share = {"ties": 0.2, "near_ties": 0.25, "overflow": 0.08, "underflow": 0.08, "cancellation": 0.08}
        for gid, frac in share.items():
            idx = ranks[gid][: int(budget * frac)] if gid == "near_ties" else ranks[gid]
            idx = _pick(idx, int(budget * frac), names + (gid,), seed)
            parts.append((gid, [c[idx] for c in cols], None))
    elif op in ARITH_OPS:
        parts.append(("steered", _steered(op, fmts, budget // 3, names, seed), None))
    elif k >= 2:
        parts.append(("adjacent", _adjacent(fmts, budget // 3, names, seed), None))
    used = sum(p[1][0].size for p in parts)
    rnames = names + ("random",)
    parts.append(("random", _random(fmts, max(budget - used, 0), rnames, seed), rnames))
    cols, gens = _join(parts, seed)
    return _freeze_cols(cols, gens)


def _adjacent(fmts, n, names, seed):
    """Pairs of equal or neighbouring values (in value order, ±0 included) and of opposite
    values: what comparisons and min/max must tell apart."""
    s = stream(seed, *names, "adjacent")
    f0 = get_format(fmts[0])
    v = _values(f0)
    fin = np.flatnonzero(~np.isnan(v))
    order = fin[np.argsort(v[fin], kind="stable")]
    i = s.below(n, order.size).astype(np.int64)
    j = np.clip(i + s.below(n, 5).astype(np.int64) - 2, 0, order.size - 1)
    a, b = order[i], order[j]
    flip = s.below(n, 4) == 0  # b = -a where it exists
    neg = np.array([np.flatnonzero(v == -v[c])[0] if (v == -v[c]).any() else c for c in a])
    b = np.where(flip, neg, b)
    cols = [a.astype(np.uint64), b.astype(np.uint64)]
    for f in fmts[2:]:
        cols.append(s.below(n, get_format(f).num_codes).astype(np.uint64))
    return cols


def _steered(op, fmts, n, names, seed):
    """16-bit operands: random first operands, second operands with an exponent a few bits
    below / equal (rounding, ties, sticky), and for add/sub of opposite sign (cancellation)."""
    s = stream(seed, *names, "steered")
    f0 = get_format(fmts[0])
    cols = [s.below(n, f0.num_codes).astype(np.uint64)]
    for f in fmts[1:]:
        f = get_format(f)
        if f.kind == "ieee" and f.exp_bits and f == f0:
            shift = s.below(n, f.man_bits + 4).astype(np.uint64) << np.uint64(f.man_bits)
            mag = cols[0] & np.uint64(f.top_code_mag)
            m2 = np.where(mag > shift, mag - shift, mag) ^ (s.below(n, 1 << f.man_bits).astype(np.uint64))
            sign = s.below(n, 2).astype(np.uint64) << np.uint64(f.bits - 1)
            cols.append((m2 & np.uint64(f.top_code_mag)) | sign)
        else:
            cols.append(s.below(n, f.num_codes).astype(np.uint64))
    return cols


def _fma_operands(fmts, out, tier, seed):
    n_total = FMA_LINES[tier]
    fa, fb, fc = (get_format(f) for f in fmts)
    names = ("arith", "fma", *fmts, str(out))
    sp = [special_codes(f) for f in fmts]
    sp = [s[:: max(1, s.size // 8)] for s in sp]
    grids = [g.reshape(-1) for g in np.meshgrid(*sp, indexing="ij")]
    parts = [("specials", grids, None)]
    n = max(64, (n_total - grids[0].size) // 8)
    s = stream(seed, *names, "pairs")
    a = s.below(8 * n, fa.num_codes).astype(np.uint64)
    b = s.below(8 * n, fb.num_codes).astype(np.uint64)
    va, vb = _values(fa)[a.astype(np.intp)], _values(fb)[b.astype(np.intp)]
    with np.errstate(all="ignore"):
        p = va * vb
    vc = _values(fc)
    fin_c = np.flatnonzero(np.isfinite(vc))
    order = fin_c[np.argsort(vc[fin_c], kind="stable")]
    sorted_v = vc[order]
    ok = np.isfinite(p)
    # exact zero: c = -(a b) exactly
    pos = np.searchsorted(sorted_v, -p)
    hit = ok & (pos < sorted_v.size) & (sorted_v[np.clip(pos, 0, sorted_v.size - 1)] == -p) & (p != 0)
    idx = np.flatnonzero(hit)[:n]
    parts.append(("exact_zero", [a[idx], b[idx], order[np.clip(pos[idx], 0, order.size - 1)].astype(np.uint64)], None))
    # cancellation: c within +-3 codes (in value order) of -(a b)
    idx = np.flatnonzero(ok & (p != 0))[:n]
    d = s.below(idx.size, 7).astype(np.int64) - 3
    cpos = np.clip(pos[idx] + d, 0, order.size - 1)
    parts.append(("cancellation", [a[idx], b[idx], order[cpos].astype(np.uint64)], None))
    # overflow: a b near max finite of the result
    mx = _grid(out)[0][-1]
    idx = np.flatnonzero(ok & (np.abs(p) > mx / 4))[:n]
    cpos = s.below(idx.size, order.size).astype(np.int64)
    big = order[-1 - (s.below(idx.size, 8).astype(np.int64))]
    c = np.where(s.below(idx.size, 2) == 1, big, order[cpos])
    parts.append(("overflow", [a[idx], b[idx], c.astype(np.uint64)], None))
    # subnormal products, with c zero or tiny
    mn = get_format(out).min_normal
    idx = np.flatnonzero(ok & (np.abs(p) < mn) & (p != 0))[:n]
    small = order[np.clip(np.searchsorted(sorted_v, 0.0) + s.below(idx.size, 9).astype(np.int64) - 4, 0, order.size - 1)]
    parts.append(("subnormal_products", [a[idx], b[idx], small.astype(np.uint64)], None))
    # sticky: c far below a b (|c| < |ab| 2^-8), or a b far below c
    idx = np.flatnonzero(ok & (p != 0))[n: 2 * n]
    lo = np.clip(np.searchsorted(np.abs(sorted_v), 0) + 1, 0, order.size - 1)
    tiny = order[np.clip(lo + s.below(idx.size, 6).astype(np.int64), 0, order.size - 1)]
    parts.append(("sticky", [a[idx], b[idx], tiny.astype(np.uint64)], None))
    used = sum(pp[1][0].size for pp in parts)
    rnames = names + ("random",)
    parts.append(("random", _random(fmts, max(n_total - used, 0), rnames, seed), rnames))
    cols, gens = _join(parts, seed)
    return _freeze_cols(cols, gens)


def _join(parts, seed):
    k = len(parts[0][1])
    cols, gens, line = [[] for _ in range(k)], [], 1
    for gid, arrs, names in parts:
        m = arrs[0].size
        if m == 0:
            continue
        for j in range(k):
            cols[j].append(np.asarray(arrs[j], dtype=np.uint64))
        gens.append(gen_entry(gid, m, names, seed, line))
        line += m
    return [np.concatenate(c) for c in cols], gens


def _freeze_cols(cols, gens):
    for c in cols:
        c.setflags(write=False)
    return tuple(cols), tuple(gens)


# ---- file specs ---------------------------------------------------------------------------------
def _stem(op, fmts, out, pol, srbits):
    same = out is not None and all(f == out for f in fmts)
    name = fmts[0] if (same or (out is None and len(set(fmts)) == 1)) else "_".join(fmts) + (f"_to_{out}" if out else "")
    tags = []
    if pol.get("rounding"):
        tags.append(pol["rounding"] + (str(srbits) if srbits else ""))
    if pol.get("overflow"):
        tags.append(pol["overflow"])
    if pol.get("tininess"):
        tags.append("t" + pol["tininess"])
    return f"arith/{op}/{name}" + "".join("." + t for t in tags)


def _spec(op, fmts, out, pol_fields, srbits, tier):
    k = ARITY[op]
    names = ("x", "lo", "hi") if op == "clamp" else ("a", "b", "c")[:k]
    fields = [Field(n, "input", f) for n, f in zip(names, fmts)]
    if srbits:
        fields.append(Field("rbits", "input", f"uint{srbits}"))
    fields += [Field("z", "result", out if out is not None else "uint1"), Field("flags", "flags", "flags")]
    res_fmt = get_format(out) if out is not None else None
    meta = {"src": list(fmts), "dst": out if out is not None else "bool"}
    homogeneous = all(f == fmts[0] for f in fmts)
    header = {"op": op, "fmt": (fmts[0] if homogeneous else "_".join(fmts)) +
              (f"->{out}" if out and not all(f == out for f in fmts) else "")}
    pol = None
    if res_fmt is not None:
        pol_fields = dict(pol_fields)
        if not getattr(res_fmt, "has_nan", True):
            pol_fields.setdefault("nan_to", "max")  # a vector file cannot raise: NaN -> +max (PTX satfinite)
        pol = arith.api._policy(res_fmt, pol_fields)
        meta["policy"] = pol.as_dict()
        header.update({"rm": pol.rounding, "ovf": pol.overflow, "tininess": pol.tininess, "nan": pol.nan})
        if not getattr(res_fmt, "has_nan", True):
            header["nan_to"] = pol.nan_to
    if srbits:
        meta["srbits"] = srbits
        header["srbits"] = srbits
    sem = semantics_of(res_fmt if res_fmt is not None else get_format(fmts[0]))
    meta["semantics"] = {"family": sem.name, "standard": sem.standard}
    meta["method"] = "fp8ref.arith: exact result, rounded once by the result format's codec"
    stem = _stem(op, list(fmts), out, pol_fields if res_fmt is not None else {}, srbits)

    def build(ctx):
        cols, gens = operands(op, tuple(fmts), out, tier, ctx.seed, ctx.count)
        gens = list(gens)
        kw = {}
        table = {n: c for n, c in zip(names, cols)}
        if srbits:
            rnames = ("arith", op, *fmts, str(out), pol.rounding, "rbits")
            rb = stream(ctx.seed, *rnames).bits(cols[0].size, srbits)
            kw = dict(rbits=rb.astype(np.int64), srbits=srbits)
            table["rbits"] = rb.astype(np.uint64)
            gens[0] = {**gens[0], "note": f"the rbits column of every line comes from stream {'/'.join(rnames)} "
                       f"(subseed 0x{subseed(ctx.seed, *rnames):016X})"}
        ints = [c.astype(np.int64) for c in cols]
        if res_fmt is None:
            z, fl = arith.apply(op, *ints, fmt=fmts[0], fmts=list(fmts), return_flags=True)
        else:
            z, fl = arith.apply(op, *ints, fmt=fmts[0], fmts=list(fmts), out_fmt=out, policy=pol, return_flags=True,
                                **kw)
        table["z"] = z.astype(np.uint64)
        table["flags"] = fl.astype(np.uint64)
        return table, gens

    return FileSpec("arith", stem, op, tuple(fields), meta, header, build, tier)


def _files(tier):
    """The default tier's files; the full tier: every combination, each file in its full form
    (a default-tier combination keeps its stem and gets exhaustive pairs / more fma lines)."""
    if tier == "full":
        return [_spec(*entry[:-1], "full") for entry in ARITH_FILES()]
    return [_spec(*entry) for entry in ARITH_FILES() if entry[-1] == "default"]


register_suite(Suite(
    "arith",
    "scalar arithmetic (fp8ref.arith): + - × ÷ fma √ 1/x 1/√x, sign operations, min/max, comparisons, "
    "clamp, convert on OCP FP8/FP6/FP4, FNUZ, P3109, fp16/bf16, posit8; boundary-directed (default) "
    "and exhaustive pairs (full), every rounding × overflow × tininess in the full tier",
    _files,
))
