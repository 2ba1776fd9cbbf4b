"""The E4M3FN multiplier (examples/rtl/e4m3fn_mul.sv) on the ``arith/mul`` golden vectors.

* the committed vectors hold the multiplier's files (E4M3FN × E4M3FN, RNE, SatFinite and OvfInf,
  tininess after; and the tininess-before control);
* the unit matches them, and matches **every one of the 65,536 operand pairs** (full-tier files
  generated here with ``fp8ref golden generate --full``) under both overflow policies, results
  and all five flags, NaNs bit for bit;
* every planted bug (truncation, ties away, overflow threshold, lost sticky bit, subnormal
  exponent bias) fails ``golden check`` on every file, the committed boundary-directed files
  included; the failing-line counts are printed after the test results;
* the correct unit fails the tininess-before file on UF only;
* an independent oracle: the RTL's products against ml_dtypes (E4M3FN values multiplied in
  float32, where every product of two E4M3FN values is exact, then cast, RNE, non-saturating).

Skipped, with the reason, when Icarus Verilog is not installed (.ci/run installs it).
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from .test_rtl import ROOT, VECTORS, _read_dut, needs_icarus, rtl

MUL = rtl.BENCHES["e4m3fn_mul"]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return str(tmp_path_factory.mktemp("rtl_mul"))


@pytest.fixture(scope="module")
def exhaustive(tmp_path_factory):
    """A vector set with the full-tier (every operand pair) multiplier files."""
    out = tmp_path_factory.mktemp("mul_full") / "set"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "fp8ref", "golden", "generate", "--full", "--suite", "arith",
                        "--only", "arith/mul/e4m3fn.rne.*", "--out", str(out)], capture_output=True, text=True,
                       env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return str(out)


def test_committed_set_has_the_multiplier_files():
    files = rtl.vector_files(VECTORS, MUL)
    assert sorted(e["policy"]["overflow"] for _, _, e in files) == ["ovf_inf", "sat_finite"]
    assert all(0 < e["lines"] <= 5000 for _, _, e in files)
    b, sel = rtl.CONTROLS["mul_tininess_before"]
    assert len(rtl.vector_files(VECTORS, b, sel)) == 1


@needs_icarus
def test_multiplier_matches_every_operand_pair(exhaustive, build):
    results = rtl.run_bench(MUL, exhaustive, build)
    assert len(results) == 2
    for r in results:
        assert r.passed, r.report
        assert r.summary.startswith("all 65536 vectors match") and "NaN exact" in r.summary, r.summary


@needs_icarus
@pytest.mark.parametrize("mutant", list(rtl.MUL_MUTANTS))
def test_mul_mutant_is_caught(mutant, build, exhaustive, mutant_report):
    results = rtl.run_bench(MUL, VECTORS, build, mutant=mutant) + rtl.run_bench(MUL, exhaustive, build, mutant=mutant)
    assert len(results) == 4  # committed SatFinite, OvfInf; exhaustive SatFinite, OvfInf
    section = mutant_report("RTL mutants caught by the golden vectors (golden check)")
    for r in results:
        bad, lines = rtl.mismatch_count(r.report)
        section.append((f"mul:{mutant}", r.stem + (" (all pairs)" if lines == 65536 else ""), bad, lines))
    for r in results:
        assert not r.passed and r.mismatches > 0, f"mutant {mutant} passed {r.stem}: the vectors miss this bug"


@needs_icarus
def test_multiplier_fails_tininess_before_file_on_flags_only(build):
    b, sel = rtl.CONTROLS["mul_tininess_before"]
    [r] = rtl.run_bench(b, VECTORS, build, select=sel, variant="mul_tininess_before")
    assert not r.passed and "-UF" in r.report, r.report
    vec = os.path.join(VECTORS, *f"{r.stem}.tv".split("/"))
    assert rtl.golden_check(vec, r.out_file, "--no-flags")[0]


@needs_icarus
def test_multiplier_agrees_with_ml_dtypes(exhaustive, build):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    for r in rtl.run_bench(MUL, exhaustive, build):
        d = _read_dut(r.out_file)
        a = d[:, 0].astype(np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float32)
        b = d[:, 1].astype(np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            p = a * b  # exact: 4-bit significands, exponents well inside float32
            ref = p.astype(ml_dtypes.float8_e4m3fn).view(np.uint8).astype(np.int64)
        ref_nan = (ref & 0x7F) == 0x7F
        if "sat_finite" in r.stem:  # what ml_dtypes turns into NaN from a finite product is ±448
            over = ref_nan & ~np.isnan(p)
            ref = np.where(over, (ref & 0x80) | 0x7E, ref)
            ref_nan = ref_nan & np.isnan(p)
        got = d[:, 2]
        assert np.array_equal(got[ref_nan], np.full(ref_nan.sum(), 0x7F)), r.stem  # canonical NaN
        assert np.array_equal(got[~ref_nan], ref[~ref_nan]), r.stem
