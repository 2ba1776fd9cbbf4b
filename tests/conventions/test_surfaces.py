"""The conventions through the surfaces: CLI flags, the testing helpers' policy argument,
validation messages."""

import json
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from fp8ref import Policy, encode
from fp8ref.testing import assert_quantize_matches

ROOT = Path(__file__).resolve().parents[2]


def cli(*argv):
    out = subprocess.run([sys.executable, "-m", "fp8ref", *argv], capture_output=True, text=True, cwd=ROOT)
    return out.returncode, out.stdout, out.stderr


def test_cli_convert_ftz_daz_nan():
    rc, out, _ = cli("convert", "--to", "e5m2", "--from", "f32", "--ftz", "-3e-5", "6.1e-5", "--json")
    res = json.loads(out)
    assert rc == 0 and [r["code"] for r in res] == [0x80, 0x04]
    assert res[0]["flags"] == ["inexact", "underflow"] and res[0]["policy"]["ftz"] is True
    rc, out, _ = cli("convert", "--to", "fp16", "--from", "f32", "--bits", "--daz", "0x80400000", "--json")
    assert rc == 0 and json.loads(out)["code"] == 0x8000 and json.loads(out)["flags"] == []
    rc, out, _ = cli("convert", "--to", "fp16", "--from", "f32", "--bits", "--nan", "x86", "0xff812345", "--json")
    assert rc == 0 and json.loads(out)["code"] == 0xFE09
    rc, out, _ = cli("convert", "--to", "e5m2", "--from", "f32", "--bits", "--nan", "riscv", "0xff812345", "--json")
    assert rc == 0 and json.loads(out)["code"] == 0x7E
    rc, _, err = cli("convert", "--to", "hif8", "--ftz", "1")
    assert rc != 0 and "ftz applies to IEEE-like formats" in err and len(err.strip().splitlines()) == 1


def _ftz_before_e5m2(x):
    """An independent FTZ quantizer: ml_dtypes' RNE cast, then |x| < 2^-14 -> ±0."""
    q = x.astype(ml_dtypes.float8_e5m2)
    return np.where(np.abs(x) < 2.0**-14, np.copysign(0.0, x), q.astype(np.float32))


def test_testing_helper_takes_the_conventions():
    pol = {"ftz": True, "tininess": "before", "nan": "ml_dtypes"}
    r = assert_quantize_matches(_ftz_before_e5m2, "e5m2", pol, any_nan=True)
    assert r.policy.ftz and r.cases > 100
    with pytest.raises(AssertionError, match="disagrees"):
        assert_quantize_matches(_ftz_before_e5m2, "e5m2", {"nan": "ml_dtypes"}, any_nan=True)


def test_policy_validation_and_record():
    with pytest.raises(ValueError, match=r"^ftz must be True or False, got 'yes'$"):
        Policy(ftz="yes")
    with pytest.raises(ValueError, match="unknown nan 'mips'; valid: canonical, keep_sign, ml_dtypes, riscv, x86, arm"):
        Policy(nan="mips")
    assert "ftz" not in Policy().as_dict() and Policy(daz=True).as_dict()["daz"] is True
    with pytest.raises(ValueError, match="ftz applies to IEEE-like formats"):
        encode(np.float32(1.0), "posit8_es1", ftz=True)
    # daz on a destination without subnormals still reads the source's subnormals as zero
    assert encode(np.array([1e-40], np.float32), "e4m3fn", daz=True, return_flags=True)[1].tolist() == [0]
