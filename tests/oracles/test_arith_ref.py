"""The exact arithmetic reference (arith_ref) against independent implementations.

* Berkeley SoftFloat (softfloatpy) for binary16: add, sub, mul, div, fma, sqrt in its five
  rounding modes and both tininess rules, codes and all five flags; comparisons' flags.
* APyTypes for IEEE-like e4m3 (with Inf) and e5m2: add, sub, mul, div in five modes (bits).
* ml_dtypes for the conversion rules (fp16 -> OCP/FNUZ/FP4 formats, RNE, non-saturating).
* SoftPosit for posit8 (es = 0 and the standard's es = 2): add, sub, mul, div.
* The P3109 reference driver for P3109 formats: every operation it has, deterministic and
  stochastic modes, all saturations (cases the reference gets wrong for a documented reason
  excluded: tests/oracles/p3109/README.md quirks 1 and 2).
"""

from fractions import Fraction

import numpy as np
import pytest

from tests.oracles import arith_ref as A
from tests.oracles.p3109 import cases as C

FP16_SPECIALS = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x0401, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00,
                 0x7D00, 0xFD01, 0x3C00, 0xBC00, 0x3C01, 0x3BFF, 0x4000, 0x0200, 0x5BFF, 0x2400, 0x1400, 0xC000]


def _rand(tag, n, bits=16):
    return C.random_codes(tag, n, bits)


def _pairs(tag, n):
    """Special pairs, random pairs, and pairs steered at cancellation, overflow and underflow."""
    sp = np.array(FP16_SPECIALS)
    a, b = [v.ravel() for v in np.meshgrid(sp, sp, indexing="ij")]
    x, y = _rand(tag + "x", n), _rand(tag + "y", n)
    d = _rand(tag + "d", n, 3)
    near = (x ^ 0x8000) + d - 3  # x + near -x: cancellation
    big, small = (x & 0x03FF) | 0x7000, (y & 0x83FF) | 0x0800
    return (np.concatenate([a, x, x, big, small]) & 0xFFFF,
            np.concatenate([b, y, near & 0xFFFF, big ^ (d << 15 & 0x8000), small]) & 0xFFFF)


# ---- SoftFloat --------------------------------------------------------------------------------

SF_MODES = {"rne": "NEAR_EVEN", "rtz": "MIN_MAG", "rdn": "MIN", "rup": "MAX", "rna": "NEAR_MAX_MAG"}


@pytest.fixture(scope="module")
def sf():
    return pytest.importorskip("softfloatpy")


def _sf16(sf, c):
    return sf.Float16.from_bytes(int(c).to_bytes(2, "big"))


def _bits(x):
    return int.from_bytes(x.to_bytes(), "big")


def _same(got, want, fmt):
    F = A.fmt_of(fmt)
    if F.decode(want).is_nan:
        return F.decode(got).is_nan
    return got == want


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "sqrt", "fma"])
def test_binary16_vs_softfloat(sf, op):
    fn = {"add": sf.f16_add, "sub": sf.f16_sub, "mul": sf.f16_mul, "div": sf.f16_div, "sqrt": sf.f16_sqrt,
          "fma": sf.f16_mul_add}[op]
    if op == "sqrt":
        xs = np.concatenate([np.array(FP16_SPECIALS), _rand("sq", 600)])
        cases = [(int(x),) for x in xs]
    elif op == "fma":
        a, b = _pairs("fma", 300)
        c = _rand("fz", len(a))
        cases = list(zip(a.tolist(), b.tolist(), c.tolist()))
        # exact-zero sums and 0 * Inf + qNaN
        cases += [(0x3C00, 0x3C00, 0xBC00), (0x0000, 0x8000, 0x0000), (0x8000, 0x3C00, 0x8000), (0x0000, 0x7C00,
                                                                                              0x7E00)]
    else:
        a, b = _pairs(op, 300)
        cases = list(zip(a.tolist(), b.tolist()))
    bad = []
    for tin in ("after", "before"):
        sf.set_tininess_mode(sf.TininessMode.AFTER_ROUNDING if tin == "after" else sf.TininessMode.BEFORE_ROUNDING)
        for rm, sfm in SF_MODES.items():
            sf.set_rounding_mode(getattr(sf.RoundingMode, sfm))
            for cs in cases:
                sf.set_exception_flags(0)
                want = _bits(fn(*[_sf16(sf, c) for c in cs]))
                wflags = int(sf.get_exception_flags())
                got, flags = A.scalar(op, *cs, fmt="fp16", rounding=rm, tininess=tin)
                if not _same(got, want, "fp16") or flags != wflags:
                    bad.append((tin, rm, [hex(c) for c in cs], hex(got), hex(want), flags, wflags))
    sf.set_rounding_mode(sf.RoundingMode.NEAR_EVEN)
    sf.set_tininess_mode(sf.TininessMode.AFTER_ROUNDING)
    assert not bad, f"{len(bad)} mismatches, first {bad[:5]}"


def test_binary16_comparisons_vs_softfloat(sf):
    a, b = _pairs("cmp", 200)
    ops = {"eq": (sf.f16_eq, False), "lt": (sf.f16_lt, False), "le": (sf.f16_le, False), "gt": (sf.f16_lt, True),
           "ge": (sf.f16_le, True)}
    bad = []
    for x, y in zip(a.tolist(), b.tolist()):
        for name, (fn, swap) in ops.items():
            sf.set_exception_flags(0)
            u, v = (_sf16(sf, y), _sf16(sf, x)) if swap else (_sf16(sf, x), _sf16(sf, y))
            want, wf = bool(fn(u, v)), int(sf.get_exception_flags())
            got, gf = A.scalar(name, x, y, fmt="fp16")
            if (got, gf) != (want, wf):
                bad.append((name, hex(x), hex(y), got, want, gf, wf))
    assert not bad, bad[:5]


# ---- APyTypes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,eb,mb,bias", [("e4m3", 4, 3, 7), ("e5m2", 5, 2, 15)])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_fp8_vs_apytypes(fmt, eb, mb, bias, op):
    apy = pytest.importorskip("apytypes")
    i = np.arange(0, 65536, 37)
    x, y = i >> 8, i & 255
    modes = {"rne": "TIES_EVEN", "rtz": "TO_ZERO", "rup": "TO_POS", "rdn": "TO_NEG", "rna": "TIES_AWAY"}
    ax = apy.APyFloatArray.from_bits(x.tolist(), eb, mb, bias)
    ay = apy.APyFloatArray.from_bits(y.tolist(), eb, mb, bias)
    F = A.fmt_of(fmt)
    bad = []
    for rm, qm in modes.items():
        with apy.APyFloatQuantizationContext(getattr(apy.QuantizationMode, qm)):
            z = {"add": ax + ay, "sub": ax - ay, "mul": ax * ay, "div": ax / ay}[op]
        want = np.asarray(z.to_bits()).reshape(-1)
        for k in range(len(x)):
            got, _ = A.scalar(op, int(x[k]), int(y[k]), fmt=fmt, rounding=rm)
            w = int(want[k])
            if not (got == w or (F.decode(got).is_nan and F.decode(w).is_nan)):
                bad.append((rm, hex(x[k]), hex(y[k]), hex(got), hex(w)))
    assert not bad, f"{len(bad)} mismatches, first {bad[:5]}"


# ---- ml_dtypes: the delivery rules (fp16 -> 8/4-bit, RNE, overflow as ml_dtypes) ---------------

@pytest.mark.parametrize("fmt", ["e4m3fn", "e5m2", "e4m3fnuz", "e5m2fnuz", "e2m1fn", "e3m2fn"])
def test_convert_from_fp16_vs_ml_dtypes(fmt):
    pytest.importorskip("ml_dtypes")
    from .shared import ML_DTYPES

    dt = ML_DTYPES[fmt]
    codes = np.arange(0, 65536, 13, dtype=np.uint16)
    x = codes.view(np.float16)
    F = A.fmt_of(fmt)
    if not F.has_nan:
        codes, x = codes[~np.isnan(x)], x[~np.isnan(x)]
    want = x.astype(dt).view(np.uint8)
    bad = []
    for c, w in zip(codes.tolist(), want.tolist()):
        got, _ = A.scalar("convert", c, fmt=fmt, in_fmts=["fp16"])
        if not (got == w or (F.decode(got).is_nan and F.decode(w).is_nan)):
            bad.append((hex(c), hex(got), hex(w)))
    assert not bad, f"{len(bad)} mismatches, first {bad[:5]}"


# ---- SoftPosit -------------------------------------------------------------------------------------

@pytest.mark.parametrize("es", [0, 2])
def test_posit8_vs_softposit(es):
    sp = pytest.importorskip("softposit")

    def pos(c):
        if es == 0:
            p = sp.posit8(0.0)
            p.fromBits(int(c))
        else:
            p = sp.posit_2(0.0, 8)
            p.fromBits(int(c) << 24)
        return p

    def bits(p):
        return p.v.v if es == 0 else p.v.v >> 24

    i = np.arange(0, 65536, 29)
    bad = []
    for op in ("add", "sub", "mul", "div"):
        for k in i.tolist():
            x, y = k >> 8, k & 255
            px, py = pos(x), pos(y)
            if op == "div" and y == 0:
                want = 0x80  # NaR
            else:
                want = bits({"add": px + py, "sub": px - py, "mul": px * py, "div": px / py}[op])
            got, _ = A.scalar(op, x, y, fmt=f"posit8_es{es}")
            if got != want:
                bad.append((op, hex(x), hex(y), hex(got), hex(want)))
    assert not bad, f"{len(bad)} mismatches, first {bad[:5]}"


# ---- hand-checked IEEE rules the peers do not cover --------------------------------------------

def test_ieee_rules_by_hand():
    s = lambda *a, **k: A.scalar(*a, **k)
    # exact zero sums: +0, except rdn -> -0; same-signed zeros keep their sign
    assert s("add", 0x38, 0xB8, fmt="e4m3fn") == (0x00, 0)
    assert s("add", 0x38, 0xB8, fmt="e4m3fn", rounding="rdn") == (0x80, 0)
    assert s("add", 0x80, 0x80, fmt="e4m3fn") == (0x80, 0)
    # e4m3fn: 448 + 32 = 480 overflows in every mode (-> NaN; 448 when saturating, toward zero,
    # to odd, down); 448 + 24 = 472 overflows only when it rounds up to 480
    assert s("add", 0x7E, 0x60, fmt="e4m3fn") == (0x7F, 0x05)
    for kw in ({"overflow": "sat_finite"}, {"rounding": "rtz"}, {"rounding": "rto"}, {"rounding": "rdn"}):
        assert s("add", 0x7E, 0x60, fmt="e4m3fn", **kw) == (0x7E, 0x05), kw
    assert s("add", 0x7E, 0x5C, fmt="e4m3fn") == (0x7F, 0x05)
    assert s("add", 0x7E, 0x5C, fmt="e4m3fn", rounding="rtz") == (0x7E, 0x01)
    assert s("add", 0x7E, 0x5C, fmt="e4m3fn", rounding="rto") == (0x7E, 0x05)  # 1.110 -> odd 1.111
    # FP4 (no Inf, no NaN): 1/0 -> +max with infinite + invalid (Inf not representable)
    assert s("div", 0x2, 0x0, fmt="e2m1fn") == (0x7, 0x18)
    # division by zero and invalid; sqrt(-0) = -0; rsqrt(-0) = -Inf
    assert s("div", 0x3C00, 0x8000, fmt="fp16") == (0xFC00, 0x08)
    assert s("div", 0x0000, 0x0000, fmt="fp16")[1] == 0x10
    assert s("sqrt", 0x8000, fmt="fp16") == (0x8000, 0)
    assert s("rsqrt", 0x8000, fmt="fp16") == (0xFC00, 0x08)
    assert s("rsqrt", 0x4400, fmt="fp16") == (0x3800, 0)  # 1/sqrt(4) = 0.5
    # round to odd and away from zero; stochastic rules (fp8ref names) on e5m2 1 + 3/8 ulp
    assert s("add", 0x3C, 0x2E, fmt="e5m2", rounding="rto")[0] == 0x3D  # 1 + 0.09375 -> 1.25
    assert s("add", 0x3C, 0x2E, fmt="e5m2", rounding="raz")[0] == 0x3D
    got = [s("add", 0x3C, 0x2E, fmt="e5m2", rounding=r, rbits=R, nbits=2)[0] - 0x3C
           for r in ("stochastic", "stochastic_fast", "stochastic_rne") for R in range(4)]
    assert got == [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1]
    # min/max 9.6: -0 < +0; NaN-propagating vs number-preferring; sNaN signals
    assert s("minimum", 0x00, 0x80, fmt="e4m3fn") == (0x80, 0)
    assert s("maximum", 0x80, 0x00, fmt="e4m3fn") == (0x00, 0)
    assert s("maximum_number", 0x7D, 0x3C, fmt="e5m2") == (0x3C, 0x10)  # sNaN: the number, invalid
    assert s("maximum", 0x7E, 0x3C, fmt="e5m2") == (0x7F, 0)
    assert s("minimum_magnitude", 0xBC, 0x3C, fmt="e5m2") == (0xBC, 0)
    assert s("maximum_magnitude", 0xBC, 0x3C, fmt="e5m2") == (0x3C, 0)
    # total order and unordered
    assert A.scalar("total_order", 0x80, 0x00, fmt="e4m3fn") == (True, 0)
    assert A.scalar("total_order", 0x00, 0x80, fmt="e4m3fn") == (False, 0)
    assert A.scalar("total_order", 0xFF, 0xF8, fmt="e4m3fn") == (True, 0)  # -NaN first
    assert A.scalar("unordered", 0x7F, 0x00, fmt="e4m3fn") == (True, 0)
    # tininess: e4m3fn 2^-6 * (1 - 2^-5) rounds (unbounded) to 2^-6 -> not tiny after, tiny before
    x = A.num(Fraction(1, 64) * (1 - Fraction(1, 32)))
    F = A.fmt_of("e4m3fn")
    assert A.deliver(F, x, A.Mode.of()) == (0x08, 0x01)
    assert A.deliver(F, x, A.Mode.of(tininess="before")) == (0x08, 0x03)


# ---- the P3109 reference --------------------------------------------------------------------------

P3109_FORMATS = {"binary8p3se": None, "binary8p4ue": None, "binary8p3uf": 6, "binary3p2se": 4, "binary5p2uf": 4,
                 "binary16p8se": 4, "binary8p1se": 6}
P3109_OPS = ("add", "sub", "mul", "div", "copysign", "minimum", "maximum", "minimum_number", "maximum_number",
             "minimum_magnitude", "maximum_magnitude", "minimum_magnitude_number", "maximum_magnitude_number",
             "minimum_finite", "maximum_finite", "neg", "abs", "sqrt", "recip", "rsqrt", "fma", "clamp", "eq", "lt",
             "le", "gt", "ge")


def _p3109_modes(fmt, limit=None):
    """Every rounding under OvfInf (where the families' overflow rules differ), nearest and toward
    zero under the other saturations, the stochastic variants (N = 3) spread over saturations;
    Finite formats: everything under SatFinite. ``limit``: the first modes of a rotation."""
    f = C.parse(fmt)
    if f.extended:
        modes = [(r, "OvfInf", None) for r in C.DETERMINISTIC]
        modes += [(r, s, None) for s in ("SatFinite", "SatPropagate") for r in ("NearestTiesToEven", "TowardZero")]
        modes += [(r, s, 3) for r, s in zip(C.STOCHASTIC, ("SatFinite", "SatPropagate", "OvfInf"))]
    else:
        modes = [(r, "SatFinite", None) for r in C.DETERMINISTIC] + [(r, "SatFinite", 3) for r in C.STOCHASTIC]
    if limit and limit < len(modes):
        k0 = len(fmt) % len(modes)
        modes = (modes[k0:] + modes[:k0])[:limit]
    return modes


@pytest.mark.parametrize("fmt", list(P3109_FORMATS))
def test_p3109_vs_reference_driver(fmt):
    from tests.oracles import p3109 as P

    P.driver()
    bad, n = [], 0
    for op in P3109_OPS:
        modes = [None] if op in P.PREDICATES else _p3109_modes(fmt, P3109_FORMATS[fmt])
        for k, m in enumerate(modes):
            cs = C.CaseSet(f"t/{op}/{fmt}/{k}", op, (fmt, fmt, fmt, fmt), "sampled", 40 if m else 300, (m,))
            ops = C.operands(cs, 0)
            if m is None:
                want = P.run(op, fmt, *ops)
            else:
                rb = C.random_values(cs, 0, len(ops[0]))
                want = P.run(op, fmt, *ops, rounding=m[0], saturation=m[1], nbits=m[2], rbits=rb)
            for i in range(len(ops[0])):
                kw = {} if m is None else dict(rounding=m[0], overflow=m[1], nbits=m[2] or 0,
                                               rbits=0 if rb is None else int(rb[i]))
                got, _ = A.scalar(op, *(int(o[i]) for o in ops), fmt=fmt, **kw)
                n += 1
                if got != want[i]:
                    bad.append((op, m, [hex(int(o[i])) for o in ops], got, int(want[i])))
    assert n > 3000
    assert not bad, f"{len(bad)} of {n} differ, first {bad[:4]}"


def test_p3109_convert_and_projection_vs_reference_driver():
    from tests.oracles import p3109 as P

    P.driver()
    bad = []
    for r, x in (("binary8p3se", "binary8p4se"), ("binary8p4se", "binary8p3se"), ("binary8p3ue", "binary8p3se"),
                 ("binary8p4sf", "binary8p3se"), ("binary16p11se", "binary8p3se"), ("binary8p1se", "binary8p3se")):
        codes = np.arange(256)
        for m in _p3109_modes(r):
            rb = C.random_values(C.CaseSet("c", "convert", (), "", 0, (m,)), 0, 256)
            want = P.run("convert", (r, x), codes, rounding=m[0], saturation=m[1], nbits=m[2], rbits=rb)
            for c in codes.tolist():
                got, _ = A.scalar("convert", c, fmt=r, in_fmts=[x], rounding=m[0], overflow=m[1], nbits=m[2] or 0,
                                  rbits=0 if rb is None else int(rb[c]))
                if got != want[c]:
                    bad.append((r, x, m, hex(c), got, int(want[c])))
    for fmt in ("binary8p3se", "binary8p4ue", "binary8p4sf", "binary6p3se", "binary16p8se", "binary15p5sf",
                "binary8p1se", "binary3p2se"):
        vals = C.f64_probes(C.parse(fmt), fmt)[::5]
        F = A.fmt_of(fmt)
        for m in _p3109_modes(fmt):
            rb = C.random_values(C.CaseSet("p", "from_f64", (), "", 0, (m,)), 0, len(vals))
            want = P.from_f64(fmt, vals, rounding=m[0], saturation=m[1], nbits=m[2], rbits=rb)
            for i, v in enumerate(vals.tolist()):
                val = A.NAN if v != v else (A.V("inf", v < 0) if abs(v) == float("inf") else A.num(Fraction(v)))
                got, _ = A.deliver(F, val, A.Mode.of(m[0], m[1], nbits=m[2] or 0, rbits=0 if rb is None else int(rb[i])))
                if got != want[i]:
                    bad.append((fmt, m, v, got, int(want[i])))
    assert not bad, f"{len(bad)} differ, first {bad[:4]}"
