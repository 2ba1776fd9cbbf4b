"""Lines of generated files re-derived by independent oracles: ml_dtypes (RNE, non-saturating),
gfloat (every deterministic rounding mode, saturating or not), exact ``fractions`` (values and
all flags, stochastic rounding with the written random bits), gfloat decoding (decode tables
and exact products). The files are read with plain Python, not with fp8ref's parser."""

from __future__ import annotations

import json
import math
import os
import struct
from fractions import Fraction

import gfloat
import numpy as np
import pytest

import fp8ref

from ..oracles.shared import GF_ROUND, ML_ELEMENTS
from . import oracle

ML = ML_ELEMENTS
GF_DETERMINISTIC = {k: GF_ROUND[k] for k in ("rne", "rna", "rtz", "rup", "rdn")}
SRC_DT = {"float32": (np.uint32, np.float32), "float64": (np.uint64, np.float64), "float16": (np.uint16, np.float16)}


def read(set_dir, stem):
    with open(os.path.join(set_dir, stem + ".json")) as f:
        meta = json.load(f)
    rows = []
    with open(os.path.join(set_dir, stem + ".tv")) as f:
        for line in f:
            rows.append([int(t, 16) for t in line.split()])
    assert len(rows) == meta["lines"]
    return meta, np.array(rows, dtype=np.uint64)


def src_values(meta, a):
    t = meta["src"]
    if t == "bfloat16":
        with np.errstate(invalid="ignore"):
            return (a.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)
    u, f = SRC_DT[t]
    with np.errstate(invalid="ignore"):  # signalling NaNs
        return a.astype(u).view(f).astype(np.float64)


def stems(man, pred):
    return [e["stem"] for e in man["sets"] if pred(e)]


def is_snan(meta, a):
    t = meta["src"]
    bits, man = {"float32": (32, 23), "float64": (64, 52), "float16": (16, 10), "bfloat16": (16, 7)}[t]
    exp_all = ((a >> man) & ((1 << (bits - 1 - man)) - 1)) == (1 << (bits - 1 - man)) - 1
    frac = a & ((1 << man) - 1)
    return bool(exp_all and frac and not (frac >> (man - 1)) & 1)


# ---- ml_dtypes: RNE, overflow to Inf/NaN -----------------------------------------------------
def test_rne_ovf_inf_lines_vs_ml_dtypes(default_set):
    d, man = default_set
    picked = stems(man, lambda e: e["op"] == "convert" and e["src"] in ("float32", "float16", "bfloat16")
                   and e["dst"] in ML and e["policy"]["rounding"] == "rne" and e["policy"]["overflow"] == "ovf_inf")
    assert any("e4m3fn" in s for s in picked) and any("e5m2" in s for s in picked)
    for stem in picked:
        meta, rows = read(d, stem)
        x = src_values(meta, rows[:, 0])
        if meta["src"] == "float32":
            x = x.astype(np.float32)  # ml_dtypes' own float32 path (exact: x came from float32)
        fmt = fp8ref.get_format(meta["dst"])
        if not fmt.has_nan:
            keep = ~np.isnan(x)  # NaN into FP4/FP6: fp8ref's nan_to policy, not comparable
        else:
            keep = np.ones(x.size, dtype=bool)
        ref = x[keep].astype(ML[meta["dst"]])
        got = rows[keep, 1].astype(np.uint8).view(ML[meta["dst"]])
        rv, gv = ref.astype(np.float64), got.astype(np.float64)
        same = (rv == gv) & (np.signbit(rv) == np.signbit(gv)) | (np.isnan(rv) & np.isnan(gv))
        assert same.all(), f"{stem}: line {np.flatnonzero(~same)[0] + 1}: ml_dtypes {rv[~same][0]} file {gv[~same][0]}"


# ---- gfloat: every deterministic mode except rto, saturating or not ------------------------
@pytest.mark.parametrize("suite", ["convert_f32", "convert_f64", "convert_bf16"])
def test_values_vs_gfloat(default_set, suite):
    d, man = default_set
    picked = stems(man, lambda e: e["suite"] == suite and e["dst"] in ML and e["policy"]["rounding"] in GF_DETERMINISTIC)
    assert picked
    for stem in picked:
        meta, rows = read(d, stem)
        pol = meta["policy"]
        fmt = fp8ref.get_format(meta["dst"])
        fi = oracle.gfloat_format(fmt)
        x = src_values(meta, rows[:, 0])
        # FP6/FP4 have neither Inf nor NaN: every overflow policy delivers ±max (ml_dtypes),
        # which is gfloat's saturating mode (gfloat raises instead when not saturating)
        sat = pol["overflow"] != "ovf_inf" or not (fmt.has_infinity or fmt.has_nan)
        keep = np.isfinite(x)
        with np.errstate(over="ignore"):  # gfloat's own ldexp on huge f64 inputs
            ref = gfloat.round_ndarray(fi, x[keep], GF_DETERMINISTIC[pol["rounding"]], sat)
        got = fp8ref.decode(rows[keep, 1].astype(np.int64), fmt, dtype=np.float64)
        same = ((ref == got) & ((ref != 0) | (np.signbit(ref) == np.signbit(got)) | ~fmt.has_negative_zero)) | (
            np.isnan(ref) & np.isnan(got))
        assert same.all(), f"{stem}: x={x[keep][~same][0]!r} gfloat {ref[~same][0]!r} file {got[~same][0]!r}"


# ---- fractions: values and every flag ----------------------------------------------------------
FLAG_FORMATS = ("e4m3fn", "e5m2", "e2m3fn", "e3m2fn", "e2m1fn", "e4m3fnuz", "e5m2fnuz", "e4m3", "e3m4",
                "p3109_8p3", "p3109_8p5", "e4m3b11fnuz")


def _check_lines(stem, meta, rows, step, stochastic=False):
    fmt = fp8ref.get_format(meta["dst"])
    pol = meta["policy"]
    x = src_values(meta, rows[:, 0])
    n = meta.get("srbits", 0)
    bad = []
    for i in range(0, rows.shape[0], step):
        xi = float(x[i])
        snan = math.isnan(xi) and is_snan(meta, int(rows[i, 0]))
        r = int(rows[i, 1]) if stochastic else None
        ref, rflags = oracle.convert(xi, fmt, pol["rounding"], pol["overflow"], pol["tininess"], snan, r, n)
        if math.isnan(xi) and not fmt.has_nan:  # nan_to="max": +max, invalid
            ref, rflags = (False, oracle.positives(fmt)[-1]), oracle.NV
        code, flags = int(rows[i, -2]), int(rows[i, -1])
        if not (oracle.same_value(code, ref, fmt) and flags == rflags):
            bad.append((i + 1, hex(int(rows[i, 0])), hex(code), hex(flags), ref, hex(rflags)))
    assert not bad, f"{stem}: {len(bad)} lines differ from the fractions oracle, first: {bad[0]}"


def test_flags_vs_fractions_f32(default_set):
    d, man = default_set
    picked = stems(man, lambda e: e["suite"] == "convert_f32" and e["dst"] in FLAG_FORMATS)
    assert len(picked) > 60
    for stem in picked:
        meta, rows = read(d, stem)
        # every line of the OCP FP8 RNE files; a strided sample (all generators) elsewhere
        full = meta["dst"] in ("e4m3fn", "e5m2") and meta["policy"]["rounding"] == "rne"
        _check_lines(stem, meta, rows, 1 if full else 11)


def test_flags_vs_fractions_f64_and_bf16(default_set):
    d, man = default_set
    for stem in stems(man, lambda e: e["suite"] in ("convert_f64", "convert_bf16")):
        meta, rows = read(d, stem)
        _check_lines(stem, meta, rows, 1 if meta["src"] == "float64" else 5)


def test_stochastic_lines_vs_fractions(default_set):
    d, man = default_set
    picked = stems(man, lambda e: e["suite"] == "convert_stochastic")
    assert picked
    for stem in picked:
        meta, rows = read(d, stem)
        assert meta["policy"]["rounding"] == "stochastic" and meta["srbits"] == 8
        assert [f["name"] for f in meta["fields"]] == ["a", "rbits", "z", "flags"]
        _check_lines(stem, meta, rows, 3, stochastic=True)
        # the sweep really enumerates every random value
        sw = [g for g in meta["generators"] if g["id"] == "srbits_sweep"][0]
        rb = rows[sw["first_line"] - 1 : sw["first_line"] - 1 + sw["count"], 1]
        assert sorted(set(rb.tolist())) == list(range(256))


def test_hand_checked_lines(default_set):
    """Lines quoted in docs/golden-vectors.md and the research notes, derived by hand."""
    d, _ = default_set
    _, rows = read(d, "convert_f32/f32_to_e4m3fn.rne.sat_finite.tafter")
    lines = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
    assert lines[0x43E80000] == (0x7E, 0x01)  # 464: tie -> 448, no overflow
    assert lines[0x7F800001] == (0x7F, 0x10)  # sNaN -> canonical NaN, invalid
    assert lines[0x3A800000] == (0x00, 0x03)  # 2^-10: tie 0 | 2^-9 -> 0, UF|NX
    assert lines[0x7F800000] == (0x7E, 0x00)  # +Inf saturates silently
    assert lines[0x3C780000] == (0x08, 0x01)  # 1.1111b*2^-7: tie at p bits -> min normal, not tiny after
    _, rows = read(d, "convert_f32/f32_to_e4m3fn.rne.ovf_inf.tbefore")
    assert {int(r[0]): (int(r[1]), int(r[2])) for r in rows}[0x3C780000] == (0x08, 0x03)  # tiny before
    _, rows = read(d, "convert_f32/f32_to_e5m2.rne.ovf_inf.tafter")
    lines = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
    assert lines[0x47700000] == (0x7C, 0x05)  # 61440 ties up to 65536: +Inf, OF|NX
    assert lines[0x476FFFFF] == (0x7B, 0x01)


# ---- decode tables and products vs gfloat ------------------------------------------------------
def _f32_bits(v: float) -> int:
    return struct.unpack("<I", struct.pack("<f", v))[0]


def test_decode_tables_vs_gfloat(default_set):
    d, man = default_set
    picked = stems(man, lambda e: e["op"] == "decode" and fp8ref.get_format(e["src"]).kind == "ieee")
    assert len(picked) >= 17
    for stem in picked:
        meta, rows = read(d, stem)
        fmt = fp8ref.get_format(meta["src"])
        assert rows[:, 0].tolist() == list(range(fmt.num_codes))
        vals = oracle.code_values(fmt)
        for c, z, fl in rows.tolist():
            v = vals[c]
            want = ((c >> (fmt.bits - 1)) << 31 | 0x7FC00000) if math.isnan(v) else _f32_bits(v)
            assert (z, fl) == (want, 0), (stem, c, hex(z))


def test_exact_products_vs_fractions(default_set):
    d, man = default_set
    picked = stems(man, lambda e: e["op"] == "mul" and e["stem"].endswith(".exact"))
    assert picked
    for stem in picked:
        meta, rows = read(d, stem)
        fa, fb = (fp8ref.get_format(n) for n in meta["src"])
        va, vb = oracle.code_values(fa), oracle.code_values(fb)
        for a, b, z, fl in rows.tolist():
            x, y = va[a], vb[b]
            if math.isnan(x) or math.isnan(y) or (math.isinf(x) and y == 0) or (math.isinf(y) and x == 0):
                assert z & 0x7FFFFFFF == 0x7FC00000 and fl == (0x10 if not (math.isnan(x) or math.isnan(y)) else 0)
                continue
            if math.isinf(x) or math.isinf(y):
                p = math.copysign(math.inf, x) * math.copysign(1, y)
            else:
                p = Fraction(x) * Fraction(y)
                assert float(np.float32(float(p))) == p  # exact in float32
                sign = (math.copysign(1, x) * math.copysign(1, y)) < 0
                p = -abs(float(p)) if sign else abs(float(p))
            assert (z, fl) == (_f32_bits(p), 0), (stem, a, b)


def test_rounded_products_vs_fractions(default_set):
    d, man = default_set
    picked = stems(man, lambda e: e["suite"] == "mul" and not e["stem"].endswith(".exact"))  # (arith: tests/arith)
    assert picked
    for stem in picked:
        meta, rows = read(d, stem)
        fmt = fp8ref.get_format(meta["dst"])
        pol = meta["policy"]
        vals = oracle.code_values(fmt)
        for a, b, z, fl in rows[::3].tolist():
            x, y = vals[a], vals[b]
            p = x * y  # exact: FP6/FP4 products have at most 8 significant bits
            ref, rflags = oracle.convert(p, fmt, pol["rounding"], pol["overflow"], pol["tininess"])
            assert oracle.same_value(z, ref, fmt) and fl == rflags, (stem, a, b, hex(z), hex(fl))
