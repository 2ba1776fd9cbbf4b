"""fp8ref.sweep: chunking, ordering, parallelism and hashing against direct computations
(ml_dtypes where it applies, fp8ref.encode's public path everywhere), and the CLI."""

from __future__ import annotations

import hashlib
import json
import random
import time

import ml_dtypes
import numpy as np
import pytest

import fp8ref
from fp8ref import sweep as S
from fp8ref.cli import main
from fp8ref.golden import digest_set as D

START, BITS, NCHUNK = 0x43E00000, 16, 4  # 448.0 upwards: crosses E4M3FN's overflow threshold


def _sha(b):
    return hashlib.sha256(np.ascontiguousarray(b).tobytes()).hexdigest()


def _inputs(lo, hi):
    return np.arange(lo, hi, dtype=np.uint64).astype(np.uint32).view(np.float32)


@pytest.mark.parametrize("jobs", [1, 2])
def test_digests_vs_ml_dtypes(jobs):
    spec = S.Sweep.of("e4m3fn", chunk_bits=BITS)
    stop = START + NCHUNK * (1 << BITS)
    d = S.sweep_range(spec, START, stop, jobs=jobs)
    x = _inputs(START, stop)
    ref = x.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)  # positive inputs: NaN is 0x7F in both
    assert d["codes_sha256"] == _sha(ref)
    step = 1 << BITS
    assert d["chunks"]["codes"] == [_sha(ref[i * step:(i + 1) * step]) for i in range(NCHUNK)]
    # flags: inexact except exact codes, overflow above 464 (from the values)
    v = x.astype(np.float64)
    want = np.where(v > 464, 0x05, np.where(v == 448.0, 0x00, 0x01)).astype(np.uint8)
    assert d["flags_sha256"] == _sha(want)
    assert d["chunks"]["flags"] == [_sha(want[i * step:(i + 1) * step]) for i in range(NCHUNK)]


def test_uint16_and_uint32_code_streams():
    d = S.sweep_range(S.Sweep.of("bf16", overflow="sat_finite", chunk_bits=BITS), START, START + 2 * (1 << BITS))
    ref = _inputs(START, START + 2 * (1 << BITS)).astype(ml_dtypes.bfloat16).view(np.uint16).astype("<u2")
    assert d["codes_sha256"] == _sha(ref)
    lo = 0x3F800000  # tf32's 19-bit codes go out as little-endian uint32 (uint16 would drop bits)
    d = S.sweep_range(S.Sweep.of("tf32", chunk_bits=BITS), lo, lo + (1 << BITS))
    u = np.arange(lo, lo + (1 << BITS), dtype=np.uint64)
    assert d["codes_sha256"] == _sha(((u + 0xFFF + ((u >> 13) & 1)) >> 13).astype("<u4"))  # RNE to 10 bits


def _modes(fmt):
    return D._modes(fmt)


#: float32 chunks (top byte): zero and subnormals, 2^-14.., 1.0, 2^7.., the top binades with Inf
#: and NaN, their negatives
_CHUNKS = (0x00, 0x38, 0x3F, 0x43, 0x7F, 0x80, 0xC3, 0xFF)


@pytest.mark.parametrize("fmt", fp8ref.list_formats())
def test_chunk_streams_equal_encode_for_every_format_and_mode(fmt):
    """The sweep's own paths (constant ranges from the key table, the nogil gather loop, the
    encode fallback) against fp8ref.encode on 2^22 inputs from the start of two chunks per
    policy: every deterministic mode, plus the other overflow modes and tininess before."""
    pols = [dict(rounding=r) for r in _modes(fmt)]
    pols += [dict(rounding=_modes(fmt)[0], overflow=o, tininess="before") for o in ("sat_finite", "sat_propagate")]
    rng = random.Random(fmt)
    for kw in pols:
        spec = S.Sweep.of(fmt, **kw)
        for top in rng.sample(_CHUNKS, 2):
            lo = top << 24
            hi = lo + (1 << (22 if spec.policy.rounding != "hybrid" else 16))
            c, f = S.chunk_streams(spec, lo, hi)
            want_c, want_f = fp8ref.encode(_inputs(lo, hi), fmt, policy=spec.policy, return_flags=True)
            got_c = c.array() if isinstance(c, S.Const) else c
            got_f = f.array() if isinstance(f, S.Const) else f
            assert got_c.tobytes() == want_c.astype(spec.code_dtype).tobytes(), (spec.key, hex(top))
            assert got_f.tobytes() == want_f.tobytes(), (spec.key, hex(top))


def test_constant_chunks_are_detected_and_hashed_as_their_bytes():
    spec = S.Sweep.of("e4m3fn")
    c, f = S.chunk_streams(spec, 0x50 << 24, 0x51 << 24)  # 2^33 ..: all overflow to NaN
    assert isinstance(c, S.Const) and (c.value, f.value) == (0x7F, 0x05)
    r = S.chunk_result(spec, 0x50 << 24, 0x51 << 24)
    assert r.codes_sha256 == _sha(np.full(1 << 24, 0x7F, np.uint8))
    assert r.flags_sha256 == _sha(np.full(1 << 24, 0x05, np.uint8))
    c, _ = S.chunk_streams(spec, 0x3F << 24, 0x40 << 24)
    assert not isinstance(c, S.Const)


@pytest.mark.parametrize("source", ["f16", "bf16"])
@pytest.mark.parametrize("fmt", ["e4m3fn", "e2m1fn", "fp16", "bf16", "tf32", "hif8", "ue8m0", "posit8_es2", "p3109_8p3"])
def test_16_bit_sources_are_every_pattern_through_encode(source, fmt):
    spec = S.Sweep.of(fmt, source=source, rounding="rtz" if fmt != "posit8_es2" else None)
    d = S.sweep_range(spec, jobs=2)
    x = S._source_array(source, 0, 1 << 16)
    c, f = fp8ref.encode(x, fmt, policy=spec.policy, return_flags=True)
    c = c.astype(spec.code_dtype)
    assert d["codes_sha256"] == _sha(c) and d["flags_sha256"] == _sha(f)
    assert len(d["chunks"]["codes"]) == 16
    assert d["chunks"]["codes"][3] == _sha(c[3 << 12:4 << 12])


def test_the_same_digests_for_any_jobs_and_completion_order(monkeypatch):
    spec = S.Sweep.of("e5m2", rounding="rup", chunk_bits=18)
    lo, hi = 0x30000000, 0x30000000 + 12 * (1 << 18)
    want = S.sweep_range(spec, lo, hi, jobs=1)
    real = S.chunk_result
    rng = random.Random(7)
    delays = {lo + i * (1 << 18): rng.random() * 0.05 for i in range(12)}
    finished = []

    def scrambled(spec_, a, b, *args, **kw):
        time.sleep(delays[a])  # chunks finish out of order
        r = real(spec_, a, b, *args, **kw)
        finished.append(a)
        return r

    monkeypatch.setattr(S, "chunk_result", scrambled)
    for jobs in (2, 4, 7):
        finished.clear()
        assert S.sweep_range(spec, lo, hi, jobs=jobs) == want
    assert finished != sorted(finished)  # (they did finish out of order)


def test_policies_and_ranges_are_checked():
    with pytest.raises(ValueError, match="chunk-aligned"):
        S.sweep_range(S.Sweep.of("e4m3fn", chunk_bits=16), 5, 1 << 20)
    with pytest.raises(ValueError, match="deterministic modes only"):
        S.Sweep.of("e4m3fn", rounding="stochastic")
    with pytest.raises(ValueError, match="not defined for posits"):
        S.Sweep.of("posit8_es0", rounding="rtz")
    with pytest.raises(ValueError, match="unknown sweep source"):
        S.Sweep.of("e4m3fn", source="f64")
    with pytest.raises(ValueError, match="jobs"):
        S.sweep_range(S.Sweep.of("e4m3fn", chunk_bits=24), 0, 1 << 24, jobs=0)
    assert S.Sweep.of("e2m1fn").policy.nan_to == "max"  # formats without NaN: NaN inputs -> +max
    assert S.Sweep.of("hif8").policy.rounding == "rna"  # the format's own default rounding (TA)
    assert S.Sweep.of("e4m3fn", overflow="sat_finite", tininess="before").key == "e4m3fn.rne.sat_finite.tbefore"


def test_progress_bar_only_on_a_terminal():
    import io

    assert S.progress_bar("x", io.StringIO()) is None

    class Tty(io.StringIO):
        def isatty(self):
            return True

    t = Tty()
    bar = S.progress_bar("e4m3fn", t)
    bar(1, 4)
    bar(4, 4)
    assert "25%" in t.getvalue() and "100%" in t.getvalue() and t.getvalue().endswith("\n")


# ---- CLI --------------------------------------------------------------------------------------
def test_cli_sweep_text_and_json(capsys):
    assert main(["sweep", "e4m3fn", "--source", "f16", "--overflow", "sat_finite", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    x = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    c, f = fp8ref.encode(x, "e4m3fn", overflow="sat_finite", return_flags=True)
    assert f"codes sha256 {_sha(c)}" in out and f"flags sha256 {_sha(f)}" in out
    assert "F000-FFFF" in out and _sha(c[0xF000:]) in out  # the chunk table
    assert main(["sweep", "e4m3fn", "--source", "f16", "--overflow", "sat_finite", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["codes_sha256"] == _sha(c) and d["source"] == "float16" and d["policy"]["overflow"] == "sat_finite"


@pytest.mark.parametrize("argv,msg", [
    (["sweep"], "give a format"),
    (["sweep", "e4m3fn", "--rounding", "stochastic"], "deterministic modes only"),
    (["sweep", "--all"], "--all needs --out"),
    (["sweep", "e4m3fn", "--all", "--out", "x"], "give no FMT"),
    (["sweep", "e4m3fn", "--jobs", "0"], "--jobs must be at least 1"),
    (["sweep", "--all", "--out", "x", "--only", "nothing/*"], "no standard entry matches"),
    (["sweep", "--verify", "."], "not a digest set"),
])
def test_cli_errors(argv, msg, capsys):
    assert main(argv) == 2
    assert msg in capsys.readouterr().err


def test_cli_all_writes_resumes_and_verifies(tmp_path, capsys):
    out = tmp_path / "dg"
    assert main(["sweep", "--all", "--out", str(out), "--only", "float16/e5m2.rne.*", "--jobs", "1"]) == 0
    man = json.loads((out / "MANIFEST.json").read_text())
    assert sorted(man["entries"]) == [f"float16/e5m2.rne.{o}.t{t}" for o in ("ovf_inf", "sat_finite", "sat_propagate")
                                      for t in ("after", "before")]
    assert main(["sweep", "--verify", str(out)]) == 0
    assert "6 identical" in capsys.readouterr().out
    assert main(["golden", "verify", str(out)]) == 0  # the golden command checks a digest set too
