"""`fp8ref golden list | generate | verify | diff | check`, including error exits."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import fp8ref.cli as cli
from fp8ref.cli import golden_cmd, main

from .conftest import REPO

STEM = "convert_f64/f64_to_e4m3fn.rne.sat_finite.tafter"


@pytest.fixture(scope="module", autouse=True)
def _commands_registered():
    """fp8ref.cli.build_parser clears its command list and relies on imports to refill it, which
    only happens once per process; re-register `golden` when it is missing (no-op otherwise)."""
    orig = cli._load_commands

    def load():
        orig()
        if not any(c[0] == "golden" for c in cli._COMMANDS):
            importlib.reload(golden_cmd)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "_load_commands", load)
        yield


def run(capsys, *argv):
    try:
        rc = main(list(argv))
    except SystemExit as e:  # argparse usage errors
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def cli_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "vec"
    assert main(["golden", "generate", "--suite", "convert_f64", "--suite", "decode", "--out", str(out)]) == 0
    return out


def test_list(capsys):
    rc, out, _ = run(capsys, "golden", "list")
    assert rc == 0
    for s in ("convert_f32", "convert_bf16", "decode", "mul", "convert_stochastic"):
        assert s in out
    rc, out, _ = run(capsys, "golden", "list", "--json", "--files", "--suite", "decode")
    data = json.loads(out)
    assert data[0]["suite"] == "decode" and "decode/e4m3fn_to_f32" in data[0]["stems"]
    rc, out, _ = run(capsys, "golden", "list", "--json", "--full", "--suite", "convert_f32")
    assert json.loads(out)[0]["files"] == 20 * 6 * 3 * 2  # every format x mode x overflow x tininess


def test_generate_reports_and_writes(capsys, tmp_path):
    rc, out, err = run(capsys, "golden", "generate", "--suite", "decode", "--out", str(tmp_path / "v"))
    assert rc == 0 and "wrote" in out and "vectors" in out
    assert err == ""  # no progress output when stderr is not a terminal
    assert (tmp_path / "v" / "MANIFEST.json").is_file()


def test_generate_options(capsys, tmp_path):
    out = tmp_path / "v"
    rc, _, _ = run(capsys, "golden", "generate", "--suite", "convert_f32", "--only", "*e5m2.rtz*", "--seed", "7",
                   "--count", "10", "--outputs", "tv", "--out", str(out))
    assert rc == 0
    files = sorted(os.listdir(out / "convert_f32"))
    assert files == ["f32_to_e5m2.rtz.ovf_inf.tafter.json", "f32_to_e5m2.rtz.ovf_inf.tafter.tv",
                     "f32_to_e5m2.rtz.sat_finite.tafter.json", "f32_to_e5m2.rtz.sat_finite.tafter.tv"]
    man = json.loads((out / "MANIFEST.json").read_text())
    assert man["regenerate"] == ("fp8ref golden generate --suite convert_f32 --only '*e5m2.rtz*' --seed 7 "
                                 "--count 10 --outputs tv,json --out DIR")
    side = json.loads((out / "convert_f32" / "f32_to_e5m2.rtz.ovf_inf.tafter.json").read_text())
    assert side["seed"] == 7 and [g for g in side["generators"] if g["id"] == "random"][0]["count"] == 10
    rc, o, _ = run(capsys, "golden", "verify", str(out))
    assert rc == 0 and "OK" in o


@pytest.mark.parametrize("argv, msg", [
    (["--suite", "nope"], "unknown suite 'nope'; valid suites: convert_f32"),
    (["--only", "no-such-file*"], "matched nothing"),
    (["--outputs", "tv,xml"], "unknown output kind"),
    (["--count", "-1"], "count must be"),
    (["--seed", "banana"], "not an integer"),
])
def test_generate_errors(capsys, tmp_path, argv, msg):
    rc, out, err = run(capsys, "golden", "generate", *argv, "--out", str(tmp_path / "x"))
    assert rc == 2 and msg in err and "error:" in err
    assert not (tmp_path / "x").exists()


def test_generate_unwritable(capsys, tmp_path):
    rc, _, err = run(capsys, "golden", "generate", "--suite", "decode", "--out", str(tmp_path / "a" / "b"))
    assert rc == 2 and "does not exist" in err
    if os.geteuid() != 0:  # root ignores permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            rc, _, err = run(capsys, "golden", "generate", "--suite", "decode", "--out", str(ro / "v"))
            assert rc == 2 and "not writable" in err
        finally:
            ro.chmod(0o755)


@pytest.mark.parametrize("name", [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)])
def test_generate_killed_by_signal_leaves_nothing(tmp_path, name):
    """SIGTERM/SIGHUP mid-way clean up like Ctrl-C: no temporary directory, no DIR, 128 + N."""
    sig = getattr(signal, name)
    p = subprocess.Popen([sys.executable, "-m", "fp8ref", "golden", "generate", "--full", "--suite", "convert_f16",
                          "--out", str(tmp_path / "v")], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, "PYTHONPATH": REPO})
    deadline = time.monotonic() + 120
    while not any(".tmp-" in n for n in os.listdir(tmp_path)):
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()
        time.sleep(0.02)
    time.sleep(0.3)  # well inside the writing (about 20 s)
    p.send_signal(sig)
    err = p.communicate(timeout=60)[1].decode()
    assert p.returncode == 128 + sig, err
    assert os.listdir(tmp_path) == []


def test_verify_and_diff_exit_codes(capsys, cli_set, tmp_path):
    rc, out, _ = run(capsys, "golden", "verify", str(cli_set))
    assert rc == 0 and out.strip().endswith("OK")
    rc, out, _ = run(capsys, "golden", "verify", "--hashes-only", str(cli_set))
    assert rc == 0
    rc, out, _ = run(capsys, "golden", "diff", str(cli_set), str(cli_set))
    assert rc == 0
    rc, _, err = run(capsys, "golden", "verify", str(tmp_path))
    assert rc == 2 and "no MANIFEST.json" in err


def test_verify_and_diff_show_both_inputs_when_an_input_differs(capsys, cli_set, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(cli_set, bad)
    p = bad / (STEM + ".tv")
    lines = p.read_text().splitlines(keepends=True)
    a, z, fl = lines[40].split()
    assert a != "3FF0000000000000"
    lines[40] = f"3FF0000000000000 {z} {fl}\n"  # the input field corrupted, the results not
    p.write_text("".join(lines))
    for argv, side in ((("verify", str(bad)), "in file"), (("diff", str(cli_set), str(bad)), "B")):
        rc, out, _ = run(capsys, "golden", *argv)
        row = [ln for ln in out.splitlines() if ln.strip().startswith("41 ")][0]
        assert rc == 1 and a in row and f"inputs ({side}: 3FF0000000000000 (1.0))" in row, out


def _expected(cli_set):
    return (cli_set / (STEM + ".tv")).read_text().splitlines()


def test_check_pass_all_dut_shapes(capsys, cli_set, tmp_path):
    lines = _expected(cli_set)
    vec = str(cli_set / (STEM + ".tv"))
    shapes = {
        "full": "\n".join(lines),
        "results+flags": "\n".join(" ".join(ln.split()[1:]) for ln in lines),
        "results": "// DUT results only\n" + "\n".join("0x" + ln.split()[1].lower() for ln in lines),
        "memh-like": "\n".join("_".join(ln.split()[1:]) + "  # z_flags" for ln in lines),
    }
    for name, text in shapes.items():
        p = tmp_path / f"{name}.txt"
        p.write_text(text + "\n")
        rc, out, _ = run(capsys, "golden", "check", vec, str(p))
        assert rc == 0, (name, out)
        assert f"all {len(lines)} vectors match" in out
    # the memh file works as VECTORS too
    rc, out, _ = run(capsys, "golden", "check", str(cli_set / (STEM + ".memh")), str(tmp_path / "full.txt"))
    assert rc == 0


def test_check_reports_mismatches(capsys, cli_set, tmp_path):
    lines = _expected(cli_set)
    vec = str(cli_set / (STEM + ".tv"))
    ovf = [i for i, ln in enumerate(lines) if ln.endswith(" 7E 05")]  # saturated: 448, OF|NX
    i_ovf, i_ovf2 = ovf[0], ovf[1]
    dut = [" ".join(ln.split()[1:]) for ln in lines]
    dut[i_ovf] = "7F 05"  # NaN instead of saturating to 448
    dut[i_ovf2] = "7E 01"  # overflow flag missing
    dut[5] = "xx 00"  # unknown from the simulator
    p = tmp_path / "dut.txt"
    p.write_text("\n".join(dut) + "\n")
    rc, out, _ = run(capsys, "golden", "check", vec, str(p))
    assert rc == 1
    assert "3 of %d vectors mismatch" % len(lines) in out
    assert "7F (nan)" in out and "7E (448.0)" in out  # both decoded
    assert "-OF" in out and "flags" in out and "result" in out
    row = [ln for ln in out.splitlines() if ln.strip().startswith(str(i_ovf + 1) + " ")][0]
    assert "(4" in row  # the f64 input shown decoded (46x.x)
    # the missing overflow flag is ignored under a mask without OF
    rc, out, _ = run(capsys, "golden", "check", "--flags-mask", "0x1B", vec, str(p))
    assert rc == 1 and "2 of" in out
    rc, out, _ = run(capsys, "golden", "check", "--no-flags", vec, str(p))
    assert "2 of" in out


def test_check_nan_leniency_misalignment_and_missing(capsys, cli_set, tmp_path):
    lines = _expected(cli_set)
    vec = str(cli_set / (STEM + ".tv"))
    i_nan = next(i for i, ln in enumerate(lines) if ln.split()[1] == "7F")
    dut = [" ".join(ln.split()[1:]) for ln in lines]
    dut[i_nan] = "FF " + dut[i_nan].split()[1]  # the other NaN code
    p = tmp_path / "nan.txt"
    p.write_text("\n".join(dut) + "\n")
    rc, _, _ = run(capsys, "golden", "check", vec, str(p))
    assert rc == 0
    rc, out, _ = run(capsys, "golden", "check", "--check-nans", vec, str(p))
    assert rc == 1 and "1 of" in out
    # full lines with shifted inputs: misalignment is reported
    full = lines[1:] + lines[:1]
    p.write_text("\n".join(full) + "\n")
    rc, out, _ = run(capsys, "golden", "check", vec, str(p))
    assert rc == 1 and "inputs differ (misaligned?)" in out
    # truncated output: missing lines are mismatches
    p.write_text("\n".join(lines[:10]) + "\n")
    rc, out, _ = run(capsys, "golden", "check", vec, str(p))
    assert rc == 1 and f"({len(lines) - 10} missing from the DUT output)" in out and "(missing)" in out


def test_check_errors(capsys, cli_set, tmp_path):
    vec = str(cli_set / (STEM + ".tv"))
    p = tmp_path / "bad.txt"
    p.write_text("7E 00 00 00 00\n")
    rc, _, err = run(capsys, "golden", "check", vec, str(p))
    assert rc == 2 and "5 fields; expected 3" in err
    p.write_text("\n".join(_expected(cli_set) * 2) + "\n")
    rc, _, err = run(capsys, "golden", "check", vec, str(p))
    assert rc == 2 and "has only" in err
    lonely = tmp_path / "lonely.tv"
    lonely.write_text("00 00 00\n")
    rc, _, err = run(capsys, "golden", "check", str(lonely), str(p))
    assert rc == 2 and "no sidecar" in err
    rc, _, err = run(capsys, "golden", "check", vec, str(tmp_path / "none.txt"))
    assert rc == 2


@pytest.mark.parametrize("bad", ["garbage", "7E 0G", "0x 00", "7E_00_zz!", "-7E 01"])
def test_check_malformed_dut_line_is_an_error(capsys, cli_set, tmp_path, bad):
    vec = str(cli_set / (STEM + ".tv"))
    dut = [" ".join(ln.split()[1:]) for ln in _expected(cli_set)]
    p = tmp_path / "dut.txt"
    dut[5] = bad
    p.write_text("\n".join(dut) + "\n")
    rc, out, err = run(capsys, "golden", "check", vec, str(p))
    assert rc == 2 and out == "" and f"{p} line 6: not a hex field" in err
    dut[5] = "zz 00"  # x/z digits are a simulator's unknowns: a mismatch, not a malformed line
    p.write_text("\n".join(dut) + "\n")
    rc, out, _ = run(capsys, "golden", "check", vec, str(p))
    assert rc == 1 and "1 of" in out


def test_console_entry_point_runs(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-m", "fp8ref.cli", "golden", "list"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "convert_f32" in r.stdout


def test_check_block_file_names_the_differing_element(capsys, tmp_path):
    pytest.importorskip("fp8ref.blocks")
    out = tmp_path / "v"
    assert main(["golden", "generate", "--suite", "mx", "--only", "mx/quantize_e2m1fn.floor.rne", "--out", str(out)]) == 0
    capsys.readouterr()
    vec = out / "mx" / "quantize_e2m1fn.floor.rne.tv"
    lines = vec.read_text().splitlines()
    dut = [" ".join(ln.split()[32:]) for ln in lines]  # results only: scale z0..z31
    toks = dut[3].split()
    toks[1 + 17] = "%X" % (int(toks[1 + 17], 16) ^ 0x8)  # flip the sign of z17
    dut[3] = " ".join(toks)
    p = tmp_path / "dut.txt"
    p.write_text("\n".join(dut) + "\n")
    rc, text, _ = run(capsys, "golden", "check", str(vec), str(p))
    assert rc == 1 and "1 of %d vectors mismatch" % len(lines) in text
    row = [ln for ln in text.splitlines() if ln.strip().startswith("4 ")][0]
    assert "z17=" in row and "z16=" not in row and "note:" not in text
