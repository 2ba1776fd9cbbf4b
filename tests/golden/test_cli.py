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


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or not hasattr(signal, "raise_signal"), reason="no SIGTERM")
def test_signal_landing_inside_a_c_callback_still_exits():
    """A SIGTERM whose handler runs inside a ctypes callback (as inside llvmlite's object-cache hook
    while Numba compiles) is swallowed there; the CLI sends it again, so the command still exits
    with 128 + 15 once the callback returns (CI saw `golden generate` finish with 0 otherwise)."""
    import ctypes

    from fp8ref import cli

    ran = []

    def body():
        signal.raise_signal(signal.SIGTERM)
        ran.extend(range(100))  # the handler runs here, inside the callback: ctypes ignores its SystemExit

    callback = ctypes.CFUNCTYPE(None)(body)
    with pytest.raises(SystemExit) as e:
        with cli._signals_exit():
            callback()
            ran.extend(range(100))
            time.sleep(5)  # ... and the signal sent again lands here
            pytest.fail("the signal was lost")
    assert e.value.code == 128 + signal.SIGTERM and len(ran) in (100, 200)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers and hook restored


@pytest.mark.parametrize("name", [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)])
def test_generate_killed_by_signal_leaves_nothing(tmp_path, name):
    """SIGTERM/SIGHUP mid-way clean up like Ctrl-C: no temporary directory, no DIR, 128 + N."""
    sig = getattr(signal, name)
    # the full arith tier (4,553 file sets, minutes of writing): still writing when the signal
    # lands, however fast the codecs get (convert_f16 alone could finish within the wait below)
    # the child starts with the signal's default action: under nohup the runner's SIGHUP is ignored,
    # a child inherits that, and the CLI rightly leaves an ignored signal ignored
    p = subprocess.Popen([sys.executable, "-m", "fp8ref", "golden", "generate", "--full", "--suite", "arith",
                          "--out", str(tmp_path / "v")], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, "PYTHONPATH": REPO}, preexec_fn=lambda: signal.signal(sig, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not any(".tmp-" in n for n in os.listdir(tmp_path)):
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()
        time.sleep(0.02)
    time.sleep(0.3)  # well inside the writing
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


# ---- check verifies the vector file against its sidecar first (issue 15 §5.3) -------------------
def _copy_pair(cli_set, tmp_path, stem=STEM, exts=("tv", "memh", "json")):
    """The vector file(s) and sidecar of ``stem`` copied under tmp_path (same names)."""
    for ext in exts:
        shutil.copy(cli_set / f"{stem}.{ext}", tmp_path / f"{os.path.basename(stem)}.{ext}")
    return tmp_path / os.path.basename(stem)


def _ext(base, ext):
    return base.parent / f"{base.name}.{ext}"  # (stems hold dots: no with_suffix)


def _one_line_error(rc, out, err):
    assert rc == 2 and out == "", out
    assert err.startswith("fp8ref: error: ") and err.count("\n") == 1, err
    return err


def test_check_refuses_an_edited_vector_file(capsys, cli_set, tmp_path):
    """An edited expected result matched by an equally wrong DUT line is not 'all match'."""
    base = _copy_pair(cli_set, tmp_path)
    lines = (_ext(base, "tv")).read_text().splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.endswith(" 7E 05"))
    a, _, fl = lines[i].split()
    lines[i] = f"{a} 7F {fl}"  # the vector now expects NaN where 448 is right
    (_ext(base, "tv")).write_text("\n".join(lines) + "\n")
    dut = tmp_path / "dut.txt"
    dut.write_text("\n".join(lines) + "\n")  # a DUT with the same bug
    err = _one_line_error(*run(capsys, "golden", "check", str(base) + ".tv", str(dut)))
    assert f"{base}.tv" in err and "SHA-256" in err and f"{base}.json" in err
    # the memh beside it is intact and still checks (the sidecar records both files)
    rc, out, _ = run(capsys, "golden", "check", str(base) + ".memh", str(cli_set / (STEM + ".tv")))
    assert rc == 0 and "all" in out


def test_check_refuses_a_sidecar_of_another_file(capsys, cli_set, tmp_path):
    """A sidecar of another format beside the file would decode the codes wrongly: refused."""
    base = _copy_pair(cli_set, tmp_path, exts=("tv", "memh"))
    other = "convert_f64/f64_to_e5m2.rne.sat_finite.tafter"
    shutil.copy(cli_set / f"{other}.json", _ext(base, "json"))
    for ext in ("tv", "memh"):
        err = _one_line_error(*run(capsys, "golden", "check", f"{base}.{ext}", str(cli_set / (STEM + ".tv"))))
        assert f"{base}.{ext}" in err and f"f64_to_e5m2.rne.sat_finite.tafter.{ext}" in err, err


def test_check_refuses_a_truncated_vector_file_naming_it(capsys, cli_set, tmp_path):
    base = _copy_pair(cli_set, tmp_path)
    tv = _ext(base, "tv")
    data = tv.read_bytes()
    tv.write_bytes(data[: len(data) // 2 + 5])  # cut in the middle of a line
    err = _one_line_error(*run(capsys, "golden", "check", str(tv), str(cli_set / (STEM + ".tv"))))
    assert str(tv) in err and "truncated" in err and str(len(data)) in err, err


def test_check_refuses_a_sidecar_whose_line_count_disagrees(capsys, cli_set, tmp_path):
    base = _copy_pair(cli_set, tmp_path)
    side = json.loads(_ext(base, "json").read_text())
    n = side["lines"]
    side["lines"] = n + 1
    _ext(base, "json").write_text(json.dumps(side))
    err = _one_line_error(*run(capsys, "golden", "check", f"{base}.tv", str(cli_set / (STEM + ".tv"))))
    assert f"{base}.tv" in err and f"{n} vector lines" in err and f"{n + 1}" in err, err


def test_check_accepts_a_renamed_intact_pair_with_a_note(capsys, cli_set, tmp_path):
    """Renamed together, unchanged: the hash proves the sidecar describes the file."""
    for ext in ("tv", "json"):
        shutil.copy(cli_set / f"{STEM}.{ext}", tmp_path / f"mine.{ext}")
    rc, out, _ = run(capsys, "golden", "check", str(tmp_path / "mine.tv"), str(cli_set / (STEM + ".tv")))
    assert rc == 0 and "all" in out
    assert "note: " in out and "f64_to_e4m3fn.rne.sat_finite.tafter.tv" in out


def test_check_takes_tv_or_memh_only(capsys, cli_set):
    err = _one_line_error(*run(capsys, "golden", "check", str(cli_set / (STEM + ".json")),
                               str(cli_set / (STEM + ".tv"))))
    assert ".tv or .memh" in err


# ---- errors name the file and line (issue 15 §5.10) ---------------------------------------------
def test_verify_corrupt_manifest_names_the_file(capsys, cli_set, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(cli_set, bad)
    m = bad / "MANIFEST.json"
    text = m.read_text()
    m.write_text(text[: len(text) // 2])
    err = _one_line_error(*run(capsys, "golden", "verify", str(bad)))
    assert str(m) in err and "not valid JSON" in err and "line " in err
    man = json.loads(text)
    del man["sets"]
    m.write_text(json.dumps(man))
    err = _one_line_error(*run(capsys, "golden", "verify", str(bad)))
    assert str(m) in err and "'sets'" in err


def test_verify_corrupt_sums_names_the_file_and_line(capsys, cli_set, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(cli_set, bad)
    s = bad / "SHA256SUMS"
    lines = s.read_text().splitlines()
    lines[2] = lines[2].replace("  ", " ")
    s.write_text("\n".join(lines) + "\n")
    err = _one_line_error(*run(capsys, "golden", "verify", str(bad)))
    assert f"{s} line 3" in err


def test_check_corrupt_sidecar_names_the_file(capsys, cli_set, tmp_path):
    base = _copy_pair(cli_set, tmp_path)
    side = _ext(base, "json")
    side.write_text(side.read_text()[:100])
    err = _one_line_error(*run(capsys, "golden", "check", f"{base}.tv", str(cli_set / (STEM + ".tv"))))
    assert str(side) in err and "not valid JSON" in err
    side.write_text(json.dumps({"schema": "fp8ref-vectors/1.0", "files": {}}))
    err = _one_line_error(*run(capsys, "golden", "check", f"{base}.tv", str(cli_set / (STEM + ".tv"))))
    assert str(side) in err


def test_read_vectors_names_the_file_and_line(tmp_path, cli_set):
    from fp8ref.golden import load_sidecar, read_vectors

    meta, _ = load_sidecar(str(cli_set / (STEM + ".tv")))
    p = tmp_path / "v.tv"
    p.write_text("3FF0000000000000 38 00\n3FF0000000000000 38\n")
    with pytest.raises(ValueError, match=rf"{p} line 2: expected 3 fields, got 2"):
        read_vectors(str(p), meta)


@pytest.mark.parametrize("shape", ["full", "results+flags"])
def test_check_dut_line_cut_mid_field_is_malformed(capsys, cli_set, tmp_path, shape):
    """A cut line is not read as a shorter shape (results only) nor as a matching value."""
    lines = _expected(cli_set)
    vec = str(cli_set / (STEM + ".tv"))
    dut = lines if shape == "full" else [" ".join(ln.split()[1:]) for ln in lines]
    p = tmp_path / "dut.txt"
    cut = list(dut)
    cut[6] = dut[6][: len(dut[6]) - 4]  # mid-line: one field fewer, the one before it cut
    p.write_text("\n".join(cut) + "\n")
    err = _one_line_error(*run(capsys, "golden", "check", vec, str(p)))
    assert f"{p} line 7" in err and "line 1" in err and "cut" in err, err
    # the file ends inside its last line, in the flags field: "7E 0" would read as a match
    last = len(dut) - 1
    text = "\n".join(dut)
    p.write_text(text[:-1])
    assert text[-2:] in ("00", "01", "02", "03", "04", "05", "10", "11")
    err = _one_line_error(*run(capsys, "golden", "check", vec, str(p)))
    assert f"{p} line {last + 1}" in err and "cut" in err, err
    p.write_text(text)  # the last line complete, without a newline: fine
    rc, out, _ = run(capsys, "golden", "check", vec, str(p))
    assert rc == 0, out


# ---- texts that say what is wrong (issue 15 §5.11) ----------------------------------------------
def test_verify_missing_or_file_dir_says_so(capsys, cli_set, tmp_path):
    err = _one_line_error(*run(capsys, "golden", "verify", str(tmp_path / "nodir")))
    assert f"{tmp_path / 'nodir'}: no such directory" in err and "vector set" not in err
    f = tmp_path / "afile"
    f.write_text("x")
    err = _one_line_error(*run(capsys, "golden", "verify", str(f)))
    assert f"{f} is a file, not a directory" in err
    err = _one_line_error(*run(capsys, "golden", "verify", str(tmp_path)))
    assert "is not a vector set: no MANIFEST.json" in err  # an existing directory without a set


def test_generate_out_under_a_file_says_so(capsys, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    err = _one_line_error(*run(capsys, "golden", "generate", "--suite", "decode", "--out", str(f / "sub")))
    assert f"{f} is a file, not a directory" in err and "does not exist" not in err
    err = _one_line_error(*run(capsys, "golden", "generate", "--suite", "decode", "--out", str(f / "a" / "b")))
    assert f"{f} is a file, not a directory" in err
    assert f.read_text() == "x"


def test_diff_missing_path_says_so(capsys, cli_set, tmp_path):
    err = _one_line_error(*run(capsys, "golden", "diff", str(cli_set), str(tmp_path / "none")))
    assert f"{tmp_path / 'none'}: no such file or directory" in err
    err = _one_line_error(*run(capsys, "golden", "diff", str(cli_set), str(cli_set / (STEM + ".tv"))))
    assert "a directory and a file" in err
