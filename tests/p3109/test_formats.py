"""The P3109 family's descriptions and names: parameters and special codes from the interim
report's formulas (§3.1, §4.7.6; written here, not taken from fp8ref), lazy resolution, the
binary8 names kept, clear errors for members outside the family or fp8ref's range."""

from fractions import Fraction

import numpy as np
import pytest

import fp8ref
from fp8ref import get_format, list_formats, p3109_format
from fp8ref.formats.p3109 import K_MAX, K_MIN, p3109_members
from fp8ref.formats.registry import FAMILY_NOTE

from .family_driver import MEMBERS


def _report(K, P, signed, extended):
    """Parameters and special codes of Binary{K, P, Σ, Δ} by the report's formulas."""
    bias = 1 << (K - P - 1 if signed else K - P)
    nan = 1 << (K - 1) if signed else (1 << K) - 1
    pinf = ((1 << (K - 1)) - 1 if signed else (1 << K) - 2) if extended else None
    ninf = (1 << K) - 1 if signed and extended else None
    top = (1 << (K - 1)) - 1 if signed else (1 << K) - 2
    return dict(bias=bias, nan=nan, pinf=pinf, ninf=ninf, max_code=top - 1 if extended else top)


def _report_value(K, P, bias, c):
    """ωDecode of a non-negative finite code: T = c mod 2^(P-1), E = c div 2^(P-1)."""
    T, E = c % (1 << (P - 1)), c >> (P - 1)
    if E == 0:
        return Fraction(T, 1 << (P - 1)) * Fraction(2) ** (1 - bias)
    return (1 + Fraction(T, 1 << (P - 1))) * Fraction(2) ** (E - bias)


def test_every_supported_member_has_the_report_s_parameters_and_specials():
    assert len(p3109_members()) == len(MEMBERS) == 454
    assert len(p3109_members(supported_only=False)) == 504
    for K, P, signed, extended in p3109_members():
        f = p3109_format(K, P, signed, extended)
        r = _report(K, P, signed, extended)
        assert f.bits == K and f.man_bits == P - 1 and f.bias == r["bias"] and f.is_signed == signed
        assert f.nan_codes == (r["nan"],) and f.canonical_nan == r["nan"]
        assert f.has_infinity == extended and f.overflow_rule == "p3109" and not f.has_negative_zero
        assert f.max_code_mag == r["max_code"]
        half = 1 << (K - 1)
        for c in {0, 1, 1 << (P - 1), r["bias"] << (P - 1), r["max_code"] - 1, r["max_code"]}:
            assert f.exact_value(c) == _report_value(K, P, r["bias"], c)
            if signed and c:
                assert f.exact_value(c + half) == -_report_value(K, P, r["bias"], c)
        if extended:
            assert f.exact_value(r["pinf"]) == float("inf")
            if signed:
                assert f.exact_value(r["ninf"]) == float("-inf")
        # one zero, no -0: code 0 is the only code whose value is 0
        t = fp8ref.decode_table(f)
        assert np.flatnonzero(t == 0).tolist() == [0]
        assert f.num_finite == int(np.isfinite(t).sum())


def test_binary8_values_against_the_report_text():
    """Values named in the interim report and in ../shared/specs/formats.md §5."""
    p3, p4 = get_format("binary8p3se"), get_format("binary8p4se")
    assert p4.exact_value(0x48) == 2  # "2.0 Binary8p4se = ... 0x48"
    assert p3.max_finite == 49152 and p4.max_finite == 224 and p3.exact_value(0x40) == 1
    assert get_format("binary8p4sf").max_finite == 240
    ue = get_format("binary8p4ue")
    assert ue.max_finite == 53248 and ue.min_subnormal == 2.0**-18 and ue.exact_value(0x80) == 1
    assert ue.exact_value(0xFE) == float("inf") and ue.nan_codes == (0xFF,)


def test_names_resolve_lazily_to_one_object():
    before = list(list_formats())
    a = get_format("p3109_k6p2uf")
    assert a is get_format("Binary6p2uf") is get_format("P3109_K6P2UF") is p3109_format(6, 2, False, False)
    assert a.name == "p3109_k6p2uf" and a.bits == 6
    assert list_formats() == before  # resolving does not register
    for p in range(1, 8):
        se = get_format(f"p3109_8p{p}")
        for alias in (f"p3109_k8p{p}se", f"binary8p{p}se", f"binary8p{p}", f"p3109_k8p{p}"):
            assert get_format(alias) is se
        assert p3109_format(8, p) is se
        assert f"p3109_8p{p}" in list_formats()
    assert not any(n.startswith("p3109_k") for n in list_formats())


@pytest.mark.parametrize("name, msg", [
    ("p3109_k8p8se", "precision P must be in 1..7"),
    ("p3109_k8p9ue", "precision P must be in 1..8"),
    ("p3109_k8p0se", "precision P must be in 1..7"),
    ("p3109_k17p3se", f"bit widths K = {K_MIN}..{K_MAX}"),
    ("binary2p1se", f"bit widths K = {K_MIN}..{K_MAX}"),
    ("p3109_k16p2se", "14-bit exponent field"),
    ("p3109_k12p1uf", "12-bit exponent field"),
])
def test_members_outside_the_family_or_the_range_fail_clearly(name, msg):
    with pytest.raises(ValueError, match=msg):
        get_format(name)


def test_unknown_names_mention_the_family():
    with pytest.raises(ValueError, match="p3109_k\\{K\\}p\\{P\\}"):
        get_format("p3109_k6p3")  # the s|u e|f suffix is needed outside the binary8 se aliases
    assert "p3109_k{K}p{P}{s|u}{e|f}" in FAMILY_NOTE


def test_supported_boundary_members_exist():
    for K, P, s in ((16, 5, True), (16, 6, False), (12, 1, True), (11, 1, False), (16, 15, True), (16, 16, False),
                    (3, 1, True), (3, 3, False)):
        f = p3109_format(K, P, s, True)
        assert f.bits == K and np.isfinite(f.max_finite)


def test_p3109_format_checks_its_arguments():
    with pytest.raises(TypeError, match="K must be an int"):
        p3109_format(8.0, 3)
    with pytest.raises(TypeError, match="P must be an int"):
        p3109_format(8, True)


def test_unsigned_and_signed_layout_data():
    u, s = get_format("p3109_k5p3uf"), get_format("p3109_k5p3sf")
    assert (u.sign_mask, u.top_code_mag, u.exp_bits) == (0, 31, 3)
    assert (s.sign_mask, s.top_code_mag, s.exp_bits) == (16, 15, 2)
    assert u.figures()["signed"] is False and s.figures()["signed"] is True
    assert get_format("e4m3fn").figures()["signed"] is True
    with pytest.raises(ValueError, match="cannot have a negative zero"):
        fp8ref.Format("bad", 3, 2, 3, False, 1, True, is_signed=False)
    with pytest.raises(ValueError, match="unknown overflow_rule"):
        fp8ref.Format("bad", 3, 2, 3, False, 1, overflow_rule="softfloat")
