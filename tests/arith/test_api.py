"""fp8ref.arith's own machinery: exact kernels against Python integers, result tables against
the generic path, broadcasting, mixed formats, errors, the value-level surface, and the
semantics rules on hand-worked cases (the numbers are written here from the standards)."""

from __future__ import annotations

import math
import threading
from fractions import Fraction

import numpy as np
import pytest

import fp8ref
import fp8ref.arith as A
from fp8ref.arith import exact, tables
from fp8ref.arith.api import _generic, _policy
from fp8ref.golden.prng import stream
from fp8ref.policy import (
    FLAG_INEXACT,
    FLAG_INFINITE,
    FLAG_INVALID,
    FLAG_OVERFLOW,
    FLAG_UNDERFLOW,
    Policy,
)
from tests._deps import TORCH_REASON

from ._cases import random_codes


# ---- exact kernels ------------------------------------------------------------------------------
def _sticky_ok(v: Fraction, M: int, E: int, min_bits: int):
    """M * 2^E is v exactly, or M = 2 floor(|v| / 2^(E+1)) + 1 with |v| not a multiple of
    2^(E+1) and at least ``min_bits`` bits of M above the sticky bit."""
    u = abs(v)
    if Fraction(M) * Fraction(2) ** E == u:
        return True
    q = u / Fraction(2) ** (E + 1)
    return M & 1 == 1 and M >> 1 == math.floor(q) and q != math.floor(q) and (M >> 1).bit_length() >= min_bits


def _rand_sig(n, bits, *names):
    r = stream(5, "exact", *names).bits(n, 32).astype(np.int64)
    return (r & ((1 << bits) - 1)) | (1 << (bits - 1))


@pytest.mark.parametrize("bits", [1, 4, 11, 24])
def test_div_sqrt_rsqrt_kernels(bits):
    Ma, Mb = _rand_sig(400, bits, "a", str(bits)), _rand_sig(400, bits, "b", str(bits))
    Ea = stream(6, "e", str(bits)).bits(400, 8).astype(np.int64) - 128
    Eb = stream(7, "e", str(bits)).bits(400, 8).astype(np.int64) - 128
    q, qe = exact.div(Ma, Ea, Mb, Eb)
    s, se = exact.sqrt(Ma, Ea)
    r, re = exact.rsqrt(Ma, Ea)
    for i in range(400):
        a = Fraction(int(Ma[i])) * Fraction(2) ** int(Ea[i])
        b = Fraction(int(Mb[i])) * Fraction(2) ** int(Eb[i])
        assert _sticky_ok(a / b, int(q[i]), int(qe[i]), exact.QBITS), ("div", i)
        # sqrt / rsqrt: compare squares (the root itself is irrational in general)
        root = Fraction(int(s[i] >> 1)) * Fraction(2) ** (int(se[i]) + 1)
        ulp = Fraction(2) ** (int(se[i]) + 1)
        assert root * root <= a < (root + ulp) ** 2 and (int(s[i]) & 1) == (root * root != a)
        assert int(s[i] >> 1).bit_length() >= exact.QBITS - 1
        rr = Fraction(int(r[i] >> 1)) * Fraction(2) ** (int(re[i]) + 1)
        ulp = Fraction(2) ** (int(re[i]) + 1)
        assert rr * rr * a <= 1 < (rr + ulp) ** 2 * a and (int(r[i]) & 1) == (rr * rr * a != 1)
        assert int(r[i] >> 1).bit_length() >= exact.QBITS - 1


def test_add_kernel_wide_spans():
    """Sums of 48-bit products and 24-bit terms over exponent gaps from 0 to 300 bits, both
    signs: exact, or truncated with a sticky bit and FINE bits kept below the leading bit."""
    n = 3000
    Ma = _rand_sig(n, 24, "pa") * _rand_sig(n, 24, "pb")  # products: up to 48 bits
    Mb = _rand_sig(n, 24, "c")
    g = stream(8, "gap").bits(n, 16).astype(np.int64)
    Ea = (g % 301) - 150
    Eb = np.zeros(n, dtype=np.int64) + (g % 3) - 1
    na = (g & 1).astype(bool)
    nb = ((g >> 1) & 1).astype(bool)
    Mb[::7] = Ma[::7] >> 24  # near-cancellation partners
    for sa, sb in ((Ma, Mb), (Mb, Ma)):
        neg, M, E = exact.add(na, sa, Ea, nb, sb, Eb)
        for i in range(n):
            v = (-1) ** int(na[i]) * Fraction(int(sa[i])) * Fraction(2) ** int(Ea[i]) + \
                (-1) ** int(nb[i]) * Fraction(int(sb[i])) * Fraction(2) ** int(Eb[i])
            assert int(M[i]) < 1 << 61
            if v == 0:
                assert int(M[i]) == 0
                continue
            assert bool(neg[i]) == (v < 0)
            top = math.floor(math.log2(abs(v))) if abs(v) > 0 else 0
            assert _sticky_ok(v, int(M[i]), int(E[i]), 0), i
            if Fraction(int(M[i])) * Fraction(2) ** int(E[i]) != abs(v):
                assert top - (int(E[i]) + 1) >= exact.FINE - 1, i  # bits kept below the leading bit


# ---- tables = generic path ---------------------------------------------------------------------
TABLE_CASES = [
    ("add", ("e4m3fn", "e4m3fn"), "e4m3fn", dict(rounding="rne")),
    ("sub", ("e5m2", "e4m3fn"), "fp16", dict(rounding="rdn", tininess="before")),
    ("div", ("p3109_k8p4ue", "p3109_k8p4ue"), "p3109_k8p4ue", dict(rounding="raz", overflow="sat_finite")),
    ("mul", ("e2m1fn", "e2m1fn"), "e2m1fn", dict(rounding="rto", nan_to="max")),
    ("maximum_magnitude_number", ("e5m2", "e5m2"), "e5m2", {}),
    ("copysign", ("p3109_8p3", "p3109_8p3"), "p3109_8p3", {}),
    ("sqrt", ("fp16",), "fp16", dict(rounding="rup")),
    ("rsqrt", ("e4m3fnuz",), "bf16", {}),
    ("lt", ("e5m2", "e4m3fn"), None, {}),
    ("total_order", ("e5m2", "e5m2"), None, {}),
    ("fma", ("e4m3fn", "e4m3fn", "e4m3fn"), "e4m3fn", dict(rounding="rne", overflow="sat_finite")),
    ("fma", ("e4m3fn", "e5m2", "e5m2"), "fp16", dict(rounding="rtz")),
    ("fma", ("p3109_8p3", "p3109_8p3", "p3109_8p3"), "p3109_8p3", dict(rounding="rto")),
]


@pytest.mark.parametrize("op,fmts,out,kw", TABLE_CASES, ids=[c[0] + "-" + "_".join(c[1]) for c in TABLE_CASES])
def test_table_path_equals_generic_path(op, fmts, out, kw):
    F = [fp8ref.get_format(f) for f in fmts]
    n = 70000  # past the Numba gather threshold
    flat = [random_codes(f, n, op, str(i)) for i, f in enumerate(fmts)]
    if len(flat) == 1:
        flat = [np.arange(F[0].num_codes, dtype=np.int64)]
    outf = fp8ref.get_format(out) if out else None
    pol = _policy(outf, kw) if outf else Policy()
    want_c, want_f = _generic(op, F, outf, pol, flat, None, 0)
    tables.clear()
    assert tables.usable(op, F, outf, pol, flat[0].size)
    got_c, got_f = A.apply(op, *flat, fmt=fmts[0], fmts=fmts, out_fmt=out, return_flags=True, **kw)  # Numba
    assert np.array_equal(got_c.astype(np.int64), want_c) and np.array_equal(got_f, want_f)
    small = [f[:999] for f in flat]  # the table is built now: numpy indexing
    got_c, got_f = A.apply(op, *small, fmt=fmts[0], fmts=fmts, out_fmt=out, return_flags=True, **kw)
    assert np.array_equal(got_c.astype(np.int64), want_c[:999]) and np.array_equal(got_f, want_f[:999])


def test_nan_to_error_raises_on_both_paths():
    num = np.array([1, 2, 0], dtype=np.uint8)  # e2m1fn codes: 0 = 0, 1 = 0.5, 2 = 1.0
    den = np.array([1, 1, 0], dtype=np.uint8)  # 0/0 at element 2
    with pytest.raises(ValueError, match="element 2 has a NaN result, which e2m1fn cannot represent"):
        A.div(num, den, "e2m1fn")  # generic (3 elements)
    big_n, big_d = np.resize(num, 70000), np.resize(den, 70000)
    with pytest.raises(ValueError, match="element 2 has a NaN result, which e2m1fn cannot represent"):
        A.div(big_n, big_d, "e2m1fn")  # table path
    assert A.div(big_n, big_d, "e2m1fn", nan_to="zero")[2] == 0
    assert A.div(num[:2], den[:2], "e2m1fn").tolist() == [2, 4]  # no NaN: no error
    # 1 / 0: ±Inf, which e2m1fn lacks: ±max, flagged invalid (as a conversion of Inf) and infinite
    assert _r("div", 2, 0, fmt="e2m1fn") == (7, FLAG_INVALID | FLAG_INFINITE)


# ---- broadcasting, dtypes, formats ------------------------------------------------------------------
def test_broadcasting_and_dtypes():
    a = np.arange(0x38, 0x3B, dtype=np.uint8).reshape(3, 1)  # 1, 1.125, 1.25
    b = np.array([0x38, 0x40, 0x48, 0xB8], dtype=np.int32)  # 1, 2, 4, -1
    z, fl = A.add(a, b, "e4m3fn", return_flags=True)
    assert z.shape == fl.shape == (3, 4) and z.dtype == np.uint8 and fl.dtype == np.uint8
    want = fp8ref.encode(fp8ref.decode(a, "e4m3fn").astype(np.float64) + fp8ref.decode(b, "e4m3fn"), "e4m3fn")
    assert np.array_equal(z, want)
    s = A.mul(0x40, 0x40, "e4m3fn")
    assert s.shape == () and int(s) == 0x48  # 2 * 2 = 4
    assert A.add(0x3C00, 0x3C00, "fp16").dtype == np.uint16
    assert A.lt(a, b, "e4m3fn").dtype == bool
    assert int(A.add(0x38, 0x3C00, "e4m3fn", out_fmt="fp16", b_fmt="fp16")) == 0x4000  # 1 + 1 = 2 in fp16


def test_torch_codes():
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    t = torch.tensor([0x38, 0x40], dtype=torch.uint8)
    assert A.add(t, t, "e4m3fn").tolist() == [0x40, 0x48]


def test_errors_are_one_line_and_named():
    with pytest.raises(TypeError, match="integer codes of e4m3fn"):
        A.add(np.array([1.5]), 1, "e4m3fn")
    with pytest.raises(ValueError, match="code 300 out of range for e4m3fn"):
        A.add(300, 1, "e4m3fn")
    with pytest.raises(ValueError, match="do not broadcast"):
        A.add(np.zeros(3, np.uint8), np.zeros(4, np.uint8), "e4m3fn")
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        A.add(1, 1, "e4m3fn", roundng="rne")
    with pytest.raises(ValueError, match="not a stochastic mode"):
        A.add(1, 1, "e4m3fn", rbits=np.array(3))
    with pytest.raises(ValueError, match="needs rbits"):
        A.add(1, 1, "e4m3fn", rounding="stochastic")
    with pytest.raises(ValueError, match="total_order compares codes of one format"):
        A.apply("total_order", 1, 1, fmt="e4m3fn", fmts=["e4m3fn", "e5m2"])
    with pytest.raises(ValueError, match="maximum_finite is a P3109 operation"):
        A.maximum_finite(1, 2, "e4m3fn")
    with pytest.raises(ValueError, match="neg is not defined for ue8m0"):
        A.neg(1, "ue8m0")
    with pytest.raises(ValueError, match="unknown operation"):
        A.apply("pow", 1, 1, fmt="e4m3fn")
    with pytest.raises(ValueError, match="unknown format"):
        A.add(1, 1, "e4m3fm")
    with pytest.raises(ValueError, match="rounding 'hybrid'"):
        A.div(0x11, 0x23, "hif8", rounding="hybrid")
    with pytest.raises(TypeError, match="takes no policy"):
        A.apply("lt", 1, 1, fmt="e4m3fn", rounding="rtz")


def test_stochastic_rounding_reads_rbits():
    # 1 + 2^-4 in e4m3fn (ulp 2^-3 at 1): discarded fraction 1/2 of an ulp; with n = 2 random
    # bits the stochastic rule rounds up iff floor(0.5 * 4) + r >= 4, i.e. r >= 2
    a = np.full(4, 0x38, np.uint8)  # 1.0
    b = np.full(4, 0x18, np.uint8)  # 2^-4
    got = A.add(a, b, "e4m3fn", rounding="stochastic", rbits=np.arange(4, dtype=np.uint8), srbits=2)
    assert got.tolist() == [0x38, 0x38, 0x39, 0x39]


def test_threads_agree():
    a, b = random_codes("e5m2", 200000, "t", "a"), random_codes("e5m2", 200000, "t", "b")
    tables.clear()
    want = A.apply("div", a, b, fmt="e5m2", rounding="rup")
    out = [None] * 4

    def work(k):
        tables.clear() if k == 0 else None
        out[k] = A.apply("div", a, b, fmt="e5m2", rounding="rup")

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(np.array_equal(o, want) for o in out)


# ---- the semantics rules, by hand ---------------------------------------------------------------------
def _r(op, *xs, fmt, **kw):
    z, f = A.apply(op, *xs, fmt=fmt, return_flags=True, **kw)
    return int(z), int(f)


def test_ieee_rules():
    e = "e4m3fn"  # 0x38 = 1, 0xB8 = -1, 0x80 = -0, 0x7F = NaN
    assert _r("add", 0x38, 0xB8, fmt=e) == (0x00, 0)  # x + (-x) = +0
    assert _r("add", 0x38, 0xB8, fmt=e, rounding="rdn") == (0x80, 0)  # -0 under roundTowardNegative
    assert _r("add", 0x80, 0x80, fmt=e) == (0x80, 0)  # (-0) + (-0) = -0
    assert _r("add", 0x00, 0x80, fmt=e) == (0x00, 0)
    assert _r("mul", 0x80, 0x38, fmt=e) == (0x80, 0)  # -0 * 1 = -0
    assert _r("sqrt", 0x80, fmt=e) == (0x80, 0)  # sqrt(-0) = -0
    assert _r("sqrt", 0xB8, fmt=e) == (0x7F, FLAG_INVALID)
    assert _r("div", 0x00, 0x00, fmt=e) == (0x7F, FLAG_INVALID)
    assert _r("div", 0x38, 0x80, fmt="e5m2") == (0xFC, FLAG_INFINITE)  # 1 / -0 = -Inf, divide by zero
    assert _r("div", 0x3C, 0x80, fmt=e) == (0x7F, FLAG_INFINITE)  # E4M3FN has no Inf: NaN (ovf_inf)
    assert _r("div", 0x3C, 0x80, fmt=e, overflow="sat_finite") == (0xFE, FLAG_INFINITE)  # -448
    assert _r("rsqrt", 0x80, fmt="e5m2") == (0xFC, FLAG_INFINITE)  # rsqrt(-0) = -Inf
    assert _r("recip", 0x7C, fmt="e5m2") == (0x00, 0)  # 1 / Inf = +0
    assert _r("mul", 0x00, 0x7C, fmt="e5m2") == (0x7F, FLAG_INVALID)  # 0 * Inf
    assert _r("fma", 0x00, 0x7C, 0x7E, fmt="e5m2") == (0x7F, FLAG_INVALID)  # 0 * Inf + qNaN: invalid
    assert _r("add", 0x7D, 0x3C, fmt="e5m2") == (0x7F, FLAG_INVALID)  # signalling NaN operand
    assert _r("add", 0x7E, 0x3C, fmt="e5m2") == (0x7F, 0)  # quiet NaN: no flag
    assert _r("neg", 0x7F, fmt=e) == (0xFF, 0)  # on the sign bit, NaN included
    assert _r("neg", 0x7D, fmt="e5m2") == (0xFD, 0)  # quiet even for a signalling NaN
    assert _r("neg", 0x00, fmt="e4m3fnuz") == (0x00, 0) and _r("neg", 0x80, fmt="e4m3fnuz") == (0x80, 0)
    assert _r("copysign", 0x38, 0x80, fmt=e) == (0xB8, 0)
    assert _r("minimum", 0x00, 0x80, fmt=e) == (0x80, 0) and _r("maximum", 0x80, 0x00, fmt=e) == (0x00, 0)
    assert _r("minimum", 0x38, 0x7F, fmt=e) == (0x7F, 0)
    assert _r("minimum_number", 0x38, 0x7F, fmt=e) == (0x38, 0)
    assert _r("maximum_number", 0x3C, 0x7D, fmt="e5m2") == (0x3C, FLAG_INVALID)  # sNaN still signals
    assert _r("maximum_magnitude", 0xC0, 0x3C, fmt=e) == (0xC0, 0)  # |-2| > |1.5|
    assert _r("minimum_magnitude", 0xB8, 0x38, fmt=e) == (0xB8, 0)  # equal magnitudes: minimum
    assert _r("lt", 0x7F, 0x38, fmt=e) == (0, FLAG_INVALID) and _r("eq", 0x7F, 0x38, fmt=e) == (0, 0)
    assert _r("eq", 0x7D, 0x3C, fmt="e5m2") == (0, FLAG_INVALID) and _r("unordered", 0x7F, 0x38, fmt=e) == (1, 0)
    assert _r("eq", 0x00, 0x80, fmt=e) == (1, 0) and _r("total_order", 0x80, 0x00, fmt=e) == (1, 0)
    assert _r("total_order", 0x00, 0x80, fmt=e) == (0, 0) and _r("total_order", 0xFF, 0xFE, fmt=e) == (1, 0)
    assert _r("clamp", 0x48, 0x38, 0x40, fmt=e) == (0x40, 0) and _r("clamp", 0x38, 0x40, 0x38, fmt=e) == (0x7F, FLAG_INVALID)
    # overflow and underflow through the codec: 448 * 2
    assert _r("mul", 0x7E, 0x40, fmt=e) == (0x7F, FLAG_OVERFLOW | FLAG_INEXACT)
    assert _r("mul", 0x7E, 0x40, fmt=e, overflow="sat_finite") == (0x7E, FLAG_OVERFLOW | FLAG_INEXACT)
    assert _r("mul", 0x7E, 0x40, fmt=e, rounding="rto") == (0x7E, FLAG_OVERFLOW | FLAG_INEXACT)  # SoftFloat round_odd
    assert _r("mul", 0x08, 0x34, fmt=e) == (0x06, 0)  # 2^-6 * 0.75 = 6 * 2^-9: an exact subnormal
    assert _r("mul", 0x01, 0x30, fmt=e) == (0x00, FLAG_UNDERFLOW | FLAG_INEXACT)  # 2^-10: tie, to even 0
    assert _r("mul", 0x01, 0x34, fmt=e) == (0x01, FLAG_UNDERFLOW | FLAG_INEXACT)  # 0.75 * 2^-9 -> 2^-9


def test_p3109_rules():
    p = "p3109_8p3"  # 0x40 = 1 (bias 16, P = 3), 0x7F = +Inf, 0xFF = -Inf, 0x80 = NaN, 0x7E = max 49152
    assert _r("div", 0x40, 0x00, fmt=p) == (0x80, FLAG_INVALID)  # Divide(X, 0) = NaN
    assert _r("div", 0x7F, 0x00, fmt=p) == (0x80, FLAG_INVALID)  # ... for every X
    assert _r("recip", 0x7F, fmt=p) == (0x00, 0) and _r("rsqrt", 0x00, fmt=p) == (0x80, FLAG_INVALID)
    assert _r("add", 0x7F, 0x40, fmt=p, overflow="sat_finite") == (0x7F, 0)  # special results are not projected
    assert _r("convert", 0x7F, fmt=p, overflow="sat_finite") == (0x7E, 0)  # Convert projects
    assert _r("add", 0x7C, 0x3C, fmt="e5m2", overflow="sat_finite") == (0x7B, 0)  # IEEE-like: Inf -> max
    assert _r("mul", 0x7E, 0x44, fmt=p, rounding="rto") == (0x7F, FLAG_OVERFLOW | FLAG_INEXACT)  # ToOdd -> Inf
    assert _r("neg", 0x7F, fmt=p) == (0xFF, 0) and _r("neg", 0x80, fmt=p) == (0x80, 0)
    assert _r("copysign", 0x40, 0x00, fmt=p) == (0x40, 0)  # y = 0 counts positive
    u = "p3109_k8p4ue"  # unsigned: 0x80 = 1, 0x88 = 2, 0xFE = +Inf, 0xFF = NaN
    assert _r("sub", 0x80, 0x88, fmt=u) == (0x00, FLAG_INEXACT)  # 1 - 2 -> 0 (M_lo)
    assert _r("neg", 0x80, fmt=u) == (0x00, FLAG_INEXACT) and _r("neg", 0xFE, fmt=u) == (0x00, 0)  # -Inf -> 0
    assert _r("fma", 0x00, 0x7F, 0x80, fmt=p) == (0x80, 0)  # 0 * Inf + NaN: NaN, no invalid (NaN first)
    assert _r("maximum_finite", 0x7F, 0x40, fmt=p) == (0x40, 0) and _r("maximum_finite", 0x7F, 0x80, fmt=p) == (0x7F, 0)


def test_evaluate_and_html():
    ev = A.evaluate("add", 1.5, 2.25, fmt="e4m3fn")
    assert (ev.code, ev.value, ev.flags) == (0x47, 3.75, 0)
    assert "0x47" in str(ev) and "3.75" in str(ev) and "<table>" in ev._repr_html_()
    ev = A.evaluate("div", "1", "3", fmt="e4m3fn")
    assert ev.flag_names == ["inexact"] and ev.value == 0.34375
    ev = A.evaluate("mul", 0.1, 10, fmt="e4m3fn")
    assert not ev.operands[0].exact and "rounded from 0.1" in str(ev)
    ev = A.evaluate("lt", "-inf", "0x1p-3", fmt="e5m2")
    assert ev.value is True and ev.fmt == "bool"
    with pytest.raises(ValueError, match="not a number"):
        A.evaluate("add", "one", 1, fmt="e4m3fn")
    assert A.family("p3109_k6p2uf") == "p3109" and A.family("posit8") == "posit" and A.family("hif8") == "tapered"
