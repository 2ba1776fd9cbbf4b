"""``fp8ref export dpi``: the DPI-C golden model on every line of the golden vectors.

* the C file compiles warning-free with gcc (C99, ``-Wall -Wextra -pedantic -Werror``) and g++;
* **wide** (gcc + ctypes): one model per (format, policy) of every committed binary32 and
  bfloat16 conversion file (OCP FP8, FNUZ, IEEE-style E4M3/E3M4, FP6/FP4, P3109, UE8M0, HiF8,
  posit8) and every committed decode file: the C functions reproduce every line;
* **SystemVerilog** (Verilator 5): a testbench importing the generated package calls the DPI
  functions on every line of the matching files -- binary32 and bfloat16 committed files,
  binary16 files generated here (``golden generate --full``: every binary16 input), decode
  files; the package's model numbers and names agree with the C side;
* planted corruptions (a code, a flag, a binary16/bfloat16 entry, a decode entry in the tables;
  the sticky bit and the key shift in the routine) are each caught, under Verilator and ctypes;
* independent oracle: ml_dtypes on every binary16 / bfloat16 input (preset ``ml_dtypes``) and
  every decoded code;
* deterministic bytes; clear errors for what cannot be tabulated.

gcc missing: skipped. Verilator missing: skipped LOUDLY (a banner after the results), or failed
under ``FP8REF_RTL_REQUIRED=1`` (``.ci/run``).
"""

import ctypes
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fp8ref
from fp8ref.export import PolicySpec, export_dpi, models, render_dpi
from fp8ref.golden import Selection, generate
from fp8ref.golden.verify import load_vectors

from ..rtl.conftest import require

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GV = os.path.join(ROOT, "golden_vectors")
HERE = os.path.dirname(os.path.abspath(__file__))
KIND = {"float32": "f32", "float16": "f16", "bfloat16": "bf16"}


def _need_gcc():
    require(shutil.which("gcc") is not None, "gcc not installed: the DPI-C model cannot be compiled")


# ---- vector files and models --------------------------------------------------------------------
def _convert_files(root, dirs):
    """[(kind, dst, policy dict, path, lines)] of the 3-field conversion files in ``dirs``."""
    out = []
    for d in dirs:
        for side in sorted(glob.glob(os.path.join(root, d, "*.json"))):
            with open(side) as f:
                meta = json.load(f)
            if meta.get("op") == "convert" and meta.get("src") in KIND and len(meta["fields"]) == 3:
                out.append((KIND[meta["src"]], meta["dst"], meta["policy"], side[:-5] + ".tv", meta["lines"]))
    return out


def _decode_files(formats):
    out = []
    for side in sorted(glob.glob(os.path.join(GV, "decode", "*.json"))):
        with open(side) as f:
            meta = json.load(f)
        if meta["src"] in formats:
            out.append(("dec", meta["src"], None, side[:-5] + ".tv", meta["lines"]))
    return out


def _spec(policy: dict) -> PolicySpec:
    """The file's policy, every field spelled out (so the model is exactly the file's)."""
    return PolicySpec(None, tuple(policy.items()))


def _pairs_and_jobs(files):
    """(model pairs, jobs [(kind, model or format id, path, lines)]) for the files: one model per
    distinct (format, policy), decode jobs per format."""
    pairs, ids = [], {}
    for kind, dst, pol, path, n in files:
        if kind == "dec":
            continue
        key = (dst, tuple(sorted(pol.items())))
        if key not in ids:
            ids[key] = len(pairs)
            pairs.append((dst, _spec(pol)))
    fmts = list(dict.fromkeys(dst for dst, _ in pairs))
    jobs = []
    for kind, dst, pol, path, n in files:
        i = fmts.index(dst) if kind == "dec" else ids[(dst, tuple(sorted(pol.items())))]
        jobs.append((kind, i, path, n))
    return pairs, jobs


def _tabulable(files):
    """The files whose model fp8ref can tabulate for binary32 (HiF8's hybrid rounding reads every
    significand bit: no key table)."""
    return [f for f in files if f[2] is None or f[2]["rounding"] != "hybrid"]


WIDE_FILES = _tabulable(_convert_files(GV, ("convert_f32", "ue8m0", "hif8", "posit8")))


# ---- building and running -------------------------------------------------------------------------
def _export(tmp, pairs, sources):
    d = os.path.join(tmp, "dpi")
    export_dpi(d, pairs, sources)
    return d


def _gcc_so(c_file, out):
    """The C file and the batch harness (dpi_batch.c) as one shared library, compiled warning-free."""
    cmd = ["gcc", "-std=c99", "-O1", "-Wall", "-Wextra", "-pedantic", "-Werror", "-shared", "-fPIC", "-o", out, c_file,
           os.path.join(HERE, "dpi_batch.c")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stdout + r.stderr


def _compile_so(c_file, out):
    """:func:`_gcc_so`, loaded with ctypes (``out`` must then never be rewritten in place)."""
    _gcc_so(c_file, out)
    lib = ctypes.CDLL(out)
    lib.fp8ref_model_name.argtypes, lib.fp8ref_model_name.restype = [ctypes.c_int], ctypes.c_char_p
    return lib


def _ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def _encode(lib, kind, model, a):
    """(codes, flags) of the C model for the source patterns ``a``."""
    a = np.ascontiguousarray(a, dtype=np.uint32)
    z, f = np.empty(a.size, np.uint32), np.empty(a.size, np.uint8)
    lib.batch_encode(("f32", "f16", "bf16").index(kind), model, _ptr(a), _ptr(z), _ptr(f), ctypes.c_size_t(a.size))
    return z, f


def _decode(lib, fmt, a):
    a = np.ascontiguousarray(a, dtype=np.uint32)
    z = np.empty(a.size, np.uint32)
    lib.batch_decode(fmt, _ptr(a), _ptr(z), ctypes.c_size_t(a.size))
    return z


_ROWS = {}


def _rows(path):
    """The vector lines of a file as a uint64 array (parsed once per session)."""
    if path not in _ROWS:
        _, rows, _ = load_vectors(path)
        _ROWS[path] = np.array([r for _, r, _ in rows], dtype=np.uint64)
    return _ROWS[path]


def _run_ctypes(lib, jobs):
    """{path: (lines, differing lines)} calling the C functions on every line."""
    out = {}
    for kind, i, path, _ in jobs:
        rows = _rows(path)
        if kind == "dec":
            z, f = _decode(lib, i, rows[:, 0]), np.zeros(len(rows), np.uint8)
        else:
            z, f = _encode(lib, kind, i, rows[:, 0])
        out[path] = (len(rows), int(((z != rows[:, 1]) | (f != rows[:, 2])).sum()))
    return out


def _have_verilator():
    return shutil.which("verilator") is not None


def _need_verilator(missing_tool):
    if not _have_verilator():
        missing_tool.append("Verilator is not installed (apt-get install -y verilator): the DPI-C model was NOT run "
                            "under SystemVerilog; tests/export/test_dpi.py::*verilator* skipped")
    require(_have_verilator(), "Verilator not installed: apt-get install -y verilator")


def _verilator_build(dpi_dir, obj, shared=None):
    """Compile the testbench with the generated package and C file (or, given ``shared``, link
    it against that shared library instead, loaded at run time); returns the executable."""
    cmd = ["verilator", "--binary", "--no-timing", "-j", "2", "-Wall", "-Wno-DECLFILENAME", "-Wno-UNUSEDPARAM",
           "--Mdir", obj, "--top-module", "tb_fp8ref_dpi", "-o", "tb",
           os.path.join(dpi_dir, "fp8ref_dpi_pkg.sv"), os.path.join(HERE, "tb_fp8ref_dpi.sv")]
    cmd += ["-LDFLAGS", shared] if shared else [os.path.join(dpi_dir, "fp8ref_dpi.c")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    return os.path.join(obj, "tb")


def _verilator_run(exe, jobs, tmp):
    jobs_file = os.path.join(tmp, "jobs.txt")
    with open(jobs_file, "w") as f:
        f.writelines(f"{kind} {i} {path}\n" for kind, i, path, _ in jobs)
    r = subprocess.run([exe, f"+jobs={jobs_file}"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    res = {}
    for m in re.finditer(r"^RESULT (\S+) (\d+) (\d+) (\d+) (\S+)$", r.stdout, re.M):
        res[m.group(5)] = (int(m.group(3)), int(m.group(4)))
    return res, r.stdout


# ---- the C file ---------------------------------------------------------------------------------
def test_output_is_deterministic_and_self_contained():
    pairs = models(["e4m3fn", "e2m1fn"], ["ocp_sat:nan_to=max", "rounding=rtz:tininess=before:nan_to=zero"])
    a = render_dpi(pairs, ["f32", "bf16"])
    b = render_dpi(pairs, ("bf16", "f32"))  # source order does not matter
    assert a == b and sorted(a) == ["fp8ref_dpi.c", "fp8ref_dpi.json", "fp8ref_dpi_pkg.sv"]
    c = a["fp8ref_dpi.c"].decode()
    assert re.findall(r"#include <(\S+)>", c) == ["stddef.h", "stdint.h"]
    assert "fp8ref_encode_f16" in c and "fp8ref_table" in c
    index = json.loads(a["fp8ref_dpi.json"])
    assert [m["name"] for m in index["models"]] == [
        "E4M3FN_OCP_SAT_NAN_TO_MAX", "E4M3FN_ROUNDING_RTZ_TININESS_BEFORE_NAN_TO_ZERO",
        "E2M1FN_OCP_SAT_NAN_TO_MAX", "E2M1FN_ROUNDING_RTZ_TININESS_BEFORE_NAN_TO_ZERO"]
    assert index["models"][0]["policy"]["overflow"] == "sat_finite" and index["models"][0]["f32_lead_bits"] == 4
    sv = a["fp8ref_dpi_pkg.sv"].decode()
    assert "localparam int FP8REF_E2M1FN_OCP_SAT_NAN_TO_MAX = 2;" in sv
    assert 'import "DPI-C" function int unsigned fp8ref_encode_bf16' in sv


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="e2m1fn, policy 'ieee': input element [0-9]+ is NaN: NaN input cannot be encoded in e2m1fn"):
        render_dpi(models(["e2m1fn"], ["ieee"]), ["f16"])
    with pytest.raises(ValueError, match="hif8, policy 'rounding=hybrid': fp8ref has no binary32 key table"):
        render_dpi(models(["hif8"], ["rounding=hybrid"]), ["f32"])
    render_dpi(models(["hif8"], ["rounding=hybrid"]), ["bf16"])  # the 16-bit sources are fine
    with pytest.raises(ValueError, match="stochastic rounding"):
        render_dpi(models(["e4m3fn"], ["rounding=stochastic"]))
    with pytest.raises(ValueError, match="fp16 has 16-bit codes"):
        render_dpi(models(["fp16"], ["ieee"]))
    with pytest.raises(ValueError, match="unknown policy field 'bogus'"):
        render_dpi(models(["e4m3fn"], ["ieee:bogus=1"]))
    with pytest.raises(ValueError, match="a preset comes first"):
        render_dpi(models(["e4m3fn"], ["overflow=sat_finite:ieee"]))
    with pytest.raises(ValueError, match="unknown source"):
        render_dpi(models(["e4m3fn"], ["ieee"]), ["f64"])
    with pytest.raises(ValueError, match="given twice"):
        render_dpi(models(["e4m3fn"], ["ieee", "ieee"]))


def test_cli_writes_the_files(tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT}
    r = subprocess.run([sys.executable, "-m", "fp8ref", "export", "dpi", "--formats", "e5m2", "--policies",
                        "ocp_sat", "--sources", "f32", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(tmp_path / "o" / n) for n in ("fp8ref_dpi.c", "fp8ref_dpi_pkg.sv", "fp8ref_dpi.json")]
    assert (tmp_path / "o" / "fp8ref_dpi.c").read_bytes() == render_dpi(models(["e5m2"], ["ocp_sat"]), ["f32"])["fp8ref_dpi.c"]
    r = subprocess.run([sys.executable, "-m", "fp8ref", "export", "dpi", "--formats", "e2m1fn", "--out",
                        str(tmp_path / "p")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 2 and r.stderr.startswith("fp8ref: error: e2m1fn, policy 'ieee': input element "), r.stderr
    assert not (tmp_path / "p" / "fp8ref_dpi.c").exists()


# ---- wide: every committed conversion and decode file, through ctypes --------------------------------
def test_wide_every_committed_file_matches(tmp_path):
    _need_gcc()
    fmts = list(dict.fromkeys(f[1] for f in WIDE_FILES))
    pairs, jobs = _pairs_and_jobs(WIDE_FILES + _decode_files(fmts))
    assert len(pairs) >= 80 and len(fmts) >= 22 and sum(j[0] == "dec" for j in jobs) == len(fmts)
    d = _export(str(tmp_path), pairs, ["f32"])
    lib = _compile_so(os.path.join(d, "fp8ref_dpi.c"), str(tmp_path / "dpi.so"))
    res = _run_ctypes(lib, jobs)
    for kind, i, path, n in jobs:
        assert res[path] == (n, 0), (path, res[path])
    assert sum(n for n, _ in res.values()) > 200_000
    # the 16-bit sources were not exported, model and format numbers out of range: the invalid answer
    for kind, model in (("f16", 0), ("f32", len(pairs)), ("f32", -1)):
        z, f = _encode(lib, kind, model, [0x3C00])
        assert (z.tolist(), f.tolist()) == ([0xFFFFFFFF], [0xFF])
    assert _decode(lib, len(fmts), [0]).tolist() == [0xFFFFFFFF] == _decode(lib, 0, [1 << 20]).tolist()
    assert [lib.fp8ref_model_name(i).decode() for i in (0, len(pairs))] == [
        json.load(open(os.path.join(d, "fp8ref_dpi.json")))["models"][0]["name"], ""]


def test_cxx_compiles_it_too(tmp_path):
    require(shutil.which("g++") is not None, "g++ not installed")
    d = _export(str(tmp_path), models(["e4m3fn"], ["ocp_sat"]), ["f32", "f16"])
    r = subprocess.run(["g++", "-x", "c++", "-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-c", "-o",
                        str(tmp_path / "x.o"), os.path.join(d, "fp8ref_dpi.c")], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr


# ---- the SystemVerilog proof (the 16-bit sources too) ------------------------------------------------
SV_FORMATS = ("e4m3fn", "e5m2", "e2m1fn")


@pytest.fixture(scope="module")
def sv_files(tmp_path_factory):
    """Committed binary32 / bfloat16 RNE files of SV_FORMATS (SatFinite, OvfInf) + binary16 files
    generated here (every binary16 input) + their decode files."""
    tmp = tmp_path_factory.mktemp("f16vec")
    only = tuple(f"convert_f16/f16_to_{f}.rne.{o}.tafter" for f in SV_FORMATS for o in ("sat_finite", "ovf_inf"))
    generate(str(tmp / "set"), Selection(suites=("convert_f16",), tier="full", only=only), progress=False)
    pick = [f for f in _convert_files(GV, ("convert_f32", "convert_bf16")) + _convert_files(str(tmp / "set"), ("convert_f16",))
            if f[1] in SV_FORMATS and f[2]["rounding"] == "rne" and f[2]["tininess"] == "after"
            and f[2]["overflow"] in ("sat_finite", "ovf_inf")]
    return pick + _decode_files(SV_FORMATS)


def _sv_setup(tmp, files):
    pairs, jobs = _pairs_and_jobs(files)
    d = _export(tmp, pairs, ["f32", "f16", "bf16"])
    return pairs, jobs, d


CORRUPTIONS = ("f32_code", "f32_flag", "f16_entry", "bf16_entry", "decode_entry", "routine_sticky", "routine_shift")


def _corrupt(c_text: str, which: str, jobs, index) -> str:
    """The C file with one planted bug, on an entry that a vector line (the middle line of the
    first file of the source kind) exercises."""
    def line_input(kind):
        k, i, path, n = next(j for j in jobs if j[0] == kind)
        _, rows, _ = load_vectors(path)
        return i, rows[n // 2][1][0]

    def table_of(model, src):
        name = index["models"][model]["name"]
        m = re.search(r"/\* ([^*]*\b" + name + " " + src + r"\b[^*]*) \*/\nstatic const uint16_t (\w+)\[", c_text)
        return m.group(2)

    def edit(array, i, fn):
        m = re.search(r"(static const uint\d+_t " + array + r"\[\d+\] = \{\n)(.*?)(\n\};)", c_text, re.S)
        vals = [v.strip() for v in m.group(2).replace("\n", " ").split(",")]
        vals[i] = f"{fn(int(vals[i], 16)):#0{len(vals[i])}x}"
        body = ",\n  ".join(", ".join(vals[j:j + 16]) for j in range(0, len(vals), 16))
        return c_text[:m.start(2)] + "  " + body + c_text[m.end(2):]

    if which in ("f32_code", "f32_flag"):
        model, a = line_input("f32")
        lead = index["models"][model]["f32_lead_bits"]
        sh = 23 - lead
        key = ((a >> sh) << 1) | int(a & ((1 << sh) - 1) != 0)
        return edit(table_of(model, "f32"), key, lambda e: e ^ (0x01 if which == "f32_code" else 0x100))  # code / NX
    if which in ("f16_entry", "bf16_entry"):
        model, a = line_input(which[:-6])
        return edit(table_of(model, which[:-6]), a, lambda e: e ^ 0x01)
    if which == "decode_entry":
        fmt, code = line_input("dec")
        return edit(f"fp8ref_dec_{fmt}", code, lambda e: e ^ 0x1)
    if which == "routine_sticky":
        return c_text.replace("| (uint32_t)((bits & ((1u << sh) - 1u)) != 0u);", "| 0u;", 1)
    if which == "routine_shift":
        return c_text.replace("sh = 23u - m->lead;", "sh = 22u - m->lead;", 1)
    raise ValueError(which)


def test_sv_every_line_matches_under_verilator(sv_files, tmp_path, missing_tool):
    _need_verilator(missing_tool)
    pairs, jobs, d = _sv_setup(str(tmp_path), sv_files)
    assert {k for k, _, _, _ in jobs} == {"f32", "f16", "bf16", "dec"} and len(pairs) == 6
    exe = _verilator_build(d, str(tmp_path / "obj"))
    res, log = _verilator_run(exe, jobs, str(tmp_path))
    names = [m["name"] for m in json.loads(open(os.path.join(d, "fp8ref_dpi.json")).read())["models"]]
    assert f"MODELS {len(names)} {len(names)}" in log
    assert re.findall(r"^MODEL \d+ (\S+)$", log, re.M) == names
    assert "INVALID ffffffff ff ffffffff" in log
    assert len(res) == len(jobs)
    for kind, i, path, n in jobs:
        assert res[path] == (n, 0), (path, res[path], log[-2000:])
    assert sum(n for n, _ in res.values()) >= 6 * 65536


def test_sv_planted_corruptions_are_caught(sv_files, tmp_path, missing_tool, corruption_report):
    """Each corruption, compiled into a shared library that the Verilator testbench (built once,
    linked against it) and the ctypes harness both run on every line."""
    _need_verilator(missing_tool)
    _need_gcc()
    pairs, jobs, d = _sv_setup(str(tmp_path), sv_files)
    c_path = os.path.join(d, "fp8ref_dpi.c")
    with open(c_path) as f:
        good = f.read()
    with open(os.path.join(d, "fp8ref_dpi.json")) as f:
        index = json.load(f)
    shared = str(tmp_path / "libfp8ref_dpi.so")  # what the testbench loads (never by this process)
    _gcc_so(c_path, shared)
    exe = _verilator_build(d, str(tmp_path / "obj"), shared)
    res, _ = _verilator_run(exe, jobs, str(tmp_path))
    assert all(b == 0 for _, b in res.values()), res  # the intact library, linked this way, passes
    section = corruption_report("DPI-C model: planted corruptions caught (Verilator, the same counts via ctypes)")
    for which in CORRUPTIONS:
        bad_text = _corrupt(good, which, jobs, index)
        assert bad_text != good, which
        bad_c = str(tmp_path / f"{which}.c")
        with open(bad_c, "w") as f:
            f.write(bad_text)
        lib = _compile_so(bad_c, str(tmp_path / f"{which}.so"))
        shutil.copyfile(str(tmp_path / f"{which}.so"), shared + ".new")
        os.replace(shared + ".new", shared)  # a new file, not the old one rewritten in place
        res, _ = _verilator_run(exe, jobs, str(tmp_path))
        assert _run_ctypes(lib, jobs) == res, which  # the same library gives the same answers in both harnesses
        failing = sum(b for _, b in res.values())
        total = sum(n for n, _ in res.values())
        hit = sum(1 for _, b in res.values() if b)
        section.append((which, f"{hit} of {len(res)} files", failing, total))
        assert failing > 0, f"corruption {which} was not caught"


# ---- an independent oracle: ml_dtypes ----------------------------------------------------------
def test_dpi_model_agrees_with_ml_dtypes(tmp_path):
    _need_gcc()
    ml_dtypes = pytest.importorskip("ml_dtypes")
    from ..oracles.shared import ML_DTYPES

    fmts = {k: ML_DTYPES[k] for k in ("e4m3fn", "e5m2", "e4m3fnuz", "e3m2fn", "e2m1fn")}
    d = _export(str(tmp_path), models(list(fmts), ["ml_dtypes"]), ["f32", "f16", "bf16"])
    lib = _compile_so(os.path.join(d, "fp8ref_dpi.c"), str(tmp_path / "dpi.so"))
    bits = np.arange(1 << 16, dtype=np.uint16)
    rng = np.random.default_rng(19)
    f32 = np.concatenate([rng.integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32),
                          (bits.astype(np.uint32) << 16)])  # random binary32 and every bf16 value
    for m, (name, dt) in enumerate(fmts.items()):
        for kind, src in (("f16", bits.view(np.float16)), ("bf16", bits.view(ml_dtypes.bfloat16)),
                          ("f32", f32.view(np.float32))):
            with np.errstate(over="ignore", invalid="ignore"):
                ref = src.astype(dt).view(np.uint8)
            got, _ = _encode(lib, kind, m, src.view(np.uint16 if kind != "f32" else np.uint32))
            assert np.array_equal(got, ref), (name, kind, int(np.argmax(got != ref)))
        codes = np.arange(fp8ref.get_format(name).num_codes, dtype=np.uint8)
        ref = codes.view(dt).astype(np.float32).view(np.uint32)
        got = _decode(lib, m, codes)
        nan = np.isnan(ref.view(np.float32))
        assert np.array_equal(got[~nan], ref[~nan]), name
        assert np.all((got[nan] & 0x7FFFFFFF) == 0x7FC00000), name
