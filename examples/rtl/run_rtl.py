#!/usr/bin/env python3
"""Simulate the example RTL on the committed golden vectors; ``fp8ref golden check`` judges.

For each unit the vector files are picked from the set's ``MANIFEST.json`` by what they
contain (operation, formats, policy), never by file name; each file's SHA-256 is checked
against the manifest; the testbench is compiled with Icarus Verilog (``iverilog -g2012``), run
with ``vvp``, and its output file is compared with the real CLI::

    fp8ref golden check VECTORS DUT_OUTPUT --check-nans

Usage (from the repository root)::

    python examples/rtl/run_rtl.py                 # every unit must match every vector
    python examples/rtl/run_rtl.py --mutants       # and every broken encoder / multiplier must be caught
    python examples/rtl/run_rtl.py --controls      # and the wrong-policy control must fail
    python examples/rtl/run_rtl.py --cocotb        # and the cocotb variant (pip install cocotb)
    python examples/rtl/run_rtl.py --vectors DIR --build DIR -v

Exit status: 0 when every correct unit passes and every mutant and control fails on every file
it runs on; 1 otherwise; 2 for setup errors (no Icarus, no vector set, a vector file that
differs from its manifest or has another field layout).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_VECTORS = os.path.join(REPO, "golden_vectors")

#: Planted encoder bugs: name -> value of the ``MUTANT`` parameter of ``e4m3fn_encode``.
MUTANTS = {
    "truncate": 1,  # truncation instead of RNE
    "ties_away": 2,  # ties away from zero instead of ties to even
    "overflow_threshold": 3,  # overflow above 480 (0x7F) instead of above 448
    "lost_sticky": 4,  # sticky bit dropped: only the guard bit decides
    "tininess_tie": 5,  # UF raised on the tie 1.1111b * 2^-7 that rounds up to the smallest normal
}

#: Planted multiplier bugs: name -> value of the ``MUTANT`` parameter of ``e4m3fn_mul``.
MUL_MUTANTS = {
    "truncate": 1,  # truncation instead of RNE
    "ties_away": 2,  # ties away from zero instead of ties to even
    "overflow_threshold": 3,  # overflow above 480 (0x7F) instead of above 448
    "lost_sticky": 4,  # sticky bit dropped: only the guard bit decides
    "exponent_bias": 5,  # subnormal operands read as 2^(0-7) instead of 2^(1-7)
}


class SetupError(Exception):
    """Something the run needs is missing or wrong (not a DUT mismatch)."""


# ---- the units ------------------------------------------------------------------------------
def _policy(entry):
    return entry.get("policy") or {}


def _encoder_file(entry, src="float32", tininess="after") -> bool:
    """``src`` -> E4M3FN, RNE, canonical NaN, SatFinite or OvfInf, the given tininess mode."""
    p = _policy(entry)
    return (
        entry.get("op") == "convert"
        and entry.get("src") == src
        and entry.get("dst") == "e4m3fn"
        and p.get("rounding") == "rne"
        and p.get("tininess") == tininess
        and p.get("nan") == "canonical"
        and p.get("overflow") in ("sat_finite", "ovf_inf")
    )


def _encoder_pins(entry) -> list:
    return [f"+sat={1 if _policy(entry)['overflow'] == 'sat_finite' else 0}"]


def _mul_file(entry, tininess="after") -> bool:
    """``arith`` suite: E4M3FN x E4M3FN -> E4M3FN, RNE, canonical NaN, SatFinite or OvfInf."""
    p = _policy(entry)
    return (
        entry.get("suite") == "arith"
        and entry.get("op") == "mul"
        and entry.get("src") == ["e4m3fn", "e4m3fn"]
        and entry.get("dst") == "e4m3fn"
        and p.get("rounding") == "rne"
        and p.get("tininess") == tininess
        and p.get("nan") == "canonical"
        and p.get("overflow") in ("sat_finite", "ovf_inf")
        and "srbits" not in entry
    )


def _scale_file(entry) -> bool:
    """MX shared scale from a block of 32 binary32 values, FLOOR rule (``op = mx_scale``)."""
    return (entry.get("op") == "mx_scale" and entry.get("src") == "float32" and entry.get("dst") == "ue8m0"
            and entry.get("scale_rule") == "floor" and entry.get("block_size") == 32)


def _scale_params(entry) -> dict:
    """EMAX_ELEM from the element format named in the sidecar (``elem``; ``int8`` is MXINT8,
    whose emax_elem is 0)."""
    from fp8ref.blocks.elements import element

    return {"EMAX_ELEM": element(entry["elem"]).emax, "HAS_FLAGS": 1}


@dataclass(frozen=True)
class Bench:
    """One unit + testbench, and which vector files it runs on."""

    name: str
    top: str  # testbench module
    sources: tuple  # SystemVerilog files, relative to this directory
    ext: str  # vector file kind the testbench reads: "tv" ($fscanf) or "memh" ($readmemh)
    fields: tuple  # (name, type[, count]) of every field the testbench expects, in line order
    select: Callable = field(repr=False)  # manifest entry -> bool
    pins: Callable = field(repr=False, default=lambda entry: [])  # manifest entry -> plusargs
    params: Callable = field(repr=False, default=lambda entry: {})  # manifest entry -> parameters
    mutable: bool = False  # has a MUTANT parameter
    mutants: dict = field(default_factory=dict)  # planted bugs: name -> MUTANT value


_ENCODER_SV = ("e4m3fn_encode.sv", "tb_e4m3fn_encode.sv")
BENCHES = {
    b.name: b
    for b in (
        Bench("e4m3fn_encode", "tb_e4m3fn_encode", _ENCODER_SV, "tv",
              (("a", "float32"), ("z", "e4m3fn"), ("flags", "flags")), _encoder_file, _encoder_pins,
              mutable=True, mutants=MUTANTS),
        Bench("e4m3fn_encode_bf16", "tb_e4m3fn_encode", _ENCODER_SV, "tv",
              (("a", "bfloat16"), ("z", "e4m3fn"), ("flags", "flags")),
              lambda e: _encoder_file(e, "bfloat16"), _encoder_pins, params=lambda e: {"SRC_BF16": 1},
              mutable=True, mutants=MUTANTS),
        Bench("e4m3fn_mul", "tb_e4m3fn_mul", ("e4m3fn_mul.sv", "tb_e4m3fn_mul.sv"), "tv",
              (("a", "e4m3fn"), ("b", "e4m3fn"), ("z", "e4m3fn"), ("flags", "flags")), _mul_file, _encoder_pins,
              mutable=True, mutants=MUL_MUTANTS),
        Bench("e4m3fn_decode", "tb_e4m3fn_decode", ("e4m3fn_decode.sv", "tb_e4m3fn_decode.sv"), "memh",
              (("a", "e4m3fn"), ("z", "float32"), ("flags", "flags")),
              lambda e: e.get("op") == "decode" and e.get("src") == "e4m3fn" and e.get("dst") == "float32",
              lambda e: [f"+n={e['lines']}"]),
        Bench("e8m0_scale", "tb_e8m0_scale", ("e8m0_scale.sv", "tb_e8m0_scale.sv"), "tv",
              (("x", "float32", 32), ("scale", "ue8m0"), ("flags", "flags")), _scale_file,
              params=_scale_params),
    )
}

#: Controls: the correct encoder on a file whose policy it does not implement must fail. The
#: unit detects tininess after rounding, so it must fail the tininess-before file (on UF only).
CONTROLS = {
    "tininess_before": (BENCHES["e4m3fn_encode"], lambda e: _encoder_file(e, "float32", "before")),
    "mul_tininess_before": (BENCHES["e4m3fn_mul"], lambda e: _mul_file(e, "before")),
}


# ---- vector files ---------------------------------------------------------------------------
def load_manifest(vectors: str) -> dict:
    path = os.path.join(vectors, "MANIFEST.json")
    if not os.path.isfile(path):
        raise SetupError(f"no vector set at {vectors} (missing MANIFEST.json); "
                         "generate one with: fp8ref golden generate --out DIR")
    with open(path, "rb") as f:
        return json.load(f)


def _sidecar(vectors_file: str) -> dict:
    with open(vectors_file.rsplit(".", 1)[0] + ".json", "rb") as f:
        return json.load(f)


def _entries(vectors: str) -> list:
    """Manifest entries, each merged over its sidecar (sidecar keys such as ``elem`` or
    ``scale_rule`` become visible; the manifest's own keys win)."""
    out = []
    for e in load_manifest(vectors)["sets"]:
        side_path = os.path.join(vectors, *f"{e['stem']}.json".split("/"))
        side = {}
        if os.path.isfile(side_path):
            with open(side_path, "rb") as f:
                side = json.load(f)
        out.append({**side, **e})
    return out


def vector_files(vectors: str, bench: Bench, select=None) -> list:
    """[(stem, path, entry)] of the bench's files, each checked against the manifest; ``entry``
    is the manifest entry merged over the file's sidecar."""
    select = select or bench.select
    out = []
    for e in _entries(vectors):
        if not select(e):
            continue
        path = os.path.join(vectors, *f"{e['stem']}.{bench.ext}".split("/"))
        info = e["files"].get(bench.ext)
        if info is None or not os.path.isfile(path):
            raise SetupError(f"{e['stem']}: no .{bench.ext} file in the set")
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != info["sha256"]:
                raise SetupError(f"{path}: SHA-256 differs from MANIFEST.json (edited or corrupted vectors)")
        _check_fields(path, bench)
        out.append((e["stem"], path, e))
    return out


def _check_fields(path: str, bench: Bench):
    """The sidecar must describe exactly the line layout the testbench slices."""
    got = tuple((f["name"], f["type"]) + ((f["count"],) if f.get("count", 1) != 1 else ())
                for f in _sidecar(path)["fields"])
    if got != bench.fields:
        raise SetupError(f"{path}: sidecar fields {got} are not the layout {bench.top} reads {bench.fields}")


# ---- simulation -----------------------------------------------------------------------------
def have_icarus() -> bool:
    return shutil.which("iverilog") is not None and shutil.which("vvp") is not None


def _need_icarus():
    if not have_icarus():
        raise SetupError("Icarus Verilog (iverilog, vvp) is not installed: apt-get install -y iverilog")


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def compile_bench(bench: Bench, build: str, mutant: str | None = None, params=None) -> str:
    """Compile the testbench with ``iverilog -g2012`` and its parameters (``MUTANT`` for a
    mutant, ``params`` for the rest: ``{"EMAX_ELEM": 8}``); returns the ``.vvp`` image."""
    _need_icarus()
    params = dict(params or {})
    if mutant:
        if mutant not in bench.mutants:
            raise ValueError(f"{bench.name} has no mutant {mutant!r}")
        params["MUTANT"] = bench.mutants[mutant]
    tag = ".".join([bench.name, *(f"{k}{v}" for k, v in sorted(params.items()))])
    os.makedirs(build, exist_ok=True)
    image = os.path.join(build, tag + ".vvp")
    cmd = ["iverilog", "-g2012", "-Wall", "-s", bench.top, "-o", image]
    cmd += [f"-P{bench.top}.{k}={int(v)}" for k, v in sorted(params.items())]
    r = _run(cmd + [os.path.join(HERE, s) for s in bench.sources])
    if r.returncode != 0 or r.stderr.strip():  # warnings count: the RTL is meant to be clean
        raise SetupError(f"iverilog failed or warned for {tag}:\n{r.stdout}{r.stderr}")
    return image


def simulate(image: str, vectors_file: str, out_file: str, pins=()) -> str:
    """Run the testbench on one vector file; returns its log."""
    r = _run(["vvp", "-n", image, f"+vectors={vectors_file}", f"+out={out_file}", *pins])
    log = r.stdout + r.stderr
    if r.returncode != 0 or not os.path.isfile(out_file) or "FATAL" in log or "WARNING" in log:
        raise SetupError(f"simulation failed ({r.returncode}) on {vectors_file}:\n{log}")
    return log


def golden_check(vectors_file: str, out_file: str, *options):
    """``fp8ref golden check VECTORS OUT --check-nans [options]`` as a subprocess:
    (passed, report text)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    r = _run([sys.executable, "-m", "fp8ref.cli", "golden", "check", vectors_file, out_file, "--check-nans",
              *options], env=env, cwd=REPO)
    text = (r.stdout + r.stderr).strip()
    if r.returncode not in (0, 1):
        raise SetupError(f"fp8ref golden check failed to run ({r.returncode}):\n{text}")
    return r.returncode == 0, text


def mismatch_count(report: str):
    """(mismatching lines, lines) from a ``golden check`` report's summary line."""
    m = re.match(r"(\d+) of (\d+) vectors mismatch", report)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.match(r"all (\d+) vectors match", report)
    if m:
        return 0, int(m.group(1))
    raise ValueError(f"no summary line in the golden check report:\n{report}")


def by_generator(vectors_file: str, out_file: str) -> dict:
    """{generator id: lines whose DUT line differs from the vector line} (exact compare of the
    hex fields; the verdict is ``golden check``'s, this only says which generator's lines
    exposed a bug, using the line ranges in the sidecar)."""

    def rows(path):
        out = []
        with open(path) as f:
            for line in f:
                text = line.split("//", 1)[0].strip()
                if text:
                    out.append(text.replace("_", " ").upper().split())
        return out

    exp, got = rows(vectors_file), rows(out_file)
    counts = {}
    for g in _sidecar(vectors_file)["generators"]:
        lo = g["first_line"] - 1
        counts[g["id"]] = sum(i >= len(got) or got[i] != exp[i] for i in range(lo, lo + g["count"]))
    return counts


@dataclass
class Result:
    bench: str
    variant: str  # "correct", a mutant name, or a control name
    stem: str
    passed: bool
    report: str
    sim_log: str = ""
    generators: dict = field(default_factory=dict)  # mismatching lines per generator
    out_file: str = ""  # the DUT output that was checked

    @property
    def summary(self) -> str:
        return self.report.splitlines()[0] if self.report else ""

    @property
    def mismatches(self) -> int:
        return mismatch_count(self.report)[0]


def run_bench(bench: Bench, vectors: str, build: str, mutant: str | None = None, select=None,
              variant: str | None = None) -> list:
    """Compile, simulate every selected file, check each; [Result]."""
    files = vector_files(vectors, bench, select)
    if not files:
        raise SetupError(f"{vectors} holds no vector file for {bench.name}")
    variant = variant or mutant or "correct"
    results = []
    for stem, path, entry in files:
        image = compile_bench(bench, build, mutant, bench.params(entry))
        out = os.path.join(build, f"{bench.name}.{variant}.{stem.replace('/', '.')}.dut.tv")
        log = simulate(image, path, out, bench.pins(entry))
        ok, text = golden_check(path, out)
        gens = {} if ok else by_generator(path, out)
        results.append(Result(bench.name, variant, stem, ok, text, log, gens, out))
    return results


@dataclass(frozen=True)
class CocotbBench:
    """A unit driven by a cocotb testbench built on ``fp8ref.cocotb``."""

    name: str
    toplevel: str
    sources: tuple  # SystemVerilog files, relative to this directory
    module: str  # the cocotb test module (in this directory)
    vectors: Callable = field(repr=False)  # vector set -> [(stem, path, entry)] it streams
    mutable: bool = False


COCOTB_BENCHES = {
    b.name: b
    for b in (
        CocotbBench("e4m3fn_encode", "e4m3fn_encode", ("e4m3fn_encode.sv",), "cocotb_e4m3fn_encode",
                    lambda v: vector_files(v, BENCHES["e4m3fn_encode"]) + vector_files(v, BENCHES["e4m3fn_encode_bf16"]),
                    mutable=True),
        CocotbBench("e4m3fn_decode", "e4m3fn_decode", ("e4m3fn_decode.sv",), "cocotb_e4m3fn_decode",
                    lambda v: vector_files(v, BENCHES["e4m3fn_decode"])),
        CocotbBench("e8m0_scale", "cocotb_e8m0_scale_top", ("e8m0_scale.sv", "cocotb_e8m0_scale_top.sv"),
                    "cocotb_e8m0_scale", lambda v: vector_files(v, BENCHES["e8m0_scale"])),
    )
}


@dataclass
class CocotbRun:
    """One cocotb simulation: which tests passed, and every scoreboard's summary."""

    bench: str
    variant: str
    tests: dict  # test name -> passed
    boards: list  # {"test", "name", "transactions", "passed", "failed", "report"} per scoreboard
    out_dir: str  # where the DUT output files (``<stem>.dut.tv``) are

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(self.tests.values())


def run_cocotb(bench: CocotbBench, vectors: str, build: str, mutant: str | None = None, select=None) -> CocotbRun:
    """Build the unit (``MUTANT`` set for a mutant) and run its cocotb testbench with Icarus
    (cocotb 2.x runner) on every vector file the bench takes from ``vectors`` (those whose
    manifest entry ``select`` accepts, when given)."""
    from xml.etree import ElementTree

    from cocotb_tools.runner import get_runner

    _need_icarus()
    files = [f for f in bench.vectors(vectors) if select is None or select(f[2])]
    if not files:
        raise SetupError(f"{vectors} holds no vector file for {bench.name}")
    variant = mutant or "correct"
    bdir = os.path.join(build, f"cocotb.{bench.name}.{variant}")
    os.makedirs(bdir, exist_ok=True)
    report = os.path.join(bdir, "scoreboards.jsonl")
    if os.path.exists(report):
        os.remove(report)
    params = {}
    if mutant:
        if not bench.mutable:
            raise ValueError(f"{bench.name} has no mutants")
        params["MUTANT"] = MUTANTS[mutant]
    runner = get_runner("icarus")
    runner.build(sources=[os.path.join(HERE, s) for s in bench.sources], hdl_toplevel=bench.toplevel,
                 build_dir=bdir, parameters=params, timescale=("1ns", "1ps"), always=True,
                 log_file=os.path.join(bdir, "build.log"))
    saved = list(sys.path)
    sys.path[:0] = [HERE, REPO]  # the runner hands this process's sys.path to the simulator
    xml = os.path.join(bdir, "results.xml")
    try:
        runner.test(hdl_toplevel=bench.toplevel, test_module=bench.module, build_dir=bdir, test_dir=bdir,
                    results_xml=xml, seed=1, log_file=os.path.join(bdir, "sim.log"),
                    extra_env={"FP8REF_VECTORS": os.pathsep.join(os.path.abspath(p) for _, p, _ in files),
                               "FP8REF_DUT_DIR": bdir, "FP8REF_SB_REPORT": report, "PYTHONDONTWRITEBYTECODE": "1"})
    except SystemExit:  # under pytest the runner exits on a failing cocotb test; results.xml says
        pass
    finally:
        sys.path[:] = saved
    tests = {}
    for case in ElementTree.parse(xml).getroot().iter("testcase"):
        tests[case.get("name")] = not any(c.tag in ("failure", "error") for c in case)
    boards = []
    if os.path.exists(report):
        with open(report) as f:
            boards = [json.loads(line) for line in f if line.strip()]
    if not tests:
        raise SetupError(f"cocotb ran no test for {bench.name}; see {os.path.join(bdir, 'sim.log')}")
    return CocotbRun(bench.name, variant, tests, boards, bdir)


def run_all(vectors: str = DEFAULT_VECTORS, build: str | None = None, mutants=False, controls=False,
            cocotb=False) -> list:
    """Every bench (correct), then optionally every mutant and control, and the cocotb variant
    (correct, and each mutant with ``mutants``). [Result]."""
    own = build is None
    build = build or tempfile.mkdtemp(prefix="fp8ref-rtl-")
    os.makedirs(build, exist_ok=True)
    try:
        results = []
        for b in BENCHES.values():
            results += run_bench(b, vectors, build)
        if mutants:
            for b in BENCHES.values():
                for m in b.mutants:
                    results += run_bench(b, vectors, build, mutant=m)
        if controls:
            for name, (b, sel) in CONTROLS.items():
                results += run_bench(b, vectors, build, select=sel, variant=name)
        if cocotb:
            for b in COCOTB_BENCHES.values():
                for m in [None, *(MUTANTS if mutants and b.mutable else ())]:
                    run = run_cocotb(b, vectors, build, m)
                    text = "\n".join(x["report"] for x in run.boards)
                    summary = ", ".join(f"{x['name']}: {x['failed']} of {x['transactions']} fail" for x in run.boards)
                    results.append(Result("cocotb_" + b.name, m or "correct", "(scoreboards)", run.passed,
                                          summary + "\n" + text))
        return results
    finally:
        if own:
            shutil.rmtree(build, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vectors", default=DEFAULT_VECTORS, help="vector set directory (default: golden_vectors/)")
    p.add_argument("--build", default=None, help="keep compiled images and DUT outputs here")
    p.add_argument("--mutants", action="store_true", help="also run every mutant unit (each must fail)")
    p.add_argument("--controls", action="store_true",
                   help="also run the correct encoder on policy it does not implement (must fail)")
    p.add_argument("--cocotb", action="store_true", help="also run the cocotb 2.x variant of the encoder bench")
    p.add_argument("-v", "--verbose", action="store_true", help="print the full check reports")
    a = p.parse_args(argv)
    try:
        results = run_all(a.vectors, a.build, a.mutants, a.controls, a.cocotb)
    except SetupError as e:
        print(f"run_rtl: error: {e}", file=sys.stderr)
        return 2
    bad = 0
    for r in results:
        expect_pass = r.variant == "correct"
        good = r.passed == expect_pass
        bad += not good
        if expect_pass:
            verdict = "PASS" if r.passed else "FAIL  <-- UNEXPECTED"
        else:
            verdict = "caught" if not r.passed else "NOT CAUGHT  <-- UNEXPECTED"
        print(f"{r.bench:<18} {r.variant:<18} {r.stem:<50} {verdict}: {r.summary}")
        if r.generators:
            print("    mismatching lines by generator: " + ", ".join(f"{g} {n}" for g, n in r.generators.items()))
        if a.verbose or not good:
            print("    " + r.report.replace("\n", "\n    "))
    print(f"run_rtl: {len(results) - bad} passed, {bad} failed")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
