"""The public operations: codes in, codes (and flags) out, element-wise with broadcasting.

Every operation takes integer arrays of codes (numpy, torch, Python ints), a format ``fmt``
for the operands (each may have its own: ``a_fmt=``, ``b_fmt=``, ``c_fmt=``), a result format
``out_fmt`` (default ``fmt``) and the result format's policy, given as in ``fp8ref.encode``:
fields (``rounding=``, ``overflow=``, ``nan=``, ``nan_to=``, ``tininess=``, ``below_range=``),
``preset=`` or ``policy=``; stochastic modes take ``rbits=`` (of the broadcast shape) and
``srbits=``. ``return_flags=True`` adds a uint8 flag array (TestFloat order: inexact 0x01,
underflow 0x02, overflow 0x04, infinite 0x08, invalid 0x10).
"""

from __future__ import annotations

import numpy as np

from ..codecs import _check_rbits, decode_table
from ..codecs import _policy as _codec_policy
from ..formats import get_format
from ..policy import Policy
from . import compare as _cmp
from . import ops, tables
from .operands import check_codes, parts, parts_table
from .semantics import family_of, semantics_of

__all__ = [
    "add", "sub", "mul", "div", "fma", "sqrt", "recip", "rsqrt", "neg", "abs", "copysign",
    "minimum", "maximum", "minimum_number", "maximum_number", "minimum_magnitude", "maximum_magnitude",
    "minimum_magnitude_number", "maximum_magnitude_number", "minimum_finite", "maximum_finite", "eq", "lt", "le", "gt", "ge", "unordered",
    "total_order", "clamp", "convert", "apply", "family", "OPERATIONS",
]

_FIELDS = ("rounding", "overflow", "nan", "nan_to", "tininess", "below_range")
_CHUNK = 1 << 18

#: operation -> number of operands
OPERATIONS = {
    **{op: 2 for op in ("add", "sub", "mul", "div")}, "fma": 3,
    **{op: 1 for op in ("sqrt", "recip", "rsqrt", "convert", "neg", "abs")}, "copysign": 2,
    **{op: 2 for op in ops.MINMAX}, **{op: 2 for op in _cmp.COMPARISONS}, "total_order": 2, "clamp": 3,
}
_SIGN_OPS = ("neg", "abs", "copysign")
_BOOL_OPS = _cmp.COMPARISONS + ("total_order",)


def _policy(out, kw) -> Policy:
    """The result format's Policy from the keyword arguments (as ``fp8ref.encode`` reads them)."""
    unknown = set(kw) - {*_FIELDS, "preset", "policy", "rbits", "srbits"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    pol = _codec_policy(out, kw.get("policy"), kw.get("preset"), {k: kw.get(k) for k in _FIELDS})
    if pol.rounding == "hybrid":
        raise ValueError("rounding 'hybrid' (HiF8 HR) is defined on float32 inputs' 24-bit significands, "
                         "not on arithmetic results; use rna (TA) or another mode")
    return pol


def _rbits(pol, kw, shape):
    """(flat int64 random bits, their width) for stochastic rounding, validated as by encode."""
    rbits, srbits = kw.get("rbits"), kw.get("srbits")
    if not pol.is_stochastic:
        if rbits is not None:
            raise ValueError(f"rbits given but rounding is {pol.rounding!r}, not a stochastic mode")
        return None, 0
    return _check_rbits(rbits, srbits, shape)


def _refuse(op, fmts):
    if op.endswith("_finite") and family_of(fmts[-1]) != "p3109":
        raise ValueError(f"{op} is a P3109 operation; the result format {fmts[-1].name} follows "
                         f"{semantics_of(fmts[-1]).standard}")
    for f in fmts:
        why = dict(semantics_of(f).refused).get(op)
        if why:
            raise ValueError(f"{op} is not defined for {f.name}: {why}")


def _operands(op, xs, fmts, names):
    arrs = [check_codes(x, f, n) for x, f, n in zip(xs, fmts, names)]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrs))
    except ValueError:
        raise ValueError(f"{op}: operand shapes {' and '.join(str(a.shape) for a in arrs)} do not broadcast") from None
    flat = [a.reshape(-1) if a.shape == shape else np.broadcast_to(a, shape).reshape(-1) for a in arrs]
    return flat, shape


# ---- the generic path --------------------------------------------------------------------------
def _values(codes, fmt):
    return decode_table(fmt)[codes]


def _compute(op, fmts, out, pol, flat) -> ops.Result:
    """The Result of a value operation on flat code arrays (one chunk)."""
    sem = semantics_of(out)
    P = [parts(c, f) for c, f in zip(flat, fmts)]
    if op in ops.BINARY:
        return ops.BINARY[op](sem, out, P[0], P[1], pol.rounding)
    if op in ops.UNARY:
        return ops.UNARY[op](sem, out, P[0], pol.rounding)
    if op == "fma":
        return ops.fma(sem, out, P[0], P[1], P[2], pol.rounding)
    if op in _SIGN_OPS:
        if sem.sign_ops == "bits" and all(f == out for f in fmts):  # IEEE 754 §5.5.1: on the code
            r = ops.Result(flat[0].shape[0])
            r.code = ops.sign_bits(out, op, flat[0], P[1].neg if op == "copysign" else None)
            return r
        return ops.sign_op(sem, out, op, P[0], P[1] if op == "copysign" else None)
    same = [all(f == out for f in fmts)] * len(fmts)  # homogeneous: the operand's own code
    vals = [_values(c, f) for c, f in zip(flat, fmts)]
    if op in ops.MINMAX:
        return ops.minmax(sem, out, op, P[0], P[1], vals[0], vals[1], flat[0], flat[1], same[0], same[1])
    if op == "clamp":
        return ops.clamp(sem, out, P[0], P[1], P[2], vals[0], vals[1], vals[2], flat, same)
    raise ValueError(f"unknown operation {op!r}")


def _compare(op, fmts, flat):
    """(bool, flags) of a comparison / total_order on flat code arrays."""
    fa, fb = fmts
    if op == "total_order":
        rank = _cmp.total_order_rank(fa)
        return rank[flat[0]] <= rank[flat[1]], np.zeros(flat[0].shape, np.uint8)
    rule = "posit" if fa.kind == "posit" and fb.kind == "posit" else "ieee"
    return _cmp.compare(op, rule, _values(flat[0], fa), _values(flat[1], fb),
                        parts_table(fa).cls[flat[0]], parts_table(fb).cls[flat[1]])


def _generic(op, fmts, out, pol, flat, rb, nb):
    n = flat[0].shape[0]
    codes = np.empty(n, dtype=np.int64)
    flags = np.empty(n, dtype=np.uint8)
    for lo in range(0, n, _CHUNK):
        sl = slice(lo, min(lo + _CHUNK, n))
        chunk = [f[sl] for f in flat]
        if op in _BOOL_OPS:
            c, fl = _compare(op, fmts, chunk)
        else:
            res = _compute(op, fmts, out, pol, chunk)
            c, fl = ops.deliver(res, out, pol, None if rb is None else rb[sl], nb, what=op)
        codes[sl], flags[sl] = c, fl
    return codes, flags


# ---- dispatch -----------------------------------------------------------------------------------
def _run(op, xs, fmt, out_fmt, in_fmts, return_flags, kw, names=("a", "b", "c")):
    fmt = get_format(fmt)
    fmts = [get_format(f) if f is not None else fmt for f in in_fmts]
    if op in _BOOL_OPS:
        if kw:
            raise TypeError(f"{op} takes no policy arguments (got {', '.join(sorted(kw))})")
        if op == "total_order" and fmts[0] != fmts[1]:
            raise ValueError(f"total_order compares codes of one format, got {fmts[0].name} and {fmts[1].name}")
        out, pol = None, Policy()
    else:
        out = get_format(out_fmt) if out_fmt is not None else fmt
        _refuse(op, fmts + [out])
        pol = _policy(out, kw)
    flat, shape = _operands(op, xs, fmts, names)
    rb, nb = _rbits(pol, kw, shape) if out is not None else (None, 0)
    n = flat[0].shape[0]
    if op != "clamp" and tables.usable(op, fmts, out, pol, n):
        sem = semantics_of(out) if out is not None else None
        t = tables.get(op, fmts, out, pol, _compute, _compare if op in _BOOL_OPS else None, sem)
        codes, flags = tables.lookup(t, flat, fmts, out, return_flags, op)
    else:
        codes, flags = _generic(op, fmts, out, pol, flat, rb, nb)
    dtype = bool if op in _BOOL_OPS else out.code_dtype
    codes = codes.astype(dtype, copy=False).reshape(shape)
    if return_flags:
        return codes, flags.astype(np.uint8, copy=False).reshape(shape)
    return codes


def apply(op, *operands, fmt, out_fmt=None, fmts=None, return_flags=False, **policy):
    """Any operation by name: ``apply("fma", a, b, c, fmt="e4m3fn")``; ``fmts`` lists the
    operands' formats (default: ``fmt`` for each)."""
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r}; valid: {', '.join(OPERATIONS)}")
    k = OPERATIONS[op]
    if len(operands) != k:
        raise TypeError(f"{op} takes {k} operand(s), got {len(operands)}")
    fmts = list(fmts) if fmts is not None else [None] * k
    if len(fmts) != k:
        raise TypeError(f"{op}: fmts lists {len(fmts)} formats for {k} operand(s)")
    if op in _BOOL_OPS and out_fmt is not None:
        raise TypeError(f"{op} returns booleans: no out_fmt")
    names = ("x", "lo", "hi") if op == "clamp" else ("a", "b", "c")
    return _run(op, operands, fmt, out_fmt, fmts, return_flags, policy, names)


# ---- the named operations ------------------------------------------------------------------------
_DOC = """{what}.

``{sig}``: codes of ``{ops}`` in ``fmt`` (or their own formats), result codes of ``out_fmt``
(default ``fmt``) rounded once under the result format's policy (``rounding=``,
``overflow=``, ``nan=``, ``nan_to=``, ``tininess=``, ``below_range=``, ``preset=`` or
``policy=``; ``rbits=``/``srbits=`` for stochastic modes). ``return_flags=True`` also returns
the per-element flags. {rule}
"""


def _binary(op, what, rule=""):
    def f(a, b, fmt, out_fmt=None, *, a_fmt=None, b_fmt=None, return_flags=False, **policy):
        return _run(op, (a, b), fmt, out_fmt, [a_fmt, b_fmt], return_flags, policy)

    f.__name__ = f.__qualname__ = op
    f.__doc__ = _DOC.format(what=what, sig=f"{op}(a, b, fmt, out_fmt=None, *, a_fmt=None, b_fmt=None, ...)",
                            ops="a and b", rule=rule)
    return f


def _unary(op, what, rule=""):
    def f(a, fmt, out_fmt=None, *, return_flags=False, **policy):
        return _run(op, (a,), fmt, out_fmt, [None], return_flags, policy)

    f.__name__ = f.__qualname__ = op
    f.__doc__ = _DOC.format(what=what, sig=f"{op}(a, fmt, out_fmt=None, ...)", ops="a", rule=rule)
    return f


def _predicate(op, what):
    def f(a, b, fmt, *, a_fmt=None, b_fmt=None, return_flags=False):
        return _run(op, (a, b), fmt, None, [a_fmt, b_fmt], return_flags, {})

    f.__name__ = f.__qualname__ = op
    f.__doc__ = (f"{what} (bool array). ``{op}(a, b, fmt, *, a_fmt=None, b_fmt=None, return_flags=False)``; "
                 "see fp8ref.arith.compare for the rules (NaN, ±0, posit NaR) and flags.")
    return f


_SELECT = ("IEEE 754-2019 §9.6 (P3109: the same values, ±∞ unprojected); with every operand in the "
           "result format the result is the chosen operand's own code, else its value converted.")

add = _binary("add", "a + b", "An exact zero sum is +0 (-0 under rdn, or for (-0) + (-0)).")
sub = _binary("sub", "a - b", "An exact zero difference is +0 (-0 under rdn).")
mul = _binary("mul", "a × b", "0 × ∞ is NaN with invalid.")
div = _binary("div", "a / b", "x/0: ±∞ with the infinite flag 0x08 (IEEE-like), NaN with invalid "
              "(P3109, posits); 0/0 and ∞/∞: NaN with invalid.")
copysign = _binary("copysign", "|a| with the sign of b",
                   "IEEE-like formats: on the sign bit (NaN included, no flags) when a, b and the result share a format.")
minimum = _binary("minimum", "the smaller of a and b (NaN if either is NaN; -0 < +0)", _SELECT)
maximum = _binary("maximum", "the larger of a and b (NaN if either is NaN; -0 < +0)", _SELECT)
minimum_number = _binary("minimum_number", "the smaller of a and b; a NaN loses to a number", _SELECT)
maximum_number = _binary("maximum_number", "the larger of a and b; a NaN loses to a number", _SELECT)
minimum_magnitude = _binary("minimum_magnitude", "the operand of smaller magnitude (ties: minimum)", _SELECT)
maximum_magnitude = _binary("maximum_magnitude", "the operand of larger magnitude (ties: maximum)", _SELECT)
minimum_magnitude_number = _binary("minimum_magnitude_number", "minimum_magnitude; a NaN loses to a number", _SELECT)
maximum_magnitude_number = _binary("maximum_magnitude_number", "maximum_magnitude; a NaN loses to a number", _SELECT)
minimum_finite = _binary("minimum_finite", "P3109 MinimumFinite: the smaller of a and b; NaN and ±∞ lose to a finite operand", _SELECT)
maximum_finite = _binary("maximum_finite", "P3109 MaximumFinite: the larger of a and b; NaN and ±∞ lose to a finite operand", _SELECT)

sqrt = _unary("sqrt", "√a", "sqrt(-0) = -0; a < 0: NaN with invalid.")
recip = _unary("recip", "1 / a", "IEEE-like: 1/±0 = ±∞ with 0x08; P3109/posit: NaN with invalid.")
rsqrt = _unary("rsqrt", "1 / √a", "IEEE-like: rsqrt(±0) = ±∞ with 0x08; P3109/posit: NaN with invalid.")
neg = _unary("neg", "-a", "IEEE-like: on the sign bit when a and the result share a format (quiet, NaN included).")
abs = _unary("abs", "|a|", "IEEE-like: on the sign bit when a and the result share a format (quiet, NaN included).")

eq = _predicate("eq", "a == b")
lt = _predicate("lt", "a < b")
le = _predicate("le", "a <= b")
gt = _predicate("gt", "a > b")
ge = _predicate("ge", "a >= b")
unordered = _predicate("unordered", "a or b is NaN")


def total_order(a, b, fmt, *, return_flags=False):
    """IEEE 754 §5.10 totalOrder(a, b) on codes of one format (bool array); see
    fp8ref.arith.compare for where sign-only NaNs and posit NaR go."""
    return _run("total_order", (a, b), fmt, None, [None, None], return_flags, {})


def fma(a, b, c, fmt, out_fmt=None, *, a_fmt=None, b_fmt=None, c_fmt=None, return_flags=False, **policy):
    """a × b + c rounded once (policy arguments as for ``add``). fma(0, ∞, c) is NaN with invalid,
    also for a quiet NaN c in IEEE-like formats (as SoftFloat); an exact zero follows ``add``."""
    return _run("fma", (a, b, c), fmt, out_fmt, [a_fmt, b_fmt, c_fmt], return_flags, policy)


def clamp(x, lo, hi, fmt, out_fmt=None, *, x_fmt=None, lo_fmt=None, hi_fmt=None, return_flags=False, **policy):
    """lo where x <= lo, hi where x >= hi, else x (P3109 Clamp, for every family); NaN if any
    operand is NaN, NaN with invalid if lo > hi. Policy arguments as for ``add``."""
    return _run("clamp", (x, lo, hi), fmt, out_fmt, [x_fmt, lo_fmt, hi_fmt], return_flags, policy,
                ("x", "lo", "hi"))


def convert(a, fmt, out_fmt, *, return_flags=False, **policy):
    """Codes of ``fmt`` to codes of ``out_fmt``, rounded once (P3109 Convert; IEEE 754
    convertFormat: a signalling NaN raises invalid). Policy arguments as for ``add``."""
    return _run("convert", (a,), fmt, out_fmt, [None], return_flags, policy)


def family(fmt) -> str:
    """The semantics family of a format: ieee, tapered, ue8m0, p3109 or posit."""
    return family_of(get_format(fmt))
