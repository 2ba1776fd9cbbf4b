"""The assertions: :func:`assert_quantize_matches` (your quantizer over fp8ref's boundary
cases) and :func:`assert_codes_equal` (two arrays of one format), each failing with an
``AssertionError`` that holds a mismatch table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tabulate import tabulate

from ..codecs import decode_table
from ..core.floats import float_type_of
from ..formats import get_format
from ..policy import Policy
from .cases import boundary_cases, input_dtype, policy_arg, safe_encode
from .display import flag_text, format_code, hex_code, policy_text
from .outputs import as_codes_or_values, exact_code_of, is_torch, numpy_to_torch, to_numpy, values_equal

__all__ = ["assert_quantize_matches", "assert_codes_equal", "MatchResult"]


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
                f"bit for bit under {policy_text(self.policy)}{skip}")


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
            u = float_type_of(inputs.dtype).to_bits(np.asarray(xi).reshape(1))[0]
            row += [f"0x{int(u):0{inputs.dtype.itemsize * 2}x}", str(xi)]  # str: shortest text in xi's precision
        ec = int(exp_codes[i])
        row += [f"{hex_code(ec, fmt)} {format_code(ec, fmt)}" if ec >= 0 else "-", repr(float(exp_vals[i]))]
        if got_kind == "codes":
            gc = int(got[i])
            row += [f"{hex_code(gc, fmt)} {format_code(gc, fmt)}", repr(float(decode_table(fmt)[gc]))]
        else:
            gv = float(got[i])
            gc = int(exact_code_of(np.array([gv]), fmt)[0])
            row += [(f"{hex_code(gc, fmt)} {format_code(gc, fmt)}" if gc >= 0 else f"(not a {fmt.name} value)"), repr(gv)]
        if flags is not None:
            row.append(flag_text(flags[i]))
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
        ok = values_equal(ev, got)
    return ok & valid, ev


def assert_quantize_matches(fn: Callable, fmt, policy=None, *, dtype=np.float32, input: str = "numpy",
                            output: str = "auto", any_nan: bool = False, max_rows: int = 20) -> MatchResult:
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
    pol, plabel = policy_arg(fmt, policy)
    if input not in ("numpy", "torch"):
        raise ValueError(f"input must be 'numpy' or 'torch', got {input!r}")
    x, labels = boundary_cases(fmt, dt, pol)
    exp_codes, flags = safe_encode(x, fmt, pol)
    keep = exp_codes >= 0
    skipped = int((~keep).sum())
    x, labels, exp_codes, flags = x[keep], labels[keep], exp_codes[keep], flags[keep]

    arg = x.copy()
    if input == "torch":
        arg = numpy_to_torch(arg)
    got = fn(arg)
    got_kind, g = as_codes_or_values(got, fmt, output=output, what="fn's result")
    if g.shape != x.shape:
        if g.size == x.size:
            g = g.reshape(x.shape)
        else:
            raise AssertionError(f"fn returned {g.size} elements (shape {g.shape}) for {x.size} inputs")
    ok, ev = _compare(exp_codes, got_kind, g, fmt, any_nan)
    by_case: dict = {}
    for lab in labels:
        by_case[lab] = by_case.get(lab, 0) + 1
    if not ok.all():
        bad = np.flatnonzero(~ok)
        header = (f"fn disagrees with fp8ref on {bad.size} of {x.size} boundary cases: "
                  f"{fmt.name} from {dt.name}, {policy_text(pol, plabel)}"
                  + (f" (comparing {got_kind})" if got_kind == "values" else ""))
        raise AssertionError(_mismatch_report(header, bad, x.shape, x, labels, exp_codes, ev, got_kind, g,
                                              fmt, flags, max_rows, x.size))
    return MatchResult(fmt.name, dt.name, pol, int(x.size), skipped, dict(sorted(by_case.items())))


def assert_codes_equal(actual, expected, fmt, *, inputs=None, policy=None, any_nan: bool = False,
                       max_rows: int = 20) -> None:
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
    pol, plabel = policy_arg(fmt, policy, deterministic=False)  # bad policies fail here, match or not
    ak, a = as_codes_or_values(actual, fmt, what="actual")
    ek, e = as_codes_or_values(expected, fmt, what="expected")
    if a.shape != e.shape:
        raise AssertionError(f"shape mismatch: actual {a.shape} vs expected {e.shape}")
    shape = a.shape
    a, e = a.ravel(), e.ravel()
    xin = None
    if inputs is not None:
        if is_torch(inputs):
            inputs = to_numpy(inputs)
        xin = np.asarray(inputs)
        if xin.size != a.size:
            raise ValueError(f"inputs has {xin.size} elements, actual has {a.size}")
        if float_type_of(xin.dtype) is None:
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
        ok = values_equal(ev, av)
        exp_codes = e if ek == "codes" else exact_code_of(e, fmt)
        got_kind, g = ak, a
    if not ok.all():
        bad = np.flatnonzero(~ok)
        header = f"{bad.size} of {a.size} {fmt.name} codes differ" + (" (comparing values)" if "values" in (ak, ek) else "")
        flags = None
        if xin is not None and not pol.is_stochastic:  # stochastic flags depend on the bits
            flags = np.zeros(a.size, np.uint8)
            flags[bad] = safe_encode(xin[bad], fmt, pol)[1]
            header += f"; flags: fp8ref converting the input, {policy_text(pol, plabel)}"
        raise AssertionError(_mismatch_report(header, bad, shape, xin, None, exp_codes, ev, got_kind, g,
                                              fmt, flags, max_rows, a.size, flags_label="fp8ref flags"))
