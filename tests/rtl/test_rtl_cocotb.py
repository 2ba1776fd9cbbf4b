"""The cocotb testbenches of the RTL demo (cocotb 2.x + Icarus Verilog), built on
``fp8ref.cocotb``: every unit (E4M3FN decoder, binary32/bfloat16 -> E4M3FN encoder, MX E8M0
scale unit for all six element formats) streams its committed golden-vector files through
``drive_vectors`` and is scored live by ``Scoreboard`` on fp8ref's boundary cases; every
planted encoder bug fails through the scoreboard, on every file and on the live stimulus, and
the scoreboard's mismatch counts equal ``fp8ref golden check``'s on the DUT output the driver
wrote. The counts are printed after the test results.

Skipped, with the reason, without Icarus, cocotb or a shared libpython, except under
``FP8REF_RTL_REQUIRED=1`` (``.ci/run``), where a missing tool fails the tests.
"""

import importlib.util
import os

import pytest

from .conftest import require
from .test_rtl import VECTORS, rtl


def _libpython():
    try:
        import find_libpython
    except ImportError:
        return None
    return find_libpython.find_libpython()


@pytest.fixture(autouse=True)
def _tools():
    require(rtl.have_icarus(), "Icarus Verilog (iverilog, vvp) not installed: apt-get install -y iverilog")
    require(importlib.util.find_spec("cocotb_tools") is not None, "cocotb 2.x not installed (pip install cocotb)")
    require(bool(_libpython()), "no shared libpython for cocotb to embed")


def _outputs(run, files):
    """{stem: DUT output path} for the vector files the driver streamed."""
    return {stem: os.path.join(run.out_dir, os.path.basename(path)[:-3] + ".dut.tv") for stem, path, _ in files}


@pytest.mark.parametrize("name", list(rtl.COCOTB_BENCHES))
def test_cocotb_unit_passes(name, tmp_path):
    bench = rtl.COCOTB_BENCHES[name]
    files = bench.vectors(VECTORS)
    run = rtl.run_cocotb(bench, VECTORS, str(tmp_path))
    assert run.tests == {"golden_vectors": True, "live_model": True}, [b["report"] for b in run.boards]
    gv = [b for b in run.boards if b["test"] == "golden_vectors"]
    # every line of every file the unit implements went through the scoreboard and matched
    assert [b["name"] for b in gv] == [stem.rsplit("/", 1)[1] for stem, _, _ in files]
    for b, (stem, path, entry) in zip(gv, files):
        assert (b["transactions"], b["failed"]) == (entry["lines"], 0), b["report"]
    live = [b for b in run.boards if b["test"] == "live_model"]
    assert live and all(b["transactions"] > 100 and b["failed"] == 0 for b in live), live
    # the CLI agrees on what the driver wrote
    for stem, out in _outputs(run, files).items():
        vec = os.path.join(VECTORS, *f"{stem}.tv".split("/"))
        ok, report = rtl.golden_check(vec, out)
        assert ok, report


ENCODER = rtl.COCOTB_BENCHES["e4m3fn_encode"]


def _f32_files(entry):  # mutants: the two binary32 files (the bf16 file, 65,536 lines, for the correct unit)
    return entry["src"] == "float32"


@pytest.mark.parametrize("mutant", list(rtl.MUTANTS))
def test_cocotb_mutant_fails_through_the_scoreboard(mutant, tmp_path, mutant_report):
    files = [f for f in ENCODER.vectors(VECTORS) if _f32_files(f[2])]
    run = rtl.run_cocotb(ENCODER, VECTORS, str(tmp_path), mutant, select=_f32_files)
    assert run.tests == {"golden_vectors": False, "live_model": False}, run.boards
    section = mutant_report("RTL mutants caught by the cocotb scoreboard (fp8ref.cocotb)")
    outs = _outputs(run, files)
    gv = {b["name"]: b for b in run.boards if b["test"] == "golden_vectors"}
    for stem, path, entry in files:
        b = gv[stem.rsplit("/", 1)[1]]
        section.append((mutant, f"vectors {stem}", b["failed"], b["transactions"]))
        assert b["transactions"] == entry["lines"] and b["failed"] > 0, b["report"]
        # the scoreboard and golden check count the same failing lines on the same DUT output
        ok, report = rtl.golden_check(path, outs[stem])
        assert not ok and rtl.mismatch_count(report) == (b["failed"], b["transactions"]), report
        assert f"{b['failed']} of {b['transactions']} transactions mismatch" in b["report"]
    for b in run.boards:
        if b["test"] == "live_model":
            section.append((mutant, b["name"], b["failed"], b["transactions"]))
            assert b["failed"] > 0, b["report"]
