"""GEMM-suite lines (a, b, c -> d) re-derived by the pure-Python fractions reference of the
block-FMA model, read from the files with plain Python; plus the suite's coverage."""

from __future__ import annotations

import math
import os
import struct
from fractions import Fraction

import numpy as np
import pytest

from fp8ref import decode_table, get_format
from fp8ref.accum import get_model, reference_dot

from ..oracles.shared import ieee_reference, round_f32_bits
from .test_block_oracles import read, stems


def _vals(fmt, codes):
    return [float(v) for v in decode_table(get_format(fmt))[np.asarray(codes, dtype=np.intp)]]


def _bits(x, out, model):
    """Result bits; a NaN as the preset writes it: NVIDIA presets as MMA-Sim does
    (mmasim/simulator/arithmetic.py nv_fused_dot_add: 7FFFFFFF / 7FFF), the definitions
    (exact, fp32_fma), AMD and RISC-V presets as fp8ref's quiet NaN (7FC00000 / 7E00)."""
    if math.isnan(x):
        nv = not model.startswith(("exact", "fp32_fma", "cdna", "rvbna"))
        return (0x7FFFFFFF if nv else 0x7FC00000) if out == "fp32" else (0x7FFF if nv else 0x7E00)
    return int(np.float32(x).view(np.uint32)) if out == "fp32" else int(np.float16(x).view(np.uint16))


def _scales(sc, codes, K):
    """Per-element scale values from one row's scale codes, written here from the formats'
    definitions: UE8M0 2^(code - 127) (0xFF NaN); UE4M3 the E4M3 value of the code without its
    sign bit."""
    if sc["format"] == "ue8m0":
        v = [math.nan if c == 0xFF else 2.0 ** (int(c) - 127) for c in codes]
    else:
        v = _vals("e4m3fn", [int(c) & 0x7F for c in codes])
    return [v[k // sc["block"]] for k in range(K)]


def test_gemm_lines_match_fractions_reference(default_set):
    d, man = default_set
    picked = stems(man, "gemm")
    assert len(picked) >= 10
    models = set()
    for stem in picked:
        meta, t = read(d, stem)
        model, fmt, out = meta["model"], meta["src"], stem.rsplit(".", 1)[1]
        models.add(model)
        m = get_model(model)
        assert t["a"].shape[1] == meta["K"] and meta["model_parameters"]["frac_bits"] == m.frac_bits
        for g in meta["generators"]:  # the first lines of every generator, and every extreme line
            first, n = g["first_line"] - 1, g["count"]
            for i in range(first, first + (n if g["id"] == "extremes" else min(n, 6))):
                c = t["c"][i]
                cv = float(np.uint32(c).view(np.float32)) if out == "fp32" else float(np.uint16(c).view(np.float16))
                kw = {}
                if "scales" in meta:  # block-scaled: each element's block scale value
                    sc = meta["scales"]
                    kw = dict(scale_fmt=sc["format"], a_scales=_scales(sc, t["sa"][i], meta["K"]),
                              b_scales=_scales(sc, t["sb"][i], meta["K"]))
                want = reference_dot(_vals(fmt, t["a"][i]), _vals(fmt, t["b"][i]), cv, model=model, fmt=fmt, out=out,
                                     **kw)
                assert int(t["d"][i]) == _bits(want, out, model), (stem, i + 1, g["id"])
    assert {"h100_fp8", "h100_fp8_promote128", "sm100_mma_sync_fp8", "sm90_mma_sync_fp8", "a100_fp16", "exact",
            "cdna3_fp8", "rvbna_fp8", "b200_mxf8f6f4", "b200_mxf4nvf4"} <= models


def test_gemm_suite_covers_every_preset_in_full_tier():
    from fp8ref.accum import list_models
    from fp8ref.golden.gemm_suite import GEMM_FILES

    assert {f[0] for f in GEMM_FILES()} == set(list_models())
    fp32 = {(f[0], f[2]) for f in GEMM_FILES() if f[1] == "fp32" and f[3] == "full"}
    assert fp32 == {("cdna3_fp32", "fp32"), ("fp32_fma", "fp32"), ("fp32_fma", "fp16"), ("exact", "fp32"),
                    ("exact", "fp16")}
    scaled = {(f[0], f[1], f[4]) for f in GEMM_FILES() if f[4]}
    assert ("b200_mxf4nvf4", "e2m1fn", ("ue4m3", 16)) in scaled and ("b200_mxf8f6f4", "e2m1fn", ("ue8m0", 32)) in scaled


# ---- FP32 inputs (full tier): gemm/<preset>.fp32.<out> ---------------------------------------------
FP32_STEMS = ("gemm/cdna3_fp32.fp32.fp32", "gemm/fp32_fma.fp32.fp32", "gemm/fp32_fma.fp32.fp16",
              "gemm/exact.fp32.fp32", "gemm/exact.fp32.fp16")


@pytest.fixture(scope="module")
def fp32_set(tmp_path_factory):
    """The full tier's FP32-input GEMM files alone (about a second once the kernels are cached)."""
    from fp8ref.golden import Selection, generate

    out = str(tmp_path_factory.mktemp("gv32") / "set")
    man = generate(out, Selection(suites=("gemm",), tier="full", only=("gemm/*.fp32.*",)), progress=False)
    return out, man


def _f32(u):
    return struct.unpack(">f", struct.pack(">I", int(u)))[0]


def _f16(u):
    return float(np.uint16(u).view(np.float16))


def _out_bits(x, out):
    """Bits of a value of the output format (NaN: any)."""
    return int(np.float32(x).view(np.uint32)) if out == "fp32" else int(np.float16(x).view(np.uint16))


def _sum_rne(terms, out):
    """The exact sum of float terms (each exact in float64: a product of two binary32 values, or c)
    rounded once to nearest even in the output format, IEEE 754 specials and zero signs: NaN for a
    NaN term or +inf with -inf; an exactly zero sum is -0 only when every term is -0; a nonzero sum
    that rounds to zero keeps its sign."""
    if any(math.isnan(t) for t in terms):
        return math.nan
    infs = {t for t in terms if math.isinf(t)}
    if infs:
        return math.nan if len(infs) == 2 else infs.pop()
    s = sum(Fraction(t) for t in terms)
    if s == 0:
        return -0.0 if all(math.copysign(1.0, t) < 0 for t in terms) else 0.0
    if out == "fp32":
        return _f32(round_f32_bits(s))
    r, _ = ieee_reference(s, get_format("fp16"), "rne")
    return {"inf": math.inf, "-inf": -math.inf}.get(r, math.copysign(float(r) if r != "nan" else 0.0, s))


def _softfloat_chain(sf, a, b, c):
    """fmaf(a[K-1], b[K-1], ... fmaf(a[0], b[0], c)) on Berkeley SoftFloat's f32_mulAdd (RNE)."""
    def f(u):
        return sf.Float32.from_bytes(int(u).to_bytes(4, "big"))

    acc = f(c)
    for x, y in zip(a, b):
        acc = sf.f32_mul_add(f(x), f(y), acc)
    return int.from_bytes(acc.to_bytes(), "big")


def test_fp32_input_lines_match_softfloat_and_fractions(fp32_set):
    """Every line of every FP32-input file: the fmaf chains (cdna3_fp32, fp32_fma) against
    SoftFloat's f32_mulAdd (FP32 output) or one exact RNE rounding to binary16 per step (FP16
    output), ``exact`` against one exact RNE rounding of the whole sum; NaN results as the model's
    pattern (7FC00000 / 7E00), no flush to zero (the models have none)."""
    sf = pytest.importorskip("softfloatpy")
    sf.set_rounding_mode(sf.RoundingMode.NEAR_EVEN)
    d, man = fp32_set
    assert sorted(stems(man, "gemm")) == sorted(FP32_STEMS)
    for stem in FP32_STEMS:
        meta, t = read(d, stem)
        model, out = meta["model"], stem.rsplit(".", 1)[1]
        m = get_model(model)
        assert not m.ftz and m.signed_zero is True and meta["src"] == "float32" and t["a"].shape[1] == meta["K"] == 32
        ids = {g["id"]: g["count"] for g in meta["generators"]}
        assert ids == {"random": 256, "cancellation": 32, "swamping": 32, "c_only": 16, "subnormal": 32,
                       "signed_zero": 16, "extremes": 11}, stem
        cv = _f32 if out == "fp32" else _f16
        nan = m.nan_pattern(out)
        for i in range(meta["lines"]):
            a, b, c = t["a"][i], t["b"][i], t["c"][i]
            if model != "exact" and out == "fp32":
                want = _softfloat_chain(sf, a, b, c)
                want = nan if (want & 0x7FFFFFFF) > 0x7F800000 else want
            else:
                prods = [_f32(x) * _f32(y) for x, y in zip(a, b)]  # exact in float64 (48 bits, 2^+-298)
                if model == "exact":
                    v = _sum_rne(prods + [cv(c)], out)
                else:
                    v = cv(c)
                    for p in prods:
                        v = _sum_rne([p, v], out)
                want = nan if math.isnan(v) else _out_bits(v, out)
            assert int(t["d"][i]) == want, (stem, i + 1, f"{int(t['d'][i]):X} != {want:X}")


def test_fp32_input_lines_cover_their_classes(fp32_set):
    """The FP32-input lines hold what their generators promise: subnormal operands, signed zeros,
    NaN payloads, max finite, and results that overflow, underflow to subnormals and cancel to 0."""
    from fp8ref.golden import verify

    d, _ = fp32_set
    assert verify(d).ok
    meta, t = read(d, "gemm/cdna3_fp32.fp32.fp32")
    a, dd = t["a"].astype(np.int64), t["d"].astype(np.int64)
    exp = (a >> 23) & 0xFF
    g = {x["id"]: (x["first_line"] - 1, x["first_line"] - 1 + x["count"]) for x in meta["generators"]}
    sub = slice(*g["subnormal"])
    assert ((exp[sub] == 0) & (a[sub] & 0x7FFFFF != 0)).mean() > 0.4 and (exp[sub] == 1).mean() > 0.4
    rnd = slice(*g["random"])
    assert (a[rnd] == 0x80000000).any() and (a[rnd] == 0).any()
    assert set(np.unique(a[slice(*g["signed_zero"])])) == {0, 0x80000000}
    assert {0x7F7FFFFF, 0x7F800001, 0xFFC12345, 0x7F800000, 0xFF800000} <= set(np.unique(a))
    assert {0x7F800000, 0x7FC00000, 0x80000000, 0} <= set(np.unique(dd))
    assert ((dd[sub] >> 23 & 0xFF) == 0).any() and (dd[sub] & 0x7FFFFF != 0).any()  # subnormal results


def test_fp32_input_lines_reach_the_checkers(fp32_set, tmp_path):
    """32-bit operands through the DUT-side consumers: ``golden check`` and the cocotb scoreboard
    read a DUT output of the file and flag exactly the one changed result."""
    import fp8ref.cocotb as fc
    from fp8ref.golden import check
    from fp8ref.golden.verify import load_vectors

    d, _ = fp32_set
    path = os.path.join(d, "gemm/cdna3_fp32.fp32.fp32.tv")
    meta, rows, _ = load_vectors(path)
    dut = [list(r) for _, r, _ in rows]
    dut[7][-1] ^= 1
    out = tmp_path / "dut.tv"
    out.write_text("".join(" ".join(f"{v:08X}" for v in r) + "\n" for r in dut))
    rep = check(path, str(out))
    assert not rep.ok and rep.mismatches == 1
    sb = fc.Scoreboard.for_vectors(meta, log=None)
    for (no, exp, _), r in zip(rows, dut):
        sb.add({"a": r[:32], "b": r[32:64], "c": r[64]}, [r[65]], expected=exp[65:], number=no)
    sb.flush()
    assert sb.failed == 1 and sb.transactions == len(rows) == 395
