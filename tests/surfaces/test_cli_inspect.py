"""``fp8ref info``, ``table``, ``convert``: output checked against ml_dtypes / numpy / exact
fractions, --json on each, error exits."""

from __future__ import annotations

import importlib
import json
import math
import os
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import fp8ref
import fp8ref.cli as cli
from fp8ref.cli import inspect_cmd, main
from fp8ref.cli.inspect_cmd import parse_number, round_source

from ..oracles.shared import ML_ELEMENTS, ml_codes, ml_values

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    """main() in this process. fp8ref.cli.build_parser clears its command list and relies on
    first imports to refill it, so a second main() in one process loses commands that were
    imported before; re-register ours (the console script calls main() once per process)."""
    orig = cli._load_commands

    def load():
        orig()
        if not any(c[0] == "info" for c in cli._COMMANDS):
            importlib.reload(inspect_cmd)

    cli._load_commands = load
    try:
        rc = main(list(argv))
    finally:
        cli._load_commands = orig
    out, err = capsys.readouterr()
    return rc, out, err


def test_console_entry_point():
    r = subprocess.run([sys.executable, "-m", "fp8ref.cli", "convert", "448", "--to", "e4m3fn", "--json"],
                       cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["hex"] == "0x7e"


def run_json(capsys, *argv):
    argv = list(argv)
    at = argv.index("--") if "--" in argv else len(argv)  # options go before a "--"
    rc, out, err = run(capsys, *argv[:at], "--json", *argv[at:])
    assert rc == 0, err
    return json.loads(out)  # strict JSON: NaN/Inf are strings


# ---- info -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", fp8ref.list_formats())
def test_info_every_format(capsys, name):
    rc, out, _ = run(capsys, "info", name)
    assert rc == 0 and out.startswith(name)
    d = run_json(capsys, "info", name)
    fmt = fp8ref.get_format(name)
    assert d["name"] == fmt.name and d["kind"] == fmt.kind and d["codes"] == fmt.num_codes
    assert set(d["figures"]) == set(fmt.figures())


@pytest.mark.parametrize("name", list(ML_ELEMENTS))
def test_info_special_codes_match_ml_dtypes(capsys, name):
    d = run_json(capsys, "info", name)
    vals = ml_values(name)
    sc = d["special_codes"]
    assert sc["nan"] == [c for c in range(vals.size) if np.isnan(vals[c])]
    assert sc["inf"] == [c for c in range(vals.size) if np.isinf(vals[c])]
    fin = vals[np.isfinite(vals)]
    assert [vals[c] for c in sc["max_finite"]] == [fin.max()]
    assert [vals[c] for c in sc["min_positive"]] == [fin[fin > 0].min()]
    assert d["distinct_finite_values"] == np.unique(fin).size
    # values per binade: count positive values by exponent with the oracle's table
    pos = np.unique(fin[fin > 0])
    per = {}
    for v in pos:
        e = math.frexp(v)[1] - 1
        per[e] = per.get(e, 0) + 1
    got = {}
    for b in d["binades"]:
        for e in range(b["exponents"][0], b["exponents"][1] + 1):
            got[e] = b["values_per_binade"]
    assert got == per


def test_info_text_shows_fields_and_binades(capsys):
    rc, out, _ = run(capsys, "info", "e4m3fn")
    assert "0x7e (0.1111.110)" in out and "max finite" in out and "-6..7" in out


# ---- table ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ML_ELEMENTS))
def test_table_json_matches_ml_dtypes(capsys, name):
    rows = run_json(capsys, "table", name)
    vals = ml_values(name)
    fmt = fp8ref.get_format(name)
    assert [r["code"] for r in rows] == list(range(vals.size))
    for r in rows:
        v = vals[r["code"]]
        if np.isnan(v):
            assert r["value"] == "nan" and r["class"] == "nan" and r["exact"] == "nan"
        elif np.isinf(v):
            assert r["value"] == ("inf" if v > 0 else "-inf") and r["class"] == "inf"
        else:
            assert r["value"] == v and Fraction(r["exact"]) == Fraction(float(v))
            want = "zero" if v == 0 else ("subnormal" if abs(v) < fmt.min_normal else "normal")
            assert r["class"] == want
        assert r["bits"] == format(r["code"], f"0{fmt.bits}b") == "".join(f["bits"] for f in r["fields"])
        assert [f["name"] for f in r["fields"]] == ["sign", "exponent", "mantissa"]
        assert r["hex"] == f"0x{r['code']:0{(fmt.bits + 3) // 4}x}"


def test_table_text_sort_and_range(capsys):
    rc, out, _ = run(capsys, "table", "e5m2", "--codes", "0x78:0x7f")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["code", "dec", "bits"] and len(lines) == 2 + 8
    assert lines[2].split()[:5] == ["0x78", "120", "0.11110.00", "32768.0", "0x1p+15"]
    rc, out, _ = run(capsys, "table", "e2m1fn", "--sort", "value")
    vals = [float(ln.split()[3]) for ln in out.splitlines()[2:]]
    assert vals == sorted(vals) and len(vals) == 16
    rows = run_json(capsys, "table", "fp16", "--codes", "0x3c00")
    assert rows == [{"code": 0x3C00, "hex": "0x3c00", "bits": "0011110000000000",
                     "fields": [{"name": "sign", "bits": "0"}, {"name": "exponent", "bits": "01111"},
                                {"name": "mantissa", "bits": "0000000000"}],
                     "value": 1.0, "exact": "1", "class": "normal"}]


# ---- convert ----------------------------------------------------------------------------------
def test_convert_text(capsys):
    rc, out, _ = run(capsys, "convert", "0.1", "--to", "e4m3fn")
    assert rc == 0
    lines = dict(ln.split(None, 1) for ln in out.splitlines())
    assert lines["code"].startswith("0x1d")
    assert lines["bits"].startswith("0.0011.101") and "mantissa=101" in lines["bits"]
    assert lines["value"].startswith("0.1015625") and lines["flags"] == "inexact"
    assert "0x3fb999999999999a" in lines["as"] and "inexact" in lines["as"]


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "e3m2fn"])
def test_convert_json_matches_ml_dtypes(capsys, name):
    rnd = random.Random(5)
    xs = [repr(rnd.uniform(-1, 1) * 2.0 ** rnd.randint(-12, 12)) for _ in range(12)] + ["-0", "0x1.4p-9"]
    res = run_json(capsys, "convert", *xs, "--to", name, "--preset", "ml_dtypes")
    assert isinstance(res, list) and len(res) == len(xs)
    vals = ml_values(name)
    for text, d in zip(xs, res):
        x = np.array([parse_number(text)], dtype=np.float64)
        c = int(ml_codes(x, name)[0])
        assert d["code"] == c and d["input"] == text and d["format"] == name
        v = vals[c]
        if np.isnan(v):
            assert d["value"] == "nan" and d["error"] is None
            continue
        assert d["value"] == v
        src = Fraction(float(x[0]))
        err = Fraction(float(v)) - src
        assert d["error"] == float(err)
        assert d["rel_error"] == (float(err / src) if src else 0.0)
        assert ("inexact" in d["flags"]) == (err != 0)
        assert d["bits"] == format(c, f"0{fp8ref.get_format(name).bits}b")


def test_convert_policy_options(capsys):
    d = run_json(capsys, "convert", "500", "--to", "e4m3fn")
    assert d["hex"] == "0x7f" and d["flags"] == ["inexact", "overflow"] and d["value"] == "nan"
    d = run_json(capsys, "convert", "500", "--to", "e4m3fn", "--overflow", "sat_finite")
    assert d["hex"] == "0x7e" and d["value"] == 448.0 and d["error"] == -52.0
    d = run_json(capsys, "convert", "1.9", "--to", "e2m1fn", "--rounding", "rtz")
    assert d["value"] == 1.5
    d = run_json(capsys, "convert", "-1.25", "--to", "e2m1fn", "--rounding", "rdn")
    assert d["value"] == -1.5
    d = run_json(capsys, "convert", "1.25", "--to", "e2m1fn", "--rounding", "stochastic", "--rbits", "255", "--srbits", "8")
    assert d["value"] == 1.5
    d = run_json(capsys, "convert", "nan", "--to", "e2m1fn", "--nan-to", "max")
    assert d["value"] == 6.0 and d["flags"] == ["invalid"] and d["error"] is None
    d = run_json(capsys, "convert", "--to", "e4m3fn", "--preset", "torch", "--", "-inf")
    assert d["hex"] == "0xfe"  # torch saturates E4M3FN, Inf included


def test_convert_names_the_preset_and_its_peer_version(capsys):
    # ml_dtypes 0.7.0 rounds float64 once, 0.6.0 went through float32 (1.0625 + 2^-26: 1.125 vs 1.0)
    x = "0x1.1000004p+0"
    d = run_json(capsys, "convert", x, "--to", "e4m3fn", "--preset", "ml_dtypes")
    assert d["preset"] == {"name": "ml_dtypes", "reproduces": "ml_dtypes 0.7.0"} and d["value"] == 1.125
    d = run_json(capsys, "convert", x, "--to", "e4m3fn", "--preset", "ml_dtypes_0.6")
    assert d["preset"] == {"name": "ml_dtypes_0.6", "reproduces": "ml_dtypes 0.6.0"} and d["value"] == 1.0
    assert run_json(capsys, "convert", x, "--to", "e4m3fn")["preset"] is None
    rc, out, _ = run(capsys, "convert", x, "--to", "e4m3fn", "--preset", "torch")
    assert rc == 0 and "preset=torch (torch 2.13.0)" in out
    with pytest.raises(SystemExit):
        run(capsys, "convert", "--help")
    helptext = " ".join(capsys.readouterr().out.split())
    for name, p in fp8ref.PRESETS.items():
        assert f"{name} = {p.reproduces}" in helptext


@pytest.mark.parametrize("argv, value", [
    (("convert", "-1e-9", "--to", "e4m3fn"), -0.0),
    (("convert", "--to", "e4m3fn", "-0x1p-3"), -0.125),
    (("convert", "-3e5", "--overflow", "sat_finite", "--to", "e4m3fn"), -448.0),
    (("convert", "--to", "e4m3fn", "--preset", "torch", "-inf"), -448.0),
    (("convert", "-nan", "--to", "e4m3fn"), "nan"),
    (("convert", "--to", "e5m2", "-.5", "-1/4", "-0"), [-0.5, -0.25, -0.0]),
    (("convert", "--rounding", "stochastic", "--rbits", "0", "--srbits", "8", "--to", "e4m3fn", "-1E+2"), -96.0),
])
def test_convert_negative_values_anywhere(capsys, argv, value):
    d = run_json(capsys, *argv)
    got = [e["value"] for e in d] if isinstance(d, list) else d["value"]
    assert got == value and str(got) == str(value)  # -0.0 is not 0.0
    with pytest.raises(SystemExit):  # a dash word is still an option
        run(capsys, "convert", "1", "-q", "--to", "e4m3fn")
    assert "unrecognized arguments: -q" in capsys.readouterr().err


def test_convert_bits_input(capsys):
    d = run_json(capsys, "convert", "0x7f800001", "--bits", "--from", "f32", "--to", "e5m2")
    assert d["flags"] == ["invalid"] and d["class"] == "nan" and d["source_bits"] == "0x7f800001"
    d = run_json(capsys, "convert", "0x3c01", "--bits", "--from", "f16", "--to", "e4m3fn")
    assert d["value"] == 1.0 and d["source_value"] == float(np.float16(1) + np.finfo(np.float16).eps)
    d = run_json(capsys, "convert", "0x3f81", "--bits", "--from", "bf16", "--to", "e5m2")
    assert d["source_value"] == float(np.array([0x3F81], np.uint16).view(ml_dtypes.bfloat16)[0])


@pytest.mark.parametrize("argv,msg", [
    (("info", "e4m3fx"), "unknown format 'e4m3fx'. Did you mean"),
    (("table", "nope"), "Valid names: e4m3fn, e5m2"),
    (("convert", "abc", "--to", "e4m3fn"), "not a number: 'abc'"),
    (("convert", "1", "--to", "e4m3fn", "--rounding", "stochastic"), "needs --rbits"),
    (("convert", "1", "--to", "e4m3fn", "--rbits", "3"), "only for stochastic"),
    (("convert", "0x3c00", "--bits", "--from", "exact", "--to", "e4m3fn"), "--bits needs a concrete --from"),
    (("convert", "0x1ffff", "--bits", "--from", "f16", "--to", "e4m3fn"), "does not fit in 16 bits"),
    (("convert", "nan", "--to", "e2m1fn"), "which has no NaN"),
    (("table", "e4m3fn", "--codes", "0x100"), "--codes '0x100' must satisfy"),
    (("table", "e4m3fn", "--codes", "zz"), "not an integer code"),
])
def test_error_exits(capsys, argv, msg):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.startswith("fp8ref: error: ") and msg in err


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as ei:
        main(["convert", "1.0"])  # --to missing
    assert ei.value.code == 2
    with pytest.raises(SystemExit):
        main(["convert", "1", "--to", "e4m3fn", "--rounding", "nearest"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [("table", "fp16"), ("info", "hif8"), ("golden", "list", "--full", "--files")])
def test_closed_pipe_exits_141_silently(argv):
    """`fp8ref table fp16 | head -2`: no error message, the shell's SIGPIPE status 128 + 13."""
    r, w = os.pipe()
    p = subprocess.Popen([sys.executable, "-m", "fp8ref", *argv], stdout=w, stderr=subprocess.PIPE, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(w)
    os.close(r)  # the reader is gone before the first write
    err = p.communicate(timeout=120)[1].decode()
    assert p.returncode == 141 and err == ""


# ---- exact parsing and source rounding ------------------------------------------------------------
def test_parse_number():
    assert parse_number("0.1") == Fraction(1, 10)
    assert parse_number("3/8") == Fraction(3, 8)
    assert parse_number("-1e-3") == Fraction(-1, 1000)
    assert parse_number("0x1.8p3") == 12 and parse_number("-0x.8") == Fraction(-1, 2)
    assert parse_number("0x1.0000000000000001p0") == 1 + Fraction(1, 2**64)  # exact beyond float64
    assert math.copysign(1, parse_number("-0")) == -1 and parse_number("0") == 0
    assert parse_number("-inf") == -math.inf and math.isnan(parse_number("nan"))
    assert parse_number("1_000") == 1000


def _nearest_even(q: Fraction, values: np.ndarray, codes: np.ndarray) -> int:
    """Brute force RNE: the code of the nearest value, ties to the even code."""
    best = None
    for v, c in zip(values, codes):
        d = abs(Fraction(float(v)) - q)
        if best is None or d < best[0] or (d == best[0] and c % 2 == 0):
            best = (d, c)
    return int(best[1])


@pytest.mark.parametrize("src", ["f16", "bf16"])
def test_round_source_is_correct_rounding(src):
    if src == "f16":
        codes = np.arange(1 << 16, dtype=np.uint16)
        allv = codes.view(np.float16).astype(np.float64)
    else:
        codes = np.arange(1 << 16, dtype=np.uint16)
        with np.errstate(invalid="ignore"):
            allv = codes.view(ml_dtypes.bfloat16).astype(np.float64)
    pos = np.isfinite(allv) & (allv > 0)
    pv, pc = allv[pos], codes[pos]
    order = np.argsort(pv)
    pv, pc = pv[order], pc[order]
    rnd = random.Random(7)
    qs = []
    for _ in range(60):
        i = rnd.randrange(pv.size - 1)
        a, b = Fraction(float(pv[i])), Fraction(float(pv[i + 1]))
        m = (a + b) / 2
        tiny = (b - a) / 10**9
        qs += [m, m + tiny, m - tiny, a + (b - a) * Fraction(rnd.randrange(1, 1000), 1000)]
    for q in qs:
        lo = max(0, np.searchsorted(pv, float(q)) - 2)
        want = _nearest_even(q, pv[lo:lo + 4], pc[lo:lo + 4])
        _, bits = round_source(q, src)
        assert bits == want, (src, q)


def test_round_source_f32_double_rounding_cases():
    # 1 + 2^-24 + 2^-80: float64 rounds it to 1 + 2^-24, a float32 tie; the correct float32 is 1 + 2^-23
    q = 1 + Fraction(1, 2**24) + Fraction(1, 2**80)
    x, bits = round_source(q, "f32")
    assert Fraction(float(x[0])) == 1 + Fraction(1, 2**23)
    x, _ = round_source(1 + Fraction(1, 2**24) - Fraction(1, 2**80), "f32")
    assert x[0] == 1.0
    x, _ = round_source(Fraction(1 + 2**-24), "f32")  # exact tie: even
    assert x[0] == 1.0
    x, _ = round_source(Fraction(10) ** 400, "f32")
    assert np.isinf(x[0])
    x, bits = round_source(Fraction(10) ** 400, "f64")
    assert bits == 0x7FF0000000000000


def test_convert_from_exact_rounds_once(capsys):
    # 1 + 2^-4 + 2^-60 into e4m3fn: just above the tie 1.0625 -> 1.125; through float64 it is a tie -> 1.0
    text = str(1 + Fraction(1, 16) + Fraction(1, 2**60))
    d = run_json(capsys, "convert", text, "--to", "e4m3fn", "--from", "exact")
    assert d["value"] == 1.125 and d["source_bits"] is None
    assert Fraction(d["error"]).limit_denominator(1 << 70) != 0
    d = run_json(capsys, "convert", text, "--to", "e4m3fn")
    assert d["value"] == 1.0 and d["source_inexact"] is True


# ---- a decimal beyond the source type's range (issue 15 §5.2) ----------------------------------
@pytest.mark.parametrize("argv, src_dtype, fmt, text", [
    (("1e400", "--to", "e4m3fn"), np.float64, "e4m3fn", "1e400"),
    (("70000", "--from", "f16", "--to", "e5m2"), np.float16, "e5m2", "70000"),
    (("--to", "e5m2", "--from", "f32", "-1e39"), np.float32, "e5m2", "-1e39"),
    (("65520", "--from", "f16", "--to", "e5m2", "--overflow", "sat_finite"), np.float16, "e5m2", "65520"),
])
def test_convert_decimal_beyond_the_source_range_is_inf_of_that_type(capsys, argv, src_dtype, fmt, text):
    """A literal that overflows the --from type is ±Inf in that type (RNE, as strtod and numpy
    read it); it is then converted as that Inf would be, with the overflow said on the 'as' line."""
    with np.errstate(over="ignore"):
        src = np.array([float(text)], dtype=src_dtype)  # numpy's own RNE read of the literal
    assert np.isinf(src[0])
    want = int(ml_codes(src.astype(np.float64), fmt)[0]) if "--overflow" not in argv else None
    d = run_json(capsys, "convert", *argv)
    sign = "-" if text.startswith("-") else ""
    assert d["source_value"] == f"{sign}inf" and d["source_overflow"] is True and d["source_inexact"] is True
    assert d["source_bits"] == f"0x{int(src.view(f'u{src.itemsize}')[0]):0{2 * src.itemsize}x}"
    if want is not None:
        assert d["code"] == want  # ml_dtypes' cast of that Inf
    else:
        assert d["value"] == 57344.0  # E5M2 max under SatFinite
    rc, out, err = run(capsys, "convert", *argv)
    assert rc == 0 and err == "" and "Traceback" not in out
    as_line = next(ln for ln in out.splitlines() if ln.startswith("as "))
    assert f"= {sign}inf" in as_line and "overflow" in as_line and "range" in as_line


def test_convert_in_range_decimal_has_no_source_overflow(capsys):
    d = run_json(capsys, "convert", "65519", "--from", "f16", "--to", "e5m2")  # rounds down to 65504
    assert d["source_value"] == 65504.0 and d["source_overflow"] is False
    d = run_json(capsys, "convert", "1e400", "--from", "exact", "--to", "e4m3fn")  # no source type
    assert d["source_overflow"] is False and d["value"] == "nan" and "overflow" in d["flags"]
    rc, out, _ = run(capsys, "convert", "1e400", "-1e400", "--to", "e5m2")
    assert rc == 0 and out.count("(overflow)") == 2


# ---- a hex integer is an integer; hint at --bits (issue 15 §5.12) --------------------------------
@pytest.mark.parametrize("text, hint", [
    ("0x3f800000", "--bits --from f32"),
    ("0x3c00", "--bits --from f16 (or bf16)"),
    ("0x3ff0000000000000", "--bits --from f64"),
    ("-0x7f", "--bits --from TYPE"),
])
def test_convert_hex_integer_hints_at_bits(capsys, text, hint):
    rc, out, err = run(capsys, "convert", "--to", "e4m3fn", "--overflow", "sat_finite", text)
    assert rc == 0
    assert f"input   {text}" in out  # still converted, as the integer it spells
    value = int(text, 16)
    assert f"= {value}" in out
    assert err.count("\n") == 1 and err.startswith("fp8ref: note: ") and hint in err
    assert f"{text} is read as the integer {value}" in err


@pytest.mark.parametrize("argv", [
    ("0x1.8p3", "--to", "e4m3fn"), ("0x1p0", "--to", "e4m3fn"), ("0x.8", "--to", "e4m3fn"),
    ("12", "--to", "e4m3fn"), ("0x3f80", "--bits", "--from", "bf16", "--to", "e4m3fn"),
])
def test_convert_no_hint_for_hex_floats_decimals_and_bits(capsys, argv):
    rc, _, err = run(capsys, "convert", *argv)
    assert rc == 0 and err == ""


def test_sources_table_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match="SOURCES is deprecated"):
        src = inspect_cmd.SOURCES
    assert src == {"f64": ("float64", 64), "f32": ("float32", 32), "f16": ("float16", 16),
                   "bf16": ("bfloat16", 16), "exact": (None, 0)}


def test_bf16_nan_source_bits_are_the_quiet_nan_read(capsys):
    # a NaN read as bfloat16 is its quiet NaN 0x7fc0 (what ml_dtypes and torch produce), sign kept
    want = int(np.array([np.nan, -np.nan], dtype=ml_dtypes.bfloat16).view(np.uint16)[1])
    d = run_json(capsys, "convert", "-nan", "--from", "bf16", "--to", "e4m3fn")
    assert d["source_bits"] == f"0x{want:04x}" == "0xffc0"
