"""GEMM-suite lines (a, b, c -> d) re-derived by the pure-Python fractions reference of the
block-FMA model, read from the files with plain Python; plus the suite's coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fp8ref import decode_table, get_format
from fp8ref.accum import get_model, reference_dot

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

    from fp8ref.golden.gemm_suite import NOT_COVERED

    covered = {f[0] for f in GEMM_FILES()}
    assert covered | set(NOT_COVERED) == set(list_models()) and not covered & set(NOT_COVERED)
    scaled = {(f[0], f[1], f[4]) for f in GEMM_FILES() if f[4]}
    assert ("b200_mxf4nvf4", "e2m1fn", ("ue4m3", 16)) in scaled and ("b200_mxf8f6f4", "e2m1fn", ("ue8m0", 32)) in scaled
