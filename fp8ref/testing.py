"""Assertion helpers for test suites: compare your cast or kernel with fp8ref, bit for bit.

* :func:`assert_quantize_matches` runs your quantizer over fp8ref's boundary cases (every value
  of the format, every midpoint between neighbouring values, one ulp either side of both in the
  input precision, the exact input where each rounding decision flips, the overflow thresholds,
  NaN/Inf/±0/signalling NaN/input subnormals) and compares its output with
  :func:`fp8ref.encode` under the policy you name.
* :func:`assert_codes_equal` compares two arrays of codes (or values) of one format.

Both fail with an ``AssertionError`` holding a mismatch table: index, case, input bits and
value, expected code (bits split into fields) and value, got code and value, expected flags.

Accepted outputs (``fn``'s result, ``actual``, ``expected``): integer arrays of codes
(``uint8``/``int8`` and wider), ml_dtypes arrays of the format under test (``float8_e4m3fn``,
...), torch tensors of either kind (``torch.float8_e4m3fn`` included), or float arrays of
*values* (float16/bfloat16/float32/float64), which must equal the decoded expected values
(NaN matches NaN, and the sign of zero counts).

This module imports only numpy and tabulate; torch and ml_dtypes are used when you pass their
objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tabulate import tabulate

from .codecs import decode_table, encode, resolve_policy
from .formats import get_format
from .policy import Policy, flag_names

__all__ = [
    "assert_quantize_matches",
    "assert_codes_equal",
    "boundary_cases",
    "MatchResult",
    "as_codes_or_values",
    "input_dtype",
    "code_fields",
    "format_code",
    "code_class",
]

# ---------------------------------------------------------------------------------------------
# input dtypes and ordered bit keys
# ---------------------------------------------------------------------------------------------
_DTYPE_NAMES = {
    "f16": "float16", "float16": "float16", "half": "float16",
    "bf16": "bfloat16", "bfloat16": "bfloat16",
    "f32": "float32", "float32": "float32", "float": "float32",
    "f64": "float64", "float64": "float64", "double": "float64",
}
_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def input_dtype(dtype) -> np.dtype:
    """The numpy dtype for an input precision: ``float16``/``f16``, ``bfloat16``/``bf16``
    (needs ml_dtypes), ``float32``/``f32`` or ``float64``/``f64`` (names or dtypes)."""
    __tracebackhide__ = True
    if isinstance(dtype, str):
        key = dtype.lower()
    else:
        try:
            key = np.dtype(dtype).name
        except TypeError:
            raise TypeError(f"not a dtype: {dtype!r}") from None
    name = _DTYPE_NAMES.get(key)
    if name is None:
        raise ValueError(f"input dtype must be float16, bfloat16, float32 or float64, got {dtype!r}")
    if name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("bfloat16 inputs need ml_dtypes (pip install ml_dtypes)") from None
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def _nbits(dt) -> int:
    return dt.itemsize * 8


def _to_keys(x: np.ndarray) -> np.ndarray:
    """Monotone uint64 keys of float bit patterns: key order = value order, -0 just below +0."""
    n = _nbits(x.dtype)
    u = x.view(_UINT[x.dtype.itemsize]).astype(np.uint64)
    sign, mask = np.uint64(1 << (n - 1)), np.uint64((1 << n) - 1)
    return np.where(u & sign, ~u & mask, u | sign)


def _from_keys(k: np.ndarray, dt) -> np.ndarray:
    n = _nbits(dt)
    sign, mask = np.uint64(1 << (n - 1)), np.uint64((1 << n) - 1)
    u = np.where(k & sign, k ^ sign, ~k & mask)
    return u.astype(_UINT[dt.itemsize]).view(dt)


def _step(x: np.ndarray, k: int) -> np.ndarray:
    """x moved by k ulps of its own dtype (k may be negative); NaN where that leaves the floats."""
    keys = _to_keys(x).astype(np.int64 if _nbits(x.dtype) < 64 else np.uint64)
    if _nbits(x.dtype) < 64:
        moved = keys + k
        ok = (moved >= 0) & (moved < (1 << _nbits(x.dtype)))
        out = _from_keys(np.where(ok, moved, 0).astype(np.uint64), x.dtype)
    else:
        kk = np.uint64(abs(k))
        ok = (keys <= np.uint64(2**64 - 1) - kk) if k >= 0 else (keys >= kk)
        moved = keys + kk if k >= 0 else keys - kk
        out = _from_keys(np.where(ok, moved, np.uint64(0)), x.dtype)
    out = out.copy()
    out[~ok] = np.nan
    return out


def _cast(values64: np.ndarray, dt) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values64, dtype=np.float64).astype(dt)


def _f64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(x).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# policy and safe encoding
# ---------------------------------------------------------------------------------------------
def _resolve_policy(fmt, policy, deterministic=True) -> tuple[Policy, str]:
    """A Policy from None, a preset name, a dict of fields or a Policy; plus a label.
    ``deterministic``: refuse stochastic roundings (they need random bits)."""
    __tracebackhide__ = True
    if policy is None:
        pol, label = resolve_policy(fmt), ""
    elif isinstance(policy, Policy):
        pol, label = policy, ""
    elif isinstance(policy, str):
        pol, label = resolve_policy(fmt, policy), f"preset {policy!r}: "
    elif isinstance(policy, dict):
        d = dict(policy)
        preset = d.pop("preset", None)
        pol = resolve_policy(fmt, preset, **d)
        label = f"preset {preset!r} + " if preset else ""
    else:
        raise TypeError(f"policy must be None, a preset name, a dict of policy fields or an fp8ref.Policy, got {type(policy).__name__}")
    if pol.is_stochastic and deterministic:
        raise ValueError(
            f"rounding {pol.rounding!r} needs random bits; assert_quantize_matches checks deterministic "
            "roundings only (for stochastic rounding, encode with your rbits and use assert_codes_equal)"
        )
    return pol, label


def _policy_text(pol: Policy, label: str = "") -> str:
    return label + " ".join(f"{k}={v}" for k, v in pol.as_dict().items())


def _safe_encode(x: np.ndarray, fmt, pol: Policy):
    """Codes (int64, -1 where fp8ref refuses the input, e.g. NaN into FP4 with nan_to='error')
    and flags. Refused inputs are isolated by halving, so a few of them cost little."""
    codes = np.full(x.shape, -1, dtype=np.int64)
    flags = np.zeros(x.shape, dtype=np.uint8)
    todo = [(0, x.size)]
    while todo:
        lo, hi = todo.pop()
        try:
            c, f = encode(x[lo:hi], fmt, policy=pol, return_flags=True)
        except ValueError:
            if hi - lo > 1:
                mid = (lo + hi) // 2
                todo += [(lo, mid), (mid, hi)]
            continue
        codes[lo:hi], flags[lo:hi] = c, f
    return codes, flags


# ---------------------------------------------------------------------------------------------
# boundary cases
# ---------------------------------------------------------------------------------------------
def _finite_values(fmt) -> np.ndarray:
    t = decode_table(fmt)
    v = np.unique(t[np.isfinite(t)])  # sorted; -0 and +0 merge
    return v


def _specials(dt) -> np.ndarray:
    n = _nbits(dt)
    man = {16: 10 if dt.name == "float16" else 7, 32: 23, 64: 52}[n]
    expo = n - 1 - man
    inf = ((1 << expo) - 1) << man
    quiet = 1 << (man - 1)
    pats = [0, 1 << (n - 1), inf, inf | (1 << (n - 1)), inf | quiet, inf | quiet | (1 << (n - 1)),
            inf | 1, inf | 1 | (1 << (n - 1)), inf | quiet | 1,  # signalling NaNs, a payload NaN
            1, 1 << man, inf - 1]  # smallest subnormal, smallest normal, largest finite
    pats += [p | (1 << (n - 1)) for p in pats[-3:]]
    return np.array(pats, dtype=np.uint64).astype(_UINT[dt.itemsize]).view(dt)


def _bisect(lo: np.ndarray, hi: np.ndarray, dt, fmt, pol):
    """For float pairs lo < hi whose codes differ: the last input with lo's code and the first
    input with another code (found on the ordered bit keys, so exact)."""
    klo, khi = _to_keys(lo), _to_keys(hi)
    elo, _ = _safe_encode(lo, fmt, pol)
    ehi, _ = _safe_encode(hi, fmt, pol)
    keep = (elo != ehi) & (klo < khi)
    klo, khi, elo = klo[keep], khi[keep], elo[keep]
    while klo.size and (khi - klo > 1).any():
        mid = klo + (khi - klo) // np.uint64(2)
        e, _ = _safe_encode(_from_keys(mid, dt), fmt, pol)
        same = e == elo
        klo = np.where(same, mid, klo)
        khi = np.where(same, khi, mid)
    return _from_keys(klo, dt), _from_keys(khi, dt)


def boundary_cases(fmt, dtype=np.float32, policy=None):
    """The inputs :func:`assert_quantize_matches` tries, as ``(x, labels)``.

    ``x`` (of ``dtype``, sorted by value, NaNs last, no duplicate bit patterns) holds:

    * ``value``: every finite value of ``fmt`` that ``dtype`` represents, and ``value+1ulp``,
      ``value-1ulp`` (one ulp of ``dtype`` toward +Inf / -Inf) around each; ``negative``: the
      negated values, for formats without a sign;
    * ``mid``: every midpoint between neighbouring finite values (rounded to ``dtype`` when it
      is not exact there), and ``mid+1ulp``, ``mid-1ulp``;
    * ``edge-`` / ``edge+``: the last input that still gets the smaller value's code and the
      first input that gets the next code, for every neighbouring pair, for the interval
      from max finite to the largest ``dtype`` value (the overflow threshold under ``policy``)
      and for the range below the smallest value; these coincide with midpoints for round-
      to-nearest on IEEE-like formats and find the real thresholds of any other format or
      rounding (posit, HiF8, directed modes);
    * ``special``: ±0, ±Inf, ±quiet NaN, ±signalling NaN, a NaN with payload, the smallest
      subnormal, smallest normal and largest finite value of ``dtype``.

    ``labels`` is an object array of those names.
    """
    fmt = get_format(fmt)
    dt = input_dtype(dtype)
    pol, _ = _resolve_policy(fmt, policy)
    v = _finite_values(fmt)
    vd = _cast(v, dt)
    rep = _f64(vd) == v
    vals = vd[rep]
    parts, labels = [], []

    def add(arr, label):
        arr = np.asarray(arr, dtype=dt).ravel()
        if label != "special":
            arr = arr[~np.isnan(_f64(arr))]
        parts.append(arr)
        labels.append(np.full(arr.size, label, dtype=object))

    add(_specials(dt), "special")
    add(vals, "value")
    if not (v < 0).any():  # unsigned formats (UE8M0): negative inputs are below range
        add(-vals[vals > 0], "negative")
    mids = _cast((v[1:] + v[:-1]) / 2, dt)  # exact in float64 for formats of <= 52-bit precision
    mids = mids[np.isfinite(_f64(mids))]
    add(mids, "mid")
    for k, suffix in ((1, "+1ulp"), (-1, "-1ulp")):
        add(_step(vals, k), "value" + suffix)
        add(_step(mids, k), "mid" + suffix)
    top = _step(_cast(np.array([np.inf]), dt), -1)  # dtype's largest finite value
    anchors = np.unique(np.concatenate([_f64(vals), [0.0], _f64(top), -_f64(top)]))
    a = _cast(anchors, dt)
    lo, hi = _bisect(a[:-1], a[1:], dt, fmt, pol)
    add(lo, "edge-")
    add(hi, "edge+")

    x = np.concatenate(parts)
    lab = np.concatenate(labels)
    u = x.view(_UINT[dt.itemsize])
    _, first = np.unique(u, return_index=True)
    x, lab = x[first], lab[first]
    order = np.lexsort((_to_keys(x), np.isnan(_f64(x))))  # by value (-0 before +0), NaNs last
    return x[order], lab[order]


# ---------------------------------------------------------------------------------------------
# outputs: codes or values
# ---------------------------------------------------------------------------------------------
def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def _torch_to_numpy(t):
    t = t.detach().cpu()
    name = str(t.dtype).replace("torch.", "")
    import torch

    if name == "bfloat16":
        import ml_dtypes

        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    if name.startswith(("float8", "float4")):
        u8 = t.view(torch.uint8).numpy()
        try:
            import ml_dtypes

            return u8.view(getattr(ml_dtypes, name))
        except (ImportError, AttributeError):
            return _TorchCodes(u8, name)
    if name.startswith("uint") and name != "uint8":  # uint16/32/64 lack numpy conversion in older torch
        return t.to(torch.int64).numpy()
    return t.numpy()


@dataclass
class _TorchCodes:
    codes: np.ndarray
    dtype_name: str


def _same_format(name, fmt) -> bool:
    try:
        return get_format(name) is fmt or get_format(name) == fmt
    except ValueError:
        return False


def as_codes_or_values(y, fmt, *, output="auto", what="output"):
    """Normalise an output for comparison: ``("codes", int64 array)`` or ``("values", float64)``.

    ``output="auto"`` reads integer arrays and arrays of the format's own ml_dtypes/torch dtype
    as codes, and float arrays as values; ``"codes"``/``"values"`` force one reading.
    """
    __tracebackhide__ = True
    fmt = get_format(fmt)
    if output not in ("auto", "codes", "values"):
        raise ValueError(f"output must be 'auto', 'codes' or 'values', got {output!r}")
    if _is_torch(y):
        y = _torch_to_numpy(y)
    if isinstance(y, _TorchCodes):
        if not _same_format(y.dtype_name, fmt):
            raise TypeError(f"{what} has dtype torch.{y.dtype_name}, but the format under test is {fmt.name}")
        return "codes", y.codes.astype(np.int64)
    arr = np.asarray(y)
    dt = arr.dtype
    if dt.kind in "biu" and dt.kind != "b":
        if output == "values":
            return "values", _f64(arr)
        if dt.kind == "i" and dt.itemsize * 8 == fmt.bits:  # int8/int16 views of codes
            arr = arr.view(np.dtype(f"u{dt.itemsize}"))
        codes = arr.astype(np.int64)
        if codes.size and (codes.min() < 0 or codes.max() >= fmt.num_codes):
            bad = codes.ravel()[(codes.ravel() < 0) | (codes.ravel() >= fmt.num_codes)][0]
            raise ValueError(f"{what}: code {int(bad)} out of range for {fmt.name} (0..{fmt.num_codes - 1})")
        return "codes", codes
    if dt.kind in "fV" and dt.name not in ("float16", "float32", "float64", "bfloat16", "longdouble"):
        if _same_format(dt.name, fmt) and dt.itemsize * 8 >= fmt.bits:
            u = arr.view(np.dtype(f"u{dt.itemsize}")).astype(np.int64)
            if output == "values":
                return "values", decode_table(fmt)[u]
            return "codes", u
        raise TypeError(
            f"{what} has dtype {dt.name}, which is not the format under test ({fmt.name}); "
            "return codes, values in a float dtype, or that format's own dtype"
        )
    if dt.kind in "fV":  # float16/32/64, bfloat16
        if _same_format(dt.name, fmt) and output != "values":  # fp16/bf16 under test: bits are codes
            return "codes", arr.view(np.dtype(f"u{dt.itemsize}")).astype(np.int64)
        if output == "codes":
            raise TypeError(f"{what} has float dtype {dt.name}; output='codes' needs integer codes")
        return "values", _f64(arr)
    raise TypeError(f"{what} has unsupported dtype {dt.name!r}: expected codes or values")


def _values_equal(a, b):
    """Elementwise value equality: NaN == NaN, and -0 != +0."""
    both_nan = np.isnan(a) & np.isnan(b)
    return both_nan | ((a == b) & (np.signbit(a) == np.signbit(b)))


def _exact_code_of(values, fmt):
    """The code whose value is exactly ``values[i]`` (sign of zero included; the first NaN code
    for NaN), or -1 (display only)."""
    t = decode_table(fmt)
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, -1, dtype=np.int64)
    ok = ~np.isnan(t)
    order = np.flatnonzero(ok)[np.lexsort((np.signbit(t[ok]), t[ok]))]  # -0 after +0 at equal value
    tv = t[order]
    pos = np.searchsorted(tv, v, side="left")
    pos = np.clip(pos, 0, max(tv.size - 1, 0))
    hit = tv.size > 0
    if hit:
        c = order[pos]
        good = tv[pos] == v
        out = np.where(good, c, -1)
        zero = good & (v == 0)
        if zero.any():
            pz = np.flatnonzero((t == 0) & ~np.signbit(t))
            nz = np.flatnonzero((t == 0) & np.signbit(t))
            out = np.where(zero & ~np.signbit(v), pz[0] if pz.size else -1, out)
            out = np.where(zero & np.signbit(v), nz[0] if nz.size else -1, out)
    nans = np.flatnonzero(np.isnan(t))
    out = np.where(np.isnan(v), nans[0] if nans.size else -1, out)
    return out.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# display helpers (also used by the ``fp8ref`` CLI)
# ---------------------------------------------------------------------------------------------
def _hex(code: int, fmt) -> str:
    if code < 0:
        return "-"
    return f"0x{code:0{(fmt.bits + 3) // 4}x}"


def _bin(v: int, n: int) -> str:
    return format(v, f"0{n}b") if n > 0 else ""


def code_fields(code: int, fmt) -> list[tuple[str, str]]:
    """The bit fields of one code as ``[(name, bits), ...]``, most significant first.

    A format may define its own split with a ``code_fields(code)`` method. Otherwise:
    IEEE-like ``sign, exponent, mantissa`` (no ``sign`` in unsigned P3109 formats); UE8M0 ``exponent``; HiF8 ``sign, dot, exponent,
    mantissa`` (``dot`` the prefix code; DML codes have no exponent field); posits ``sign,
    regime, exponent, fraction`` of the magnitude (for negative codes, of the two's complement,
    as the posit standard decodes them); any other kind ``sign`` (if it has one) and ``bits``.
    """
    fmt = get_format(fmt)
    code = int(code)
    if not 0 <= code < fmt.num_codes:
        raise ValueError(f"code {code} out of range for {fmt.name} (0..{fmt.num_codes - 1})")
    own = getattr(fmt, "code_fields", None)
    if callable(own):
        return [(str(n), str(b)) for n, b in own(code)]
    kind = getattr(fmt, "kind", "")
    bits = fmt.bits
    if kind == "ieee":
        m, e = fmt.man_bits, fmt.exp_bits
        sign = [("sign", _bin(code >> (bits - 1), 1))] if fmt.is_signed else []  # P3109 unsigned: none
        return sign + [("exponent", _bin((code >> m) & ((1 << e) - 1), e))] + \
            ([("mantissa", _bin(code & ((1 << m) - 1), m))] if m else [])
    if kind == "ue8m0" or (not getattr(fmt, "signed", True)):
        return [("exponent", _bin(code, bits))]
    if kind == "posit":
        return _posit_fields(code, bits, int(getattr(fmt, "es")))
    if kind == "tapered" and bits == 8:
        return _hif8_fields(code)
    if hasattr(fmt, "sign_mask"):
        return [("sign", _bin(code >> (bits - 1), 1)), ("bits", _bin(code & ((1 << (bits - 1)) - 1), bits - 1))]
    return [("bits", _bin(code, bits))]


def _posit_fields(code, n, es):
    sign = code >> (n - 1)
    mag = ((-code) & ((1 << n) - 1)) if sign else code
    body = _bin(mag & ((1 << (n - 1)) - 1), n - 1)
    if mag == 0:  # zero or NaR: no regime
        return [("sign", str(sign)), ("bits", body)]
    first = body[0]
    run = len(body) - len(body.lstrip(first))
    reg_len = min(run + 1, n - 1)
    regime, rest = body[:reg_len], body[reg_len:]
    return [("sign", str(sign)), ("regime", regime), ("exponent", rest[:es]), ("fraction", rest[es:])]


_HIF8_DOT = (("11", 4, 1), ("10", 3, 2), ("01", 2, 3), ("001", 1, 3), ("0001", 0, 3), ("0000", 0, 3))


def _hif8_fields(code):
    s = _bin(code, 8)
    body = s[1:]
    for dot, d, mb in _HIF8_DOT:
        if body.startswith(dot):
            rest = body[len(dot):]
            return [("sign", s[0]), ("dot", dot), ("exponent", rest[:d]), ("mantissa", rest[d:])]
    raise AssertionError("unreachable")  # pragma: no cover


def format_code(code: int, fmt, sep: str = ".") -> str:
    """The code's bits with fields separated by ``sep`` (e.g. E4M3 0x7e -> ``0.1111.110``)."""
    return sep.join(b for _, b in code_fields(code, fmt) if b != "")


def code_class(code: int, fmt) -> str:
    """``zero``, ``subnormal``, ``normal``, ``inf`` or ``nan`` (posits: ``nar`` for NaR; HiF8:
    ``denormal`` for its DML codes). A format may define ``code_class(code)`` itself."""
    fmt = get_format(fmt)
    own = getattr(fmt, "code_class", None)
    if callable(own):
        return str(own(int(code)))
    v = decode_table(fmt)[int(code)]
    kind = getattr(fmt, "kind", "")
    if np.isnan(v):
        return "nar" if kind == "posit" else "nan"
    if np.isinf(v):
        return "inf"
    if v == 0:
        return "zero"
    if kind == "ieee" and abs(v) < fmt.min_normal:
        return "subnormal"
    if kind == "tapered" and fmt.bits == 8 and (int(code) & 0x78) == 0:
        return "denormal"
    return "normal"


def _show_float(x) -> str:
    """Shortest round-trip text of a numpy scalar in its own precision."""
    return str(x)


def _flag_text(f: int) -> str:
    return ",".join(flag_names(int(f))) or "-"


# ---------------------------------------------------------------------------------------------
# the assertions
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatchResult:
    """What a passing :func:`assert_quantize_matches` checked."""

    fmt: str
    dtype: str
    policy: Policy
    cases: int
    skipped: int = 0
    by_case: dict = field(default_factory=dict)

    def __str__(self):
        skip = f"; {self.skipped} inputs fp8ref rejects under this policy were skipped" if self.skipped else ""
        kinds = ", ".join(f"{k} {n}" for k, n in self.by_case.items())
        return (f"{self.cases} boundary cases ({kinds}) of {self.fmt} from {self.dtype} match fp8ref "
                f"bit for bit under {_policy_text(self.policy)}{skip}")


def _mismatch_report(header, idx, shape, inputs, labels, exp_codes, exp_vals, got_kind, got,
                     fmt, flags, max_rows, total, flags_label="expected flags"):
    rows = []
    for i in idx[:max_rows]:
        where = i if len(shape) <= 1 else tuple(int(j) for j in np.unravel_index(i, shape))
        row = [where]
        if labels is not None:
            row.append(labels[i])
        if inputs is not None:
            xi = inputs.ravel()[i]
            u = np.asarray(xi).reshape(1).view(_UINT[inputs.dtype.itemsize])[0]
            row += [f"0x{int(u):0{inputs.dtype.itemsize * 2}x}", _show_float(xi)]
        ec = int(exp_codes[i])
        row += [f"{_hex(ec, fmt)} {format_code(ec, fmt)}" if ec >= 0 else "-", repr(float(exp_vals[i]))]
        if got_kind == "codes":
            gc = int(got[i])
            row += [f"{_hex(gc, fmt)} {format_code(gc, fmt)}", repr(float(decode_table(fmt)[gc]))]
        else:
            gv = float(got[i])
            gc = int(_exact_code_of(np.array([gv]), fmt)[0])
            row += [(f"{_hex(gc, fmt)} {format_code(gc, fmt)}" if gc >= 0 else f"(not a {fmt.name} value)"), repr(gv)]
        if flags is not None:
            row.append(_flag_text(flags[i]))
        rows.append(row)
    headers = ["index"] + (["case"] if labels is not None else [])
    headers += (["input bits", "input"] if inputs is not None else [])
    headers += ["expected", "expected value", "got", "got value"] + ([flags_label] if flags is not None else [])
    text = header + "\n" + tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    if len(idx) > max_rows:
        text += f"\n... {len(idx) - max_rows} more mismatches not shown (max_rows={max_rows})"
    if labels is not None:
        counts = {}
        for i in idx:
            counts[labels[i]] = counts.get(labels[i], 0) + 1
        text += "\nmismatches by case: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    return text


def _compare(exp_codes, got_kind, got, fmt, any_nan):
    t = decode_table(fmt)
    valid = exp_codes >= 0
    ev = np.where(valid, t[np.clip(exp_codes, 0, None)], np.nan)
    if got_kind == "codes":
        ok = got == exp_codes
        if any_nan:
            ok |= np.isnan(ev) & np.isnan(t[got]) & valid
    else:
        ok = _values_equal(ev, got)
    return ok & valid, ev


def assert_quantize_matches(fn, fmt, policy=None, *, dtype=np.float32, input="numpy", output="auto",
                            any_nan=False, max_rows=20) -> MatchResult:
    """Assert that ``fn(x)`` equals fp8ref's conversion of ``x`` to ``fmt`` on every boundary case.

    fn: your quantizer; it receives a 1-D array of ``dtype`` (see :func:`boundary_cases`) and
        returns codes, an ml_dtypes/torch array of ``fmt``, or float values (see module doc).
    policy: what fp8ref does: ``None`` (IEEE defaults: RNE, overflow to Inf/NaN), a preset name
        (``fp8ref.PRESETS``: ``"ml_dtypes"``, ``"ml_dtypes_0.6"``, ``"torch"``, ...), a dict of
        policy fields (optionally with ``"preset"``), or an :class:`fp8ref.Policy`.
        Deterministic roundings only.
    dtype: input precision: float16, bfloat16, float32 (default) or float64.
    input: ``"numpy"`` passes a numpy array; ``"torch"`` passes a CPU torch tensor.
    output: ``"auto"``, ``"codes"`` or ``"values"`` (how to read fn's result).
    any_nan: count any NaN code as equal to any other (default: NaN codes compare bit for bit).

    Inputs that fp8ref itself rejects under ``policy`` (NaN into a format without NaN with
    ``nan_to="error"``, below-range inputs with ``below_range="error"``) are skipped.
    Returns a :class:`MatchResult`; raises ``AssertionError`` with a mismatch table.
    """
    __tracebackhide__ = True  # pytest: a failure shows the caller's line, not this function
    fmt = get_format(fmt)
    dt = input_dtype(dtype)
    pol, plabel = _resolve_policy(fmt, policy)
    if input not in ("numpy", "torch"):
        raise ValueError(f"input must be 'numpy' or 'torch', got {input!r}")
    x, labels = boundary_cases(fmt, dt, pol)
    exp_codes, flags = _safe_encode(x, fmt, pol)
    keep = exp_codes >= 0
    skipped = int((~keep).sum())
    x, labels, exp_codes, flags = x[keep], labels[keep], exp_codes[keep], flags[keep]

    arg = x.copy()
    if input == "torch":
        arg = _numpy_to_torch(arg)
    got = fn(arg)
    got_kind, g = as_codes_or_values(got, fmt, output=output, what="fn's result")
    if g.shape != x.shape:
        if g.size == x.size:
            g = g.reshape(x.shape)
        else:
            raise AssertionError(f"fn returned {g.size} elements (shape {g.shape}) for {x.size} inputs")
    ok, ev = _compare(exp_codes, got_kind, g, fmt, any_nan)
    by_case = {}
    for lab in labels:
        by_case[lab] = by_case.get(lab, 0) + 1
    if not ok.all():
        bad = np.flatnonzero(~ok)
        header = (f"fn disagrees with fp8ref on {bad.size} of {x.size} boundary cases: "
                  f"{fmt.name} from {dt.name}, {_policy_text(pol, plabel)}"
                  + (f" (comparing {got_kind})" if got_kind == "values" else ""))
        raise AssertionError(_mismatch_report(header, bad, x.shape, x, labels, exp_codes, ev, got_kind, g,
                                              fmt, flags, max_rows, x.size))
    return MatchResult(fmt.name, dt.name, pol, int(x.size), skipped, dict(sorted(by_case.items())))


def _numpy_to_torch(x):
    import torch

    if x.dtype.name == "bfloat16":
        return torch.from_numpy(x.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(x)


def assert_codes_equal(actual, expected, fmt, *, inputs=None, policy=None, any_nan=False, max_rows=20):
    """Assert that two arrays of one format agree bit for bit.

    actual, expected: codes (integer arrays), ml_dtypes arrays or torch tensors of ``fmt``, or
        float arrays of values (then the comparison is by value: NaN equals NaN, -0 differs
        from +0).
    inputs: optional float array of the inputs that produced them (shown in the mismatch
        table, with the IEEE flags fp8ref raises converting each input under ``policy``).
    policy: for that flags column: None (the format's default), a preset name, a dict of
        policy fields or an ``fp8ref.Policy``; the comparison itself never uses it.
    any_nan: count any NaN code as equal to any other.
    """
    __tracebackhide__ = True  # pytest: a failure shows the caller's line, not this function
    fmt = get_format(fmt)
    pol, plabel = _resolve_policy(fmt, policy, deterministic=False)  # bad policies fail here, match or not
    ak, a = as_codes_or_values(actual, fmt, what="actual")
    ek, e = as_codes_or_values(expected, fmt, what="expected")
    if a.shape != e.shape:
        raise AssertionError(f"shape mismatch: actual {a.shape} vs expected {e.shape}")
    shape = a.shape
    a, e = a.ravel(), e.ravel()
    xin = None
    if inputs is not None:
        if _is_torch(inputs):
            inputs = _torch_to_numpy(inputs)
        xin = np.asarray(inputs)
        if xin.size != a.size:
            raise ValueError(f"inputs has {xin.size} elements, actual has {a.size}")
        if xin.dtype.kind not in "fV" or xin.dtype.itemsize not in _UINT:
            xin = None  # shown only when it is a float array we can print bits of
        else:
            xin = xin.ravel()
    t = decode_table(fmt)
    if ek == "codes" and ak == "codes":
        ok = a == e
        if any_nan:
            ok |= np.isnan(t[a]) & np.isnan(t[e])
        ev = t[e]
        exp_codes = e
        got_kind, g = "codes", a
    else:
        ev = t[e] if ek == "codes" else e
        av = t[a] if ak == "codes" else a
        ok = _values_equal(ev, av)
        exp_codes = e if ek == "codes" else _exact_code_of(e, fmt)
        got_kind, g = ak, a
    if not ok.all():
        bad = np.flatnonzero(~ok)
        header = f"{bad.size} of {a.size} {fmt.name} codes differ" + (" (comparing values)" if "values" in (ak, ek) else "")
        flags = None
        if xin is not None and not pol.is_stochastic:  # stochastic flags depend on the bits
            flags = np.zeros(a.size, np.uint8)
            flags[bad] = _safe_encode(xin[bad], fmt, pol)[1]
            header += f"; flags: fp8ref converting the input, {_policy_text(pol, plabel)}"
        raise AssertionError(_mismatch_report(header, bad, shape, xin, None, exp_codes, ev, got_kind, g,
                                              fmt, flags, max_rows, a.size, flags_label="fp8ref flags"))
