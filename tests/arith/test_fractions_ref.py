"""fp8ref.arith against the exact fractions reference (tests/oracles/arith_ref.py), codes and flags.

arith_ref is written from the standards with Python ``Fraction`` s and its own decode, rounding
and encode (it reads only the format descriptions' parameters); it is itself checked against
SoftFloat, APyTypes, ml_dtypes, SoftPosit and the P3109 driver (tests/oracles/test_arith_ref.py).

* every operation × every IEEE-like format kind (OCP FP8, FNUZ, IEEE-style E4M3/E3M4, FP6, FP4,
  fp16, bf16) and posit8, on crossed special codes, steered and random cases; each case under one
  of the 66 modes (11 roundings incl. TowardMaxMagnitude and the four stochastic rules × 3 overflow
  policies × both tininess rules; canonical and sign-keeping NaN), rotating, so that every mode
  meets specials in every operation;
* add, sub, mul, div, fma, sqrt for E4M3FN, E5M2 and fp16 under every mode on every case (flags
  with both tininess rules);
* mixed operand and result formats;
* posit8 (es 0, 1, 2) under the posit rules (rne only; NaR).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fp8ref
import fp8ref.arith as A
from tests.oracles import arith_ref as R

from ._cases import operand_sets, random_codes, steered_pairs

ROUNDINGS = ("rne", "rna", "rtz", "rup", "rdn", "rto", "raz", "stochastic", "stochastic_fast", "stochastic_rne",
             "stochastic_rno")
OVERFLOWS = ("ovf_inf", "sat_finite", "sat_propagate")
NBITS = 5
MODES = [dict(rounding=r, overflow=o, tininess=t, nan=("keep_sign" if i % 3 == 2 else "canonical"))
         for i, (r, o, t) in enumerate(itertools.product(ROUNDINGS, OVERFLOWS, ("after", "before")))]
IEEE_FORMATS = ("e4m3fn", "e5m2", "e4m3fnuz", "e5m2fnuz", "e4m3", "e3m4", "e2m3fn", "e3m2fn", "e2m1fn", "fp16", "bf16")
POSITS = ("posit8_es0", "posit8_es1", "posit8_es2")
VALUE_OPS = ("add", "sub", "mul", "div", "fma", "sqrt", "recip", "rsqrt", "neg", "abs", "copysign", "convert", "clamp",
             *A.api.ops.MINMAX[:8])
BOOL_OPS = ("eq", "lt", "le", "gt", "ge", "unordered", "total_order")
NAN_TO = ("max", "zero", "ml_dtypes")


def _mode_for(fmt, mode, k):
    """The mode as both sides take it: NaN-less formats get a nan_to rule (rotating)."""
    f = fp8ref.get_format(fmt)
    m = dict(mode)
    if not getattr(f, "has_nan", True):
        m["nan_to"] = NAN_TO[k % 3]
    return m


def _cases(op, fmts, n_random=150):
    k = A.OPERATIONS[op]
    cols = operand_sets(k, fmts, n_random, op)
    if k == 2 and fmts[0] == fmts[1]:
        a, b = steered_pairs(fmts[0], 40, op)
        cols = [np.concatenate([cols[0], a]), np.concatenate([cols[1], b])]
    if op == "fma":  # c near -a*b: cancellation, exact zero
        a, b, c = cols
        ab = A.mul(a, b, fmts[0], out_fmt=fmts[2], a_fmt=fmts[0], b_fmt=fmts[1])
        cols = [np.concatenate([a, a]), np.concatenate([b, b]),
                np.concatenate([c, A.neg(ab, fmts[2])])]
    return [c.astype(np.int64) for c in cols]


def compare(op, fmts, out, cols, modes, rotate=True):
    """fp8ref vs arith_ref; each case under modes[i % len(modes)] (rotate) or every mode."""
    n = cols[0].size
    bad, count = [], 0
    for k, mode in enumerate(modes):
        idx = np.arange(n)[k::len(modes)] if rotate else np.arange(n)
        if idx.size == 0:
            continue
        m = _mode_for(out, mode, k)
        xs = [c[idx] for c in cols]
        kw = dict(m)
        rb = None
        if m["rounding"].startswith("stochastic"):
            rb = random_codes("e2m1fn", idx.size, op, str(k)) % (1 << NBITS)  # < 2^NBITS
            kw.update(rbits=rb, srbits=NBITS)
        if op in BOOL_OPS:
            got, gf = A.apply(op, *xs, fmt=fmts[0], fmts=fmts, return_flags=True)
        else:
            got, gf = A.apply(op, *xs, fmt=fmts[0], fmts=fmts, out_fmt=out, return_flags=True, **kw)
        for i in range(idx.size):
            extra = {} if rb is None else {"rbits": int(rb[i]), "nbits": NBITS}
            if op in BOOL_OPS:
                want, wf = R.scalar(op, *(int(x[i]) for x in xs), fmt=out, in_fmts=fmts)
            else:
                want, wf = R.scalar(op, *(int(x[i]) for x in xs), fmt=out, in_fmts=fmts, **m, **extra)
            count += 1
            if int(got[i]) != int(want) or int(gf[i]) != int(wf):
                bad.append((m, [hex(int(x[i])) for x in xs], hex(int(got[i])), hex(int(gf[i])),
                            hex(int(want)), hex(int(wf))))
    assert not bad, f"{op} {fmts}->{out}: {len(bad)} of {count} differ, first: {bad[:4]}"
    return count


@pytest.mark.parametrize("fmt", IEEE_FORMATS)
@pytest.mark.parametrize("op", VALUE_OPS + BOOL_OPS)
def test_ieee_like_every_operation(op, fmt):
    k = A.OPERATIONS[op]
    fmts = [fmt] * k
    n_random = 40 if fmt in ("fp16", "bf16") else 120
    compare(op, fmts, fmt, _cases(op, fmts, n_random), MODES if op not in BOOL_OPS else [MODES[0]])


@pytest.mark.parametrize("fmt", ("e4m3fn", "e5m2", "fp16"))
@pytest.mark.parametrize("op", ("add", "sub", "mul", "div", "fma", "sqrt"))
def test_every_mode_on_every_case(op, fmt):
    k = A.OPERATIONS[op]
    fmts = [fmt] * k
    cols = [c[::4] for c in _cases(op, fmts, 24)]
    compare(op, fmts, fmt, cols, MODES, rotate=False)


MIXED = [
    ("add", ("e4m3fn", "e5m2"), "fp16"),
    ("mul", ("e4m3fn", "e5m2"), "e4m3fn"),
    ("sub", ("fp16", "bf16"), "e5m2"),
    ("div", ("e5m2", "e4m3fnuz"), "e3m4"),
    ("fma", ("e4m3fn", "e4m3fn", "fp16"), "fp16"),
    ("fma", ("fp16", "fp16", "bf16"), "e4m3fn"),
    ("fma", ("e2m1fn", "e2m1fn", "e4m3fn"), "e2m1fn"),
    ("convert", ("e5m2",), "e4m3fn"),
    ("convert", ("fp16",), "e2m1fn"),
    ("convert", ("e4m3fnuz",), "e5m2"),
    ("maximum", ("e5m2", "e4m3fn"), "e4m3fn"),
    ("minimum_number", ("fp16", "e5m2"), "e5m2"),
    ("copysign", ("e4m3fn", "e5m2"), "e4m3fn"),
    ("neg", ("e5m2",), "e4m3fn"),
    ("clamp", ("fp16", "e4m3fn", "e5m2"), "e4m3fn"),
    ("sqrt", ("fp16",), "e4m3fn"),
    ("rsqrt", ("e4m3fn",), "fp16"),
    ("lt", ("e4m3fn", "e5m2"), "e4m3fn"),
    ("eq", ("fp16", "e4m3fnuz"), "fp16"),
]


@pytest.mark.parametrize("op,fmts,out", MIXED, ids=[f"{o}-{'_'.join(f)}-{t}" for o, f, t in MIXED])
def test_mixed_formats(op, fmts, out):
    compare(op, list(fmts), out, _cases(op, list(fmts), 60), MODES if op not in BOOL_OPS else [MODES[0]])


@pytest.mark.parametrize("fmt", POSITS)
@pytest.mark.parametrize("op", VALUE_OPS)
def test_posit8(op, fmt):
    k = A.OPERATIONS[op]
    fmts = [fmt] * k
    compare(op, fmts, fmt, _cases(op, fmts, 200), [dict(rounding="rne")])
