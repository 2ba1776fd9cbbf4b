"""P3109 projection rules: hand-derived cases (values worked out from the interim report's
RoundToPrecision / Saturate / Encode), and codes *with flags* against the exact ``fractions``
reference (tests/oracles/arith_ref.py, written from the report independently of fp8ref)."""

from fractions import Fraction

import numpy as np
import pytest

import fp8ref
from fp8ref import encode, get_format
from tests.oracles import arith_ref as A

from . import projection_cases as PC
from ._common import encode_parts_mode, record_parts

NX, UF, OF, NV = 0x01, 0x02, 0x04, 0x10


def enc(x, fmt, **kw):
    c, f = encode(np.array(x, dtype=np.float64), fmt, return_flags=True, **kw)
    return [int(v) for v in c], [int(v) for v in f]


def test_to_odd_overflow_is_the_family_s_rule():
    # binary8p3se max 0x7E = 1.5 * 2^15 = 49152; 53248 = 1.625 * 2^15 truncates to 1.5 (even
    # significand 6) and rounds to odd 1.75 * 2^15 > max: +Inf under OvfInf (P3109 signed)
    assert enc([53248, -53248, 49152], "p3109_8p3", rounding="rto") == ([0x7F, 0xFF, 0x7E], [NX | OF, NX | OF, 0])
    assert enc([53248], "p3109_8p3", rounding="rto", overflow="sat_finite") == ([0x7E], [NX | OF])
    assert enc([53248], "p3109_8p3", rounding="rne") == ([0x7E], [NX])  # the tie goes to even max
    assert enc([53249], "p3109_8p3", rounding="rne") == ([0x7F], [NX | OF])
    # unsigned binary8p3ue: max 0xFD = 1.25 * 2^31; ToOdd saturates in unsigned formats
    assert enc([1.5 * 2**31, 1.6 * 2**31], "p3109_k8p3ue", rounding="rto") == ([0xFD, 0xFD], [NX | OF] * 2)
    assert enc([1.6 * 2**31], "p3109_k8p3ue", rounding="rne") == ([0xFE], [NX | OF])  # +Inf
    # the IEEE-like rule (Berkeley SoftFloat round_odd) saturates: e5m2 max 57344 = 1.75 * 2^15
    # (odd: 61440 rounds to it in range), 65536 overflows to max
    assert enc([61440, 65536, 1e9], "e5m2", rounding="rto") == ([0x7B] * 3, [NX, NX | OF, NX | OF])
    assert get_format("e5m2").overflow_rule == "ieee" and get_format("p3109_8p3").overflow_rule == "p3109"


def test_toward_max_magnitude():
    # binary8p4se (P = 4): 1 + 2^-10 lies between 1.0 (0x40) and 1.125 (0x41)
    x = [1 + 2**-10, -(1 + 2**-10), 1.0, 2.0**-13]
    assert enc(x, "p3109_8p4", rounding="raz") == ([0x41, 0xC1, 0x40, 0x01], [NX, NX, 0, NX | UF])
    assert enc(x, "p3109_8p4", rounding="rna")[0] == [0x40, 0xC0, 0x40, 0x00]
    assert enc([1e6, -1e6], "p3109_8p4", rounding="raz") == ([0x7F, 0xFF], [NX | OF] * 2)  # away: Inf
    assert enc([1 + 2**-10], "e4m3fn", rounding="raz")[0] == [0x39]  # any format: 1.125


def test_stochastic_a_b_c_differ_as_the_report_defines():
    # binary8p3se, x = 1 + 5/32: one ulp at 1.0 is 1/4, the discarded fraction is 5/8; N = 2, R = 1:
    # A: floor(5/8 * 4) + 1 = 3 < 4 -> down; B: floor(5/8 * 8) + 2 + 1 = 8 >= 8 -> up;
    # C: RNITE(2.5) = 2, 2 + 1 < 4 -> down; fp8ref's stochastic_rno (no P3109 twin): 3 + 1 -> up
    want = {"stochastic": 0x40, "stochastic_fast": 0x41, "stochastic_rne": 0x40, "stochastic_rno": 0x41}
    for r, w in want.items():
        c = encode(np.array([1 + 5 / 32]), "p3109_8p3", rounding=r, rbits=np.array([1], np.uint8), srbits=2)
        assert int(c[0]) == w, r
    for R, w in ((0, 0x40), (1, 0x40), (2, 0x41), (3, 0x41)):  # A rounds up iff R >= 2
        c = encode(np.array([1 + 5 / 32]), "p3109_8p3", rounding="stochastic", rbits=np.array([R], np.uint8), srbits=2)
        assert int(c[0]) == w


def test_unsigned_formats_send_negatives_to_zero():
    f = "p3109_k8p4ue"  # bias 16, 1.0 = 0x80, max 0xFD = 53248, +Inf 0xFE, NaN 0xFF
    x = [-1.0, -1e-30, -np.inf, np.inf, np.nan, -0.0, 1.0]
    assert enc(x, f) == ([0, 0, 0, 0xFE, 0xFF, 0, 0x80], [NX, NX | UF, 0, 0, 0, 0, 0])
    # -1e-30 rounds toward -inf to -2^-18 (not to 0): saturated to 0, inexact only
    assert enc([-1e-30], f, rounding="rdn") == ([0], [NX])
    for ovf in ("ovf_inf", "sat_finite", "sat_propagate"):
        assert enc([-5.0, -1e9], f, overflow=ovf)[0] == [0, 0]
    assert enc([1e9], f, overflow="sat_propagate") == ([0xFD], [NX | OF])


def test_finite_formats_saturate_in_every_mode():
    for f, mx, nan in (("p3109_k8p4sf", 0x7F, 0x80), ("p3109_k8p4uf", 0xFE, 0xFF)):
        lo = 0xFF if f.endswith("sf") else 0
        for ovf in ("ovf_inf", "sat_finite", "sat_propagate"):
            for r in ("rne", "raz", "rto", "rup"):
                assert enc([1e6, np.inf, -np.inf, np.nan], f, overflow=ovf, rounding=r) == (
                    [mx, mx, lo, nan], [NX | OF, 0, 0, 0]), (f, ovf, r)
    # the IEEE rule of the decode-identical FNUZ format: overflow and Inf -> NaN under ovf_inf
    assert enc([1e6, np.inf], "e4m3fnuz") == ([0x80, 0x80], [NX | OF, 0])


def test_precision_one_ties_go_to_the_even_code():
    # binary8p1se: code c > 0 is 2^(c - 64); 1.5 lies between 1 (0x40) and 2 (0x41), 3 between 2 and 4
    assert enc([1.5, 3.0], "p3109_8p1")[0] == [0x40, 0x42]
    assert enc([1.5, 3.0], "p3109_8p1", rounding="rto")[0] == [0x41, 0x41]


# ---- the fractions reference: codes and flags ------------------------------------------------
FLAG_FORMATS = ["binary8p1se", "binary8p3se", "binary8p7se", "binary8p4ue", "binary8p8ue", "binary8p4sf",
                "binary8p3uf", "binary3p1se", "binary5p2sf", "binary6p6ue", "binary16p11se", "binary16p5sf"]
DET = ("rne", "rna", "rtz", "rup", "rdn", "rto", "raz")
STO = (("stochastic", 3), ("stochastic_fast", 5), ("stochastic_rne", 8))


def _values(name):
    ps = PC.ProjSet(f"flags/{name}", "family", name, ())
    m, e, cls = PC.family_inputs(ps)
    keep = np.zeros(m.size, bool)
    keep[:: max(1, m.size // 100)] = True
    keep[-40:] = True  # the overflow/underflow probes, their negatives and the specials
    return m[keep], e[keep], cls[keep]


def _ref_value(m, e, cls):
    if cls == 1:
        return A.PINF
    if cls == 2:
        return A.NINF
    if cls == 3:
        return A.NAN
    return A.num(Fraction(int(m)) * Fraction(2) ** int(e))


@pytest.mark.parametrize("name", FLAG_FORMATS)
def test_codes_and_flags_against_the_fractions_reference(name):
    fmt = get_format(name)
    F = A.fmt_of(name)
    m, e, cls = _values(name)
    parts = record_parts(m, e, cls)
    vals = [_ref_value(*t) for t in zip(m.tolist(), e.tolist(), cls.tolist())]
    rng = np.random.default_rng(len(name))
    cases = [(r, o, "after", None) for r in DET for o in ("ovf_inf", "sat_finite")]
    cases += [(r, "sat_propagate", "after", None) for r in ("rne", "rto")]
    cases += [(r, "ovf_inf", "before", None) for r in ("rne", "rdn", "raz")]
    cases += [(r, o, "after", n) for r, n in STO for o in ("ovf_inf", "sat_finite")]
    bad = []
    for r, o, t, n in cases:
        rb = None if n is None else rng.integers(0, 1 << n, m.size)
        pol = fp8ref.make_policy(None, None, rounding=r, overflow=o, tininess=t)
        codes, flags = fp8ref.codecs.codec_for(fmt).encode_exact(fmt, *parts, pol, rb, n or 0)
        for i, v in enumerate(vals):
            kw = dict(tininess=t) if n is None else dict(tininess=t, rbits=int(rb[i]), nbits=n)
            want = A.deliver(F, v, A.Mode.of(r, o, **kw))
            if (int(codes[i]), int(flags[i])) != want:
                bad.append((r, o, t, n, int(m[i]), int(e[i]), int(cls[i]), hex(codes[i]), int(flags[i]), want))
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:4]}"


def test_the_mode_vocabulary_is_fp8ref_s():
    """Every P3109 mode is a Policy value; raz is the one added; no P3109 names in Policy."""
    from fp8ref.formats.p3109 import P3109_ROUNDING, P3109_SATURATION
    from fp8ref.policy import OVERFLOW_MODES, ROUNDING_MODES

    assert set(P3109_ROUNDING.values()) <= set(ROUNDING_MODES) and "raz" in ROUNDING_MODES
    assert set(P3109_SATURATION.values()) == set(OVERFLOW_MODES)
    assert not set(P3109_ROUNDING) & set(ROUNDING_MODES)
    with pytest.raises(ValueError, match="unknown rounding 'NearestTiesToEven'"):
        fp8ref.Policy(rounding="NearestTiesToEven")


def test_encode_parts_helper_matches_encode():
    """The tests' exact path (codec.encode_exact) and the public encode agree on float64 inputs."""
    x = PC.f32_inputs(PC.ProjSet("f32/binary8p4ue", "f32", "binary8p4ue", ()))
    x = x[np.isfinite(x)].astype(np.float64)
    fmt = get_format("binary8p4ue")
    mant, ex = np.frexp(x)
    M = np.abs(mant * 2.0**53).astype(np.int64)
    parts = record_parts(np.where(x < 0, -M, M), ex.astype(np.int64) - 53, np.zeros(x.size, np.int64))
    for r in DET:
        codes = encode_parts_mode(parts, fmt, ("NearestTiesToEven" if r == "rne" else _p3109(r), "OvfInf", None))
        assert (codes == encode(x, fmt, rounding=r).astype(np.int64)).all(), r


def _p3109(r):
    from fp8ref.formats.p3109 import P3109_ROUNDING

    return {v: k for k, v in P3109_ROUNDING.items()}[r]


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "e4m3fnuz", "fp16"])
def test_raz_on_ieee_like_formats_against_the_fractions_reference(name):
    """TowardMaxMagnitude is one rounding for every format family: IEEE-like formats under
    fp8ref's IEEE rule (overflow away from zero: Inf, NaN where there is none, ±max without
    either), codes and flags."""
    fmt = get_format(name)
    F = A.fmt_of(name)
    vals = fp8ref.decode(np.arange(0, fmt.num_codes, max(1, fmt.num_codes // 1024)), fmt, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    x = np.concatenate([vals, vals * (1 + 2.0**-20), vals * (1 - 2.0**-20), vals * 1.5, [1e300, -1e300]])
    for ovf in ("ovf_inf", "sat_finite"):
        kw = dict(nan_to="max") if not fmt.has_nan else {}
        codes, flags = encode(x, fmt, rounding="raz", overflow=ovf, return_flags=True, **kw)
        for xi, c, f in zip(x.tolist(), codes.tolist(), flags.tolist()):
            v = A.num(Fraction(xi), neg_zero=np.signbit(xi))
            want = A.deliver(F, v, A.Mode.of("raz", ovf, nan_to="max"))
            assert (c, f) == want, (name, ovf, xi, hex(c), f, want)
