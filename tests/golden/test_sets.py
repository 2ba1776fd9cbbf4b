"""Whole sets: atomic generation (nothing partial on failure or Ctrl-C), replacement rules,
verify (corruption, missing files, edited manifest), diff, and byte-identical regeneration of
the committed ``golden_vectors/``."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from fp8ref.golden import Selection, diff, generate, verify
from fp8ref.golden import sets as sets_mod
from fp8ref.golden.writers import atomic_write

from .conftest import COMMITTED

SMALL = Selection(suites=("decode", "convert_f64"))


def listing(d):
    out = {}
    for r, _, fs in os.walk(d):
        for n in fs:
            p = os.path.join(r, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [False, True])
def test_failure_mid_way_leaves_nothing(tmp_path, monkeypatch, exc, existing):
    out = tmp_path / "set"
    if existing:
        generate(str(out), Selection(suites=("decode",)), progress=False)
    before = listing(tmp_path)
    real = sets_mod.render
    calls = []

    def flaky(spec, sel):
        calls.append(spec.stem)
        if len(calls) == 4:
            raise exc
        return real(spec, sel)

    monkeypatch.setattr(sets_mod, "render", flaky)
    with pytest.raises(type(exc)):
        generate(str(out), SMALL, progress=False)
    assert len(calls) == 4
    assert listing(tmp_path) == before  # old set intact, no temporary directory left
    assert sorted(os.listdir(tmp_path)) == (["set"] if existing else [])


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "f.tv"
    p.write_bytes(b"old\n")

    class Boom(Exception):
        pass

    def bad_replace(a, b):
        raise Boom()

    monkeypatch.setattr(os, "replace", bad_replace)
    with pytest.raises(Boom):
        atomic_write(str(p), b"new\n")
    monkeypatch.undo()
    assert p.read_bytes() == b"old\n" and os.listdir(tmp_path) == ["f.tv"]
    atomic_write(str(p), b"new\n")
    assert p.read_bytes() == b"new\n" and os.listdir(tmp_path) == ["f.tv"]


def test_replace_rules(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="refusing to replace"):
        generate(str(out), SMALL, progress=False)
    assert os.listdir(out) == ["notes.txt"]
    generate(str(out), SMALL, force=True, progress=False)
    assert "notes.txt" not in os.listdir(out)
    # an existing set is replaced as a whole (exhaustive digests live in their own set)
    (out / "decode" / "stray.tv").write_text("x")
    (out / "float32_digests.json").write_text("{}")
    generate(str(out), Selection(suites=("decode",)), progress=False)
    assert not (out / "decode" / "stray.tv").exists() and not (out / "convert_f64").exists()
    assert not (out / "float32_digests.json").exists()
    assert "float32_digests" not in json.loads((out / "MANIFEST.json").read_text())


def test_unwritable_locations(tmp_path):
    with pytest.raises(OSError, match="does not exist"):
        generate(str(tmp_path / "no" / "such" / "dir"), SMALL, progress=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        generate(str(tmp_path / "file" / "set"), SMALL, progress=False)
    with pytest.raises(ValueError, match="not a directory"):
        generate(str(tmp_path / "file"), SMALL, progress=False)


def test_unknown_suite_lists_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="valid suites: .*convert_f32"):
        generate(str(tmp_path / "x"), Selection(suites=("nope",)), progress=False)
    assert not (tmp_path / "x").exists()


@pytest.fixture()
def small_set(tmp_path):
    out = tmp_path / "s"
    generate(str(out), SMALL, progress=False)
    return out


def test_verify_ok(small_set):
    rep = verify(str(small_set))
    assert rep.ok, rep.text()
    assert "identical" in rep.text()


def test_verify_detects_corrupted_line(small_set):
    p = small_set / "convert_f64" / "f64_to_e4m3fn.rne.ovf_inf.tafter.tv"
    lines = p.read_text().splitlines(keepends=True)
    assert lines[40].split()[1] != "55"
    lines[40] = lines[40].split()[0] + " 55 " + lines[40].split()[2] + "\n"
    p.write_text("".join(lines))
    rep = verify(str(small_set))
    text = rep.text()
    assert not rep.ok and rep.mismatches == 1
    assert "corrupted: convert_f64/f64_to_e4m3fn.rne.ovf_inf.tafter.tv" in text
    assert "1 line(s) differ" in text and "    41  " in text and "55 (" in text  # line 41, decoded
    assert not verify(str(small_set), recompute=False).ok


def test_verify_detects_missing_and_extra_files(small_set):
    os.remove(small_set / "decode" / "e5m2_to_f32.memh")
    (small_set / "decode" / "extra.txt").write_text("hello")
    rep = verify(str(small_set))
    assert not rep.ok
    assert "missing file: decode/e5m2_to_f32.memh" in rep.text()
    assert "note: decode/extra.txt is not part of the set" in rep.text()


def test_verify_detects_edited_manifest(small_set):
    m = small_set / "MANIFEST.json"
    man = json.loads(m.read_text())
    man["sets"][0]["lines"] += 1
    m.write_text(json.dumps(man))
    rep = verify(str(small_set), recompute=False)
    assert not rep.ok and "MANIFEST.json: SHA-256 differs from SHA256SUMS" in rep.text()


def test_verify_rejects_non_sets_and_unknown_schema(tmp_path, small_set):
    with pytest.raises(ValueError, match="no MANIFEST.json"):
        verify(str(tmp_path))
    m = small_set / "MANIFEST.json"
    man = json.loads(m.read_text())
    man["schema"] = "fp8ref-vectors/2.0"
    m.write_text(json.dumps(man))
    with pytest.raises(ValueError, match="not supported"):
        verify(str(small_set))


def test_diff_sets_and_files(tmp_path, small_set):
    other = tmp_path / "o"
    generate(str(other), SMALL, progress=False)
    assert diff(str(small_set), str(other)).ok
    generate(str(other), Selection(suites=("decode", "convert_f64"), seed=2), progress=False)
    rep = diff(str(small_set), str(other))
    assert not rep.ok
    assert "differs: convert_f64/f64_to_e4m3fn.rne.ovf_inf.tafter.tv" in rep.text()
    assert "decode/e4m3fn_to_f32.tv" not in rep.text()  # no random cases: unchanged by the seed
    a = small_set / "convert_f64" / "f64_to_e5m2.rne.sat_finite.tafter.tv"
    b = other / "convert_f64" / "f64_to_e5m2.rne.sat_finite.tafter.tv"
    rep = diff(str(a), str(b))
    assert not rep.ok and rep.mismatches > 0 and "line(s) differ" in rep.text()
    assert diff(str(a), str(a)).ok
    with pytest.raises(ValueError):
        diff(str(a), str(small_set))


def test_same_arguments_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(str(a), SMALL, progress=False)
    generate(str(b), SMALL, progress=False)
    assert listing(a) == listing(b)


@pytest.mark.skipif(not os.path.isdir(COMMITTED), reason="golden_vectors/ not present")
def test_committed_set_regenerates_byte_identical(tmp_path):
    """`fp8ref golden generate --out golden_vectors` must reproduce the committed set exactly."""
    with open(os.path.join(COMMITTED, "MANIFEST.json")) as f:
        man = json.load(f)
    assert man["selection"] == Selection().as_dict(), "the committed set must be the default selection"
    out = tmp_path / "regen"
    generate(str(out), Selection(), progress=False)
    want = listing(COMMITTED)
    got = listing(out)
    assert sorted(got) == sorted(want), set(got) ^ set(want)
    bad = [k for k in want if want[k] != got[k]]
    assert not bad, f"{len(bad)} files differ, e.g. {bad[:3]}; regenerate with `fp8ref golden generate --out golden_vectors`"


def test_formats_registered_at_run_time_do_not_change_the_set(monkeypatch):
    """The suites pin their format lists: a user's format (registered in the global registry)
    adds no file to the default or the full tier."""
    import fp8ref
    from fp8ref.formats import registry

    before = {t: [s.stem for s in sets_mod.select(Selection(tier=t))[0]] for t in ("default", "full")}
    monkeypatch.setattr(registry, "_FORMATS", dict(registry._FORMATS))
    monkeypatch.setattr(registry, "_ALIASES", dict(registry._ALIASES))
    fp8ref.register(fp8ref.Format("e3m3_user", exp_bits=3, man_bits=3, bias=3, has_infinity=False, num_high_nans=1))
    assert "e3m3_user" in fp8ref.list_formats()
    after = {t: [s.stem for s in sets_mod.select(Selection(tier=t))[0]] for t in ("default", "full")}
    assert after == before
    assert not [s for s in after["full"] if "e3m3_user" in s]


def test_a_broken_suite_fails_loudly(tmp_path, monkeypatch):
    """A suite whose files cannot be listed (a lower layer's API changed under it) raises where it
    is used, instead of being reported as 'not available' and left out of the set."""
    from fp8ref.golden import suites

    def broken(tier):
        raise TypeError("quantize() got an unexpected keyword argument 'rounding'")

    monkeypatch.setattr(suites, "SUITES", {**suites.SUITES, "broken": suites.Suite("broken", "a broken suite", broken)})
    monkeypatch.setattr(sets_mod, "SUITES", suites.SUITES)
    with pytest.raises(TypeError, match="unexpected keyword"):
        sets_mod.select(Selection(only=("decode/e4m3fn_to_f32",)))
    with pytest.raises(TypeError, match="unexpected keyword"):
        generate(str(tmp_path / "v"), Selection(only=("decode/e4m3fn_to_f32",)), progress=False)
    assert not (tmp_path / "v").exists()


def test_suite_requires_and_note_are_deprecated():
    from fp8ref.golden.suites import Suite

    with pytest.warns(DeprecationWarning, match=r"requires=\.\.\., note=\.\.\.\): both are deprecated"):
        s = Suite("x", "t", lambda tier: [], requires=("fp8ref.blocks",), note="issue 4")
    assert s.files("full") == [] and not hasattr(s, "status")


def test_moved_suite_constants_still_read_from_suites_with_a_warning():
    from fp8ref.golden import convert_suites, suites

    with pytest.warns(DeprecationWarning, match="is fp8ref.golden.convert_suites.IEEE_FORMATS"):
        assert suites.IEEE_FORMATS is convert_suites.IEEE_FORMATS
    with pytest.raises(AttributeError):
        suites.NOT_A_NAME  # noqa: B018
