"""fp8ref.arith against peer implementations (independent code), bit for bit.

* APyTypes 0.5.1 (C++): add, sub, mul, div over **all 65,536 operand pairs** of the IEEE-style
  8-bit formats E5M2, E4M3 (with Inf) and E3M4 in six rounding modes (ties-even, toward zero /
  +inf / -inf, ties-away, jamming = round to odd), results compared via ``to_bits()`` (its
  ``float()`` is wrong for casts rounding up into the smallest normal); fp16 and bf16 sampled.
  APyTypes has no flags and overflows to Inf (``ovf_inf``).
* Berkeley SoftFloat 3e (softfloatpy): binary16 add, sub, mul, div, fma, sqrt and comparisons in
  its five rounding modes, both tininess rules, codes and all five flags.
* SoftPosit: posit8 (es 0: ``posit8``; es 2: ``posit_2(x, 8)``) add, sub, mul, div, sqrt, fma
  over every pair / code / sampled triples, and comparisons (integer order, NaR lowest).
* en_dtypes / ml_dtypes for the formats those two libraries cast: HiF8 and UE8M0 products,
  sums and quotients computed exactly in float64 (every such value is a float64) and rounded by
  the library's cast.
"""

from __future__ import annotations

import numpy as np
import pytest

import fp8ref
import fp8ref.arith as A

from ._cases import random_codes, special_codes

APY_MODES = {"rne": "TIES_EVEN", "rtz": "TO_ZERO", "rup": "TO_POS", "rdn": "TO_NEG", "rna": "TIES_AWAY",
             "rto": "JAM_UNBIASED"}


def _nan_mask(codes, fmt):
    return np.isnan(fp8ref.decode_table(fp8ref.get_format(fmt))[np.asarray(codes, dtype=np.int64)])


def _same(got, want, fmt):
    """Equal codes, or both NaN (peers' NaN payloads differ)."""
    got, want = np.asarray(got, np.int64), np.asarray(want, np.int64)
    both_nan = _nan_mask(got, fmt) & _nan_mask(want, fmt)
    return (got == want) | both_nan


# ---- APyTypes --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def apy():
    return pytest.importorskip("apytypes")


def _apy_op(apy, op, fmt, x, y, rm):
    f = fp8ref.get_format(fmt)
    ax = apy.APyFloatArray.from_bits(x.tolist(), f.exp_bits, f.man_bits, f.bias)
    ay = apy.APyFloatArray.from_bits(y.tolist(), f.exp_bits, f.man_bits, f.bias)
    with apy.APyFloatQuantizationContext(getattr(apy.QuantizationMode, APY_MODES[rm])):
        z = {"add": ax + ay, "sub": ax - ay, "mul": ax * ay, "div": ax / ay}[op]
    return np.asarray(z.to_bits(), dtype=np.int64).reshape(-1)


@pytest.mark.parametrize("fmt", ["e5m2", "e4m3", "e3m4"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_every_pair_vs_apytypes(apy, op, fmt):
    i = np.arange(65536, dtype=np.int64)
    x, y = i >> 8, i & 255
    for rm in APY_MODES:
        want = _apy_op(apy, op, fmt, x, y, rm)
        got = A.apply(op, x, y, fmt=fmt, rounding=rm)
        ok = _same(got, want, fmt)
        bad = np.flatnonzero(~ok)
        assert bad.size == 0, (f"{op} {fmt} {rm}: {bad.size} of 65536 differ, first "
                               f"{[(hex(x[j]), hex(y[j]), hex(int(got[j])), hex(int(want[j]))) for j in bad[:5]]}")


@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_wide_formats_vs_apytypes(apy, op, fmt):
    sp = special_codes(fmt)
    a, b = (g.reshape(-1) for g in np.meshgrid(sp, sp, indexing="ij"))
    x = np.concatenate([a, random_codes(fmt, 20000, op, "x")])
    y = np.concatenate([b, random_codes(fmt, 20000, op, "y")])
    for rm in APY_MODES:
        want = _apy_op(apy, op, fmt, x, y, rm)
        got = A.apply(op, x, y, fmt=fmt, rounding=rm)
        bad = np.flatnonzero(~_same(got, want, fmt))
        assert bad.size == 0, (f"{op} {fmt} {rm}: {bad.size} differ, first "
                               f"{[(hex(x[j]), hex(y[j]), hex(int(got[j])), hex(int(want[j]))) for j in bad[:5]]}")


# ---- Berkeley SoftFloat (binary16) -----------------------------------------------------------------
SF_MODES = {"rne": "NEAR_EVEN", "rtz": "MIN_MAG", "rdn": "MIN", "rup": "MAX", "rna": "NEAR_MAX_MAG"}


@pytest.fixture(scope="module")
def sf():
    sf = pytest.importorskip("softfloatpy")
    yield sf
    sf.set_rounding_mode(sf.RoundingMode.NEAR_EVEN)
    sf.set_tininess_mode(sf.TininessMode.AFTER_ROUNDING)


def _f16(sf, c):
    return sf.Float16.from_bytes(int(c).to_bytes(2, "big"))


def _bits(x):
    return int.from_bytes(x.to_bytes(), "big")


def _fp16_cases(op, n):
    k = A.OPERATIONS[op]
    sp = special_codes("fp16")
    if k == 1:
        return [np.concatenate([sp, random_codes("fp16", n, op)])]
    if k == 3:
        sp = sp[::3]
    grids = [g.reshape(-1) for g in np.meshgrid(*[sp] * k, indexing="ij")]
    cols = [np.concatenate([g, random_codes("fp16", n, op, str(i))]) for i, g in enumerate(grids)]
    if op in ("add", "sub"):  # cancellation: b within a few codes of +-a
        d = random_codes("fp16", n, op, "d") % 7 - 3
        near = (cols[0][-n:] + d) & 0xFFFF
        cols = [np.concatenate([cols[0], cols[0][-n:]]), np.concatenate([cols[1], near ^ (0x8000 if op == "add" else 0)])]
    return cols


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "fma", "sqrt"])
def test_fp16_vs_softfloat(sf, op):
    fn = {"add": sf.f16_add, "sub": sf.f16_sub, "mul": sf.f16_mul, "div": sf.f16_div, "sqrt": sf.f16_sqrt,
          "fma": sf.f16_mul_add}[op]
    cols = _fp16_cases(op, 1500)
    bad = []
    for tin in ("after", "before"):
        sf.set_tininess_mode(sf.TininessMode.AFTER_ROUNDING if tin == "after" else sf.TininessMode.BEFORE_ROUNDING)
        for rm, sfm in SF_MODES.items():
            sf.set_rounding_mode(getattr(sf.RoundingMode, sfm))
            got, gf = A.apply(op, *cols, fmt="fp16", rounding=rm, tininess=tin, return_flags=True)
            for i in range(cols[0].size):
                sf.set_exception_flags(0)
                want = _bits(fn(*[_f16(sf, c[i]) for c in cols]))
                wf = int(sf.get_exception_flags())
                if not _same(got[i], want, "fp16") or int(gf[i]) != wf:
                    bad.append((tin, rm, [hex(int(c[i])) for c in cols], hex(int(got[i])), hex(want), int(gf[i]), wf))
    assert not bad, f"{len(bad)} mismatches, first {bad[:5]}"


def test_fp16_comparisons_vs_softfloat(sf):
    x, y = _fp16_cases("add", 1000)
    ops = {"eq": (sf.f16_eq, False), "lt": (sf.f16_lt, False), "le": (sf.f16_le, False), "gt": (sf.f16_lt, True),
           "ge": (sf.f16_le, True)}
    for name, (fn, swap) in ops.items():
        got, gf = A.apply(name, x, y, fmt="fp16", return_flags=True)
        for i in range(x.size):
            sf.set_exception_flags(0)
            u, v = _f16(sf, x[i]), _f16(sf, y[i])
            want = bool(fn(v, u) if swap else fn(u, v))
            assert (bool(got[i]), int(gf[i])) == (want, int(sf.get_exception_flags())), (name, hex(x[i]), hex(y[i]))


# ---- SoftPosit -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sp():
    return pytest.importorskip("softposit")


def _posit(sp, es, c):
    if es == 0:
        p = sp.posit8(0.0)
        p.fromBits(int(c))
    else:
        p = sp.posit_2(0.0, 8)
        p.fromBits(int(c) << 24)
    return p


def _pbits(p, es):
    return int(p.v.v) if es == 0 else int(p.v.v) >> 24


@pytest.mark.parametrize("es", [0, 2])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_posit8_every_pair_vs_softposit(sp, es, op):
    i = np.arange(65536, dtype=np.int64)
    x, y = i >> 8, i & 255
    got = A.apply(op, x, y, fmt=f"posit8_es{es}")
    pos = [_posit(sp, es, c) for c in range(256)]
    f = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b}[op]
    bad = []
    for k in range(65536):
        a, b = int(x[k]), int(y[k])
        want = 0x80 if (op == "div" and b == 0) else _pbits(f(pos[a], pos[b]), es)
        if int(got[k]) != want:
            bad.append((hex(a), hex(b), hex(int(got[k])), hex(want)))
    assert not bad, f"{len(bad)} mismatches, first {bad[:5]}"


def test_posit8_sqrt_fma_compare_vs_softposit(sp):
    codes = np.arange(256, dtype=np.int64)
    got = A.sqrt(codes, "posit8_es0")
    want = [_pbits(_posit(sp, 0, c).sqrt(), 0) for c in range(256)]
    assert [int(g) for g in got] == want
    a, b, c = (random_codes("posit8_es0", 20000, "fma", s) for s in "abc")
    got = A.fma(a, b, c, "posit8_es0")
    for i in range(a.size):
        pa, pb, pc = (_posit(sp, 0, v[i]) for v in (a, b, c))
        want = _pbits(pc.fma(pa, pb), 0)
        assert int(got[i]) == want, (hex(a[i]), hex(b[i]), hex(c[i]), hex(int(got[i])), hex(want))
    i = np.arange(65536, dtype=np.int64)
    x, y = i >> 8, i & 255
    signed = lambda v: np.where(v >= 128, v - 256, v)
    for name, fn in (("eq", np.equal), ("lt", np.less), ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
        assert np.array_equal(A.apply(name, x, y, fmt="posit8_es2"), fn(signed(x), signed(y))), name
    pos = [_posit(sp, 0, v) for v in range(256)]
    assert all(bool(A.lt(int(p), int(q), "posit8_es0")) == (pos[p] < pos[q]) for p in range(0, 256, 7) for q in range(256))


# ---- HiF8 (en_dtypes) and UE8M0 (ml_dtypes): exact float64 results rounded by the library -----------
def test_hif8_vs_en_dtypes():
    en = pytest.importorskip("en_dtypes")
    i = np.arange(65536, dtype=np.int64)
    x, y = i >> 8, i & 255
    v = fp8ref.decode_table(fp8ref.get_format("hif8"))
    vx, vy = v[x], v[y]
    finite = np.isfinite(vx) & np.isfinite(vy)
    with np.errstate(invalid="ignore"):
        cases = (("add", vx + vy), ("sub", vx - vy), ("mul", vx * vy))
    for op, exact in cases:
        # |HiF8| spans 2^-22 .. 2^15 with at most 4 significant bits: sums and products are float64-exact
        got = A.apply(op, x, y, fmt="hif8")
        want = exact.astype(en.hifloat8).view(np.uint8).astype(np.int64)
        ok = finite & np.isfinite(exact)
        bad = np.flatnonzero(ok & ~_same(got, want, "hif8"))
        assert bad.size == 0, (op, [(hex(x[j]), hex(y[j]), hex(int(got[j])), hex(int(want[j]))) for j in bad[:5]])


def test_ue8m0_vs_ml_dtypes():
    ml = pytest.importorskip("ml_dtypes")
    i = np.arange(65536, dtype=np.int64)
    x, y = i >> 8, i & 255
    v = fp8ref.decode_table(fp8ref.get_format("ue8m0"))
    vx, vy = v[x], v[y]
    with np.errstate(over="ignore", under="ignore"):
        cases = (("mul", vx * vy), ("div", vx / vy), ("add", vx + vy))
    for op, exact in cases:
        ok = np.isfinite(exact) & (exact != 0) & (exact >= 2.0 ** -127) & (exact <= 2.0 ** 127)
        got = A.apply(op, x, y, fmt="ue8m0", rounding="rna")  # ml_dtypes' e8m0 cast rounds ties up
        with np.errstate(over="ignore"):
            want = exact.astype(ml.float8_e8m0fnu).view(np.uint8).astype(np.int64)
        bad = np.flatnonzero(ok & (got.astype(np.int64) != want))
        assert bad.size == 0, (op, [(hex(x[j]), hex(y[j]), hex(int(got[j])), hex(int(want[j]))) for j in bad[:5]])
    assert int(A.sqrt(127 + 6, "ue8m0")) == 127 + 3 and int(A.recip(127 + 5, "ue8m0")) == 127 - 5
    with pytest.raises(ValueError, match="no sign"):
        A.neg(3, "ue8m0")
