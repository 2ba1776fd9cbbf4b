"""The cocotb variant of the RTL demo (cocotb 2.x + Icarus Verilog): the encoder driven from a
committed golden-vector ``.tv`` file in Python, fp8ref as a live scoreboard, and the DUT output
judged by ``fp8ref golden check``. Skipped, with the reason, without Icarus or cocotb."""

import os

import pytest

from .test_rtl import VECTORS, needs_icarus, rtl

pytest.importorskip("cocotb_tools.runner", reason="cocotb 2.x not installed (pip install cocotb)")


def _libpython():
    import find_libpython

    return find_libpython.find_libpython()


needs_libpython = pytest.mark.skipif(not _libpython(), reason="no shared libpython for cocotb to embed")


@needs_icarus
@needs_libpython
@pytest.mark.parametrize("mutant", [None, "ties_away", "overflow_threshold"])
def test_cocotb_encoder(mutant, tmp_path):
    bench = rtl.BENCHES["e4m3fn_encode"]
    [(stem, tv, entry)] = [f for f in rtl.vector_files(VECTORS, bench) if f[2]["policy"]["overflow"] == "sat_finite"]
    passed, out = rtl.run_cocotb(tv, str(tmp_path), mutant)
    assert os.path.getsize(out) > 0
    ok, report = rtl.golden_check(tv, out)
    if mutant is None:
        assert passed and ok, report
        assert report.startswith(f"all {entry['lines']} vectors match"), report
    else:  # both the in-simulator scoreboard and the CLI catch the planted bug
        assert not passed and not ok, report
