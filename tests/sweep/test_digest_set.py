"""Digest sets (fp8ref.golden.digest_set): written one entry at a time, resumed, indexed the same
whatever the order, verified (edits, corruption, missing files caught); the committed
golden_digests/ holds every standard entry and its 16-bit-source entries regenerate byte for
byte (the float32 ones: sample chunks, and the oracles in tests/golden/test_float32_digests.py)."""

from __future__ import annotations

import json
import os

import pytest

from fp8ref import sweep as S
from fp8ref.golden import digest_set as D
from fp8ref.golden import verify

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMITTED = os.path.join(REPO, "golden_digests")
SMALL = [S.Sweep.of("e5m2", source="f16"), S.Sweep.of("e2m1fn", rounding="rtz", source="bf16"),
         S.Sweep.of("ue8m0", source="f16", overflow="sat_finite", tininess="before")]


def _listing(d):
    out = {}
    for root, _, files in os.walk(d):
        for n in files:
            with open(os.path.join(root, n), "rb") as f:
                out[os.path.relpath(os.path.join(root, n), d)] = f.read()
    return out


def test_write_resumes_and_indexes_independently_of_order(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    D.write(str(a), SMALL)
    D.write(str(b), SMALL[::-1][:2])
    calls = []
    real = D.sweep_range
    monkeypatch.setattr(D, "sweep_range", lambda spec, **kw: calls.append(spec) or real(spec, **kw))
    D.write(str(b), SMALL)  # resumes: only the missing entry is computed
    assert calls == [SMALL[0]]
    assert _listing(a) == _listing(b)
    man = json.loads((a / "MANIFEST.json").read_text())
    assert man["schema"] == D.SCHEMA and man["totals"] == {"float32": 0, "float16": 2, "bfloat16": 1}
    assert sorted(man["entries"]) == sorted(D.entry_name(s) for s in SMALL)
    calls.clear()
    D.write(str(b), SMALL[:1], redo=True)
    assert calls == [SMALL[0]] and _listing(a) == _listing(b)


def test_verify_catches_edits_corruption_and_missing_files(tmp_path):
    d = tmp_path / "set"
    D.write(str(d), SMALL)
    assert D.is_digest_set(str(d)) and not D.is_digest_set(str(tmp_path))
    rep = verify(str(d))  # the golden verify entry point dispatches to the digest set's checks
    assert rep.ok, rep.text()
    assert "recomputed 3 entries (sample chunks): 3 identical" in rep.text()
    e = d / "float16" / "e5m2.rne.ovf_inf.tafter.json"
    data = json.loads(e.read_text())
    data["chunks"]["codes"][5] = "0" * 64  # a consistent edit: file, manifest and sums redone
    e.write_text(json.dumps(data))
    D._index(str(d))
    rep = verify(str(d))
    assert not rep.ok and "differs from recomputation: float16/e5m2.rne.ovf_inf.tafter: chunk 0x05 codes" in rep.text()
    assert verify(str(d), recompute=False).ok  # only recomputation sees a consistent edit
    e.write_text(e.read_text() + " ")  # corrupted against SHA256SUMS
    rep = verify(str(d), recompute=False)
    assert not rep.ok and "corrupted: float16/e5m2.rne.ovf_inf.tafter.json" in rep.text()
    e.unlink()
    rep = verify(str(d), recompute=False)
    assert "missing file: float16/e5m2.rne.ovf_inf.tafter.json" in rep.text()
    (d / "bfloat16" / "e2m1fn.rtz.ovf_inf.tafter.json").write_text("{}")
    rep = verify(str(d), recompute=False)
    assert not rep.ok and "malformed digest entry" in rep.text()


def test_write_refuses_a_directory_that_is_not_a_digest_set(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OSError, match="not a digest set"):
        D.write(str(tmp_path), SMALL[:1])


def test_standard_entries():
    """Every format x every deterministic mode its codec defines (default overflow, tininess
    after) + every overflow mode under RNE and the format's default rounding, both tininess
    rules; from float32, float16 and bfloat16."""
    import fp8ref
    from fp8ref.policy import OVERFLOW_MODES

    names = {D.entry_name(s) for s in D.standard()}
    assert len(names) == 3 * 307
    for fmt in fp8ref.list_formats():
        for src in ("float32", "float16", "bfloat16"):
            for o in OVERFLOW_MODES:
                for t in ("after", "before"):
                    assert f"{src}/{fmt}.rne.{o}.t{t}" in names
    assert "float32/hif8.hybrid.ovf_inf.tafter" in names and "float32/hif8.rna.sat_finite.tafter" in names
    assert "float32/posit8_es0.rtz.ovf_inf.tafter" not in names  # posits define RNE only
    assert sum(n.startswith("float32/e4m3fn.") for n in names) == 13  # rne rna rnz rtz rup rdn rto raz + rne x 3 overflow x 2 tininess - 1


#: fp8ref 0.1's golden_vectors/float32_digests.json (30 entries), now float32/ entries here
V01 = ([f"{f}.rne.{o}.tafter" for f in ("e4m3fn", "e5m2", "fp16") for o in ("ovf_inf", "sat_finite")]
       + [f"{f}.rne.sat_finite.tafter" for f in ("e4m3fnuz", "e5m2fnuz", "e4m3b11fnuz", "e4m3", "e3m4", "e2m3fn",
                                                 "e3m2fn", "e2m1fn", "bf16", "posit8_es0", "posit8_es1", "posit8_es2")]
       + [f"p3109_8p{p}.rne.sat_finite.tafter" for p in range(1, 8)]
       + ["hif8.rna.ovf_inf.tafter", "hif8.rna.sat_finite.tafter", "ue8m0.rne.ovf_inf.tafter",
          "ue8m0.rna.ovf_inf.tafter", "tf32.rne.ovf_inf.tafter"])


@pytest.mark.skipif(not os.path.isdir(COMMITTED), reason="golden_digests/ not present")
def test_committed_digest_set_is_consistent():
    """The committed set holds standard entries only: every float16/bfloat16-source entry, fp8ref
    0.1's 30 float32 entries and more float32 ones (docs/golden-vectors.md §6 lists the float32
    entries still to compute: ``fp8ref sweep --all --out golden_digests`` adds them); its files,
    manifest and SHA256SUMS agree."""
    man = json.loads(open(os.path.join(COMMITTED, "MANIFEST.json")).read())
    names = set(man["entries"])
    std = {D.entry_name(s) for s in D.standard()}
    assert len(V01) == 30 and names <= std, sorted(names - std)
    assert {n for n in std if not n.startswith("float32/")} <= names
    assert {f"float32/{k}" for k in V01} <= names
    rep = verify(COMMITTED, recompute=False)
    assert rep.ok, rep.text()


@pytest.mark.skipif(not os.path.isdir(COMMITTED), reason="golden_digests/ not present")
def test_committed_16_bit_source_entries_regenerate_byte_for_byte(tmp_path):
    """`fp8ref sweep --all --out golden_digests` reproduces the committed files; here for every
    float16/bfloat16-source entry (2^16 inputs each), so every file but the float32 ones."""
    specs = [s for s in D.standard() if s.source != "float32"]
    D.write(str(tmp_path), specs)
    want = _listing(COMMITTED)
    got = _listing(tmp_path)
    for name in got:
        if name not in ("MANIFEST.json", "SHA256SUMS"):
            assert got[name] == want[name], name
