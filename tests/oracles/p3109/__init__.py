"""The IEEE P3109 C++ reference implementation (awf/p3109-cpp @ 9042910, MIT) as a test oracle.

``run(op, fmts, *operands, rounding=..., saturation=...)`` builds (once, cached outside the
repo) and runs ``driver.cpp`` on numpy arrays of codes and returns the reference's result
codes. Nothing here uses fp8ref. When the reference, a C++ compiler or boost/mpfr/gmp are
missing, :func:`driver` raises ``pytest.skip`` with the reason (``require()``), so tests that
need it skip cleanly; ``available()`` answers without skipping. See README.md for the
operations, the semantics observed and the reference's quirks.
"""

from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np

from . import build as _build

__all__ = [
    "BINARY",
    "NBITS",
    "OPS",
    "PREDICATES",
    "ROUNDINGS",
    "ROUNDING_ALIASES",
    "SATURATIONS",
    "SATURATION_ALIASES",
    "TERNARY",
    "UNARY",
    "Unsupported",
    "available",
    "decode",
    "driver",
    "format_name",
    "from_f64",
    "parse_format",
    "project",
    "reference_outputs",
    "run",
]

UNARY = ("neg", "abs", "sqrt", "recip", "rsqrt", "convert")
BINARY = ("add", "sub", "mul", "div", "copysign", "maximum", "minimum", "maximum_number", "minimum_number",
          "maximum_magnitude", "minimum_magnitude", "maximum_magnitude_number", "minimum_magnitude_number",
          "maximum_finite", "minimum_finite")
TERNARY = ("fma", "clamp")
PREDICATES = ("eq", "lt", "le", "gt", "ge")
OPS = UNARY + BINARY + TERNARY + PREDICATES + ("decode", "project", "from_f64")
ARITY = {**{o: 1 for o in UNARY}, **{o: 2 for o in BINARY + PREDICATES}, **{o: 3 for o in TERNARY}, "decode": 1}

ROUNDINGS = ("TowardZero", "TowardMaxMagnitude", "TowardPositive", "TowardNegative", "NearestTiesToAway",
             "NearestTiesToEven", "ToOdd", "StochasticA", "StochasticB", "StochasticC")
SATURATIONS = ("SatFinite", "SatPropagate", "OvfInf")
#: fp8ref's policy names for the same rules (StochasticA/B/C == fp8ref stochastic /
#: stochastic_fast / stochastic_rne, same inequalities; TowardMaxMagnitude has no fp8ref name yet,
#: 'raz' is accepted here -- note RISC-V's 'rmm' means ties-to-away, i.e. rna)
ROUNDING_ALIASES = {"rtz": "TowardZero", "raz": "TowardMaxMagnitude", "rup": "TowardPositive",
                    "rdn": "TowardNegative", "rna": "NearestTiesToAway", "rne": "NearestTiesToEven",
                    "rto": "ToOdd", "stochastic": "StochasticA", "stochastic_fast": "StochasticB",
                    "stochastic_rne": "StochasticC"}
SATURATION_ALIASES = {"sat_finite": "SatFinite", "sat_propagate": "SatPropagate", "ovf_inf": "OvfInf"}
NBITS = _build.NBITS


class Unsupported(ValueError):
    """The reference (as instantiated by the driver) has no such operation/format/spec."""


def parse_format(name: str) -> tuple[int, int, bool, bool]:
    """'binary8p3se', 'p3109_k8p3se', 'k8p3se' or 'p3109_8p3' / 'binary8p3' (signed extended)
    -> (K, P, signed, extended)."""
    s = name.lower()
    for pre in ("p3109_k", "p3109_", "binary", "k"):
        if s.startswith(pre):
            s = s[len(pre):]
            break
    suffix = s[-2:] if s[-2:] in ("se", "sf", "ue", "uf") else "se"
    body = s[:-2] if s[-2:] == suffix else s
    try:
        K, P = (int(v) for v in body.split("p"))
    except ValueError:
        raise ValueError(f"not a P3109 format name: {name!r}") from None
    return K, P, suffix[0] == "s", suffix[1] == "e"


def format_name(fmt) -> str:
    """The reference's name (binary<K>p<P><s|u><e|f>) of a name or (K, P, signed, extended)."""
    f = parse_format(fmt) if isinstance(fmt, str) else tuple(fmt)
    return _build.fmt_name(*f)


def available() -> tuple[bool, str]:
    """(True, path) when the driver is built or can be built here, else (False, reason)."""
    try:
        return True, str(_build.build())
    except _build.Unavailable as e:
        return False, str(e)


_DRIVER = None


def driver():
    """Path of the built driver; ``pytest.skip`` with the reason when it cannot be built."""
    global _DRIVER
    if _DRIVER is None:
        try:
            _DRIVER = _build.build()
        except _build.Unavailable as e:
            import pytest

            pytest.skip(f"P3109 reference driver unavailable: {e}")
    return _DRIVER


def _mode_args(rounding, saturation, nbits, rbits, n):
    args, tail = [], b""
    if rounding is not None:
        r = ROUNDING_ALIASES.get(rounding, rounding)
        if r not in ROUNDINGS:
            raise ValueError(f"unknown rounding {rounding!r}; valid: {', '.join(ROUNDINGS + tuple(ROUNDING_ALIASES))}")
        args += ["--round", r]
        if r.startswith("Stochastic"):
            if nbits not in NBITS:
                raise ValueError(f"{r} needs nbits, one of {NBITS} (compiled widths), got {nbits!r}")
            if rbits is None:
                raise ValueError(f"{r} needs rbits (random values 0 <= r < 2^nbits)")
            rb = np.broadcast_to(np.asarray(rbits, dtype=np.uint64), (n,))
            args += ["--nbits", str(nbits)]
            tail = np.ascontiguousarray(rb, dtype="<u8").tobytes()
    if saturation is not None:
        s = SATURATION_ALIASES.get(saturation, saturation)
        if s not in SATURATIONS:
            raise ValueError(f"unknown saturation {saturation!r}; valid: {', '.join(SATURATIONS)}")
        args += ["--sat", s]
    return args, tail


def _call(args, data: bytes) -> bytes:
    r = subprocess.run([str(driver()), *args], input=data, capture_output=True)
    if r.returncode == 3:
        raise Unsupported(r.stderr.decode().strip())
    if r.returncode:
        raise RuntimeError(f"p3109 driver failed ({r.returncode}): {r.stderr.decode().strip()} [args {args}]")
    return r.stdout


def _fmts(op, fmts):
    """fmts: one name for every operand and the result, or (result, x[, y[, z]])."""
    if isinstance(fmts, str):
        return format_name(fmts), []
    names = [format_name(f) for f in fmts]
    opts = []
    for flag, nm in zip(("--x", "--y", "--z"), names[1:]):
        opts += [flag, nm]
    return names[0], opts


def run(op, fmts, *operands, rounding=None, saturation=None, rbits=None, nbits=None, memo=True) -> np.ndarray:
    """Apply the reference's ``op`` element-wise; operands are arrays of codes (broadcast).

    ``fmts`` is one format name (every operand and the result) or ``(result, x, y, z)``; for
    comparisons the first name is x's format. ``rounding`` / ``saturation``: P3109 names or
    fp8ref policy names (see ROUNDING_ALIASES). Stochastic modes need ``nbits`` (a compiled
    width) and ``rbits`` (per element). Returns the result codes (uint8 for K <= 8, else
    uint16), or a bool array for comparisons. Raises :class:`Unsupported` for combinations
    the reference refuses (e.g. SatPropagate/OvfInf into a Finite format).
    """
    if op not in ARITY or op == "decode":
        raise ValueError(f"unknown operation {op!r}; valid: {', '.join(o for o in ARITY if o != 'decode')}")
    if len(operands) != ARITY[op]:
        raise ValueError(f"{op} takes {ARITY[op]} operand(s), got {len(operands)}")
    arrs = np.broadcast_arrays(*[np.asarray(a) for a in operands])
    shape = arrs[0].shape
    n = int(np.prod(shape, dtype=np.int64))
    r, fopts = _fmts(op, fmts)
    data = b"".join(np.ascontiguousarray(a.reshape(-1), dtype="<u2").tobytes() for a in arrs)
    pred = op in PREDICATES
    margs, tail = ([], b"") if pred else _mode_args(rounding, saturation, nbits, rbits, n)
    out = _call([op, "--r", r, *fopts, *margs, "--n", str(n), "--memo", str(int(memo))], data + tail)
    if pred:
        return np.frombuffer(out, dtype=np.uint8).astype(bool).reshape(shape)
    res = np.frombuffer(out, dtype="<u2").reshape(shape)
    return res.astype(np.uint8) if parse_format(r)[0] <= 8 else res.astype(np.uint16)


def decode(fmt, codes) -> list:
    """The reference's Decode of each code: Fraction, or float +inf / -inf / nan."""
    codes = np.asarray(codes).reshape(-1)
    out = _call(["decode", "--r", format_name(fmt), "--n", str(codes.size)],
                np.ascontiguousarray(codes, dtype="<u2").tobytes())
    rec = np.frombuffer(out, dtype=[("m", "<u8"), ("e", "<i4"), ("cls", "<i4")])
    vals = []
    for m, e, cls in rec:
        if cls in (1, 2, 3):
            vals.append({1: float("inf"), 2: float("-inf"), 3: float("nan")}[int(cls)])
        else:
            v = Fraction(int(m)) * Fraction(2) ** int(e)
            vals.append(-v if cls == 4 else v)
    return vals


def project(fmt, values, *, rounding, saturation, rbits=None, nbits=None) -> np.ndarray:
    """The reference's Project(X) for exact dyadic X (Fraction with a power-of-two
    denominator, int, float incl. +/-inf and nan) into ``fmt``."""
    vals = list(values)
    rec = np.zeros(len(vals), dtype=[("m", "<i8"), ("e", "<i4"), ("cls", "<i4")])
    for i, v in enumerate(vals):
        if isinstance(v, float) and v != v:
            rec[i] = (0, 0, 3)
        elif isinstance(v, float) and v in (float("inf"), float("-inf")):
            rec[i] = (0, 0, 1 if v > 0 else 2)
        else:
            q = Fraction(v)
            den = q.denominator
            if den & (den - 1):
                raise ValueError(f"project needs a dyadic value, got {v!r}")
            m, e = q.numerator, -(den.bit_length() - 1)
            while m and m % 2 == 0:
                m //= 2
                e += 1
            if not -(1 << 63) < m < (1 << 63):
                raise ValueError(f"significand of {v!r} does not fit int64")
            rec[i] = (m, e, 0)
    margs, tail = _mode_args(rounding, saturation, nbits, rbits, len(vals))
    out = _call(["project", "--r", format_name(fmt), *margs, "--n", str(len(vals))], rec.tobytes() + tail)
    res = np.frombuffer(out, dtype="<u2")
    return res.astype(np.uint8) if parse_format(fmt)[0] <= 8 else res.copy()


def from_f64(fmt, x, *, rounding, saturation, rbits=None, nbits=None) -> np.ndarray:
    """The reference's ConvertFromIEEE754<fmt>(double) of each float64 in x."""
    x = np.ascontiguousarray(np.asarray(x, dtype="<f8").reshape(-1))
    margs, tail = _mode_args(rounding, saturation, nbits, rbits, x.size)
    out = _call(["from_f64", "--r", format_name(fmt), *margs, "--n", str(x.size)], x.tobytes() + tail)
    res = np.frombuffer(out, dtype="<u2")
    return res.astype(np.uint8) if parse_format(fmt)[0] <= 8 else res.copy()


def reference_outputs(cs) -> list:
    """The reference's outputs for every mode of a case set (``cases.CaseSet``), in order."""
    from . import cases as C

    outs = []
    for k, m in enumerate(cs.modes):
        ops = C.operands(cs, k)
        if cs.op == "decode":
            outs.append(decode(cs.fmts[0], ops[0]))
        elif cs.op in PREDICATES:
            outs.append(run(cs.op, (cs.fmts[1], cs.fmts[1], cs.fmts[2]), *ops))
        else:
            rnd, sat, nb = m
            kw = dict(rounding=rnd, saturation=sat, nbits=nb, rbits=C.random_values(cs, k, len(ops[0])))
            if cs.op == "from_f64":
                outs.append(from_f64(cs.fmts[0], ops[0], **kw))
            else:
                outs.append(run(cs.op, tuple(cs.fmts[:1 + C.arity(cs.op)]), *ops, **kw))
    return outs
