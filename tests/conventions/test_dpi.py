"""The DPI-C model (``fp8ref export dpi``) under the conventions: its binary32 key tables are
fp8ref's, so ftz / daz / NaN payloads hold there too; checked with gcc + ctypes on every line of
the ``conventions`` suite's float32 files for OCP FP8, IEEE-style E4M3, FP4 and P3109 (the export covers formats of up to 8 bits)."""

import os
import subprocess
import sys

from ..export.test_dpi import _compile_so, _convert_files, _export, _need_gcc, _pairs_and_jobs, _run_ctypes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_dpi_models_match_the_conventions_files(tmp_path):
    _need_gcc()
    gv = tmp_path / "gv"
    only = [a for f in ("e4m3fn", "e5m2", "e4m3", "p3109_8p3", "p3109_8p1", "e2m1fn") for a in ("--only", f"*f32_to_{f}.*")]
    r = subprocess.run([sys.executable, "-m", "fp8ref", "golden", "generate", "--full", "--suite", "conventions",
                        "--out", str(gv), *only], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    files = _convert_files(str(gv), ("conventions",))
    assert len(files) == 6 * 4 + 5 * 3
    pairs, jobs = _pairs_and_jobs(files)
    d = _export(str(tmp_path), pairs, ["f32"])
    lib = _compile_so(os.path.join(d, "fp8ref_dpi.c"), str(tmp_path / "dpi.so"))
    res = _run_ctypes(lib, jobs)
    for _, _, path, n in jobs:
        assert res[path] == (n, 0), (path, res[path])
