"""UE8M0, HiF8 and posit8 suite lines against the independent oracles: ml_dtypes (UE8M0 ties
up) and gfloat (UE8M0 ties to even, directed modes), en_dtypes (HiF8 TA), SoftPosit (posit8,
es = 0). Files are read with plain Python; NaN results and below-range inputs are checked
against the policy written in each sidecar."""

from __future__ import annotations

import en_dtypes
import gfloat
import ml_dtypes
import numpy as np
import softposit
from gfloat.formats import format_info_ocp_e8m0

from .test_block_oracles import f32, read, stems

GF = {"rne": gfloat.RoundMode.TiesToEven, "rna": gfloat.RoundMode.TiesToAway, "rtz": gfloat.RoundMode.TowardZero,
      "rup": gfloat.RoundMode.TowardPositive, "rdn": gfloat.RoundMode.TowardNegative}


def test_ue8m0_lines_vs_ml_dtypes_and_gfloat(default_set):
    d, man = default_set
    picked = [s for s in stems(man, "ue8m0") if s.startswith("ue8m0/f32_")]
    assert len(picked) >= 5
    for stem in picked:
        meta, t = read(d, stem)
        pol = meta["policy"]
        x = f32(t["a"]).astype(np.float64)
        z = t["z"].astype(np.int64)
        # gfloat: every positive input from 2^-127 up (below that it returns non-UE8M0 values)
        ok = np.isfinite(x) & (x >= 2.0**-127)
        r = gfloat.round_ndarray(format_info_ocp_e8m0, x[ok], GF[pol["rounding"]], pol["overflow"] == "sat_finite")
        assert np.array_equal(gfloat.encode_ndarray(format_info_ocp_e8m0, r), z[ok]), stem
        if pol["rounding"] == "rna" and pol["overflow"] == "ovf_inf" and pol["below_range"] == "nan":
            want = f32(t["a"]).astype(ml_dtypes.float8_e8m0fnu).view(np.uint8)  # ml_dtypes 0.7: every line
            assert np.array_equal(want, z), stem
        assert (z[np.isnan(x)] == 0xFF).all(), stem
        zero_or_neg = (x <= 0) | np.isneginf(x)  # no UE8M0 value: the sidecar's below_range decides
        assert (z[zero_or_neg] == (0xFF if pol["below_range"] == "nan" else 0x00)).all(), stem


def _files(default_set, suite, part):
    d, man = default_set
    picked = [s for s in stems(man, suite) if part in s]
    assert picked, (suite, part)
    return [(stem, read(d, stem)[1]) for stem in picked]


def test_hif8_ta_lines_vs_en_dtypes(default_set):
    for stem, t in _files(default_set, "hif8", ".rna.ovf_inf"):
        want = f32(t["a"]).astype(en_dtypes.hifloat8).view(np.uint8)
        assert np.array_equal(want, t["z"].astype(np.uint8)), stem


def test_posit8_es0_lines_vs_softposit(default_set):
    for stem, t in _files(default_set, "posit8", "posit8_es0"):
        x = f32(t["a"]).astype(np.float64)
        want = np.array([0x80 if not np.isfinite(v) else softposit.posit8(float(v)).v.v for v in x])
        assert np.array_equal(want, t["z"].astype(np.int64)), stem
