"""Codes and flags at the bottom of every format's range vs exact `fractions` references, at
array sizes that take every encode path (issue 15: the key-table path flagged float32
subnormals that round up to 2^-126 as underflow under tininess 'after').

Inputs, each under every deterministic rounding mode and both tininess rules:

* **source subnormals**: every float32 subnormal (2^23 per sign, both signs, and zeros) for the
  formats with a rounding or tininess decision point inside float32's subnormal range (IEEE-like
  formats with emin = -126: bf16, tf32, user formats with 8 exponent bits; UE8M0, whose 2^-127
  lies there). For every other format all float32 subnormals lie strictly between the same two
  decision points (0 and the format's first one, at least 2^-126), so each sign has one exact
  outcome; a dense set stands for them: both ends, every power of two +-4 ulps, random ones.
  float64 subnormals into user formats with 11 exponent bits (emin = -1022, 2^52 per sign): a
  dense set holding every decision point +-4 ulps, one random input between each pair, every
  power of two +-4 ulps and random ones.
* **min normal**: every source value within 4 ulps of the format's smallest normal (both sides,
  both signs), float32 and float64 sources.

Sizes: one element at a time or the set itself, chunks of 65,535 (just below the fused-loop
threshold; numpy key table or generic path), and one array of at least 2^20 elements (the
fused Numba loop over the key table wherever a table is built).

Expected results are exact references evaluated per input (min normal) or, for the
exhaustive sets, once per interval between consecutive decision points: every rounding and
tininess decision of an IEEE-like format with precision p in [0, 2^(emin+1)] happens at a
multiple of 2^(emin-p-1) (value grid, midpoints, and the grid and midpoints of the p-bit
rounding with unbounded exponent in [2^(emin-1), 2^emin)), so the outcome is constant on each
open interval between such multiples; the reference is evaluated at each multiple and at one
point inside each interval. A random sample is checked against the reference directly.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from fp8ref import Format, encode, get_format, list_formats
from fp8ref.policy import ROUNDING_MODES, STOCHASTIC_MODES

from .posit.test_posit import ref_encode as posit_ref, ref_tables as posit_tables
from .tapered._ref import HIF8_SPEC, _normal_min as hif8_normal_min
from .tapered._ref import ref_encode as hif8_ref
from .ue8m0.test_ue8m0 import ref_encode as ue8m0_ref
from ..oracles.shared import TWO, code_index, floor_log2, gfloat_format, ieee_facts, ieee_reference

FUSED_MIN = 1 << 16  # fp8ref.codecs: from here the key-table path runs as one Numba loop
BELOW = FUSED_MIN - 1
LARGE = 1 << 20  # also past the size from which a 2^22-key table is built
IEEE_MODES = ("rne", "rna", "rnz", "rtz", "rup", "rdn", "rto", "raz")
TININESS = ("after", "before")

USER_E8 = [
    Format("user_e8m0", 8, 0, 127, True, 1),  # precision 1: ties to the even *code*
    Format("user_e8m5", 8, 5, 127, True, 31),
    Format("user_e8m3fnuz", 8, 3, 127, False, 0, has_negative_zero=False),  # no -0, no Inf
]
USER_E11 = [
    Format("user_e11m0", 11, 0, 1023, True, 1),
    Format("user_e11m3", 11, 3, 1023, True, 7),
    Format("user_e11m7", 11, 7, 1023, True, 127),
]
SRC = {np.float32: (np.uint32, 23, -126), np.float64: (np.uint64, 52, -1022)}  # uint, man bits, emin


def test_modes_are_every_deterministic_mode():
    assert set(IEEE_MODES) == set(ROUNDING_MODES) - set(STOCHASTIC_MODES) - {"hybrid"}  # hybrid: HiF8 only


# ---- one reference per format kind: x -> (code, flags) -------------------------------------------
def _value(k: int, neg: bool, u: Fraction):
    """The exact input k * u with its sign: a Fraction, or the float -0.0 / 0.0 for a zero."""
    if k == 0:
        return -0.0 if neg else 0.0
    return -k * u if neg else k * u


def _unsigned_zero(ref):
    """A reference that takes only Fractions: a signed float zero becomes Fraction(0)."""
    return lambda x, *a: ref(Fraction(0) if isinstance(x, float) else x, *a)


class Case:
    """A format, its reference, its modes, and h: every decision point below 2^-126 (float32) or
    2^-1022 (float64) is a multiple of h."""

    def __init__(self, fmt, modes, ref, h, min_normal):
        self.fmt, self.modes, self.ref, self.h, self.min_normal = fmt, modes, ref, h, min_normal

    def __repr__(self):
        return self.fmt.name


def _ieee_case(fmt):
    p, emin, _, _, _ = ieee_facts(fmt)
    fi = gfloat_format(fmt)
    sign = 1 << (fi.bits - 1)

    def ref(x, mode, tininess):
        r, flags = ieee_reference(x, fmt, mode, "ovf_inf", tininess)
        assert isinstance(r, Fraction), (fmt.name, x, r)  # no Inf/NaN at the bottom of the range
        neg = r < 0 or (r == 0 and math.copysign(1, x) < 0 and fi.has_nz)  # a zero keeps the input's sign
        return code_index(abs(r), p, emin) | (sign if neg else 0), flags

    return Case(fmt, IEEE_MODES, ref, TWO ** (emin - p - 1), TWO**emin)


def _ue8m0_case():
    fmt = get_format("ue8m0")
    # decision points: 2^-127, 2^-128 and the midpoints 1.5 * 2^-127, 1.5 * 2^-128
    ref = _unsigned_zero(lambda x, mode, t: ue8m0_ref(x, mode, "ovf_inf", "nan", t))
    return Case(fmt, ("rne", "rna", "rtz", "rup", "rdn"), ref, TWO**-130, TWO**-127)


def _hif8_case():
    fmt = get_format("hif8")
    # the reference has no 'rto'; its smallest value is 2^-22: no decision point below 2^-23
    ref = _unsigned_zero(lambda x, mode, t: hif8_ref(x, mode, "ovf_inf", tininess=t))
    return Case(fmt, ("rne", "rna", "rtz", "rup", "rdn"), ref, TWO**-24, hif8_normal_min(HIF8_SPEC)[0])


def _posit_case(name):
    fmt = get_format(name)
    minpos = posit_tables(fmt.nbits, fmt.es)[0][0]
    # posits round every nonzero value below minpos to minpos: no decision point below it
    return Case(fmt, ("rne",), _unsigned_zero(lambda x, mode, t: posit_ref(x, fmt.nbits, fmt.es)), minpos, minpos)


def _cases():
    out = []
    for name in list_formats():
        kind = get_format(name).kind
        if kind == "ieee":
            out.append(_ieee_case(get_format(name)))
        elif kind == "ue8m0":
            out.append(_ue8m0_case())
        elif name == "hif8":
            out.append(_hif8_case())
        elif kind == "posit":
            out.append(_posit_case(name))
        else:
            raise AssertionError(f"no reference for format kind {kind!r} ({name})")
    return out + [_ieee_case(f) for f in USER_E8]


CASES = _cases()
E11_CASES = [_ieee_case(f) for f in USER_E11]


def _params(cases):
    return [pytest.param(c, mode, t, id=f"{c.fmt.name}-{mode}-t{t}") for c in cases for mode in c.modes for t in TININESS]


# ---- encoding at every size --------------------------------------------------------------------
def _encode_sizes(x, fmt, kw, sizes):
    """{size: (codes, flags)} for x encoded in slices of each size ("large": one array of at least
    LARGE elements, x repeated)."""
    out = {}
    for size in sizes:
        if size == "large":
            reps = -(-LARGE // x.size)
            c, f = encode(np.tile(x, reps), fmt, return_flags=True, **kw)
            c, f = c.reshape(reps, x.size), f.reshape(reps, x.size)
            assert (c == c[0]).all() and (f == f[0]).all(), "repeats of the same inputs encode differently"
            out[size] = c[0], f[0]
        else:
            parts = [encode(x[i:i + size], fmt, return_flags=True, **kw) for i in range(0, x.size, size)]
            out[size] = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return out


def _check(x, got, want_codes, want_flags, what):
    for size, (c, f) in got.items():
        bad = np.flatnonzero((c.astype(np.int64) != want_codes) | (f != want_flags))
        if bad.size:
            i = int(bad[0])
            bits = x.view(np.uint32 if x.dtype == np.float32 else np.uint64)[i]
            raise AssertionError(
                f"{what}, size {size}: {bad.size} mismatches; first x={int(bits):#x} ({x[i]!r}): got code "
                f"{int(c[i]):#x} flags {int(f[i]):#04x}, expected code {int(want_codes[i]):#x} flags {int(want_flags[i]):#04x}")


# ---- source subnormals: interval-wise reference -------------------------------------------------
class IntervalRef:
    """Exact outcome for source subnormals k * u (u the source's smallest subnormal), from the
    reference at every multiple of h below 2^src_emin and at one point inside each interval."""

    def __init__(self, case, mode, tininess, dtype):
        _, man, src_emin = SRC[dtype]
        self.u = TWO ** (src_emin - man)
        top = TWO**src_emin
        self.shift = min(man + 1, floor_log2(case.h / self.u))  # h = 2^shift * u (at most one interval)
        assert self.shift >= 1, (case, "h below the source's ulp")
        H = 2**self.shift
        n = -(-(2**man) // H)  # intervals covering k < 2^man
        tabs = []  # (codes, flags) at [sign][interval][inside]
        for neg in (False, True):
            at = [case.ref(_value(j * H, neg, self.u), mode, tininess) for j in range(n)]
            mid = [(j * H * self.u + min((j + 1) * H * self.u, top)) / 2 for j in range(n)]
            inside = [case.ref(-v if neg else v, mode, tininess) for v in mid]
            tabs += [r for pair in zip(at, inside) for r in pair]
        self.codes = np.array([r[0] for r in tabs], np.int64)
        self.flags = np.array([r[1] for r in tabs], np.uint8)
        self.n, self.case, self.mode, self.tininess = n, case, mode, tininess

    def expected(self, k, neg):
        """(codes, flags) for the source subnormals with significand field k (< 2^man) and sign neg."""
        j = (k >> k.dtype.type(self.shift)).astype(np.intp)
        inside = (k & k.dtype.type(2**self.shift - 1)) != 0
        i = 2 * (neg * self.n + j) + inside
        return self.codes[i], self.flags[i]

    def spot_check(self, k, neg, rng, n=200):
        """The interval table against the reference evaluated directly, on n random inputs."""
        pick = rng.choice(k.size, min(n, k.size), replace=False)
        codes, flags = self.expected(k[pick], neg[pick])
        for i, (kk, ng) in enumerate(zip(k[pick].tolist(), neg[pick].tolist())):
            got = self.case.ref(_value(kk, ng, self.u), self.mode, self.tininess)
            assert got == (codes[i], flags[i]), (self.case, kk, ng, got, codes[i], flags[i])


def _patterns(k, neg, dtype):
    uint, man, _ = SRC[dtype]
    bits = k.astype(uint) | (neg.astype(uint) << uint(8 * np.dtype(uint).itemsize - 1))
    return bits.view(dtype)


def _exhaustive(case):
    """A decision point (a multiple of h) inside float32's subnormal range?"""
    return case.h < TWO**-126


def _dense_subnormals(dtype, h, rng):
    """Significand fields k of a dense set of source subnormals (and zero): both ends, every power
    of two +-4 ulps, every multiple of h +-4 ulps with one random point between each pair, random."""
    _, man, src_emin = SRC[dtype]
    top = 1 << man
    ks = set(range(0, 65)) | set(range(top - 64, top))
    for b in range(man):
        ks |= {(1 << b) + d for d in range(-4, 5)}
    H = max(1, int(h / TWO ** (src_emin - man))) if h < TWO**src_emin else top
    for j in range(0, top, H):
        ks |= {j + d for d in range(-4, 5)}
        ks.add(j + int(rng.integers(0, H)))
    k = np.array(sorted(v for v in ks if 0 <= v < top), np.uint64)
    return np.concatenate([k, rng.integers(1, top, 4096, dtype=np.uint64)])


@pytest.mark.parametrize("case, mode, tininess", _params(CASES))
def test_float32_subnormals(case, mode, tininess):
    rng = np.random.default_rng(15)
    ref = IntervalRef(case, mode, tininess, np.float32)
    if _exhaustive(case):  # every subnormal, one sign at a time (memory)
        sets = [(np.arange(1 << 23, dtype=np.uint32), np.full(1 << 23, ng)) for ng in (False, True)]
    else:
        k = _dense_subnormals(np.float32, case.h, rng).astype(np.uint32)
        sets = [(np.concatenate([k, k]), np.repeat(np.array([False, True]), k.size))]
    for k, neg in sets:
        ref.spot_check(k, neg, rng)
        want_c, want_f = ref.expected(k, neg)
        x = _patterns(k, neg, np.float32)
        _check(x, _encode_sizes(x, case.fmt, dict(rounding=mode, tininess=tininess), (BELOW, "large")), want_c, want_f,
               f"{case.fmt.name} {mode} t{tininess}")


@pytest.mark.parametrize("case, mode, tininess", _params(E11_CASES))
def test_float64_subnormals_into_11_exponent_bits(case, mode, tininess):
    rng = np.random.default_rng(151)
    k = _dense_subnormals(np.float64, case.h, rng)
    k, neg = np.concatenate([k, k]), np.repeat(np.array([False, True]), k.size)
    ref = IntervalRef(case, mode, tininess, np.float64)
    ref.spot_check(k, neg, rng)
    want_c, want_f = ref.expected(k, neg)
    x = _patterns(k, neg, np.float64)
    _check(x, _encode_sizes(x, case.fmt, dict(rounding=mode, tininess=tininess), (BELOW, "large")), want_c, want_f,
           f"{case.fmt.name} {mode} t{tininess}")


# ---- within 4 ulps of the smallest normal -------------------------------------------------------
def _around(v: Fraction, dtype):
    x = np.array([float(v)], dtype)
    up, dn, out = x.copy(), x.copy(), [x]
    for _ in range(4):
        up, dn = np.nextafter(up, dtype(np.inf)), np.nextafter(dn, dtype(0))
        out += [up, dn]
    x = np.concatenate(out)
    assert Fraction(float(x[0])) == v
    return np.concatenate([x, -x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case, mode, tininess", _params(CASES + E11_CASES))
def test_within_4_ulps_of_min_normal(case, mode, tininess, dtype):
    if dtype == np.float32 and case in E11_CASES:
        pytest.skip("float32 cannot hold values near 2^-1022")
    x = _around(case.min_normal, dtype)
    want = [case.ref(Fraction(float(v)), mode, tininess) for v in x]
    _check(x, _encode_sizes(x, case.fmt, dict(rounding=mode, tininess=tininess), (1, x.size, "large")),
           np.array([w[0] for w in want], np.int64), np.array([w[1] for w in want], np.uint8),
           f"{case.fmt.name} {mode} t{tininess}")


def test_issue15_reproducer():
    """0x007fffff rounds up to 2^-126 in bf16: inexact, not tiny after rounding, at any size."""
    x = np.array([0x007FFFFF], np.uint32).view(np.float32)
    for n in (1, 1 << 16, 1 << 18):
        c, f = encode(np.repeat(x, n), "bf16", return_flags=True)
        assert set(c.tolist()) == {0x0080} and set(f.tolist()) == {0x01}, n


@pytest.mark.parametrize("case", [c for c in CASES + E11_CASES if c.fmt.kind == "ieee"], ids=repr)
def test_reference_code_layout_vs_gfloat(case):
    """The references' code of a value (the IEEE layout: position among the non-negative values)
    equals gfloat's decoding, for every code from zero to 4 * 2^m (subnormals, two binades up)."""
    import gfloat

    p, emin, *_ = ieee_facts(case.fmt)
    fi = gfloat_format(case.fmt)
    for c in range(min(4 << (p - 1), fi.code_of_max)):
        assert code_index(Fraction(gfloat.decode_float(fi, c).fval), p, emin) == c, (case, c)
