"""Each format description's code_fields, code_class and binades, for every registered format
and two user-defined tapered variants, against what its codes decode to (decode_table, itself
tested against ml_dtypes / gfloat / en_dtypes / softposit): the fields spell the code, the class
and the per-binade counts agree with the values."""

import math
from collections import Counter

import numpy as np
import pytest

from fp8ref import decode_table, get_format, list_formats
from fp8ref.formats.tapered import HIF8_DOTS, DotCode, TaperedFormat

VARIANTS = [TaperedFormat("hif8_nodml", dots=HIF8_DOTS[:5] + (DotCode("0000"),)),
            TaperedFormat("hif10", bits=10, dots=HIF8_DOTS[:5] + (DotCode("0000", dml_bias=47),),
                          inf_mag=0b110111111)]
FORMATS = [get_format(n) for n in list_formats() if get_format(n).bits <= 16] + VARIANTS


def _expected_class(fmt, v: float):
    if not math.isfinite(v):
        return ("nar" if fmt.kind == "posit" else "nan") if math.isnan(v) else "inf"
    if v == 0:
        return "zero"
    small = abs(v) < fmt.min_normal  # below the smallest significand-carrying binade
    return {"ieee": "subnormal", "tapered": "denormal"}.get(fmt.kind, "normal") if small else "normal"


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_code_fields_spell_the_code_and_class_follows_the_value(fmt):
    t = decode_table(fmt).tolist()
    for c in range(fmt.num_codes):
        fields = fmt.code_fields(c)
        text = "".join(b for _, b in fields)
        if fmt.kind == "posit" and c >= fmt.nar:  # the magnitude after the sign (two's complement)
            assert text == "1" + format((-c) % fmt.num_codes, f"0{fmt.bits}b")[1:], hex(c)
        else:
            assert text == format(c, f"0{fmt.bits}b"), hex(c)
        assert fmt.code_class(c) == _expected_class(fmt, t[c]), (fmt.name, hex(c))
    with pytest.raises(ValueError, match="out of range"):
        fmt.code_fields(fmt.num_codes)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_binades_count_the_positive_values(fmt):
    t = decode_table(fmt)
    pos = t[np.isfinite(t) & (t > 0)]
    want = Counter((np.frexp(pos)[1] - 1).tolist())  # floor(log2 v), exact for float64 values
    assert fmt.binades() == tuple(sorted(want.items()))


def test_field_names_per_kind():
    assert get_format("e4m3fn").code_fields(0x7E) == [("sign", "0"), ("exponent", "1111"), ("mantissa", "110")]
    assert get_format("p3109_8p1").code_fields(0x01) == [("sign", "0"), ("exponent", "0000001")]
    assert get_format("ue8m0").code_fields(0x7F) == [("exponent", "01111111")]
    assert get_format("hif8").code_fields(0x05) == [("sign", "0"), ("dot", "0000"), ("exponent", ""),
                                                    ("mantissa", "101")]
    assert VARIANTS[0].code_class(0x05) == "nan"  # its 0000 class is reserved: NaN, not a DML value
    # 0 and NaR have no regime: the bits after the sign are all zeros
    p = get_format("posit8_es2")
    assert p.code_fields(0x80) == [("sign", "1"), ("bits", "0000000")] and p.code_class(0x80) == "nar"
    assert p.code_fields(0xC0) == [("sign", "1"), ("regime", "10"), ("exponent", "00"), ("fraction", "000")]
