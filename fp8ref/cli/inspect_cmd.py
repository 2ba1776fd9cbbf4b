"""``fp8ref info``, ``fp8ref table`` and ``fp8ref convert``: formats and conversions for people.

* ``fp8ref info FMT``: the format's figures, special codes and values per binade;
* ``fp8ref table FMT``: every code with its bits split into fields, value and class;
* ``fp8ref convert VALUE... --to FMT``: code, fields, value, error and flags of a conversion.

Every command takes ``--json``. Non-finite values are written as the strings ``"nan"``,
``"inf"`` and ``"-inf"`` in JSON, so that the output is strict JSON.
"""

from __future__ import annotations

import math
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
from tabulate import tabulate

from ..codecs import decode_table, encode, resolve_policy
from ..core.exact import NumberValue, is_hex_integer, parse_number, round_fraction
from ..core.floats import BF16, F16, F32, F64, float_type
from ..formats import aliases_of, get_format
from ..policy import (
    BELOW_RANGE_MODES,
    NAN_MODES,
    NAN_TO_MODES,
    OVERFLOW_MODES,
    PRESETS,
    ROUNDING_MODES,
    TININESS_MODES,
    flag_names,
)
from ..testing.display import code_class, code_fields, format_code
from . import CliError, add_command, print_json

__all__ = ["parse_number", "round_source"]  # parse_number: fp8ref.core.exact's, re-exported


# ---- shared helpers -------------------------------------------------------------------------
def _hexcode(code: int, fmt) -> str:
    return f"0x{int(code):0{(fmt.bits + 3) // 4}x}"


def _hexfloat(v: float) -> str:
    """Exact, compact hex text of a float64 (``0x1.cp+8``)."""
    if not math.isfinite(v):
        return _jnum(v)
    h = float(v).hex()
    if "." in h:
        mant, exp = h.split("p")
        h = mant.rstrip("0").rstrip(".") + "p" + exp
    return h


def _jnum(v: float):
    """A float for JSON: the number when finite, else ``"nan"``, ``"inf"``, ``"-inf"``."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _exact(v: float) -> str:
    """The exact value of a finite float64 as an integer or ``p/q`` string."""
    if not math.isfinite(v):
        return _jnum(v)
    return str(Fraction(v))


def _fields_json(code, fmt):
    """Fields, most significant first, as a list (JSON objects are written with sorted keys)."""
    return [{"name": n, "bits": b} for n, b in code_fields(code, fmt)]


def _fmt_arg(p):
    p.add_argument("format", metavar="FMT", help="format name (see `fp8ref formats`)")


# ---- info -------------------------------------------------------------------------------------
def _binade_runs(fmt):
    """[(e_lo, e_hi, values per binade)]: the format's binades, equal neighbours merged."""
    runs = []
    for e, n in fmt.binades():
        if runs and runs[-1][2] == n and runs[-1][1] == e - 1:
            runs[-1][1] = e
        else:
            runs.append([e, e, n])
    return [tuple(r) for r in runs]


def _special_codes(fmt):
    t = decode_table(fmt)
    codes = np.arange(t.size)
    fin = np.isfinite(t)
    pos = fin & (t > 0)
    out = {
        "zero": [int(c) for c in codes[fin & (t == 0)]],
        "nan": [int(c) for c in codes[np.isnan(t)]],
        "inf": [int(c) for c in codes[np.isinf(t)]],
        "max_finite": [int(c) for c in codes[fin & (t == t[fin].max())]],
        "min_positive": [int(c) for c in codes[pos & (t == t[pos].min())]] if pos.any() else [],
        "one": [int(c) for c in codes[t == 1.0]],
    }
    return out


def _info(fmt) -> dict:
    figs = dict(fmt.figures())
    t = decode_table(fmt)
    fin = t[np.isfinite(t)]
    d = {
        "name": fmt.name,
        "kind": fmt.kind,
        "aliases": aliases_of(fmt.name),
        "doc": getattr(fmt, "doc", "") or "",
        "figures": {k: (_jnum(v) if isinstance(v, float) else v) for k, v in figs.items()},
        "codes": fmt.num_codes,
        "distinct_finite_values": int(np.unique(fin).size),
        "special_codes": _special_codes(fmt),
        "binades": [{"exponents": [lo, hi], "values_per_binade": n} for lo, hi, n in _binade_runs(fmt)],
    }
    return d


def _configure_info(p):
    _fmt_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _run_info(args):
    fmt = get_format(args.format)
    d = _info(fmt)
    if args.json:
        print_json(d)
        return 0
    print(f"{fmt.name}  ({fmt.kind}, {fmt.bits} bits)" + (f": {d['doc']}" if d["doc"] else ""))
    if d["aliases"]:
        print("aliases: " + ", ".join(d["aliases"]))
    rows = [[k, _show(v)] for k, v in fmt.figures().items() if k not in ("name", "kind", "bits")]
    rows.append(["distinct finite values", d["distinct_finite_values"]])
    print(tabulate(rows, tablefmt="plain", disable_numparse=True))
    print()
    srows = []
    for k, cs in d["special_codes"].items():
        if cs:
            shown = ", ".join(f"{_hexcode(c, fmt)} ({format_code(c, fmt)})" for c in cs[:4])
            more = f" ... ({len(cs)} codes)" if len(cs) > 4 else ""
            srows.append([k.replace("_", " "), shown + more])
    print(tabulate(srows, headers=["special", "codes (fields)"], tablefmt="simple", disable_numparse=True))
    print()
    brows = [[f"{lo}" if lo == hi else f"{lo}..{hi}", n] for lo, hi, n in _binade_runs(fmt)]
    print(tabulate(brows, headers=["binade exponent", "positive values per binade"], tablefmt="simple",
                   disable_numparse=True))
    return 0


def _show(v):
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return str(v)


# ---- table ------------------------------------------------------------------------------------
def _parse_int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise CliError(f"not an integer code: {text!r} (use decimal, 0x.. or 0b..)") from None


def _configure_table(p):
    _fmt_arg(p)
    p.add_argument("--sort", choices=("code", "value"), default="code", help="row order (default: code)")
    p.add_argument("--codes", metavar="LO[:HI]", help="only codes LO..HI inclusive (decimal, 0x.. or 0b..)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _table_rows(fmt, sort="code", lo=None, hi=None):
    t = decode_table(fmt)
    codes = np.arange(t.size)
    if lo is not None:
        codes = codes[(codes >= lo) & (codes <= hi)]
    if sort == "value":
        v = t[codes]
        rank = np.where(np.isnan(v), 1, 0)
        codes = codes[np.lexsort((codes, np.where(np.isnan(v), 0, v), rank))]
    for c in codes.tolist():
        yield c, float(t[c])


def _run_table(args):
    fmt = get_format(args.format)
    lo = hi = None
    if args.codes:
        parts = args.codes.split(":")
        if len(parts) > 2:
            raise CliError(f"--codes takes LO or LO:HI, got {args.codes!r}")
        lo = _parse_int(parts[0])
        hi = _parse_int(parts[1]) if len(parts) == 2 else lo
        if not (0 <= lo <= hi < fmt.num_codes):
            raise CliError(f"--codes {args.codes!r} must satisfy 0 <= LO <= HI <= {fmt.num_codes - 1} for {fmt.name}")
    rows = list(_table_rows(fmt, args.sort, lo, hi))
    if args.json:
        print_json([
            {"code": c, "hex": _hexcode(c, fmt), "bits": format_code(c, fmt, ""),
             "fields": _fields_json(c, fmt), "value": _jnum(v), "exact": _exact(v),
             "class": code_class(c, fmt)}
            for c, v in rows
        ])
        return 0
    names = "|".join(n for n, b in code_fields(0, fmt))
    out = [[_hexcode(c, fmt), c, format_code(c, fmt), _show(v), _hexfloat(v), code_class(c, fmt)] for c, v in rows]
    print(tabulate(out, headers=["code", "dec", f"bits ({names})", "value", "hex", "class"], tablefmt="simple",
                   disable_numparse=True, colalign=("left", "right", "left", "right", "left", "left")))
    return 0


# ---- convert ----------------------------------------------------------------------------------
#: --from choices: an IEEE interchange type (the value is read as a program reading it would:
#: rounded RNE into it) or ``exact`` (the decimal is rounded once, into FMT)
_SOURCE_TYPES = (F64, F32, F16, BF16)
_SOURCE_CHOICES = tuple(t.short for t in _SOURCE_TYPES) + ("exact",)


def __getattr__(name):
    if name == "SOURCES":  # deprecated: the types are fp8ref.core.floats.FLOAT_TYPES
        warnings.warn("fp8ref.cli.inspect_cmd.SOURCES is deprecated; the --from types are "
                      "fp8ref.core.floats.FLOAT_TYPES (by short name: float_type('f32'))", DeprecationWarning, stacklevel=2)
        return {**{t.short: (t.name, t.bits) for t in _SOURCE_TYPES}, "exact": (None, 0)}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def round_source(value: NumberValue, source: str) -> tuple[np.ndarray, int | None]:
    """The input array fp8ref encodes for ``value`` (a Fraction, or a float ±0/±inf/nan) read as
    ``source`` (``f64``, ``f32``, ``f16``, ``bf16``: rounded once, RNE, by
    :func:`fp8ref.core.exact.round_fraction`), with its bit pattern; bfloat16 comes as the
    float32 array of the same value.

    For ``exact`` the array is float64 holding ``value`` rounded to odd (and no bits): it encodes
    exactly like the decimal itself into every format of at most 51 bits of precision.
    """
    if source == "exact":
        if isinstance(value, float):
            return np.array([value], dtype=np.float64), None
        return F64.from_bits_native([round_fraction(value, F64, "rto")]), None
    try:
        ft = float_type(source)
    except ValueError:
        raise CliError(f"unknown --from {source!r}; valid: {', '.join(_SOURCE_CHOICES)}") from None
    bits = ft.signed_special(value) if isinstance(value, float) else round_fraction(value, ft, "rne")
    return ft.from_bits_native([bits]), bits


def _from_bits(text: str, source: str):
    if source == "exact":
        raise CliError("--bits needs a concrete --from type (f64, f32, f16, bf16)")
    ft = float_type(source)
    bits = _parse_int(text)
    if not 0 <= bits < (1 << ft.bits):
        raise CliError(f"bit pattern {text!r} does not fit in {ft.bits} bits ({source})")
    return ft.from_bits_native([bits]), bits


def _hint_hex_integer(text: str):
    """One stderr line when VALUE is a hex integer (no ``.``, no ``p``): it converts as that
    integer, but the user may have meant a bit pattern."""
    if not is_hex_integer(text):
        return
    digits = text.strip().replace("_", "").lstrip("+-")[2:]
    types = [t.short for t in _SOURCE_TYPES if t.bits == 4 * len(digits)]
    src = " (or ".join(types) + ")" * (len(types) - 1) if types else "TYPE"
    value = int(text.strip().replace("_", ""), 16)
    print(f"fp8ref: note: {text} is read as the integer {value}; for a bit pattern use --bits --from {src}",
          file=sys.stderr)


def _configure_convert(p):
    p.add_argument("values", nargs="+", metavar="VALUE",
                   help="decimal (0.1, -3e5, 3/8), hex float (0x1.8p3), inf, nan; with --bits a bit "
                        "pattern of the --from type (without --bits, 0x3f800000 is the integer 1065353216). "
                        "Negative numbers (-1e-9, -0x1p-3, -inf, -nan) work anywhere on the line. A value "
                        "beyond the --from type's range is its ±Inf, as a program reading it would get")
    p.add_argument("--to", required=True, metavar="FMT", help="target format")
    p.add_argument("--from", dest="source", choices=_SOURCE_CHOICES, default="f64",
                   help="the input type VALUE is first rounded to (RNE), as a program reading it would "
                        "(default f64, like a Python float; 'exact' rounds the decimal once, into FMT)")
    p.add_argument("--bits", action="store_true", help="VALUE is the bit pattern of the --from type (hex, 0b.., decimal)")
    p.add_argument("--preset", choices=tuple(PRESETS), metavar="PRESET",
                   help="a named stack behaviour (fields below override it): "
                        + "; ".join(f"{n} = {p.reproduces}" for n, p in PRESETS.items()))
    p.add_argument("--rounding", choices=ROUNDING_MODES)
    p.add_argument("--overflow", choices=OVERFLOW_MODES)
    p.add_argument("--nan", choices=NAN_MODES, help="which NaN code a NaN result gets")
    p.add_argument("--nan-to", dest="nan_to", choices=NAN_TO_MODES, help="NaN into a format without NaN")
    p.add_argument("--tininess", choices=TININESS_MODES)
    p.add_argument("--below-range", dest="below_range", choices=BELOW_RANGE_MODES, help="unsigned formats (UE8M0)")
    p.add_argument("--rbits", metavar="R", help="random bits for stochastic rounding (an integer)")
    p.add_argument("--srbits", type=int, metavar="N", help="how many random bits R holds")
    p.add_argument("--json", action="store_true", help="machine-readable output (an object; a list for several VALUEs)")


def _convert_one(text, args, fmt, policy):
    if args.bits:
        x, sbits = _from_bits(text, args.source)
        with np.errstate(over="ignore", invalid="ignore"):
            exact_in = x.astype(np.float64)[0]
        value = float(exact_in)
    else:
        value = parse_number(text)
        x, sbits = round_source(value, args.source)
        _hint_hex_integer(text)
    kw = {}
    if policy.is_stochastic:
        if args.rbits is None:
            raise CliError(f"rounding {policy.rounding!r} needs --rbits (and usually --srbits)")
        kw = dict(rbits=np.array([_parse_int(args.rbits)], dtype=np.uint64), srbits=args.srbits)
    elif args.rbits is not None:
        raise CliError("--rbits is only for stochastic rounding modes")
    codes, flags = encode(x, fmt, policy=policy, return_flags=True, **kw)
    code, flg = int(codes.reshape(-1)[0]), int(flags.reshape(-1)[0])
    out_v = float(decode_table(fmt)[code])
    with np.errstate(over="ignore", invalid="ignore"):
        src_v = float(np.asarray(x, dtype=np.float64).reshape(-1)[0]) if args.source != "exact" or args.bits else None
    # error against what was encoded: the source value, or the decimal itself for --from exact
    if args.source == "exact" and not args.bits:
        ref = value if isinstance(value, Fraction) else (Fraction(value) if math.isfinite(value) else None)
    else:
        ref = Fraction(src_v) if math.isfinite(src_v) else None
    if ref is not None and math.isfinite(out_v):
        err = Fraction(out_v) - ref
        abs_err = float(err)
        rel_err = float(err / ref) if ref != 0 else (0.0 if err == 0 else math.inf)
    else:
        abs_err = rel_err = None
    src_name = args.source
    d = {
        "input": text,
        "source": src_name,
        "source_bits": (f"0x{sbits:0{(float_type(src_name).bits + 3) // 4}x}" if sbits is not None else None),
        "source_value": (_jnum(src_v) if src_v is not None else None),
        "source_exact": (str(Decimal(src_v)) if src_v is not None and math.isfinite(src_v) else None),
        # a finite decimal beyond the source type's range reads as ±Inf of that type (RNE, as strtod)
        "source_overflow": bool(isinstance(value, Fraction) and src_v is not None and math.isinf(src_v)),
        "source_inexact": bool(isinstance(value, Fraction) and src_v is not None
                               and (math.isinf(src_v) or Fraction(src_v) != value)),
        "format": fmt.name,
        "preset": ({"name": args.preset, "reproduces": PRESETS[args.preset].reproduces} if args.preset else None),
        "policy": policy.as_dict(),
        "code": code,
        "hex": _hexcode(code, fmt),
        "bits": format_code(code, fmt, ""),
        "fields": _fields_json(code, fmt),
        "value": _jnum(out_v),
        "value_hex": _hexfloat(out_v),
        "class": code_class(code, fmt),
        "error": (_jnum(abs_err) if abs_err is not None else None),
        "rel_error": (_jnum(rel_err) if rel_err is not None else None),
        "flags": flag_names(flg),
    }
    return d


def _value_line(v: float, cls: str) -> str:
    if math.isfinite(v):
        return f"{_show(v)}   ({_hexfloat(v)}, {cls})"
    return f"{_show(v)}   ({cls})" if cls not in ("nan", "inf") else _show(v)


def _run_convert(args):
    fmt = get_format(args.to)
    policy = resolve_policy(fmt, args.preset, rounding=args.rounding, overflow=args.overflow, nan=args.nan,
                         nan_to=args.nan_to, tininess=args.tininess, below_range=args.below_range)
    results = [_convert_one(v, args, fmt, policy) for v in args.values]
    if args.json:
        print_json(results[0] if len(results) == 1 else results)
        return 0
    pol = " ".join(f"{k}={v}" for k, v in policy.as_dict().items())
    if args.preset:
        pol = f"preset={args.preset} ({PRESETS[args.preset].reproduces}): {pol}"
    if len(results) == 1:
        d = results[0]
        src = d["source"]
        if d["source_bits"] is not None:
            note = " (inexact: rounded RNE)" if d["source_inexact"] else ""
            if d["source_overflow"]:
                note = f" (overflow: {d['input']} is beyond {src}'s range; RNE rounds it to {d['source_value']})"
            src_line = f"{src} {d['source_bits']} = {d['source_exact'] or d['source_value']}{note}"
        else:
            src_line = "exact decimal, rounded once into the format"
        fields = "  ".join(f"{f['name']}={f['bits']}" for f in d["fields"])
        rows = [
            ["input", d["input"]],
            ["as", src_line],
            ["format", f"{fmt.name}   {pol}"],
            ["code", f"{d['hex']}  ({d['code']})"],
            ["bits", f"{format_code(d['code'], fmt)}   {fields}"],
            ["value", _value_line(float(decode_table(fmt)[d["code"]]), d["class"])],
            ["error", "-" if d["error"] is None else f"{_show(d['error'])} (value - input), relative {_show(d['rel_error'])}"],
            ["flags", ", ".join(d["flags"]) or "none"],
        ]
        print(tabulate(rows, tablefmt="plain", disable_numparse=True))
        return 0
    print(f"{fmt.name} from {args.source}: {pol}")
    rows = [[d["input"], (d["source_bits"] or "-") + (" (overflow)" if d["source_overflow"] else ""), d["hex"],
             format_code(d["code"], fmt), _show(float(decode_table(fmt)[d["code"]])),
             "-" if d["error"] is None else _show(d["error"]),
             "-" if d["rel_error"] is None else _show(d["rel_error"]), ",".join(d["flags"]) or "-"] for d in results]
    print(tabulate(rows, headers=["input", "source bits", "code", "bits", "value", "error", "rel error", "flags"],
                   tablefmt="simple", disable_numparse=True))
    return 0


add_command("info", "a format's figures, special codes and values per binade", _configure_info, _run_info)
add_command("table", "every code of a format: bits split into fields, value, class", _configure_table, _run_table)
add_command("convert", "convert numbers to a format: code, fields, value, error, flags", _configure_convert, _run_convert)
