"""Every rounding mode and overflow policy vs gfloat on float64 inputs (its exact path),
for every IEEE-like format incl. P3109 and user-defined layouts; stochastic rounding with
fixed random bits vs gfloat's four stochastic modes."""

import gfloat
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fp8ref
from fp8ref import Format, decode, encode, get_format

from .edge_cases import edge_values
from ..oracles.shared import GF_ROUND, finite_values, gfloat_format

DETERMINISTIC = ["rne", "rna", "rtz", "rup", "rdn"]
FORMATS = [n for n in fp8ref.list_formats("ieee") if get_format(n).bits <= 8]
USER_FORMATS = [
    Format("u_e3m3_inf", 3, 3, 3, True, 7),
    Format("u_e2m2_fn", 2, 2, 1, False, 1),
    Format("u_e5m4_fnuz", 5, 4, 16, False, 0, False),
    Format("u_e4m0", 4, 0, 7, False, 0),
    Format("u_e6m5_b20", 6, 5, 20, True, 31),
]


def _gfloat_values(fmt, x, mode, sat, **kw):
    fi = gfloat_format(fmt)
    finite = np.isfinite(x)
    out = np.full(x.shape, np.nan)
    # gfloat raises on NaN/Inf for formats without NaN/Inf: compare finite inputs there
    keep = finite if not fmt.has_nan else np.ones(x.shape, bool)
    # gfloat raises on finite overflow in formats with neither Inf nor NaN; fp8ref's
    # ovf_inf saturates there (as ml_dtypes does, tested against ml_dtypes elsewhere)
    sat = sat or not fmt.has_nan
    out[keep] = gfloat.round_ndarray(fi, x[keep], GF_ROUND[mode], sat, **kw)
    return out, keep


def _compare(fmt, x, mode, sat, **kw):
    ref, keep = _gfloat_values(fmt, x, mode, sat, **kw)
    ov = "sat_finite" if sat else "ovf_inf"
    got = decode(encode(x[keep], fmt, rounding=mode, overflow=ov, **kw), fmt, dtype=np.float64)
    ref = ref[keep]
    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    same &= (np.signbit(got) == np.signbit(ref)) | np.isnan(ref)
    bad = np.flatnonzero(~same)
    assert bad.size == 0, f"{fmt.name} {mode} sat={sat}: {bad.size} mismatches, x={x[keep][bad[0]]!r} got {got[bad[0]]!r} gfloat {ref[bad[0]]!r}"


@pytest.mark.parametrize("mode", DETERMINISTIC)
@pytest.mark.parametrize("sat", [False, True])
@pytest.mark.parametrize("name", FORMATS)
def test_modes_vs_gfloat_float64_edges(name, mode, sat):
    fmt = get_format(name)
    _compare(fmt, edge_values(fmt, np.float64).astype(np.float64), mode, sat)


@pytest.mark.parametrize("mode", DETERMINISTIC)
@pytest.mark.parametrize("fmt", USER_FORMATS, ids=lambda f: f.name)
def test_user_formats_vs_gfloat(fmt, mode):
    x = edge_values(fmt, np.float64).astype(np.float64)
    _compare(fmt, x, mode, False)
    _compare(fmt, x, mode, True)


@pytest.mark.parametrize("mode", DETERMINISTIC)
def test_float32_key_table_vs_gfloat(mode):
    # float32 inputs take the key-table path; gfloat sees the same values as float64
    for name in ("e4m3fn", "e5m2", "p3109_8p3", "e2m1fn"):
        fmt = get_format(name)
        x32 = edge_values(fmt, np.float32)
        ref, keep = _gfloat_values(fmt, x32.astype(np.float64), mode, False)
        got = decode(encode(x32[keep], fmt, rounding=mode), fmt, dtype=np.float64)
        assert np.array_equal(got, ref[keep], equal_nan=True)


@pytest.mark.parametrize("mode", ["stochastic", "stochastic_fast", "stochastic_rne", "stochastic_rno"])
@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "p3109_8p4"])
@pytest.mark.parametrize("nbits", [1, 4, 8, 13])
def test_stochastic_vs_gfloat(name, mode, nbits):
    # gfloat evaluates ``delta + r * 2^-n`` in float64, which itself rounds when delta has
    # many significant bits (e.g. x one float64 ulp below a midpoint): inputs here are grid
    # values plus k/64 of the local spacing, where its float arithmetic is exact.
    fmt = get_format(name)
    vals = np.array([float(v) for v in finite_values(fmt)])
    step = np.diff(vals)
    x = (vals[:-1, None] + step[:, None] * (np.arange(64) / 64.0)[None, :]).ravel()
    r = (np.arange(x.size, dtype=np.int64) * 2654435761) % (1 << nbits)
    ref = gfloat.round_ndarray(gfloat_format(fmt), x, GF_ROUND[mode], True, r, nbits)
    got = decode(encode(x, fmt, rounding=mode, overflow="sat_finite", rbits=r.astype(np.uint32), srbits=nbits), fmt, dtype=np.float64)
    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    assert same.all(), (x[~same][:3], got[~same][:3], ref[~same][:3])


@given(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from(DETERMINISTIC),
    st.sampled_from(FORMATS),
    st.booleans(),
)
def test_hypothesis_modes_vs_gfloat(v, mode, name, sat):
    _compare(get_format(name), np.array([v]), mode, sat)


@given(st.integers(-(2**20), 2**20), st.integers(0, 255), st.sampled_from(["e4m3fn", "e5m2", "e3m4"]))
def test_hypothesis_stochastic_vs_gfloat(k, r, name):
    fmt = get_format(name)
    x = np.array([k / 2.0**12])  # few significant bits: gfloat's float64 test is exact
    ref = gfloat.round_ndarray(gfloat_format(fmt), x, GF_ROUND["stochastic"], True, np.array([r]), 8)
    got = decode(encode(x, fmt, rounding="stochastic", overflow="sat_finite", rbits=np.array([r], np.uint8)), fmt, dtype=np.float64)
    assert got[0] == ref[0]
