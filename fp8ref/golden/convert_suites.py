"""Conversion suites ``convert_f32``, ``convert_f64``, ``convert_f16``, ``convert_bf16``: every
IEEE-like target × rounding × overflow × tininess, with flags, one input per line
(``<suite>/<src>_to_<fmt>.<axis values>``), and the pieces the other conversion families share:
the formats and policy axes covered, :func:`policy_for`, :func:`convert_spec`, :func:`kind_files`.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from ..codecs import encode
from ..core.floats import float_type
from ..formats import get_format
from ..policy import Policy
from . import generators as G
from .fields import Field, encode_input
from .prng import stream
from .suites import FileSpec, Suite, concat_parts, frozen, register_suite

__all__ = ["ROUNDINGS", "OVERFLOWS", "STOCHASTIC", "MAIN_FORMATS", "IEEE_FORMATS", "OTHER_FORMATS", "IEEE_AXES",
           "policy_for", "ieee_targets", "convert_inputs", "encode_table", "convert_spec", "kind_files"]

ROUNDINGS = ("rne", "rna", "rtz", "rup", "rdn", "rto")
OVERFLOWS = ("ovf_inf", "sat_finite", "sat_propagate")
STOCHASTIC = ("stochastic", "stochastic_fast", "stochastic_rne", "stochastic_rno")
#: formats that get every rounding × overflow combination in the default set (OCP FP8 and MX)
MAIN_FORMATS = ("e4m3fn", "e5m2", "e2m3fn", "e3m2fn", "e2m1fn")
#: the IEEE-like formats the suites cover, pinned here so that a format registered at run time
#: (a user's, a test's) never changes what ``generate`` writes
IEEE_FORMATS = ("e4m3fn", "e5m2", "e4m3fnuz", "e5m2fnuz", "e4m3b11fnuz", "e4m3", "e3m4", *MAIN_FORMATS[2:],
                *(f"p3109_8p{p}" for p in range(1, 8)), "fp16", "bf16", "tf32")
#: the other kinds of format (decode tables, kind suites)
OTHER_FORMATS = ("ue8m0", "hif8", "posit8_es0", "posit8_es1", "posit8_es2")


def policy_for(fmt, **kw) -> Policy:
    """The file's policy: the given fields; NaN into NaN-less formats delivers +max (PTX
    satfinite), since a vector file cannot raise."""
    if not getattr(fmt, "has_nan", True):
        kw.setdefault("nan_to", "max")
    return Policy(**kw)


# ---- conversions ---------------------------------------------------------------------------
@lru_cache(maxsize=64)
def convert_inputs(suite: str, src_name: str, dst_name: str, seed: int, count: int):
    """Source patterns and generator entries for ``src -> dst`` (the same in every policy's
    file, so files of different modes line up)."""
    src = float_type(src_name)
    fmt = get_format(dst_name)
    if src.bits <= 16:
        a = G.exhaustive(src.bits)
        return frozen(*concat_parts([("exhaustive", a, None, seed)]))
    names = (suite, src.short, fmt.name, "random")
    parts = [
        ("specials", G.specials(src), None, seed),
        ("boundary", G.boundary(src, fmt), None, seed),
        ("tininess", G.tininess(src, fmt), None, seed),
        ("binade_sweep", G.binade_sweep(src, fmt), None, seed),
        ("structured", G.structured(src, fmt), None, seed),
        ("random", G.testfloat_random(src, fmt, count, stream(seed, *names)), names, seed),
    ]
    return frozen(*concat_parts(parts))


def encode_table(src_name, bits, fmt, pol, rbits=None, srbits=None):
    x = encode_input(src_name, bits)
    kw = {}
    if rbits is not None:
        kw = dict(rbits=rbits.astype(np.uint32), srbits=srbits)
    codes, flags = encode(x, fmt, policy=pol, return_flags=True, **kw)
    return codes.astype(np.uint64), flags.astype(np.uint64)


_AXIS_TAG = {"rounding": "", "overflow": "", "tininess": "t", "below_range": "b"}
_HEADER_KEY = {"rounding": "rm", "overflow": "ovf", "tininess": "tininess", "below_range": "below"}
IEEE_AXES = ("rounding", "overflow", "tininess")


def convert_spec(suite, src_name, fmt, pol, tier, axes=IEEE_AXES):
    """``<suite>/<src>_to_<fmt>.<axis values>``: one input, one result, flags."""
    src = float_type(src_name)
    tag = ".".join(_AXIS_TAG[a] + getattr(pol, a) for a in axes)
    stem = f"{suite}/{src.short}_to_{fmt.name}.{tag}"
    fields = (Field("a", "input", src.name), Field("z", "result", fmt.name), Field("flags", "flags", "flags"))
    meta = {"src": src.name, "dst": fmt.name, "policy": pol.as_dict()}
    keys = dict.fromkeys(("rounding", "overflow", "tininess", *axes))  # rm/ovf/tininess always named
    header = {"op": f"{src.short}_to_{fmt.name}", **{_HEADER_KEY[a]: getattr(pol, a) for a in keys}, "nan": pol.nan}
    if not getattr(fmt, "has_nan", True):
        header["nan_to"] = pol.nan_to

    def build(ctx):
        a, gens = convert_inputs(suite, src.name, fmt.name, ctx.seed, ctx.count)
        z, fl = encode_table(src.name, a, fmt, pol)
        return {"a": a, "z": z, "flags": fl}, list(gens)

    return FileSpec(suite, stem, "convert", fields, meta, header, build, tier)


def ieee_targets(src_name, max_bits=None):
    out = []
    for n in IEEE_FORMATS:
        f = get_format(n)
        if max_bits is not None and f.bits > max_bits:
            continue
        if f.name == {"float16": "fp16", "bfloat16": "bf16"}.get(src_name):
            continue  # identity
        out.append(f)
    return out


def _convert_files(suite, src_name, default_rule):
    def files(tier):
        specs = []
        for fmt in ieee_targets(src_name):
            for rm in ROUNDINGS:
                for ovf in OVERFLOWS:
                    for tin in ("after", "before"):
                        pol = policy_for(fmt, rounding=rm, overflow=ovf, tininess=tin)
                        t = "default" if default_rule(fmt, rm, ovf, tin) else "full"
                        specs.append(convert_spec(suite, src_name, fmt, pol, t))
        return specs

    return files


def kind_files(suite, fmt_names, axes: dict, sources, default_rule):
    """Every (source, format, policy combination) of ``axes`` ({field: values})."""

    def files(tier):
        specs = []
        names = list(axes)
        for src_name in sources:
            for n in fmt_names:
                fmt = get_format(n)
                for combo in itertools.product(*(axes[a] for a in names)):
                    kw = dict(zip(names, combo))
                    pol = policy_for(fmt, **kw)
                    t = "default" if default_rule(src_name, fmt.name, kw) else "full"
                    specs.append(convert_spec(suite, src_name, fmt, pol, t, names))
        return specs

    return files


def _f32_default(fmt, rm, ovf, tin):
    """The committed f32 set. OCP FP8 (E4M3FN, E5M2): every rounding mode with ovf_inf and
    sat_finite, plus RNE sat_propagate and RNE tininess-before. MX FP6/FP4 (no Inf/NaN, so
    ovf_inf = sat_propagate = ±max): every rounding mode with sat_finite, RNE ovf_inf and RNE
    tininess-before. FNUZ / IEEE-style E4M3 / E3M4: RNE ovf_inf and sat_finite. P3109: RNE
    ovf_inf. Formats wider than 8 bits: none (TestFloat covers f32 -> f16/bf16)."""
    if fmt.bits > 8:
        return False
    if tin == "before":
        return fmt.name in MAIN_FORMATS and rm == "rne" and ovf == "ovf_inf"
    if fmt.name in MAIN_FORMATS[:2]:
        return ovf != "sat_propagate" or rm == "rne"
    if fmt.name in MAIN_FORMATS:
        return ovf == "sat_finite" or (rm == "rne" and ovf == "ovf_inf")
    if fmt.name.startswith("p3109"):
        return rm == "rne" and ovf == "ovf_inf"
    return rm == "rne" and ovf in ("ovf_inf", "sat_finite")


def _f64_default(fmt, rm, ovf, tin):
    return fmt.name in ("e4m3fn", "e5m2") and rm == "rne" and ovf in ("ovf_inf", "sat_finite") and tin == "after"


def _bf16_default(fmt, rm, ovf, tin):
    return fmt.name == "e4m3fn" and rm == "rne" and ovf == "sat_finite" and tin == "after"


def _f16_default(fmt, rm, ovf, tin):
    return False


for _src, _rule, _what in (
    ("float32", _f32_default, "boundary-directed + TestFloat-style"),
    ("float64", _f64_default, "boundary-directed (±1/±2 f64 ulps: double-rounding traps) + TestFloat-style"),
    ("float16", _f16_default, "exhaustive (all 65,536 inputs)"),
    ("bfloat16", _bf16_default, "exhaustive (all 65,536 inputs)"),
):
    _s = float_type(_src).short
    register_suite(Suite(
        f"convert_{_s}",
        f"{_s} -> every IEEE-like format, every rounding mode × overflow policy × tininess, with flags; {_what}",
        _convert_files(f"convert_{_s}", _src, _rule),
    ))

