"""scripts/float32_digests.py: chunking, ordering, parallelism and hashing on a small range
against a direct computation (ml_dtypes where it applies), and the committed digests file."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys

import ml_dtypes
import numpy as np
import pytest

from .conftest import COMMITTED, REPO

_spec = importlib.util.spec_from_file_location("float32_digests", os.path.join(REPO, "scripts", "float32_digests.py"))
F = importlib.util.module_from_spec(_spec)
sys.modules["float32_digests"] = F  # worker processes unpickle its functions by module name
_spec.loader.exec_module(F)

START, BITS, NCHUNK = 0x43E00000, 16, 4  # 448.0 upwards: crosses E4M3FN's overflow threshold


@pytest.mark.parametrize("jobs", [1, 2])
def test_digest_vs_ml_dtypes(jobs):
    stop = START + NCHUNK * (1 << BITS)
    d = F.digest("e4m3fn", F.parse_policy("rne:ovf_inf"), START, stop, BITS, jobs=jobs)
    x = np.arange(START, stop, dtype=np.uint64).astype(np.uint32).view(np.float32)
    ref = x.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)  # positive inputs: NaN is 0x7F in both
    assert d["codes_sha256"] == hashlib.sha256(ref.tobytes()).hexdigest()
    step = 1 << BITS
    assert d["chunks"]["codes"] == [hashlib.sha256(ref[i * step:(i + 1) * step].tobytes()).hexdigest()
                                    for i in range(NCHUNK)]
    # flags: inexact except exact codes, overflow above 464 (fractions-free: from the values)
    v = x.astype(np.float64)
    want = np.where(v > 464, 0x05, np.where(np.isin(v, [448.0]), 0x00, 0x01)).astype(np.uint8)
    assert d["flags_sha256"] == hashlib.sha256(want.tobytes()).hexdigest()


def test_digest_uint16_code_stream():
    stop = START + 2 * (1 << BITS)
    d = F.digest("bf16", F.parse_policy("rne:sat_finite"), START, stop, BITS, jobs=1)
    x = np.arange(START, stop, dtype=np.uint64).astype(np.uint32).view(np.float32)
    ref = x.astype(ml_dtypes.bfloat16).view(np.uint16).astype("<u2")  # no overflow in this range
    assert d["codes_sha256"] == hashlib.sha256(ref.tobytes()).hexdigest()


def test_digest_uint32_code_stream_for_tf32():
    """tf32's 19-bit codes go out as little-endian uint32 (a uint16 stream would drop bits)."""
    lo = 0x3F800000
    d = F.digest("tf32", F.parse_policy("rne:ovf_inf"), lo, lo + (1 << BITS), BITS, jobs=1)
    u = np.arange(lo, lo + (1 << BITS), dtype=np.uint64)
    ref = ((u + 0xFFF + ((u >> 13) & 1)) >> 13).astype("<u4")  # RNE to 10 fraction bits: the top 19 bits
    assert d["codes_sha256"] == hashlib.sha256(ref.tobytes()).hexdigest()


def test_digest_rejects_unaligned_ranges():
    with pytest.raises(ValueError, match="chunk-aligned"):
        F.digest("e4m3fn", F.parse_policy("rne:ovf_inf"), 5, 1 << 20, 16)
    with pytest.raises(ValueError):
        F.parse_policy("rne")


def test_main_merges_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(F, "digest", lambda name, pol, chunk_bits, jobs: {"codes_sha256": name, "flags_sha256": "",
                                                                          "chunks": {"codes": [], "flags": []}})
    F.main(["--out", str(tmp_path), "--formats", "e4m3fn", "--policies", "rne:ovf_inf", "--jobs", "1"])
    F.main(["--out", str(tmp_path), "--formats", "e5m2", "--policies", "rtz:sat_finite:before", "--jobs", "1"])
    data = json.loads((tmp_path / "float32_digests.json").read_text())
    assert sorted(data["digests"]) == ["e4m3fn.rne.ovf_inf.tafter", "e5m2.rtz.sat_finite.tbefore"]
    assert data["digests"]["e5m2.rtz.sat_finite.tbefore"]["policy"]["tininess"] == "before"


def _fake_digest(name, pol, chunk_bits, jobs):
    return {"codes_sha256": hashlib.sha256(name.encode()).hexdigest(), "flags_sha256": "0" * 64,
            "chunks": {"codes": ["0" * 64] * 256, "flags": ["0" * 64] * 256}}


def test_main_records_the_digests_in_the_sets_manifest(tmp_path, monkeypatch):
    """Into a vector set: MANIFEST.json and SHA256SUMS record the file, as generate would, and
    verify catches an edited digest (the audit's case: one codes_sha256 zeroed)."""
    from fp8ref.golden import Selection, generate, verify

    out = tmp_path / "set"
    generate(str(out), Selection(suites=("decode",)), progress=False)
    monkeypatch.setattr(F, "digest", _fake_digest)
    F.main(["--out", str(out), "--formats", "e4m3fn", "--policies", "rne:ovf_inf", "--jobs", "1"])
    man = json.loads((out / "MANIFEST.json").read_text())
    raw = (out / "float32_digests.json").read_bytes()
    assert man["float32_digests"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert man["float32_digests"]["entries"] == {
        "e4m3fn.rne.ovf_inf.tafter": {"codes_sha256": hashlib.sha256(b"e4m3fn").hexdigest(), "flags_sha256": "0" * 64}}
    assert verify(str(out), recompute=False).ok
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    generate(str(out), Selection(suites=("decode",)), progress=False)  # regenerating gives the same bytes
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    data = json.loads(raw)
    data["digests"]["e4m3fn.rne.ovf_inf.tafter"]["codes_sha256"] = "0" * 64
    (out / "float32_digests.json").write_text(json.dumps(data))
    rep = verify(str(out), recompute=False)
    assert not rep.ok and "corrupted: float32_digests.json" in rep.text()


COMMITTED_DIGESTS = os.path.join(COMMITTED, "float32_digests.json")


@pytest.mark.skipif(not os.path.isfile(COMMITTED_DIGESTS), reason="no committed float32_digests.json")
def test_committed_digests_recompute_on_sample_chunks():
    with open(COMMITTED_DIGESTS) as f:
        data = json.load(f)
    assert data["schema"] == F.SCHEMA and data["chunk_bits"] == 24
    for key in ("e4m3fn.rne.ovf_inf.tafter", "e4m3fn.rne.sat_finite.tafter",
                "e5m2.rne.ovf_inf.tafter", "e5m2.rne.sat_finite.tafter"):
        assert key in data["digests"], key
    for key, e in data["digests"].items():
        assert len(e["chunks"]["codes"]) == len(e["chunks"]["flags"]) == 256
        assert len(e["codes_sha256"]) == len(e["flags_sha256"]) == 64
    # recompute two chunks of one entry (1.0 .. and the overflow region of e4m3fn)
    e = data["digests"]["e4m3fn.rne.ovf_inf.tafter"]
    pol = {k: e["policy"][k] for k in ("rounding", "overflow", "tininess")}
    for chunk in (0x3F, 0x43):
        lo = chunk << 24
        d = F.digest("e4m3fn", pol, lo, lo + (1 << 24), 24, jobs=1)
        assert d["chunks"]["codes"][0] == e["chunks"]["codes"][chunk]
        assert d["chunks"]["flags"][0] == e["chunks"]["flags"][chunk]


_ospec = importlib.util.spec_from_file_location("float32_digests_oracle",
                                                os.path.join(REPO, "scripts", "float32_digests_oracle.py"))
O = importlib.util.module_from_spec(_ospec)
_ospec.loader.exec_module(O)

#: float32 patterns where the oracle adjustments matter: zero/subnormals, 1.0, the E4M3/E5M2/HiF8
#: overflow thresholds, float32 max, Inf and NaNs, negatives, the narrow formats' subnormal ranges
_EDGE_STARTS = (0x00000000, 0x3F800000, 0x43600000, 0x43E00000, 0x47600000, 0x7F7F0000, 0x7F800000,
                0x7FFF0000, 0x80000000, 0xC3E00000, 0xFF800000, 0x33000000, 0x3B000000,
                0x003FE000, 0x005FE000,  # UE8M0: 2^-127 and 1.5 * 2^-127 (float32 subnormals)
                0x007FC000, 0x807FC000, 0x00400000, 0x3C7FC000, 0x387FC000)  # top subnormal binades


@pytest.mark.parametrize("overflow", ["ovf_inf", "sat_finite"])
@pytest.mark.parametrize("fmt", sorted(O.ORACLES))
def test_oracle_script_agrees_with_the_digest_stream_on_edge_ranges(fmt, overflow):
    """scripts/float32_digests_oracle.py (ml_dtypes / numpy / en_dtypes casts, adjusted by its
    stated rules) gives the same code bytes, and its flag rules the same flag bytes under both
    tininess rules, as the digest script on 2^14-input slices at the edges; the full 2^32
    comparison is the script's own job (docs/golden-vectors.md §6)."""
    import fp8ref

    nan = fp8ref.get_format(fmt).canonical_nan
    for tininess in ("after", "before"):
        pol = F.parse_policy(f"{O.ROUNDING.get(fmt, 'rne')}:{overflow}:{tininess}")
        for lo in _EDGE_STARTS:
            hi = lo + (1 << 14)
            codes, flags = F.encode_range(fmt, pol, lo, hi)
            assert O._chunk((fmt, overflow, lo, hi, nan)) == codes, hex(lo)
            if fmt not in O.NO_FLAGS:
                assert O._flag_chunk((fmt, overflow, tininess, lo, hi)) == flags, (tininess, hex(lo))


def test_oracle_flags_catch_the_issue15_underflow_bug():
    """The flag oracle on the issue-15 inputs: float32 subnormals 0x007FC000 .. 0x007FFFFF (bf16)
    and 0x007FF800 .. 0x007FFFFF (tf32) round up to 2^-126 under RNE, also with unbounded
    exponent: inexact, not tiny after rounding (the old key table said inexact|underflow); the
    pattern just below each range rounds down with unbounded exponent: tiny."""
    for fmt, lo in (("bf16", 0x007FC000), ("tf32", 0x007FF800)):
        f = np.frombuffer(O._flag_chunk((fmt, "ovf_inf", "after", lo, 0x00800000)), np.uint8)
        assert set(f.tolist()) == {0x01}
        g = np.frombuffer(O._flag_chunk((fmt, "ovf_inf", "before", lo, 0x00800000)), np.uint8)
        assert set(g.tolist()) == {0x03}
        assert O._flag_chunk((fmt, "ovf_inf", "after", lo - 1, lo)) == bytes([0x03])


#: 0.5..2 (ordinary rounding), the top binades with +Inf and NaNs, negatives around 448,
#: negative zero and float32 subnormals (underflow), positive zero and subnormals (UE8M0's bottom)
_CHUNKS = (0x3F, 0x7F, 0xC3, 0x80, 0x00)
#: flags: overflow, Inf and NaNs (0x7F); negative subnormals and the bottom binades, where
#: tininess is decided (0x80: the issue-15 inputs -0x007FC000 .. -0x007FFFFF among them)
_FLAG_CHUNKS = (0x7F, 0x80)


@pytest.mark.skipif(not os.path.isfile(COMMITTED_DIGESTS), reason="no committed float32_digests.json")
def test_committed_digest_chunks_match_the_oracles():
    """Four 2^24-input chunks of every committed entry that has an oracle (ml_dtypes, numpy
    float16 (also scaled, for tf32), en_dtypes), recomputed by the oracle script's casts; two
    chunks of the flag streams by its flag rules."""
    import fp8ref

    with open(COMMITTED_DIGESTS) as f:
        data = json.load(f)
    checked = set()
    for key, e in data["digests"].items():
        name, pol = e["format"], e["policy"]
        if name not in O.ORACLES or pol["rounding"] != O.ROUNDING.get(name, "rne") or pol["below_range"] != "nan":
            continue
        for chunk in _CHUNKS:
            b = O._chunk((name, pol["overflow"], chunk << 24, (chunk + 1) << 24, fp8ref.get_format(name).canonical_nan))
            assert hashlib.sha256(b).hexdigest() == e["chunks"]["codes"][chunk], (key, hex(chunk))
        for chunk in _FLAG_CHUNKS if name not in O.NO_FLAGS else ():
            b = O._flag_chunk((name, pol["overflow"], pol["tininess"], chunk << 24, (chunk + 1) << 24))
            assert hashlib.sha256(b).hexdigest() == e["chunks"]["flags"][chunk], (key, hex(chunk), "flags")
        checked.add(key)
    assert len(checked) >= 18 and "ue8m0.rna.ovf_inf.tafter" in checked, sorted(checked)
