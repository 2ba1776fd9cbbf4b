"""A failing fp8ref.testing assertion shows the user's test and the mismatch table, not
fp8ref's own source (pytest's ``__tracebackhide__``): pytest is run on a small failing test
file in a subprocess and its report read (issue 15 §5.5)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXAMPLE = textwrap.dedent('''
    import ml_dtypes
    import numpy as np
    from fp8ref.testing import assert_codes_equal, assert_quantize_matches


    def truncating_cast(x):  # a broken E4M3FN cast: chops the float32 mantissa
        u = np.asarray(x, np.float32).view(np.uint32) & np.uint32(0xFFF00000)
        return u.view(np.float32).astype(ml_dtypes.float8_e4m3fn)


    def raising_cast(x):
        raise RuntimeError("my kernel failed")  # the user's own frame must stay visible


    def test_quantize():
        assert_quantize_matches(truncating_cast, "e4m3fn", "ocp_sat")


    def test_codes():
        assert_codes_equal(np.array([0x38, 0x40, 0x41], np.uint8), np.array([0x38, 0x40, 0x42], np.uint8), "e4m3fn")


    def test_wrong_output_type():
        assert_quantize_matches(lambda x: np.asarray(x).astype(str), "e4m3fn")


    def test_user_code_raises():
        assert_quantize_matches(raising_cast, "e4m3fn")
''')


def _run_pytest(tmp_path, *opts):
    (tmp_path / "test_example.py").write_text(EXAMPLE)
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "ignore::RuntimeWarning",
                        "--rootdir", str(tmp_path), *opts, str(tmp_path / "test_example.py")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    sections = re.split(r"\n_{3,} (test_\w+) _{3,}\n", r.stdout)
    return dict(zip(sections[1::2], sections[2::2]))


def test_failures_hide_fp8ref_frames(tmp_path):
    rep = _run_pytest(tmp_path)
    assert set(rep) == {"test_quantize", "test_codes", "test_wrong_output_type", "test_user_code_raises"}, rep
    for name, text in rep.items():
        assert "fp8ref/testing.py" not in text and "fp8ref" + os.sep + "testing.py" not in text, (name, text)
        assert "def assert_quantize_matches" not in text and "def as_codes_or_values" not in text, (name, text)
        if name != "test_user_code_raises":  # the error right after the user's test source
            before = text.split("\nE ", 1)[0].splitlines()
            assert len(before) <= 6, (name, text)
    assert "fn disagrees with fp8ref on" in rep["test_quantize"] and "expected value" in rep["test_quantize"]
    assert "1 of 3 e4m3fn codes differ" in rep["test_codes"] and "0x42" in rep["test_codes"]
    assert "TypeError" in rep["test_wrong_output_type"] and "unsupported dtype" in rep["test_wrong_output_type"]
    # an exception in the user's function: the user's frame and line are shown
    raised = rep["test_user_code_raises"]
    assert 'raise RuntimeError("my kernel failed")' in raised and "RuntimeError: my kernel failed" in raised


def test_full_trace_still_shows_fp8ref_frames(tmp_path):
    """``--full-trace`` (pytest's switch for hidden frames) still reaches fp8ref's code."""
    rep = _run_pytest(tmp_path, "--full-trace", "-k", "test_codes")
    assert "def assert_codes_equal" in rep["test_codes"]
