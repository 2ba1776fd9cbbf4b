"""Format descriptions and registry vs ml_dtypes.finfo and gfloat.FormatInfo."""

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

import fp8ref
from fp8ref import Format, get_format, list_formats

from ..oracles.shared import ML_DTYPES, gfloat_format

IEEE = list_formats("ieee")


@pytest.mark.parametrize("name", [n for n in ML_DTYPES if n not in ("fp16",)])
def test_figures_match_ml_dtypes_finfo(name):
    fmt = get_format(name)
    fi = ml_dtypes.finfo(ML_DTYPES[name])
    assert fmt.max_finite == float(fi.max)
    assert fmt.min_normal == float(fi.smallest_normal)
    assert fmt.min_subnormal == float(fi.smallest_subnormal)
    assert fmt.man_bits == fi.nmant
    assert fmt.emax == fi.maxexp - 1
    assert fmt.emin == fi.minexp


@pytest.mark.parametrize("name", IEEE)
def test_figures_match_gfloat(name):
    fmt = get_format(name)
    fi = gfloat_format(fmt)
    assert fmt.max_finite == fi.max
    assert fmt.min_normal == fi.smallest_normal
    assert fmt.min_subnormal == fi.smallest_subnormal
    assert fmt.emax == fi.emax
    assert len(fmt.nan_codes) == fi.num_nans
    assert fmt.has_infinity == (fi.num_infs > 0)


def test_p3109_descriptions_match_gfloat_p3109():
    import gfloat
    from gfloat.formats import format_info_p3109

    for p in range(1, 8):
        ours = gfloat_format(get_format(f"p3109_8p{p}"))
        theirs = format_info_p3109(8, p, gfloat.Signedness.Signed, gfloat.Domain.Extended)
        for attr in ("precision", "bias", "has_nz", "num_high_nans", "max", "smallest_subnormal", "num_nans"):
            assert getattr(ours, attr) == getattr(theirs, attr), (p, attr)


def test_aliases_resolve_to_the_same_object():
    assert get_format("float8_e4m3fn") is get_format("e4m3fn")
    assert get_format("FLOAT8_E5M2") is get_format("e5m2")
    assert get_format("float4_e2m1fn") is get_format("e2m1fn")
    assert get_format("binary8p4") is get_format("p3109_8p4")
    fmt = get_format("e4m3fn")
    assert get_format(fmt) is fmt


def test_unknown_name_lists_close_matches_and_valid_names():
    with pytest.raises(ValueError) as e:
        get_format("e4m3f")
    msg = str(e.value)
    assert "'e4m3fn'" in msg and "Valid names:" in msg and "e5m2" in msg
    with pytest.raises(TypeError):
        get_format(3.5)


def test_required_names_present():
    for n in ["e4m3fn", "e5m2", "e4m3fnuz", "e5m2fnuz", "e4m3b11fnuz", "e4m3", "e3m4", "e2m3fn",
              "e3m2fn", "e2m1fn"] + [f"p3109_8p{p}" for p in range(1, 8)]:
        assert n in list_formats()


def test_p3109_special_codes():
    for p in range(1, 8):
        f = get_format(f"p3109_8p{p}")
        assert f.nan_codes == (0x80,)
        assert f.inf_code_mag == 0x7F
        assert f.canonical_nan == 0x80


def test_exact_value_is_a_fraction():
    f = get_format("e4m3fn")
    assert f.exact_value(0x01) == Fraction(1, 512)
    assert f.exact_value(0x7E) == 448
    assert f.exact_value(0xFE) == -448
    assert np.isnan(f.exact_value(0x7F))
    with pytest.raises(ValueError):
        f.exact_value(256)


@pytest.mark.parametrize(
    "kwargs, what",
    [
        (dict(exp_bits=0, man_bits=3, bias=1), "exp_bits"),
        (dict(exp_bits=4, man_bits=30, bias=7), "man_bits"),
        (dict(exp_bits=11, man_bits=10, bias=15), "at most 20 bits"),
        (dict(exp_bits=2, man_bits=1, bias=1, num_high_nans=8), "num_high_nans"),
        (dict(exp_bits=11, man_bits=3, bias=-2000), "float64"),
    ],
)
def test_user_format_validation(kwargs, what):
    base = dict(has_infinity=False, num_high_nans=0)
    base.update(kwargs)
    with pytest.raises(ValueError, match=what):
        Format("bad", **base)


def test_register_user_format_and_duplicate_name(monkeypatch):
    from fp8ref.formats import registry

    # keep the global registry unchanged for the rest of the session
    monkeypatch.setattr(registry, "_FORMATS", dict(registry._FORMATS))
    monkeypatch.setattr(registry, "_ALIASES", dict(registry._ALIASES))
    f = Format("test_e3m3_user", 3, 3, 3, False, 1)
    fp8ref.register(f, aliases=("test_user_alias",))
    assert get_format("test_user_alias") is f
    with pytest.raises(ValueError, match="already registered"):
        fp8ref.register(Format("test_e3m3_user", 3, 3, 3, False, 1))
