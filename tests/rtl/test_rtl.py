"""The golden vectors on real RTL: examples/rtl/ under Icarus Verilog, judged by the CLI.

* every unit matches every committed vector file it implements (``fp8ref golden check``,
  NaNs bit for bit) on all of the file's lines: the encoder on the f32 SatFinite and OvfInf
  files (tininess after) and on every bf16 input, the decoder on every code, the MX scale unit
  on the FLOOR-rule scale files of every element format;
* negative proof: every planted encoder bug (truncation, ties away, wrong overflow threshold,
  lost sticky bit, a tininess slip) fails ``golden check`` on every encoder file; the count of
  failing lines per mutant and file is printed after the test results;
* a control: the correct encoder (tininess after rounding) fails the tininess-before file, and
  only on flags;
* independent oracles, so the demo does not rest on fp8ref alone: the RTL's codes against
  ml_dtypes, the MX scale unit against gfloat.

Skipped, with the reason, when Icarus Verilog is not installed (.ci/run installs it and sets
FP8REF_RTL_REQUIRED=1, under which they fail instead).
"""

import importlib.util
import os
import shutil
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the committed set; FP8REF_RTL_VECTORS points the demo at another set (e.g. a --full slice)
VECTORS = os.environ.get("FP8REF_RTL_VECTORS") or os.path.join(ROOT, "golden_vectors")


def _load_runner():
    spec = importlib.util.spec_from_file_location("fp8ref_rtl_runner", os.path.join(ROOT, "examples", "rtl", "run_rtl.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


rtl = _load_runner()

# skipped without Icarus, except under FP8REF_RTL_REQUIRED=1 (.ci/run), where they run and fail
needs_icarus = pytest.mark.skipif(
    not rtl.have_icarus() and os.environ.get("FP8REF_RTL_REQUIRED") != "1",
    reason="Icarus Verilog (iverilog, vvp) not installed: apt-get install -y iverilog to run the RTL demo",
)

ENCODERS = [b for b in rtl.BENCHES.values() if b.mutable and b.top == "tb_e4m3fn_encode"]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return str(tmp_path_factory.mktemp("rtl"))


@pytest.fixture(scope="module")
def correct(build):
    """{bench name: [Result]} of the correct units on their files (simulated once per module)."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = rtl.run_bench(rtl.BENCHES[name], VECTORS, build)
        return cache[name]

    return get


# ---- the committed set holds what the demo needs (no simulator required) ------------------
def test_committed_set_has_the_demo_files():
    enc = rtl.vector_files(VECTORS, rtl.BENCHES["e4m3fn_encode"])
    assert sorted(e["policy"]["overflow"] for _, _, e in enc) == ["ovf_inf", "sat_finite"]
    [(_, _, bf16)] = rtl.vector_files(VECTORS, rtl.BENCHES["e4m3fn_encode_bf16"])
    assert bf16["lines"] == 65536
    assert len(rtl.vector_files(VECTORS, rtl.BENCHES["e4m3fn_decode"])) == 1
    scale = rtl.vector_files(VECTORS, rtl.BENCHES["e8m0_scale"])
    assert sorted(e["elem"] for _, _, e in scale) == sorted(["e4m3fn", "e5m2", "e3m2fn", "e2m3fn", "e2m1fn", "int8"])
    b, sel = rtl.CONTROLS["tininess_before"]
    assert len(rtl.vector_files(VECTORS, b, sel)) >= 1


def test_vector_file_tampering_is_refused(tmp_path):
    """The runner only simulates files whose SHA-256 matches the manifest."""
    [(stem, src, _)] = rtl.vector_files(VECTORS, rtl.BENCHES["e4m3fn_decode"])
    dst = tmp_path / "set"
    (dst / os.path.dirname(stem)).mkdir(parents=True)
    shutil.copy(os.path.join(VECTORS, "MANIFEST.json"), dst)
    for ext in ("memh", "json"):
        shutil.copy(os.path.join(VECTORS, f"{stem}.{ext}"), dst / f"{stem}.{ext}")
    rtl.vector_files(str(dst), rtl.BENCHES["e4m3fn_decode"])  # intact: accepted
    path = str(dst / f"{stem}.memh")
    with open(path, "a") as f:
        f.write("00_00000000_00\n")
    with pytest.raises(rtl.SetupError, match="SHA-256 differs"):
        rtl.vector_files(str(dst), rtl.BENCHES["e4m3fn_decode"])


# ---- the units pass --------------------------------------------------------------------
@needs_icarus
@pytest.mark.parametrize("name", list(rtl.BENCHES))
def test_unit_matches_every_vector(name, correct):
    results = correct(name)
    files = {stem: e for stem, _, e in rtl.vector_files(VECTORS, rtl.BENCHES[name])}
    assert {r.stem for r in results} == set(files)
    for r in results:
        assert r.passed, f"{name} on {r.stem}:\n{r.report}"
        # every line of the file was simulated and compared, NaNs bit for bit
        assert r.summary.startswith(f"all {files[r.stem]['lines']} vectors match"), r.report
        assert "NaN exact" in r.summary
        with open(r.out_file) as f:
            assert sum(1 for line in f if line.strip()) == files[r.stem]["lines"]


@needs_icarus
def test_a_wrong_dut_output_fails_the_check(correct, tmp_path):
    """The judge is live: one flipped result bit in a passing DUT output makes it fail."""
    [r] = [r for r in correct("e4m3fn_encode") if "sat_finite" in r.stem]
    lines = open(r.out_file).read().splitlines()
    a, z, fl = lines[100].split()
    lines[100] = f"{a} {int(z, 16) ^ 1:02X} {fl}"
    bad = tmp_path / "dut.tv"
    bad.write_text("\n".join(lines) + "\n")
    ok, report = rtl.golden_check(os.path.join(VECTORS, *f"{r.stem}.tv".split("/")), str(bad))
    assert not ok and rtl.mismatch_count(report)[0] == 1, report


# ---- negative proof: every mutant is caught ------------------------------------------------
@needs_icarus
@pytest.mark.parametrize("mutant", list(rtl.MUTANTS))
def test_mutant_is_caught(mutant, build, mutant_report):
    results = []
    for b in ENCODERS:
        results += rtl.run_bench(b, VECTORS, build, mutant=mutant)
    assert len(results) == 3  # f32 SatFinite, f32 OvfInf, bf16 (exhaustive) SatFinite
    for r in results:
        bad, lines = rtl.mismatch_count(r.report)
        mutant_report("RTL mutants caught by the golden vectors (golden check)").append((mutant, r.stem, bad, lines))
    for r in results:
        assert not r.passed, f"mutant {mutant} passed {r.stem}: the vectors miss this bug"
        assert r.mismatches > 0, r.report
        if mutant != "tininess_tie" and "boundary" in r.generators:
            # the target-aware rounding-boundary generator alone exposes the four rounding and
            # overflow bugs (the 256 TestFloat-style random cases miss ties_away and
            # overflow_threshold)
            assert r.generators["boundary"] > 0, r.generators


@needs_icarus
def test_correct_encoder_fails_tininess_before_file_on_flags_only(build):
    b, sel = rtl.CONTROLS["tininess_before"]
    results = rtl.run_bench(b, VECTORS, build, select=sel, variant="tininess_before")
    assert results
    for r in results:
        assert not r.passed, r.report
        assert "-UF" in r.report  # the unit raises UF later than a tininess-before unit
        # the same DUT output passes once flags are ignored: results are identical
        vec = os.path.join(VECTORS, *f"{r.stem}.tv".split("/"))
        assert rtl.golden_check(vec, r.out_file, "--no-flags")[0]


# ---- the RTL against an independent oracle --------------------------------------------------
def _read_dut(path):
    with open(path) as f:
        return np.array([[int(t, 16) for t in line.split()] for line in f if line.strip()], dtype=np.int64)


@needs_icarus
def test_rtl_codes_agree_with_ml_dtypes(correct):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    for bench in ENCODERS:
        entries = {stem: e for stem, _, e in rtl.vector_files(VECTORS, bench)}
        for r in correct(bench.name):
            entry = entries[r.stem]
            d = _read_dut(r.out_file)
            bits = d[:, 0] << 16 if entry["src"] == "bfloat16" else d[:, 0]
            a = bits.astype(np.uint32).view(np.float32)
            with np.errstate(over="ignore", invalid="ignore"):
                ref = a.astype(ml_dtypes.float8_e4m3fn).view(np.uint8).astype(np.int64)  # RNE, non-saturating
            ref_nan = (ref & 0x7F) == 0x7F
            got = d[:, 1]
            if entry["policy"]["overflow"] == "sat_finite":
                # SatFinite: what ml_dtypes turns into NaN from a finite or infinite input is ±448
                over = ref_nan & ~np.isnan(a)
                ref = np.where(over, (ref & 0x80) | 0x7E, ref)
                ref_nan = ref_nan & np.isnan(a)
            # NaN results: canonical 0x7F from the RTL, sign-preserving from ml_dtypes
            assert np.array_equal(got[ref_nan], np.full(ref_nan.sum(), 0x7F)), r.stem
            assert np.array_equal(got[~ref_nan], ref[~ref_nan]), r.stem

    [r] = correct("e4m3fn_decode")
    d = _read_dut(r.out_file)
    assert np.array_equal(d[:, 0], np.arange(256))  # every code
    ref = d[:, 0].astype(np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float32)
    got = d[:, 1].astype(np.uint32).view(np.float32)
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    assert np.array_equal(got[ok].view(np.uint32), ref[ok].view(np.uint32))  # -0 included


def _scale_blocks(rng):
    """Blocks of 32 float32: random magnitudes over the whole range, amax exactly at, just
    below and just above powers of two, zero blocks, float32-subnormal blocks, one outlier."""
    blocks = []
    for k in range(-149, 126, 3):
        blocks.append(np.clip(rng.standard_normal(32), -3.9, 3.9) * 2.0**k)
    for k in range(-126, 128, 5):
        b = rng.uniform(-1, 1, 32) * 2.0**k
        b[rng.integers(32)] = 2.0**k
        blocks.append(b)
        below = b.copy()
        below[below == 2.0**k] = np.nextafter(np.float32(2.0**k), np.float32(0))
        blocks.append(below)
        above = -b.copy()
        above[above == -(2.0**k)] = -np.nextafter(np.float32(2.0**k), np.float32(np.inf))
        blocks.append(above)
    blocks.append(np.zeros(32))
    blocks.append(np.where(np.arange(32) % 2, -0.0, 0.0))
    blocks.append(rng.integers(1, 1 << 23, 32).astype(np.uint32).view(np.float32).astype(np.float64))  # subnormals
    out = rng.standard_normal(32) * 1e-30
    out[7] = 3e38
    blocks.append(out)
    b = np.array(blocks, dtype=np.float32)
    assert np.isfinite(b).all()
    return b


@needs_icarus
@pytest.mark.parametrize("elem", ["e4m3fn", "e5m2", "e3m2fn", "e2m3fn", "e2m1fn"])
def test_e8m0_scale_matches_gfloat(elem, build, tmp_path):
    gf = pytest.importorskip("gfloat")
    from gfloat import formats as gff

    info = {"e4m3fn": gff.format_info_ocp_e4m3, "e5m2": gff.format_info_ocp_e5m2, "e3m2fn": gff.format_info_ocp_e3m2,
            "e2m3fn": gff.format_info_ocp_e2m3, "e2m1fn": gff.format_info_ocp_e2m1}[elem]
    rng = np.random.default_rng(7)
    blocks = _scale_blocks(rng)
    # NaN / Inf anywhere in a block: the NaN scale 0xFF (OCP MX; microxcaling, torchao)
    special = blocks[:6].copy()
    special[0, 3], special[1, 31], special[2, 0] = np.nan, np.inf, -np.inf
    special[3, :] = np.nan
    special[4, 5] = np.float32(np.uint32(0x7F800001).view(np.float32))  # signalling NaN
    special[5, 9] = -np.inf
    blocks = np.concatenate([blocks, special])
    n_special = len(special)

    expected = []
    for b in blocks[:-n_special]:
        s = gf.compute_scale_amax(info.emax, b.astype(np.float64))
        expected.append(int(np.log2(s)) + 127)
    expected += [0xFF] * n_special

    vec = tmp_path / f"blocks_{elem}.tv"
    with open(vec, "w") as f:
        for b, e in zip(blocks, expected):
            f.write(" ".join(f"{u:08X}" for u in b.view(np.uint32)) + f" {e:02X}\n")
    image = rtl.compile_bench(rtl.BENCHES["e8m0_scale"], build, params={"EMAX_ELEM": info.emax})
    out = str(tmp_path / "dut.tv")
    log = rtl.simulate(image, str(vec), out)
    d = _read_dut(out)
    assert d.shape == (len(blocks), 33), log
    assert np.array_equal(d[:, :32].astype(np.uint32), blocks.view(np.uint32))  # testbench in step
    bad = np.nonzero(d[:, 32] != np.array(expected))[0]
    assert bad.size == 0, f"{bad.size} blocks differ, first: line {bad[0] + 1}: got {d[bad[0], 32]:02X}, gfloat {expected[bad[0]]:02X}"
