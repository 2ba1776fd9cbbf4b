"""Projection case sets: inputs, modes and digests of the P3109 reference's Project.

``scripts/p3109_projection_digests.py`` ran the reference (awf/p3109-cpp @ 9042910 through
tests/oracles/p3109/driver.cpp) over these sets and committed the SHA-256 of its outputs in
``tests/data/p3109/projection_digests.json``; ``test_projection_digests.py`` recomputes every set
with fp8ref. Nothing here needs the driver or fp8ref (numpy, ml_dtypes, fractions).

Sets (one per source and format, every mode of the format inside):

* ``f16/<fmt>``, ``bf16/<fmt>``: every float16 / bfloat16 bit pattern (65,536) into each of
  the 13 binary8 formats the driver compiles (p1..p7 se; p3, p4 ue/sf/uf); the reference's
  ConvertFromIEEE754<double> of the (exact) float64 value, fp8ref's encode of the 16-bit array.
* ``f32/<fmt>``: float32 probes into every compiled format (K = 3..16): each code's value and
  the midpoint to the next one (every code for K <= 10, else 300 SplitMix64 codes and the
  edges), each with its float32 neighbours at ±1, ±2 ulps, overflow/underflow probes, ±0,
  ±Inf, quiet and signalling NaNs, 1,024 SplitMix64 float32 bit patterns, the negatives.
* ``exact/<fmt>``: exact dyadic values with up to 62 significant bits into every compiled
  format: each sampled code's value and midpoint, each ± 2^-60 of its ulp (sticky bits far
  below the guard bit), ± one unit of a 62-bit significand, SplitMix64 62-bit significands
  at exponents across the format's range ± margins (600; 1,800 for Finite formats, which
  have a third of the modes), far below the smallest subnormal and far above the largest
  value, ±Inf, NaN, the negatives; the reference's Project, fp8ref's codec (``encode_exact``,
  the path exact arithmetic results take).
* ``family/<fmt>``: every family member fp8ref supports (454: K = 3..16, at most 11 exponent
  bits; family_driver.MEMBERS), through family_driver.cpp: exact values (``family_inputs``) in
  every rounding x every saturation, Finite formats included (the reference's Saturate, which
  its Project does not admit for SatPropagate/OvfInf), StochasticA<5>/B<8>/C<3>.
* ``decode/<fmt>``: every code of every supported member with K <= 12 (278 formats): the
  reference's Decode as cases.decode_records.

Modes: every (rounding, saturation) the reference accepts for the format (7 deterministic
roundings × SatFinite/SatPropagate/OvfInf for Extended formats, × SatFinite for Finite ones)
plus StochasticA/B/C under each saturation with N random bits rotating through the widths the
driver compiles; random values R = SplitMix64 (seed from ``f"{id}|{k}|r"``) >> (64 - N).
Digest: SHA-256 over every mode's result codes as little-endian uint16 (cases.output_bytes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

from tests.oracles.p3109 import cases as C

from . import family_driver as FD

DATA = Path(__file__).resolve().parents[1] / "data" / "p3109" / "projection_digests.json"

#: binary8 formats the driver compiles (exhaustive 16-bit sources)
CORE8 = [f"binary8p{p}se" for p in range(1, 8)] + ["binary8p3ue", "binary8p4ue", "binary8p3sf", "binary8p4sf",
                                                     "binary8p3uf", "binary8p4uf"]
#: every other format the driver compiles (tests/oracles/p3109/build.py SPREAD)
SPREAD = ["binary3p1se", "binary3p2se", "binary3p2uf", "binary3p3uf", "binary4p2ue", "binary4p1sf", "binary4p3se",
          "binary5p3se", "binary5p2uf", "binary5p4ue", "binary6p3se", "binary6p4sf", "binary6p2ue", "binary7p4se",
          "binary7p3uf", "binary7p6ue", "binary9p4ue", "binary9p1sf", "binary9p5se", "binary10p5se", "binary10p3uf",
          "binary11p6ue", "binary11p8sf", "binary12p7se", "binary12p4uf", "binary13p8ue", "binary13p10sf",
          "binary14p9se", "binary14p6uf", "binary15p10ue", "binary15p5sf", "binary16p11se", "binary16p8se",
          "binary16p12uf"]
SATS = ("SatFinite", "SatPropagate", "OvfInf")
#: stochastic widths the driver compiles
NBITS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32)
SOURCES = ("f16", "bf16", "f32", "exact", "family", "decode")
#: cases (inputs x modes) of every family set at least
MIN_CASES = 20_000


@dataclass(frozen=True)
class ProjSet:
    id: str  # "<src>/<fmt>"
    src: str
    fmt: str  # the reference's name
    modes: tuple  # ((P3109 rounding, saturation, N | None), ...)
    digest: str = ""
    cases: int = 0

    def as_json(self) -> dict:
        return {"id": self.id, "modes": " ".join(C.mode_code(m) for m in self.modes), "digest": self.digest,
                "cases": self.cases}

    @staticmethod
    def from_json(d: dict) -> "ProjSet":
        src, fmt = d["id"].split("/")
        return ProjSet(d["id"], src, fmt, tuple(C.parse_mode(c) for c in d["modes"].split(" ")), d["digest"],
                       d.get("cases", 0))


def modes_for(fmt: str, set_id: str) -> tuple:
    if set_id.startswith("decode/"):
        return (None,)
    if set_id.startswith("family/"):  # every saturation (Finite: the reference's Saturate), fixed widths
        return tuple([(r, s, None) for s in SATS for r in C.DETERMINISTIC]
                     + [(r, s, FD.NBITS[r]) for s in SATS for r in C.STOCHASTIC])
    sats = SATS if C.parse(fmt).extended else ("SatFinite",)
    det = [(r, s, None) for s in sats for r in C.DETERMINISTIC]
    off = C._seed(set_id) % len(NBITS)
    sto = [(r, s, NBITS[(off + j) % len(NBITS)]) for j, (s, r) in enumerate((s, r) for s in sats for r in C.STOCHASTIC)]
    return tuple(det + sto)


def all_sets() -> list[ProjSet]:
    out = []
    for src in SOURCES:
        if src == "family":
            fmts = FD.MEMBERS
        elif src == "decode":
            fmts = [f for f in FD.MEMBERS if C.parse(f).K <= 12]
        else:
            fmts = CORE8 if src in ("f16", "bf16") else CORE8 + SPREAD
        for f in fmts:
            sid = f"{src}/{f}"
            out.append(ProjSet(sid, src, f, modes_for(f, sid)))
    return out


def parse_fmt(name: str) -> C.P3109Format:
    return C.parse(name)


def load(path: Path = DATA) -> tuple[dict, list[ProjSet]]:
    d = json.loads(Path(path).read_text())
    return {k: v for k, v in d.items() if k != "sets"}, [ProjSet.from_json(s) for s in d["sets"]]


# ---- inputs -------------------------------------------------------------------------------

def _codes(f: C.P3109Format, text: str) -> list[int]:
    """Positive finite codes probed: all for K <= 10, else 300 SplitMix64 codes and the edges."""
    if f.K <= 10:
        return list(range(f.max_code + 1))
    rnd = C.random_codes(text, 300, f.K).tolist()
    edges = {0, 1, 2, (1 << (f.P - 1)) - 1, 1 << (f.P - 1), f.one, f.max_code - 1, f.max_code}
    return sorted(c for c in set(rnd) | edges if 0 <= c <= f.max_code)


def _next_up(f: C.P3109Format, c: int) -> Fraction:
    """The value after code c's (for max finite: one ulp above it, the overflow side)."""
    v = f.value(c)
    return f.value(c + 1) if c < f.max_code else v + (v - f.value(c - 1))


@lru_cache(maxsize=None)
def f16_inputs(src: str) -> np.ndarray:
    """Every bit pattern of float16 / bfloat16, ascending."""
    u = np.arange(1 << 16, dtype=np.uint16)
    if src == "f16":
        return u.view(np.float16)
    import ml_dtypes

    return u.view(ml_dtypes.bfloat16)


def f32_inputs(ps: ProjSet) -> np.ndarray:
    f = C.parse(ps.fmt)
    pts = []
    for c in _codes(f, ps.id):
        v, nxt = f.value(c), _next_up(f, c)
        pts += [v, (v + nxt) / 2]
    top, minsub = f.value(f.max_code), f.value(1)
    pts += [top * 2, top * 4, top * 1024, minsub / 2, minsub / 4, minsub / 3, minsub * 3 / 4]
    exact = []
    for q in pts:
        x = np.float32(float(q)) if abs(q) < 2**128 else np.float32(np.inf)
        if np.isfinite(x) and Fraction(float(x)) == q:
            exact.append(x)
    u = np.array(exact, dtype=np.float32).view(np.uint32).astype(np.int64)
    near = np.concatenate([u + d for d in (-2, -1, 0, 1, 2)])
    near = near[(near >= 0) & (near < 0x7F800000)]
    special = np.array([0, 0x7F800000, 0x7FC00000, 0x7FC00001, 0x7F800001, 0x7FBFFFFF, 1, 0x007FFFFF, 0x00800000,
                        0x3F800000, 0x7F7FFFFF], dtype=np.int64)
    rnd = (C.splitmix64(C._seed(ps.id + "|f32"), 1024) >> np.uint64(32)).astype(np.int64) & 0x7FFFFFFF
    pos = np.unique(np.concatenate([near, rnd]))
    pos = np.concatenate([special, pos[~np.isin(pos, special)]])
    allp = np.concatenate([pos, pos | 0x80000000])
    return allp.astype(np.uint32).view(np.float32)


def exact_inputs(ps: ProjSet) -> list:
    f = C.parse(ps.fmt)
    vals = []
    tiny_rel = Fraction(1, 1 << (61 - f.P))  # q ± ulp * tiny_rel still has at most 62 significant bits
    for c in _codes(f, ps.id)[:: 1 if f.K <= 8 else 2]:
        v, nxt = f.value(c), _next_up(f, c)
        ulp = nxt - v
        mid = (v + nxt) / 2
        for q in (v, mid):
            vals += [q, q + ulp * tiny_rel, q - ulp * tiny_rel]
    # 62-bit significands at exponents across the range (and beyond it); Finite formats have a
    # third of the modes (SatFinite only), so three times the values (>= 20,000 cases per set)
    lo = 1 - f.bias - (f.P - 1) - 6
    hi = f.bias + 4 if f.signed else f.bias + 5
    n_random = 600 if f.extended else 1800
    r = C.splitmix64(C._seed(ps.id + "|exact"), 2 * n_random)
    for i in range(n_random):
        m = int(r[2 * i] >> np.uint64(2)) | (1 << 61)
        width = 1 + int(r[2 * i + 1] % np.uint64(62))
        m >>= 62 - width  # 1..62 significant bits
        e = lo + int((r[2 * i + 1] >> np.uint64(8)) % np.uint64(hi - lo + 1))
        vals.append(Fraction(m) * Fraction(2) ** (e - width + 1))
    top = f.value(f.max_code)
    vals += [Fraction(1, 1 << 62) * Fraction(2) ** (1 - f.bias - 70), top * (1 << 40) + 1, top + top * tiny_rel,
             Fraction((1 << 62) - 1, 1 << 61) * Fraction(2) ** (-f.bias - f.P), 0]
    vals = [q for q in dict.fromkeys(vals) if _fits(q)]
    return vals + [-q for q in vals if q != 0] + [float("inf"), float("-inf"), float("nan")]


def _fits(q: Fraction) -> bool:
    """The driver's record holds an int64 significand and an int32 exponent."""
    if q == 0:
        return True
    num = abs(q.numerator)
    while num % 2 == 0:
        num //= 2
    return num < (1 << 62)


def family_inputs(ps: ProjSet):
    """Exact values of a ``family`` set as driver records ``(m, e, cls)`` (int64 arrays; value
    m * 2^e for cls 0, m signed; cls 1/2/3 = +inf/-inf/NaN): each sampled code's value and
    midpoint, each ± 2^-(61-P) of its ulp, overflow, underflow and tie probes, SplitMix64 values
    of 1..62 significant bits across the range (128, more where the set needs them for
    MIN_CASES cases), ±0... the negatives."""
    f = C.parse(ps.fmt)
    K, P, B = f.K, f.P, f.bias
    if f.max_code < 96:
        codes = np.arange(f.max_code + 1, dtype=np.int64)
    else:
        rnd = C.random_codes(ps.id, 64, K)
        edges = [0, 1, 2, (1 << (P - 1)) - 1, 1 << (P - 1), f.one - 1, f.one, f.one + 1, f.max_code - 1, f.max_code]
        codes = np.unique(np.concatenate([rnd[rnd <= f.max_code], np.array(edges, dtype=np.int64)]))
        codes = codes[codes >= 0]
    half = 1 << (P - 1)
    T, Eb = codes % half, codes // half
    S = np.where(Eb == 0, T, half + T)
    Q = np.maximum(Eb, 1) - B - (P - 1)  # value = S * 2^Q, ulp = 2^Q
    k, k2 = 60 - P, 61 - P
    m = [S, 2 * S + 1, ((2 * S + 1) << k) + 1, ((2 * S + 1) << k) - 1, (S << k2) + 1, (S << k2) - 1]
    e = [Q, Q - 1, Q - 1 - k, Q - 1 - k, Q - k2, Q - k2]
    keep = [np.ones(S.size, bool)] * 5 + [S > 0]
    qmin = 1 - B - (P - 1)  # the smallest subnormal is 2^qmin
    smax, qmax = int(S[-1]), int(Q[-1])
    emax = qmax + smax.bit_length() - 1
    ex_m = [1, 3, 1, 1, (smax << k2) + 1, 1, 3, 1, 1, (1 << 61) - 1, (1 << 61) + 1]
    ex_e = [emax + 1, emax, emax + 2, 1000, qmax - k2, qmin - 1, qmin - 2, qmin - 2, -1100, qmin - 62, qmin - 62]
    M = np.concatenate([a[w] for a, w in zip(m, keep)] + [np.array(ex_m, dtype=np.int64)])
    E = np.concatenate([a[w] for a, w in zip(e, keep)] + [np.array(ex_e, dtype=np.int64)])
    pos = M > 0
    M, E = M[pos], E[pos]
    # random values: 128, or as many as a family set needs for MIN_CASES cases over its modes
    need = -(-MIN_CASES // len(modes_for(ps.fmt, "family/")))  # inputs: 2 (M.size + n_random) + 4
    n_random = max(128, (need - 3) // 2 - M.size)
    r = C.splitmix64(C._seed(ps.id + "|vals"), 2 * n_random)
    width = 1 + (r[::2] % np.uint64(62)).astype(np.int64)
    rm = ((r[1::2] >> np.uint64(2)) | np.uint64(1 << 61)).astype(np.int64) >> (62 - width)
    lead = qmin - 3 + ((r[::2] >> np.uint64(8)) % np.uint64(emax + 3 - (qmin - 3) + 1)).astype(np.int64)
    M, E = np.concatenate([M, rm]), np.concatenate([E, lead - width + 1])
    mm = np.concatenate([M, -M, np.zeros(4, np.int64)])
    ee = np.concatenate([E, E, np.zeros(4, np.int64)])
    cls = np.concatenate([np.zeros(2 * M.size, np.int64), np.array([0, 1, 2, 3], np.int64)])
    return mm, ee, cls


@lru_cache(maxsize=8)
def inputs(ps: ProjSet):
    """The set's inputs (cached: do not modify)."""
    if ps.src in ("f16", "bf16"):
        return f16_inputs(ps.src)
    if ps.src == "f32":
        return f32_inputs(ps)
    if ps.src == "family":
        return family_inputs(ps)
    if ps.src == "decode":
        return np.arange(1 << C.parse(ps.fmt).K, dtype=np.int64)
    return exact_inputs(ps)


def n_inputs(ps: ProjSet) -> int:
    if ps.src in ("f16", "bf16"):
        return 1 << 16
    x = inputs(ps)
    return len(x[0]) if ps.src == "family" else len(x)


def random_values(ps: ProjSet, k: int, count: int):
    m = ps.modes[k]
    if m is None or m[2] is None:
        return None
    return C.splitmix64(C._seed(f"{ps.id}|{k}|r"), count) >> np.uint64(64 - m[2])


def reference_outputs(ps: ProjSet) -> list:
    """The reference's outputs for every mode (needs the drivers): codes, or for ``decode``
    sets the records of cases.decode_records as one bytes object."""
    from tests.oracles import p3109 as P

    x = inputs(ps)
    if ps.src == "decode":
        return [FD.decode(ps.fmt, x)]
    if ps.src == "family":
        return [FD.project(ps.fmt, *x, r, s, random_values(ps, k, len(x[0])))
                for k, (r, s, nb) in enumerate(ps.modes)]
    outs = []
    for k, (r, s, nb) in enumerate(ps.modes):
        kw = dict(rounding=r, saturation=s, nbits=nb, rbits=random_values(ps, k, len(x)))
        if ps.src == "exact":
            outs.append(P.project(ps.fmt, x, **kw))
        else:
            with np.errstate(invalid="ignore"):  # float32 signalling NaNs become quiet float64 NaNs
                x64 = np.asarray(x).astype(np.float64)
            outs.append(P.from_f64(ps.fmt, x64, **kw))
    return outs


def digest(outs) -> str:
    """SHA-256 of the outputs: codes as <u2 per mode (cases.output_bytes), decode records as given."""
    if len(outs) == 1 and isinstance(outs[0], bytes):
        import hashlib

        return hashlib.sha256(outs[0]).hexdigest()
    return C.digest("from_f64", outs)
