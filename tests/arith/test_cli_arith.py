"""``fp8ref arith``: the command line over fp8ref.arith.evaluate."""

import json

import pytest

from fp8ref.cli import main


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_add_values(capsys):
    rc, out, _ = run(capsys, "arith", "add", "1.5", "2.25", "--fmt", "e4m3fn")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == "add: rounding=rne overflow=ovf_inf tininess=after nan=canonical"
    assert lines[3].split()[:4] == ["result", "e4m3fn", "0x47", "3.75"]
    assert lines[4].startswith("flags      0x00")


def test_codes_policy_and_flags(capsys):
    rc, out, _ = run(capsys, "arith", "mul", "0x7E", "0x40", "--codes", "--fmt", "e4m3fn", "--overflow", "sat_finite")
    assert rc == 0 and "0x7E     448.0" in out and "inexact overflow" in out
    rc, out, _ = run(capsys, "arith", "div", "1", "0", "--fmt", "p3109_8p3")
    assert "0x80" in out and "invalid" in out  # P3109: x / 0 is NaN
    rc, out, _ = run(capsys, "arith", "div", "1", "0", "--fmt", "e5m2")
    assert "0x7C" in out and "infinite" in out  # IEEE: x / 0 is Inf, divide by zero
    rc, out, _ = run(capsys, "arith", "add", "1", "1", "--fmt", "e4m3fn", "--out-fmt", "fp16")
    assert "fp16         0x4000   2.0" in out
    rc, out, _ = run(capsys, "arith", "add", "0x38", "0x18", "--fmts", "e4m3fn,e4m3fn", "--fmt", "e4m3fn", "--codes",
                     "--rounding", "stochastic", "--rbits", "3", "--srbits", "2")
    assert rc == 0 and "result     e4m3fn       0x39" in out  # 1 + 2^-4 with r = 3 of 2 bits: rounds up


def test_json(capsys):
    rc, out, _ = run(capsys, "arith", "lt", "1", "nan", "--fmt", "e5m2", "--json")
    d = json.loads(out)
    assert rc == 0 and d["result"] == {"fmt": "bool", "code": 0, "value": False} and d["flag_names"] == ["invalid"]
    rc, out, _ = run(capsys, "arith", "sqrt", "2", "--fmt", "fp16", "--json")
    d = json.loads(out)
    assert d["result"]["code"] == 0x3DA8 and d["policy"]["rounding"] == "rne"


@pytest.mark.parametrize("argv,msg", [
    (("arith", "add", "1", "--fmt", "e4m3fn"), "add takes 2 operand(s), got 1"),
    (("arith", "add", "1", "x", "--fmt", "e4m3fn"), "not a number: 'x'"),
    (("arith", "add", "1", "300", "--codes", "--fmt", "e4m3fn"), "code 300 out of range for e4m3fn"),
    (("arith", "lt", "1", "2", "--fmt", "e4m3fn", "--rounding", "rtz"), "lt is a comparison"),
    (("arith", "neg", "1", "--fmt", "ue8m0"), "neg is not defined for ue8m0"),
    (("arith", "div", "0", "0", "--fmt", "e2m1fn"), "NaN result, which e2m1fn cannot represent"),
])
def test_errors(capsys, argv, msg):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and msg in err and err.count("\n") == 1, err
