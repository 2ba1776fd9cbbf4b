"""Every fp8ref surface works on P3109 family members resolved by name (a sample of each kind:
signed/unsigned × extended/finite, K = 3, 8, 16, P = 1 and P = K): encode/decode/quantize with
flags, the testing helpers, the hypothesis strategies, golden vector files (generate, verify,
DUT check) and the CLI (info, table, convert)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings

import fp8ref
from fp8ref import strategies as st
from fp8ref.golden import Selection, check, generate, verify
from fp8ref.golden import convert_suites, decode_suite
from fp8ref.golden import suites as S
from fp8ref.testing import assert_codes_equal, assert_quantize_matches, boundary_cases, code_fields, format_code
from tests.surfaces.test_cli_inspect import run

SAMPLE = ["p3109_k8p3se", "p3109_k8p4ue", "p3109_k8p4sf", "p3109_k8p3uf", "p3109_k3p1se", "p3109_k3p3uf",
          "p3109_k16p11se", "p3109_k6p6ue", "p3109_k9p1sf"]


@pytest.mark.parametrize("name", SAMPLE)
def test_encode_decode_round_trip_every_code(name):
    fmt = fp8ref.get_format(name)
    codes = np.arange(fmt.num_codes)
    vals = fp8ref.decode(codes, name, dtype=np.float64)
    back, flags = fp8ref.encode(vals, name, return_flags=True)
    finite = np.isfinite(vals)
    assert (back[finite] == codes[finite]).all() and not flags[finite].any()
    assert (back[np.isnan(vals)] == fmt.canonical_nan).all()
    q = fp8ref.quantize(vals[finite].astype(np.float32), name, dtype=np.float64)
    assert (q == vals[finite]).all()
    assert fp8ref.decode(back, fmt, dtype=np.float64).dtype == np.float64
    if fmt.bits <= 8:  # uint8 codes, float32 values
        assert fp8ref.encode(np.float32(1.0), name).dtype == np.uint8


@pytest.mark.parametrize("name", ["p3109_k8p4ue", "p3109_k8p3sf", "p3109_k5p2se"])
def test_testing_helpers(name):
    fmt = fp8ref.get_format(name)
    x, labels = boundary_cases(fmt)
    assert x.size > 100 and x.dtype == np.float32 and "mid" in set(labels)
    assert_quantize_matches(lambda a: fp8ref.encode(a, name), name)
    assert_quantize_matches(lambda a: fp8ref.encode(a, name, rounding="raz"), name, policy={"rounding": "raz"})

    def ieee_rule(a):  # a quantizer that treats negatives and overflow the IEEE way: must be caught
        c = fp8ref.encode(np.abs(a), name, rounding="rto").astype(np.int64)
        return np.where(np.signbit(a) & fmt.is_signed, c | fmt.sign_mask, c)

    with pytest.raises(AssertionError, match="mismatch"):
        assert_quantize_matches(ieee_rule, name, policy={"rounding": "rto"})
    assert_codes_equal(fp8ref.encode(x, name), fp8ref.encode(x, name), name)


@pytest.mark.parametrize("name", SAMPLE)
def test_code_class_and_binades_follow_the_report(name):
    """Format.code_class and Format.binades (the CLI's table and info) against the report's values
    (tests/oracles/p3109/cases.py, written from the text): unsigned code 0 is zero, not NaN."""
    from fractions import Fraction

    from tests.oracles.p3109.cases import parse

    fmt, ref = fp8ref.get_format(name), parse("binary" + name.removeprefix("p3109_k"))
    want, per_binade = [], {}
    for c in range(fmt.num_codes):
        v = ref.value(c)
        if isinstance(v, float):
            want.append("nan" if v != v else "inf")
        elif v == 0:
            want.append("zero")
        else:
            e = abs(v).numerator.bit_length() - abs(v).denominator.bit_length()
            e -= Fraction(2) ** e > abs(v)  # floor(log2 |v|)
            want.append("subnormal" if e < 1 - ref.bias else "normal")
            if v > 0:
                per_binade[e] = per_binade.get(e, 0) + 1
    assert [fmt.code_class(c) for c in range(fmt.num_codes)] == want
    assert fmt.binades() == tuple(sorted(per_binade.items()))


def test_code_fields_of_unsigned_formats_have_no_sign():
    assert code_fields(0x81, "p3109_k8p4ue") == [("exponent", "10000"), ("mantissa", "001")]
    assert format_code(0x81, "p3109_k8p4se") == "1.0000.001"
    assert code_fields(5, "p3109_k3p1se") == [("sign", "1"), ("exponent", "01")]


@settings(max_examples=60)
@given(c=st.codes("p3109_k6p2uf"), v=st.values("p3109_k7p4sf", allow_nan=False))
def test_strategies(c, v):
    assert 0 <= c < 64
    assert fp8ref.decode(fp8ref.encode(np.float64(v), "p3109_k7p4sf"), "p3109_k7p4sf", dtype=np.float64) == v


@settings(max_examples=40)
@given(x=st.near_boundaries("p3109_k8p3ue"))
def test_near_boundaries_strategy_on_an_unsigned_format(x):
    """Inputs near the rounding boundaries of an unsigned format: fp8ref encodes each, and a
    negative one gives 0."""
    c = int(fp8ref.encode(np.float32(x), "p3109_k8p3ue"))
    assert 0 <= c < 256 and (c == 0 or not np.signbit(x) or np.isnan(x))


def _spec_suite(monkeypatch, names):
    """A suite of convert (f32 -> fmt, two policies) and decode files for family members."""
    def files(tier):
        out = []
        for n in names:
            fmt = fp8ref.get_format(n)
            for r, o in (("rne", "ovf_inf"), ("rto", "ovf_inf")):
                pol = convert_suites.policy_for(fmt, rounding=r, overflow=o)
                out.append(convert_suites.convert_spec("p3109_family", "float32", fmt, pol, "default"))
            out.append(decode_suite._decode_spec(fmt, "default"))
        return out

    monkeypatch.setitem(S.SUITES, "p3109_family", S.Suite("p3109_family", "P3109 family members", files))


def test_golden_vector_files(monkeypatch, tmp_path):
    names = ["p3109_k8p4ue", "p3109_k6p3sf"]
    _spec_suite(monkeypatch, names)
    out = tmp_path / "set"
    man = generate(str(out), Selection(suites=("p3109_family",), count=32), progress=False)
    assert len(man["sets"]) == 6
    assert verify(str(out)).ok
    vec = out / "p3109_family" / "f32_to_p3109_k8p4ue.rto.ovf_inf.tafter.tv"
    lines = [ln for ln in vec.read_text().splitlines() if ln and not ln.startswith("#")]
    # the DUT gives the expected results: check passes; one flipped result code: caught
    (tmp_path / "dut.txt").write_text("\n".join(" ".join(ln.split()[1:]) for ln in lines) + "\n")
    assert check(str(vec), str(tmp_path / "dut.txt")).ok
    bad = [ln.split()[1:] for ln in lines]
    bad[5][0] = f"{int(bad[5][0], 16) ^ 1:02x}"
    (tmp_path / "bad.txt").write_text("\n".join(" ".join(b) for b in bad) + "\n")
    assert not check(str(vec), str(tmp_path / "bad.txt")).ok


# ---- CLI (run: main() in this process, as tests/surface does) ----------------------------------
@pytest.mark.parametrize("name", SAMPLE)
def test_cli_info_and_table(capsys, name):
    fmt = fp8ref.get_format(name)
    rc, out, _ = run(capsys, "info", name)
    assert rc == 0 and out.startswith(fmt.name) and "IEEE P3109" in out
    hi = min(fmt.num_codes, 512) - 1  # the whole table of a 16-bit format takes half a minute
    rc, out, _ = run(capsys, "table", name, "--json", "--codes", f"0:{hi}")
    d = json.loads(out)
    rows = d["rows"] if isinstance(d, dict) else d
    assert rc == 0 and len(rows) == hi + 1


def test_cli_convert(capsys):
    rc, out, _ = run(capsys, "convert", "--to", "binary8p4ue", "--rounding", "raz", "--json", "--", "-1", "1e9", "0.1")
    got = json.loads(out)
    assert rc == 0 and [g["hex"] for g in got] == ["0x00", "0xfe", "0x65"]
    rc, out, _ = run(capsys, "convert", "--to", "p3109_k8p3se", "--rounding", "rto", "--json", "53248")
    assert json.loads(out)["hex"] == "0x7f"
    rc, out, _ = run(capsys, "convert", "--to", "p3109_k5p2sf", "--from", "exact", "--json", "1/3")
    assert rc == 0 and json.loads(out)["hex"] == "0x05"  # 1/3 = 1.33 * 2^-2 -> 1.5 * 2^-2: E + bias = 2, T = 1
    rc, out, _ = run(capsys, "formats")
    assert "p3109_k{K}p{P}{s|u}{e|f}" in out
    rc, _, err = run(capsys, "info", "p3109_k16p2se")
    assert rc != 0 and "exponent field" in err
