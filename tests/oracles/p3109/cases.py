"""Case sets for comparing an implementation with the P3109 reference, and their digests.

A case set is an operation, its formats, a list of projection modes and, for each mode, a
deterministic list of operands (and random values for stochastic modes). The reference's
outputs over a case set are summarised by one SHA-256 digest (``digest``), committed in
``tests/data/p3109/digests.json`` by ``scripts/p3109_reference_digests.py``. An implementation
reproduces a set's operands with :func:`operands` / :func:`random_values`, computes its own
outputs per mode, and compares ``digest(outputs)`` with the committed one. Pure numpy +
hashlib + fractions: nothing here needs the driver or fp8ref.

Operands of a mode (``operands(cs, k)``):
* ``exhaustive`` sets (binary8, same format): all operand pairs, x = i >> K, y = i & (2^K - 1)
  for i = 0 .. 4^K - 1; unary: every code ascending.
* ``sampled`` sets: the format's special codes crossed (``specials()`` pairs; ``specials8()``
  triples for ternary), then SplitMix64 codes (seed = first 8 bytes of SHA-256 of ``f"{id}|{k}"``, code =
  value >> (64 - K)) up to ``n``; unary sets with 2^K <= n take every code.
* ``from_f64`` sets: float64 values near every finite code's value (the value and the midpoint
  to the next value up, each with its float64 neighbours; for max finite the midpoint to
  max + ulp), overflow and underflow probes, +/-0, +/-inf, NaN, and the negatives of the
  nonzero finite ones; every code for K <= 8, 300 SplitMix64 codes (+ 0, 1, 2, one, max) above.
* Cases the reference gets wrong for a known reason are dropped (the rule is part of the set's
  definition): operands equal to a Finite format's +/-max finite code, which the reference's
  ``isinf()`` takes for +/-Inf (every operation but convert and decode; README quirk 2), and
  add/sub/fma whose exact result needs more than 852 significant bits (MPFR_BITS; quirk 1).
Random values of a stochastic mode with N bits: SplitMix64 (seed from ``f"{id}|{k}|r"``),
value >> (64 - N).

Digest: SHA-256 over the outputs of every mode in order: result codes as little-endian uint16
(also for K <= 8), comparison results as uint8 0/1, decode results as records
``<u8 m, <i4 e, <i4 cls`` (value (+/-) m * 2^e, m odd or 0; cls 0 = non-negative finite,
4 = negative, 1 = +inf, 2 = -inf, 3 = NaN).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "data" / "p3109" / "digests.json"
#: significand bits of the reference's MPFR numbers (boost default_precision(256) is 256
#: decimal digits = 852 bits): exact results wider than this are rounded before Project
MPFR_BITS = 852

ROUND_CODES = {"TowardZero": "TZ", "TowardMaxMagnitude": "TMM", "TowardPositive": "TP", "TowardNegative": "TN",
               "NearestTiesToAway": "NTA", "NearestTiesToEven": "NTE", "ToOdd": "ODD", "StochasticA": "SA",
               "StochasticB": "SB", "StochasticC": "SC"}
SAT_CODES = {"SatFinite": "SF", "SatPropagate": "SP", "OvfInf": "OI"}
_ROUND_NAMES = {v: k for k, v in ROUND_CODES.items()}
_SAT_NAMES = {v: k for k, v in SAT_CODES.items()}
DETERMINISTIC = tuple(ROUND_CODES)[:7]
STOCHASTIC = tuple(ROUND_CODES)[7:]


# ---- P3109 formats (interim report definitions, written from the text, not from any code) ---

@dataclass(frozen=True)
class P3109Format:
    K: int
    P: int
    signed: bool
    extended: bool

    @property
    def name(self) -> str:
        return f"binary{self.K}p{self.P}{'s' if self.signed else 'u'}{'e' if self.extended else 'f'}"

    @property
    def bias(self) -> int:
        return 1 << (self.K - self.P - 1 if self.signed else self.K - self.P)

    @property
    def nan(self) -> int:
        return 1 << (self.K - 1) if self.signed else (1 << self.K) - 1

    @property
    def pinf(self) -> int | None:
        if not self.extended:
            return None
        return (1 << (self.K - 1)) - 1 if self.signed else (1 << self.K) - 2

    @property
    def ninf(self) -> int | None:
        return (1 << self.K) - 1 if self.extended and self.signed else None

    @property
    def max_code(self) -> int:
        """Code of the largest finite value."""
        top = (1 << (self.K - 1)) - 1 if self.signed else (1 << self.K) - 2
        return top - 1 if self.extended else top

    @property
    def one(self) -> int:
        return self.bias << (self.P - 1)

    def value(self, code: int):
        """Exact value: Fraction, or float inf / -inf / nan."""
        c = int(code)
        if c == self.nan:
            return float("nan")
        if c == self.pinf:
            return float("inf")
        if c == self.ninf:
            return float("-inf")
        half = 1 << (self.K - 1)
        if self.signed and c > half:
            return -self.value(c - half)
        t, e = c % (1 << (self.P - 1)), c >> (self.P - 1)
        if e == 0:
            return Fraction(t, 1 << (self.P - 1)) * Fraction(2) ** (1 - self.bias)
        return (1 + Fraction(t, 1 << (self.P - 1))) * Fraction(2) ** (e - self.bias)

    def specials(self) -> list[int]:
        """Special and boundary codes: 0, min/max subnormal, min normal, 1 and its neighbours,
        max finite and its neighbour, Inf, NaN, and the negatives (signed)."""
        pos = {0, 1, self.max_code, self.max_code - 1, self.one, self.one + 1, self.one - 1}
        if self.P > 1:
            pos |= {(1 << (self.P - 1)) - 1, 1 << (self.P - 1), 2}
        pos = {c for c in pos if 0 <= c <= self.max_code}
        codes = set(pos) | {self.nan}
        if self.pinf is not None:
            codes.add(self.pinf)
        if self.signed:
            half = 1 << (self.K - 1)
            codes |= {c + half for c in pos if c} | ({self.ninf} if self.ninf is not None else set())
        return sorted(codes)

    def reference_inf_codes(self) -> list[int]:
        """Codes the reference's ``isinf()`` / ``isposinf()`` / ``isneginf()`` take for +/-Inf
        although the format is Finite (the +/-max finite codes; README quirk 2): operands with
        these codes are dropped from every case set except convert and decode."""
        if self.extended:
            return []
        return [(1 << (self.K - 1)) - 1, (1 << self.K) - 1] if self.signed else [(1 << self.K) - 2]

    def specials8(self) -> list[int]:
        """Eight special codes for ternary sets: 0, min subnormal, 1, max, Inf (or max - 1), NaN
        and -1, -Inf (or -max) when signed, else min normal and max - 1."""
        top = self.pinf if self.pinf is not None else self.max_code - 1
        c = [0, 1, self.one, self.max_code, top, self.nan]
        if self.signed:
            half = 1 << (self.K - 1)
            c += [self.one + half, self.ninf if self.ninf is not None else self.max_code + half]
        else:
            c += [1 << (self.P - 1), self.max_code - 1]
        return list(dict.fromkeys(c))


@cache
def parse(name: str) -> P3109Format:
    s = name.lower().removeprefix("binary")
    K, P = (int(v) for v in s[:-2].split("p"))
    return P3109Format(K, P, s[-2] == "s", s[-1] == "e")


# ---- deterministic generators --------------------------------------------------------------

def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def splitmix64(seed: int, n: int) -> np.ndarray:
    """n values of SplitMix64 from ``seed`` (uint64, wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        s = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = s
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def random_codes(text: str, n: int, K: int) -> np.ndarray:
    return (splitmix64(_seed(text), n) >> np.uint64(64 - K)).astype(np.int64)


@dataclass(frozen=True)
class CaseSet:
    id: str
    op: str
    fmts: tuple  # (result, x, y, z) reference names; None where absent
    kind: str  # "exhaustive" | "sampled" | "all_codes"
    n: int  # cases per mode before exclusions (0: exhaustive)
    modes: tuple  # ((rounding, saturation, nbits) | None, ...)
    digest: str = ""

    def as_json(self) -> dict:
        return {"id": self.id, "op": self.op, "fmts": [f for f in self.fmts], "kind": self.kind, "n": self.n,
                "modes": " ".join(mode_code(m) for m in self.modes), "digest": self.digest}

    @staticmethod
    def from_json(d: dict) -> CaseSet:
        return CaseSet(d["id"], d["op"], tuple(d["fmts"]), d["kind"], d["n"],
                       tuple(parse_mode(c) for c in d["modes"].split(" ")), d.get("digest", ""))


def mode_code(m) -> str:
    if m is None:
        return "-"
    r, s, n = m
    return f"{ROUND_CODES[r]}{n or ''}.{SAT_CODES[s]}"


def parse_mode(code: str):
    if code == "-":
        return None
    r, s = code.split(".")
    head = r.rstrip("0123456789")
    return (_ROUND_NAMES[head], _SAT_NAMES[s], int(r[len(head):]) if r[len(head):] else None)


ARITY = {"neg": 1, "abs": 1, "sqrt": 1, "recip": 1, "rsqrt": 1, "convert": 1, "decode": 1, "from_f64": 1,
         "fma": 3, "clamp": 3}


def arity(op: str) -> int:
    return ARITY.get(op, 2)


def _operand_formats(cs: CaseSet):
    return [parse(f) for f in cs.fmts[1:1 + arity(cs.op)]]


def _wide_exact(cs: CaseSet, cols) -> np.ndarray:
    """Mask of cases whose exact add/sub/fma result needs more than MPFR_BITS bits."""
    fx = _operand_formats(cs)
    span = max(f.bias + f.K for f in fx) * 2
    keep = np.ones(len(cols[0]), dtype=bool)
    if cs.op not in ("add", "sub", "fma") or span <= MPFR_BITS - 64:
        return keep
    for i in range(len(keep)):
        v = [f.value(c) for f, c in zip(fx, (col[i] for col in cols))]
        if any(not isinstance(t, Fraction) for t in v):
            continue
        r = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b}.get(cs.op)
        exact = r(*v) if r else v[0] * v[1] + v[2]
        if exact == 0:
            continue
        num, den = abs(exact.numerator), exact.denominator
        # exact is dyadic: bits from its leading bit down to its lowest set bit
        lead = num.bit_length() - den.bit_length()
        low = (num & -num).bit_length() - den.bit_length()
        keep[i] = lead - low + 1 <= MPFR_BITS
    return keep


def operands(cs: CaseSet, k: int) -> tuple:
    """The operand code arrays (int64) of mode k of case set cs (float64 for from_f64)."""
    if cs.op == "from_f64":
        return (f64_probes(parse(cs.fmts[0]), cs.id),)
    fx = _operand_formats(cs)
    a = arity(cs.op)
    if cs.kind in ("exhaustive", "all_codes") or (a == 1 and (1 << fx[0].K) <= cs.n):
        if a == 1:
            cols = [np.arange(1 << fx[0].K, dtype=np.int64)]
        else:
            K = fx[1].K
            i = np.arange(1 << (fx[0].K + K), dtype=np.int64)
            cols = [i >> K, i & ((1 << K) - 1)]
    else:
        sp = [f.specials() if a < 3 else f.specials8() for f in fx]
        grids = np.meshgrid(*[np.array(s, dtype=np.int64) for s in sp], indexing="ij")
        cols = [g.reshape(-1)[:cs.n] for g in grids]
        extra = cs.n - len(cols[0])
        if extra > 0:
            cols = [np.concatenate([c, random_codes(f"{cs.id}|{k}|{j}", extra, f.K)]) for j, (c, f) in
                    enumerate(zip(cols, fx))]
    keep = np.ones(len(cols[0]), dtype=bool)
    if cs.op not in ("convert", "decode"):
        for c, f in zip(cols, fx):
            keep &= ~np.isin(c, f.reference_inf_codes())
    keep &= _wide_exact(cs, cols)
    return tuple(c[keep] for c in cols)


def random_values(cs: CaseSet, k: int, count: int):
    """Random values R (uint64, < 2^N) for mode k, or None for deterministic modes."""
    m = cs.modes[k]
    if m is None or m[2] is None:
        return None
    return splitmix64(_seed(f"{cs.id}|{k}|r"), count) >> np.uint64(64 - m[2])


def f64_probes(f: P3109Format, text: str) -> np.ndarray:
    """float64 inputs for from_f64 sets (exact values, midpoints, their float64 neighbours, ...)."""
    K = f.K
    codes = range(f.max_code + 1) if K <= 8 else sorted(
        {c for c in random_codes(text, 300, K).tolist() if c <= f.max_code} | {0, 1, 2, f.max_code, f.one})
    vals = []
    for c in codes:
        v = f.value(c)
        nxt = f.value(c + 1) if c < f.max_code else v + (v - f.value(c - 1))  # one ulp above max
        for q in (v, (v + nxt) / 2):
            x = float(q)
            if Fraction(x) == q:
                vals += [x, np.nextafter(x, np.inf), np.nextafter(x, -np.inf)]
    top = f.value(f.max_code)
    vals += [float(top) * 2, float(top) * 1e30, float(f.value(1)) / 2, float(f.value(1)) / 3, 1e-300, 5e-324,
             0.0, -0.0, np.inf, -np.inf, np.nan]
    arr = np.array(vals, dtype=np.float64)
    return np.concatenate([arr, -arr[np.isfinite(arr) & (arr != 0)]])


# ---- outputs and digests ------------------------------------------------------------------

def output_bytes(op: str, out) -> bytes:
    """Canonical bytes of one mode's outputs (see the module docstring)."""
    if op in ("eq", "lt", "le", "gt", "ge"):
        return np.asarray(out, dtype=np.uint8).astype("<u1").tobytes()
    if op == "decode":
        return decode_records(out).tobytes()
    return np.asarray(out).astype("<u2").tobytes()


def decode_records(values) -> np.ndarray:
    """Records <u8 m, <i4 e, <i4 cls of exact values (Fraction / int / float inf, nan)."""
    rec = np.zeros(len(values), dtype=[("m", "<u8"), ("e", "<i4"), ("cls", "<i4")])
    for i, v in enumerate(values):
        if isinstance(v, float) and v != v:
            rec[i] = (0, 0, 3)
        elif isinstance(v, float) and abs(v) == float("inf"):
            rec[i] = (0, 0, 1 if v > 0 else 2)
        else:
            q = Fraction(v)
            if q == 0:
                rec[i] = (0, 0, 0)
                continue
            num, den = abs(q.numerator), q.denominator
            e = -(den.bit_length() - 1)
            tz = (num & -num).bit_length() - 1
            rec[i] = (num >> tz, e + tz, 4 if q < 0 else 0)
    return rec


def digest(op: str, outputs_per_mode) -> str:
    h = hashlib.sha256()
    for out in outputs_per_mode:
        h.update(output_bytes(op, out))
    return h.hexdigest()


def load(path: Path = DATA) -> tuple[dict, list[CaseSet]]:
    """(header, case sets) of the committed digests file."""
    d = json.loads(Path(path).read_text())
    return {k: v for k, v in d.items() if k != "sets"}, [CaseSet.from_json(s) for s in d["sets"]]
