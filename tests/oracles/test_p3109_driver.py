"""The P3109 reference driver is sane: hand-computed results per operation, its decode equals
the interim report's formula, memo on/off agree, and the committed digests reproduce.

Expected codes below are worked out by hand from the values (binary8p3se: bias 16, 1.0 = 0x40,
max 0x7E = 49152, +Inf 0x7F, NaN 0x80, -Inf 0xFF; binary8p4ue: bias 16, 1.0 = 0x80,
max 0xFD, +Inf 0xFE, NaN 0xFF; binary8p4sf: bias 8, max 0x7F = 240, NaN 0x80).
"""

from fractions import Fraction

import numpy as np
import pytest

from tests.oracles import p3109 as P
from tests.oracles.p3109 import cases as C

S3 = "binary8p3se"
NAN, INF, NINF, MAX, ONE, TWO = 0x80, 0x7F, 0xFF, 0x7E, 0x40, 0x44


@pytest.fixture(scope="module", autouse=True)
def _driver():
    P.driver()  # builds once, or skips the module with the reason


def run1(op, *xs, fmt=S3, r="rne", s="ovf_inf", **kw):
    return [int(v) for v in P.run(op, fmt, *[np.array(x) for x in xs], rounding=r, saturation=s, **kw)]


def test_decode_matches_the_interim_report_formula():
    for name in ("binary8p3se", "binary8p4ue", "binary8p4sf", "binary8p3uf", "binary3p2se", "binary3p3uf",
                 "binary8p1se", "binary16p11se", "binary15p5sf"):
        f = C.parse(name)
        codes = np.arange(1 << f.K) if f.K <= 10 else np.r_[0:600, (1 << f.K) - 600:1 << f.K]
        got, want = P.decode(name, codes), [f.value(c) for c in codes]
        for c, g, w in zip(codes, got, want):
            assert (g != g and w != w) or g == w, (name, int(c), g, w)


def test_add_sub():
    assert run1("add", [ONE, ONE, INF, INF, NAN, ONE], [ONE, 0xC0, NINF, ONE, ONE, NAN]) == [TWO, 0, NAN, INF, NAN,
                                                                                           NAN]
    assert run1("add", [MAX], [MAX]) == [INF]
    assert run1("add", [MAX], [MAX], s="sat_finite") == [MAX]
    assert run1("add", [MAX], [MAX], s="sat_propagate") == [MAX]
    assert run1("add", [INF], [ONE], s="sat_finite") == [INF]  # special cases are not projected
    assert run1("add", [MAX], [MAX], r="rtz") == [MAX]
    assert run1("add", [0xFE], [0xFE], r="rup") == [0xFE]  # -max + -max toward +inf: -max
    assert run1("add", [0xFE], [0xFE], r="rdn") == [NINF]
    assert run1("sub", [ONE, INF, INF], [ONE, INF, NINF]) == [0, NAN, INF]  # no -0; Inf - Inf = NaN


def test_mul_ties_by_mode():
    # 1.5 * 1.5 = 2.25, halfway between 2 (0x44, even) and 2.5 (0x45)
    want = {"rne": 0x44, "rna": 0x45, "rtz": 0x44, "rup": 0x45, "rdn": 0x44, "rto": 0x45, "raz": 0x45}
    for r, w in want.items():
        assert run1("mul", [0x42], [0x42], r=r) == [w], r
    assert run1("mul", [0xC2], [0x42], r="rdn") == [0xC5]  # -2.25 toward -inf: -2.5
    assert run1("mul", [INF, INF, NINF], [0, NINF, NINF]) == [NAN, NINF, INF]


def test_div_sqrt_recip_rsqrt():
    # 1/3 = 1.333 * 2^-2 -> 1.25 * 2^-2 (E = 14): 14 << 2 | 1 = 0x39; 1/0 = NaN (not Inf)
    assert run1("div", [ONE, ONE, 0, INF, ONE], [0x46, 0, 0, INF, INF]) == [0x39, NAN, NAN, NAN, 0]
    # sqrt(4) = 2, sqrt(2) = 1.414 -> 1.5 (0x42), sqrt(-1) = NaN, sqrt(+Inf) = +Inf
    assert run1("sqrt", [0x48, TWO, 0xC0, INF, NINF, 0]) == [TWO, 0x42, NAN, INF, NAN, 0]
    assert run1("recip", [TWO, 0, INF, NINF]) == [0x3C, NAN, 0, 0]  # 1/2 = 0x3C
    assert run1("rsqrt", [0x48, 0, 0xC0, INF]) == [0x3C, NAN, NAN, 0]


def test_fma_clamp():
    # 2 * 3 + 1 = 7 = 1.75 * 4: (2 + 16) << 2 | 3 = 0x4B
    assert run1("fma", [TWO, INF, 0, INF], [0x46, 0, 0x46, ONE], [ONE, ONE, NAN, NINF]) == [0x4B, NAN, NAN, NAN]
    assert run1("clamp", [0x48, 0x48, 0x48, NAN], [ONE, TWO, 0x4C, ONE], [TWO, ONE, 0x50, TWO]) == [TWO, NAN, 0x4C,
                                                                                                   NAN]


def test_sign_ops():
    assert run1("neg", [ONE, 0, NAN, INF, NINF]) == [0xC0, 0, NAN, NINF, INF]
    assert run1("abs", [0xC0, NINF, NAN]) == [ONE, INF, NAN]
    assert run1("copysign", [ONE, 0xC4, ONE, INF], [0xC4, ONE, NAN, 0xC0]) == [0xC0, TWO, NAN, NINF]


def test_min_max_family():
    x, y = [NAN, ONE, 0xC4, 0xC0, NINF], [ONE, NAN, ONE, ONE, INF]
    assert run1("maximum", x, y) == [NAN, NAN, ONE, ONE, INF]
    assert run1("minimum", x, y) == [NAN, NAN, 0xC4, 0xC0, NINF]
    assert run1("maximum_number", x, y) == [ONE, ONE, ONE, ONE, INF]
    assert run1("minimum_number", x, y) == [ONE, ONE, 0xC4, 0xC0, NINF]
    assert run1("maximum_magnitude", x, y) == [NAN, NAN, 0xC4, ONE, INF]  # |-1| == |1|: the larger
    assert run1("minimum_magnitude", x, y) == [NAN, NAN, ONE, 0xC0, NINF]  # |-1| == |1|: the smaller
    assert run1("maximum_magnitude_number", x, y) == [ONE, ONE, 0xC4, ONE, INF]
    assert run1("minimum_magnitude_number", x, y) == [ONE, ONE, ONE, 0xC0, NINF]
    assert run1("maximum_finite", [INF, NAN], [ONE, NINF]) == [ONE, NINF]
    assert run1("minimum_finite", [NINF, ONE], [TWO, NAN]) == [TWO, ONE]


def test_comparisons():
    x, y = [NAN, NINF, INF, ONE, ONE], [ONE, ONE, INF, TWO, ONE]
    got = {op: P.run(op, S3, np.array(x), np.array(y)).tolist() for op in P.PREDICATES}
    assert got == {"eq": [False, False, True, False, True], "lt": [False, True, False, True, False],
                   "le": [False, True, True, True, True], "gt": [False, False, False, False, False],
                   "ge": [False, False, True, False, True]}
    # mixed formats: binary8p3se 1.0 == binary8p4se 1.0 (0x40 in both)
    assert P.run("eq", ("binary8p3se", "binary8p3se", "binary8p4se"), np.array([ONE]), np.array([ONE])).tolist() == [
        True]


def test_convert_and_projection():
    # binary8p4se 1.125 (0x41) -> binary8p3se: halfway between 1.0 and 1.25
    conv = lambda r: int(P.run("convert", (S3, "binary8p4se"), np.array([0x41]), rounding=r,
                               saturation="OvfInf")[0])
    assert (conv("rne"), conv("rna"), conv("rtz"), conv("raz")) == (ONE, 0x41, ONE, 0x41)
    f = C.parse(S3)
    # 9/8: a tie (-> 1.0); 2^20 > max 49152; 2^-19 is a quarter of the min subnormal 2^-17
    vals = [Fraction(1), Fraction(9, 8), Fraction(-3), float("inf"), Fraction(2) ** 20, Fraction(1, 2 ** 19)]
    assert P.project(S3, vals, rounding="rne", saturation="SatFinite").tolist() == [ONE, ONE, 0xC6, MAX, MAX, 0]
    assert P.project(S3, vals, rounding="rne", saturation="OvfInf").tolist() == [ONE, ONE, 0xC6, INF, INF, 0]
    assert f.value(0xC6) == -3
    assert P.from_f64(S3, [-0.0, np.nan, 1.0, -np.inf], rounding="rne", saturation="OvfInf").tolist() == [0, NAN, ONE,
                                                                                                        NINF]


def test_stochastic_variants():
    # X = 1 + d * 0.25 in binary8p3se (ulp 0.25 at 1): round up iff
    #   A: floor(d 2^N) + R >= 2^N;  B: floor(d 2^(N+1)) + 2R + 1 >= 2^(N+1);  C: rne(d 2^N) + R >= 2^N
    R = np.arange(4, dtype=np.uint64)
    def up(var, d):
        x = [1 + d * Fraction(1, 4)] * 4
        got = P.project(S3, x, rounding=f"Stochastic{var}", saturation="OvfInf", nbits=2, rbits=R)
        return [int(g) - ONE for g in got]
    d38, d58 = Fraction(3, 8), Fraction(5, 8)
    assert up("A", d38) == [0, 0, 0, 1]  # floor(1.5) = 1: R >= 3
    assert up("B", d38) == [0, 0, 1, 1]  # floor(3) = 3: 2R >= 4
    assert up("C", d38) == [0, 0, 1, 1]  # rne(1.5) = 2: R >= 2
    assert up("A", d58) == [0, 0, 1, 1]  # floor(2.5) = 2
    assert up("B", d58) == [0, 1, 1, 1]  # floor(5) = 5: 2R >= 2
    assert up("C", d58) == [0, 0, 1, 1]  # rne(2.5) = 2
    with pytest.raises(ValueError, match="compiled"):
        P.project(S3, [1], rounding="StochasticA", saturation="OvfInf", nbits=9, rbits=[0])


def test_overflow_rules_differ_by_signedness():
    # ToOdd under OvfInf: signed extended overflows to +Inf, unsigned saturates (Saturate's rule)
    assert run1("add", [MAX], [MAX], r="rto") == [INF]
    assert run1("add", [0xFD], [0xFD], fmt="binary8p4ue", r="rto") == [0xFD]
    assert run1("add", [0xFD], [0xFD], fmt="binary8p4ue", r="rne") == [0xFE]
    # unsigned: negative results go to 0 in every mode
    for r in ("rne", "rdn", "rup", "raz"):
        assert run1("sub", [0x80], [0x88], fmt="binary8p4ue", r=r) == [0], r
    # finite formats: SatFinite only (Project requires it), +Inf from a special case = max finite
    assert run1("add", [0x7E], [0x7E], fmt="binary8p4sf", s="sat_finite") == [0x7F]  # 224 + 224 -> 240
    with pytest.raises(P.Unsupported, match="SatFinite"):
        run1("add", [0x7E], [0x7E], fmt="binary8p4sf", s="ovf_inf")
    assert P.run("add", ("binary8p3sf", "binary8p3se", "binary8p3se"), np.array([0x7F]), np.array([0x40]),
                 rounding="rne", saturation="sat_finite").tolist() == [0x7F]


def test_quirk_mpfr_precision_double_rounds_wide_sums():
    """README quirk 1: exact sums wider than 852 bits are rounded to nearest before Project."""
    fm = "binary15p5sf"  # bias 512, 4 trailing bits: 2^e has code (e + 512) << 4, min subnormal code 1
    got = [int(P.run("add", fm, np.array([(e + 512) << 4]), np.array([1]), rounding="rup",
                     saturation="sat_finite")[0]) for e in (330, 340)]
    # 2^330 + 2^-515 needs 846 bits (exact, rounds up); 2^340 + 2^-515 needs 856 (the tiny term is lost)
    assert got == [((330 + 512) << 4) + 1, (340 + 512) << 4]


def test_quirk_finite_max_is_taken_for_inf():
    """README quirk 2: binary<>::isinf() ignores the domain, so in Finite formats the operations
    treat the +/-max finite codes as +/-Inf (decode and convert do not)."""
    fm = "binary8p4sf"  # max 0x7F = 240, -max 0xFF
    assert run1("mul", [0x7F], [0], fmt=fm, s="sat_finite") == [NAN]  # 240 * 0: "Inf * 0"
    assert run1("sqrt", [0x7F], fmt=fm, s="sat_finite") == [0x7F]  # sqrt(240) = 15.49 -> 0x5F expected
    assert run1("sub", [0x7F], [0x7F], fmt=fm, s="sat_finite") == [NAN]  # 240 - 240: "Inf - Inf"
    assert P.run("gt", fm, np.array([0x7E]), np.array([0xFF])).tolist() == [True]  # 224 > -240 (right)
    assert P.run("lt", fm, np.array([0xFF]), np.array([0xFF])).tolist() == [False]
    assert P.run("eq", fm, np.array([0x7F]), np.array([0x7F])).tolist() == [True]


def test_memo_does_not_change_results():
    i = np.arange(0, 65536, 37)
    x, y = i >> 8, i & 255
    for op, r in (("add", "rup"), ("div", "rne"), ("mul", "StochasticB")):
        kw = dict(rounding=r, saturation="OvfInf", nbits=3, rbits=(i * 5) % 8)
        assert np.array_equal(P.run(op, "binary8p4se", x, y, **kw), P.run(op, "binary8p4se", x, y, memo=False, **kw))


def test_bad_input_is_reported():
    with pytest.raises(RuntimeError, match="out of range"):
        P.run("add", "binary5p3se", np.array([40]), np.array([1]), rounding="rne", saturation="OvfInf")
    with pytest.raises(RuntimeError, match="unknown format"):
        P.run("add", "binary8p2ue", np.array([1]), np.array([1]), rounding="rne", saturation="OvfInf")
    with pytest.raises(P.Unsupported, match="operation"):
        P.run("add", ("binary8p3se", "binary5p3se", "binary8p3se"), np.array([1]), np.array([1]), rounding="rne",
              saturation="OvfInf")


def test_committed_digests_reproduce():
    """The live driver reproduces a spread of the committed case sets (cheap ones)."""
    header, sets = C.load()
    assert "9042910" in header["provenance"] and "MIT" in header["licence"]
    cheap = [s for s in sets if s.kind != "exhaustive" or s.op in P.PREDICATES or s.op.startswith(("max", "min"))]
    pick = sorted(cheap, key=lambda s: C._seed(s.id))[:12]
    pick += sorted((s for s in sets if s.kind == "exhaustive" and s.op in ("mul", "div")),
                   key=lambda s: C._seed(s.id))[:2]
    for cs in pick:
        assert C.digest(cs.op, P.reference_outputs(cs)) == cs.digest, cs.id
