"""User-defined HiF8-style variants: every operation works on a TaperedFormat built from data."""

from fractions import Fraction

import numpy as np
import pytest

from fp8ref import decode, encode
from fp8ref.formats.tapered import HIF8_DOTS, DotCode, TaperedFormat

from ._ref import ref_decode, ref_encode, value_set

NODML = TaperedFormat("hif8_nodml", dots=HIF8_DOTS[:5] + (DotCode("0000"),))
NODML_SPEC = dict(bits=8, dots=[("11", 4), ("10", 3), ("01", 2), ("001", 1), ("0001", 0), ("0000", "nan")], inf=0x6F)
# 10 bits: two more mantissa bits everywhere, 5-bit DML 2^(M-47) = 2^-46 .. 2^-16
WIDE = TaperedFormat("hif10", bits=10, dots=HIF8_DOTS[:5] + (DotCode("0000", dml_bias=47),), inf_mag=0b110111111)
WIDE_SPEC = dict(bits=10, dots=[("11", 4), ("10", 3), ("01", 2), ("001", 1), ("0001", 0), ("0000", "dml", 47)], inf=0x1BF)
VARIANTS = [(NODML, NODML_SPEC), (WIDE, WIDE_SPEC)]
IDS = ["nodml", "wide10"]


def _ref_float(r):
    if r == "nan":
        return np.nan
    if isinstance(r, tuple):
        return -np.inf if r[1] else np.inf
    return float(r)


@pytest.mark.parametrize("fmt,spec", VARIANTS, ids=IDS)
def test_decode_matches_reference(fmt, spec):
    codes = np.arange(fmt.num_codes)
    got = decode(codes, fmt, dtype=np.float64)
    want = np.array([_ref_float(ref_decode(c, spec)) for c in codes])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fmt,spec", VARIANTS, ids=IDS)
def test_every_code_round_trips(fmt, spec):
    codes = np.arange(fmt.num_codes)
    vals = decode(codes, fmt, dtype=np.float64)
    for mode in ("rna", "rne", "rtz"):
        back = encode(vals, fmt, rounding=mode)
        nan = np.isnan(vals)
        np.testing.assert_array_equal(back[~nan], codes[~nan])
        assert set(back[nan].tolist()) == {fmt.canonical_nan}
    assert len(fmt.nan_codes) == int(np.isnan(vals).sum())


def _midpoints(spec):
    vals, slot = value_set(spec)
    v = [Fraction(0)] + [a for a, _ in vals] + [slot]
    out = []
    for a, b in zip(v, v[1:]):
        m = float((a + b) / 2)
        out += [m, m * (1 + 2.0**-40), m * (1 - 2.0**-40), float(a + (b - a) / 3)]
    out += [float(slot), 2 * float(slot)]
    return np.array(out + [-t for t in out])


@pytest.mark.parametrize("mode", ["rna", "rne", "rtz", "rup", "rdn"])
@pytest.mark.parametrize("fmt,spec", VARIANTS, ids=IDS)
def test_encode_matches_reference(fmt, spec, mode):
    x = _midpoints(spec)
    for overflow in ("ovf_inf", "sat_finite"):
        codes, flags = encode(x, fmt, rounding=mode, overflow=overflow, return_flags=True)
        want = [ref_encode(Fraction(float(v)), mode, overflow, spec=spec) for v in x]
        np.testing.assert_array_equal(codes, [w[0] for w in want])
        np.testing.assert_array_equal(flags, [w[1] for w in want])
    # float32 inputs take the keyed table: same answers
    x32 = x.astype(np.float32)
    np.testing.assert_array_equal(
        encode(x32, fmt, rounding=mode), [ref_encode(Fraction(float(v)), mode, spec=spec)[0] for v in x32]
    )


def test_variant_figures():
    assert NODML.min_subnormal == NODML.min_normal == 2.0**-15
    assert WIDE.min_subnormal == 2.0**-46 and WIDE.max_finite == 57344.0 and WIDE.man_bits == 5
    assert WIDE.code_dtype == np.uint16 and len(NODML.nan_codes) == 15


def test_no_infinity_variant_overflows_to_nan():
    f = TaperedFormat("hif8_noinf", inf_mag=None)
    assert f.max_finite == 49152.0 and not f.has_infinity
    assert encode(np.array([1e9, -1e9]), f, rounding="rna").tolist() == [0x80, 0x80]
    assert encode(np.array([1e9, np.inf]), f, rounding="rna", overflow="sat_finite").tolist() == [0x6F, 0x6F]


@pytest.mark.parametrize(
    "kw,msg",
    [
        (dict(dots=HIF8_DOTS[:5]), "complete prefix code"),
        (dict(dots=HIF8_DOTS + (DotCode("00000", 0),)), "prefix code"),
        (dict(dots=(DotCode("1", 3), DotCode("0", 3))), "magnitude 0"),
        (dict(dots=HIF8_DOTS[:4] + (DotCode("0001", 1), DotCode("0000", dml_bias=23))), "encoded twice|no room"),
        (dict(inf_mag=0x08), "largest"),
        (dict(bits=2), "bits"),
        (dict(dots=(DotCode("1x", 2),)), "0/1"),
    ],
)
def test_bad_descriptions(kw, msg):
    with pytest.raises(ValueError, match=msg):
        TaperedFormat("bad", **kw)
