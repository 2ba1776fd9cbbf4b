"""fp8ref.testing: the helpers pass correct quantizers (ml_dtypes, torch) and catch broken ones
with a readable table. The broken quantizers are built from ml_dtypes/numpy, not from fp8ref."""

from __future__ import annotations

import re
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

import fp8ref
from fp8ref.testing import (
    MatchResult,
    as_codes_or_values,
    assert_codes_equal,
    assert_quantize_matches,
    boundary_cases,
    code_class,
    code_fields,
    format_code,
)

from ..oracles.shared import ML_ELEMENTS, finite_sorted, ml_codes, ml_values

ELEMENTS = list(ML_ELEMENTS)
# the quantizers under test cast NaN/Inf/huge inputs: numpy's cast warnings are expected
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def ml_fn(name):
    def cast(x):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(x).astype(ML_ELEMENTS[name])

    return cast


# ---- correct quantizers pass ----------------------------------------------------------------
@pytest.mark.parametrize("name", ELEMENTS)
def test_ml_dtypes_cast_passes_with_ml_dtypes_preset(name):
    r = assert_quantize_matches(ml_fn(name), name, "ml_dtypes")
    assert isinstance(r, MatchResult)
    assert r.cases > 50 and r.skipped == 0
    assert {"value", "mid", "mid+1ulp", "mid-1ulp", "special"} <= set(r.by_case)
    text = str(r)
    assert f"of {name} from float32 match fp8ref bit for bit" in text and "nan=ml_dtypes" in text


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "e3m4"])
def test_other_input_precisions(name, dtype):
    r = assert_quantize_matches(ml_fn(name), name, "ml_dtypes", dtype=dtype)
    assert r.dtype == np.dtype(ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype).name


def test_output_kinds_all_accepted():
    cast = ml_fn("e4m3fn")
    assert_quantize_matches(lambda x: cast(x).view(np.uint8), "e4m3fn", "ml_dtypes")  # codes
    assert_quantize_matches(lambda x: cast(x).view(np.int8), "e4m3fn", "ml_dtypes")  # signed view
    assert_quantize_matches(lambda x: cast(x).view(np.uint8).astype(np.int64), "e4m3fn", "ml_dtypes")
    assert_quantize_matches(lambda x: cast(x).astype(np.float32), "e4m3fn", "ml_dtypes")  # values
    assert_quantize_matches(lambda x: list(cast(x).view(np.uint8)), "e4m3fn", "ml_dtypes")  # list


def test_policy_forms():
    fn = ml_fn("e4m3fn")
    assert_quantize_matches(fn, "e4m3fn", fp8ref.make_policy("e4m3fn", "ml_dtypes"))
    assert_quantize_matches(fn, "e4m3fn", {"preset": "ml_dtypes"})
    assert_quantize_matches(fn, "float8_e4m3fn", {"nan": "ml_dtypes"})  # float32 input: same
    with pytest.raises(ValueError, match="unknown preset"):
        assert_quantize_matches(fn, "e4m3fn", "nope")
    with pytest.raises(ValueError, match="random bits"):
        assert_quantize_matches(fn, "e4m3fn", {"rounding": "stochastic"})
    with pytest.raises(TypeError, match="policy must be"):
        assert_quantize_matches(fn, "e4m3fn", 3)
    with pytest.raises(ValueError, match="unknown format"):
        assert_quantize_matches(fn, "e4m3xx")
    with pytest.raises(ValueError, match="input dtype"):
        assert_quantize_matches(fn, "e4m3fn", dtype=np.int32)


def test_inputs_fp8ref_rejects_are_skipped():
    # e2m1fn has no NaN: with nan_to="error" fp8ref refuses NaN inputs, so they are skipped
    r = assert_quantize_matches(ml_fn("e2m1fn"), "e2m1fn", {"preset": "ml_dtypes", "nan_to": "error"})
    x, _ = boundary_cases("e2m1fn")
    assert r.skipped == int(np.isnan(x).sum()) > 0
    assert "skipped" in str(r)


def test_any_nan():
    # ml_dtypes keeps the NaN's sign (0xff for -NaN); the canonical policy gives 0x7f
    with pytest.raises(AssertionError, match="special"):
        assert_quantize_matches(ml_fn("e4m3fn"), "e4m3fn", {"preset": "ml_dtypes", "nan": "canonical"})
    assert_quantize_matches(ml_fn("e4m3fn"), "e4m3fn", {"preset": "ml_dtypes", "nan": "canonical"}, any_nan=True)


# ---- broken quantizers are caught -------------------------------------------------------------
def _failure(fn, name="e4m3fn", policy="ml_dtypes", **kw) -> str:
    with pytest.raises(AssertionError) as ei:
        assert_quantize_matches(fn, name, policy, **kw)
    return str(ei.value)


def _rows(msg):
    """Parsed data rows of the mismatch table: list of column lists."""
    lines = msg.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("-------"))
    rows = []
    for ln in lines[start + 1 :]:
        if ln.startswith("...") or ln.startswith("mismatches by case"):
            break
        rows.append(re.split(r"\s{2,}", ln.strip()))
    return lines[start - 1], rows


def test_truncating_quantizer_is_caught_with_readable_table():
    # truncation toward zero, built with ml_dtypes: take RNE result, step back where it rounded up
    vals = ml_values("e4m3fn")

    def trunc(x):
        c = ml_codes(x, "e4m3fn").astype(np.int64)
        v = vals[c]
        with np.errstate(invalid="ignore"):
            up = np.isfinite(v) & (np.abs(v) > np.abs(x.astype(np.float64)))
        c[up] -= 1  # same sign, one code smaller in magnitude
        return c.astype(np.uint8)

    msg = _failure(trunc)
    header = msg.splitlines()[0]
    assert re.match(r"fn disagrees with fp8ref on \d+ of \d+ boundary cases: e4m3fn from float32, preset 'ml_dtypes'", header)
    cols, rows = _failure_rows(msg)
    assert cols == ["index", "case", "input bits", "input", "expected", "expected value", "got", "got value", "expected flags"]
    assert len(rows) == 20 and "more mismatches not shown (max_rows=20)" in msg
    for r in rows:
        bits = int(r[2], 16)
        x = np.array([bits], dtype=np.uint32).view(np.float32)[0]
        assert r[3] == str(x)  # input value is the shortest text of those bits
        exp, got = int(r[4].split()[0], 16), int(r[6].split()[0], 16)
        assert exp == int(ml_codes(np.array([x]), "e4m3fn")[0])
        assert got == int(trunc(np.array([x], dtype=np.float32))[0])
        assert r[4].split()[1] == _fields_text(exp)
        assert float(r[5]) == vals[exp] and float(r[7]) == vals[got]
        assert "inexact" in r[8]
    assert "mismatches by case:" in msg


def _failure_rows(msg):
    head, rows = _rows(msg)
    return re.split(r"\s{2,}", head.strip()), rows


def _fields_text(code):
    b = format(code, "08b")
    return f"{b[0]}.{b[1:5]}.{b[5:]}"


def test_ties_away_caught_only_at_exact_midpoints():
    vals = ml_values("e4m3fn")
    fin = finite_sorted(vals)

    def rna(x):  # ties away from zero, from the RNE result and an exact midpoint test
        c = ml_codes(x, "e4m3fn").astype(np.int64)
        for i, xi in enumerate(x):
            q = Fraction(float(xi)) if np.isfinite(xi) else None
            if q is None:
                continue
            v = Fraction(float(vals[c[i]])) if np.isfinite(vals[c[i]]) else None
            if v is not None and abs(v) < abs(q):
                nxt = [f for f in fin if abs(f) > abs(v) and (f > 0) == (q > 0)]
                if nxt:
                    n = min(nxt, key=abs)
                    if abs(n - q) == abs(q - v):
                        c[i] += 1
        return c.astype(np.uint8)

    msg = _failure(rna, max_rows=1000)
    _, rows = _failure_rows(msg)
    assert rows and all(r[1] == "mid" for r in rows)
    for r in rows:  # every reported input is exactly halfway between two neighbouring values
        q = Fraction(float(np.array([int(r[2], 16)], dtype=np.uint32).view(np.float32)[0]))
        i = next(k for k in range(len(fin) - 1) if fin[k] < q < fin[k + 1])
        assert q == (fin[i] + fin[i + 1]) / 2


def test_saturating_quantizer_caught_at_overflow_threshold():
    def sat(x):
        with np.errstate(invalid="ignore"):
            return np.clip(x.astype(np.float64), -448, 448).astype(ml_dtypes.float8_e4m3fn)

    msg = _failure(sat)
    _, rows = _failure_rows(msg)
    cases = {r[1] for r in rows}
    # edges are named in value order: past -464 is the last input before -448's code ("edge-")
    assert cases == {"edge+", "edge-", "special"}
    edge = [r for r in rows if r[1] == "edge+" and not r[3].startswith("-")][0]
    assert np.float32(edge[3]) == np.nextafter(np.float32(464), np.float32(np.inf))  # first input past 464
    assert "overflow" in edge[8]


def test_double_rounding_through_float16_is_caught():
    def via_f16(x):  # float32 -> float16 -> e4m3fn: rounds twice
        return x.astype(np.float16).astype(ml_dtypes.float8_e4m3fn)

    msg = _failure(via_f16, "e4m3fn", "ml_dtypes")
    _, rows = _failure_rows(msg)
    assert {r[1] for r in rows} <= {"mid+1ulp", "mid-1ulp", "edge-", "edge+", "special"}


def test_flush_to_zero_is_caught():
    def ftz(x):
        y = x.astype(ml_dtypes.float8_e4m3fn)
        y[np.abs(y.astype(np.float32)) < 2.0**-6] = 0
        return y

    _, rows = _failure_rows(_failure(ftz))
    assert all(abs(float(r[5])) < 2**-6 for r in rows)


def test_value_output_compares_sign_of_zero():
    def plus_zero(x):
        return np.abs(x.astype(ml_dtypes.float8_e4m3fn).astype(np.float32)) * np.sign(x) + 0.0

    msg = _failure(plus_zero)
    assert "(comparing values)" in msg.splitlines()[0]


def test_bad_outputs_have_clear_errors():
    with pytest.raises(TypeError, match="float8_e5m2, which is not the format under test"):
        assert_quantize_matches(ml_fn("e5m2"), "e4m3fn", "ml_dtypes")
    with pytest.raises(ValueError, match="code 300 out of range for e4m3fn"):
        assert_quantize_matches(lambda x: np.full(x.shape, 300), "e4m3fn")
    with pytest.raises(AssertionError, match="fn returned 3 elements"):
        assert_quantize_matches(lambda x: np.zeros(3, np.uint8), "e4m3fn")
    with pytest.raises(TypeError, match="unsupported dtype"):
        assert_quantize_matches(lambda x: np.zeros(x.shape, bool), "e4m3fn")


# ---- assert_codes_equal --------------------------------------------------------------------------
def test_assert_codes_equal_passes_and_fails_readably():
    x = np.array([[1.0, 0.3], [500.0, -2.0**-10]], dtype=np.float32)
    got = x.astype(ml_dtypes.float8_e4m3fn)
    assert_codes_equal(got, got.view(np.uint8), "e4m3fn")  # ml_dtypes vs integer codes
    assert_codes_equal(got.astype(np.float32), got, "e4m3fn")  # values vs codes
    want = got.view(np.uint8).copy()
    want[1, 0] = 0x7E  # what a saturating cast gives for 500
    with pytest.raises(AssertionError) as ei:
        assert_codes_equal(got, want, "e4m3fn", inputs=x)
    msg = str(ei.value)
    assert msg.splitlines()[0].startswith("1 of 4 e4m3fn codes differ; flags: fp8ref converting the input, rounding=rne")
    head, rows = _failure_rows(msg)
    assert head == ["index", "input bits", "input", "expected", "expected value", "got", "got value", "fp8ref flags"]
    # 500 rounds (unbounded) to 512 > 448: overflow and inexact under any overflow policy
    assert rows == [["(1, 0)", "0x43fa0000", "500.0", "0x7e 0.1111.110", "448.0", "0x7f 0.1111.111", "nan",
                     "inexact,overflow"]]
    with pytest.raises(AssertionError, match="overflow=sat_finite"):
        assert_codes_equal(got, want, "e4m3fn", inputs=x, policy={"overflow": "sat_finite"})
    with pytest.raises(ValueError, match="unknown overflow 'bogus'"):
        assert_codes_equal(got, want, "e4m3fn", inputs=x, policy={"overflow": "bogus"})
    with pytest.raises(AssertionError) as ei:
        assert_codes_equal(got, want, "e4m3fn")  # no inputs: no input or flags columns
    assert _failure_rows(str(ei.value))[0] == ["index", "expected", "expected value", "got", "got value"]
    with pytest.raises(AssertionError, match="shape mismatch"):
        assert_codes_equal(want[0], want, "e4m3fn")


def test_assert_codes_equal_values_reports_non_members():
    with pytest.raises(AssertionError) as ei:
        assert_codes_equal(np.array([0.3], np.float32), np.array([0x2A], np.uint8), "e4m3fn")
    assert "(not a e4m3fn value)" in str(ei.value) and "(comparing values)" in str(ei.value)


def test_any_nan_in_codes_equal():
    a, b = np.array([0x7F, 0x01], np.uint8), np.array([0xFF, 0x01], np.uint8)
    with pytest.raises(AssertionError):
        assert_codes_equal(a, b, "e4m3fn")
    assert_codes_equal(a, b, "e4m3fn", any_nan=True)


# ---- boundary cases -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "e4m3fnuz"])
def test_boundary_cases_cover_values_midpoints_and_neighbours(name):
    x, lab = boundary_cases(name, np.float32)
    have = {Fraction(float(v)) for v in x if np.isfinite(v)}
    fin = finite_sorted(ml_values(name))
    assert set(fin) <= have
    for a, b in zip(fin, fin[1:]):
        m = (a + b) / 2
        assert m in have  # exact in float32
        f = np.float32(float(m))
        assert {Fraction(float(np.nextafter(f, np.float32(s)))) for s in (np.inf, -np.inf)} <= have
    assert {float(np.nextafter(np.float32(float(fin[-1])), np.float32(np.inf)))} <= {float(v) for v in x}
    u = x.view(np.uint32)
    assert len(set(u.tolist())) == x.size  # no duplicate bit patterns
    assert {0x7FC00000, 0xFFC00000, 0x7F800000, 0xFF800000, 0x80000000, 0x00000000, 0x7F800001} <= set(u.tolist())
    assert set(lab) <= {"special", "value", "value+1ulp", "value-1ulp", "mid", "mid+1ulp", "mid-1ulp", "edge-", "edge+", "negative"}


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e4m3"])
def test_edges_are_where_ml_dtypes_changes_its_mind(name):
    x, lab = boundary_cases(name, np.float32, policy="ml_dtypes")
    lo, hi = x[lab == "edge-"], x[lab == "edge+"]
    assert lo.size and lo.size == hi.size
    for a in lo:
        b = np.nextafter(a, np.float32(np.inf))
        ca, cb = ml_codes(np.array([a]), name)[0], ml_codes(np.array([b]), name)[0]
        assert ca != cb, (a, b)


def test_edges_find_directed_rounding_thresholds():
    from fp8ref.testing.cases import _bisect

    fin = [float(f) for f in finite_sorted(ml_values("e2m1fn")) if f >= 0]
    a = np.array(fin[:-1], np.float32)
    b = np.array(fin[1:], np.float32)
    fmt = fp8ref.get_format("e2m1fn")
    # toward zero: the code changes exactly at the next value
    lo, hi = _bisect(a, b, np.dtype(np.float32), fmt, fp8ref.Policy(rounding="rtz"))
    assert np.array_equal(hi, b) and np.array_equal(lo, np.nextafter(b, np.float32(0)))
    # toward +inf: the code changes right after the value
    lo, hi = _bisect(a, b, np.dtype(np.float32), fmt, fp8ref.Policy(rounding="rup"))
    assert np.array_equal(lo, a) and np.array_equal(hi, np.nextafter(a, np.float32(np.inf)))


def test_bfloat16_and_float64_cases_are_in_their_dtype():
    for dt in ("bfloat16", "float64", "float16"):
        x, _ = boundary_cases("e5m2", dt)
        assert x.dtype.name == dt


# ---- display helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "e3m2fn", "e4m3fnuz"])
def test_ieee_fields_rebuild_ml_dtypes_values(name):
    fmt = fp8ref.get_format(name)
    vals = ml_values(name)
    for c in range(fmt.num_codes):
        f = dict(code_fields(c, fmt))
        assert "".join(b for _, b in code_fields(c, fmt)) == format(c, f"0{fmt.bits}b")
        if not np.isfinite(vals[c]):
            continue
        e, m = int(f["exponent"], 2), int(f.get("mantissa") or "0", 2)
        mag = Fraction(m, 1 << fmt.man_bits) * 2 ** Fraction(1 - fmt.bias) if e == 0 else \
            (1 + Fraction(m, 1 << fmt.man_bits)) * Fraction(2) ** (e - fmt.bias)
        v = -mag if f["sign"] == "1" else mag
        assert v == Fraction(float(vals[c])), (name, hex(c))
    assert format_code(0x7E, "e4m3fn") == "0.1111.110"
    assert code_class(0x7F, "e4m3fn") == "nan" and code_class(0x01, "e4m3fn") == "subnormal"
    assert code_class(0x80, "e4m3fn") == "zero" and code_class(0x7C, "e5m2") == "inf"


def test_posit_fields_rebuild_softposit_values():
    softposit = pytest.importorskip("softposit")
    for c in range(256):
        v = float(softposit.posit8(bits=c))
        f = dict(fp8ref.get_format("posit8_es0").code_fields(c))
        assert "".join(b for _, b in fp8ref.get_format("posit8_es0").code_fields(c))[1:] == format((-c) % 256 if c >= 128 else c, "08b")[1:]
        if c in (0, 0x80):
            continue
        assert _posit_value(f, 0) == Fraction(v), hex(c)


def _posit_value(f, es):
    reg = f["regime"]
    run = len(reg) - len(reg.lstrip(reg[0]))
    k = run - 1 if reg[0] == "1" else -run
    e = int((f["exponent"] + "0" * es)[:es], 2) if es else 0
    frac = f["fraction"]
    fr = Fraction(int(frac, 2), 1 << len(frac)) if frac else Fraction(0)
    mag = Fraction(2) ** (k * (1 << es) + e) * (1 + fr)
    return -mag if f["sign"] == "1" else mag


def test_posit_es2_fields_match_standard_examples():
    # posit standard (2022) es=2 examples: code -> value
    for c, v in {0x01: Fraction(1, 2**24), 0x02: Fraction(1, 2**20), 0x10: Fraction(1, 256), 0x41: Fraction(9, 8),
                 0x48: 2, 0x60: 16, 0x7E: 2**20, 0x81: -(2**24), 0xC0: -1, 0xFF: -Fraction(1, 2**24)}.items():
        assert _posit_value(dict(fp8ref.get_format("posit8_es2").code_fields(c)), 2) == v, hex(c)


def test_hif8_fields_rebuild_en_dtypes_values():
    en_dtypes = pytest.importorskip("en_dtypes")
    vals = np.arange(256, dtype=np.uint8).view(en_dtypes.hifloat8).astype(np.float64)
    for c in range(256):
        f = dict(fp8ref.get_format("hif8").code_fields(c))
        assert "".join(b for _, b in fp8ref.get_format("hif8").code_fields(c)) == format(c, "08b")
        if not np.isfinite(vals[c]) or vals[c] == 0:
            continue
        m = f["mantissa"]
        if f["dot"] == "0000":  # DML: 2^(M-23)
            mag = Fraction(2) ** (int(m, 2) - 23)
        else:
            d = len(f["exponent"])
            if d == 0:
                e = 0
            else:
                em = f["exponent"]
                e = (1 << (d - 1)) + (int(em[1:], 2) if d > 1 else 0)
                e = -e if em[0] == "1" else e
            mag = Fraction(2) ** e * (1 + Fraction(int(m, 2), 1 << len(m)))
        assert (-mag if f["sign"] == "1" else mag) == Fraction(float(vals[c])), hex(c)


def test_as_codes_or_values_modes():
    kind, v = as_codes_or_values(np.array([0x38], np.uint8), "e4m3fn", output="values")
    assert kind == "values" and v[0] == 0x38
    with pytest.raises(TypeError, match="output='codes' needs integer codes"):
        as_codes_or_values(np.array([1.0]), "e4m3fn", output="codes")
    with pytest.raises(ValueError, match="output must be"):
        as_codes_or_values(np.array([1]), "e4m3fn", output="bits")
    # fp16 under test: float16 arrays are read as codes (bits), so NaN payloads count
    kind, c = as_codes_or_values(np.array([np.nan], np.float16), "fp16")
    assert kind == "codes" and c[0] == 0x7E00
