"""Suite ``mul``: every code pair of the OCP FP8/FP6/FP4 formats, exact products -> float32
(``mul/<a>_x_<b>_to_f32.exact``) and products rounded back to the format under every rounding ×
overflow policy (``mul/<fmt>_mul.<rounding>.<overflow>.t<tininess>``)."""

from __future__ import annotations

import numpy as np

from ..codecs import decode_table, encode
from ..core.floats import F32
from ..formats import get_format
from .convert_suites import OVERFLOWS, ROUNDINGS, policy_for
from .fields import Field
from .suites import FileSpec, Suite, gen_entry, register_suite

__all__ = ["MUL_FORMATS"]

MUL_FORMATS = ("e4m3fn", "e5m2", "e2m3fn", "e3m2fn", "e2m1fn")


def _pairs(fa, fb):
    na, nb = fa.num_codes, fb.num_codes
    a = np.repeat(np.arange(na, dtype=np.uint64), nb)
    b = np.tile(np.arange(nb, dtype=np.uint64), na)
    return a, b


def _exact_products(fa, fb, a, b):
    """Exact products (float64: at most 8+8 significand bits, small exponents) and the invalid
    flag for 0 × Inf."""
    va = decode_table(fa)[a.astype(np.intp)]
    vb = decode_table(fb)[b.astype(np.intp)]
    with np.errstate(invalid="ignore"):
        p = va * vb
    inv = (np.isinf(va) & (vb == 0)) | ((va == 0) & np.isinf(vb))
    return p, inv


def _mul_files(tier):
    specs = []
    fm = [get_format(n) for n in MUL_FORMATS]
    pairs = [(f, f) for f in fm] + [(get_format("e4m3fn"), get_format("e5m2"))]
    for fa, fb in pairs:
        specs.append(_mul_exact_spec(fa, fb, "default" if fa.bits < 8 else "full"))
    for f in fm:
        for rm in ROUNDINGS:
            for ovf in OVERFLOWS:
                pol = policy_for(f, rounding=rm, overflow=ovf)
                default = f.bits < 8 and rm == "rne" and ovf == "sat_finite"
                specs.append(_mul_round_spec(f, pol, "default" if default else "full"))
    return specs


def _mul_exact_spec(fa, fb, tier):
    stem = f"mul/{fa.name}_x_{fb.name}_to_f32.exact"
    fields = (Field("a", "input", fa.name), Field("b", "input", fb.name), Field("z", "result", "float32"),
              Field("flags", "flags", "flags"))
    meta = {"src": [fa.name, fb.name], "dst": "float32", "rounding": "exact (every product fits float32)",
            "nan_result": f"sign | 0x{F32.canonical_nan:08X}", "invalid": "0 x Inf"}
    header = {"op": f"{fa.name}_x_{fb.name}_to_f32", "rm": "exact", "nan": f"sign|{F32.canonical_nan:08X}"}

    def build(ctx):
        a, b = _pairs(fa, fb)
        p, inv = _exact_products(fa, fb, a, b)
        p32 = p.astype(np.float32)
        if not np.array_equal(p32.astype(np.float64), p, equal_nan=True):
            raise AssertionError(f"{fa.name} x {fb.name} products are not exact in float32")
        u = F32.to_bits_canonical(p32).astype(np.uint64)
        u[inv & np.isnan(p32)] = F32.canonical_nan  # 0 x Inf: the default NaN, positive
        return {"a": a, "b": b, "z": u, "flags": np.where(inv, 0x10, 0).astype(np.uint64)}, [
            gen_entry("exhaustive_pairs", a.size)]

    return FileSpec("mul", stem, "mul", fields, meta, header, build, tier)


def _mul_round_spec(f, pol, tier):
    stem = f"mul/{f.name}_mul.{pol.rounding}.{pol.overflow}.t{pol.tininess}"
    fields = (Field("a", "input", f.name), Field("b", "input", f.name), Field("z", "result", f.name),
              Field("flags", "flags", "flags"))
    meta = {"src": [f.name, f.name], "dst": f.name, "policy": pol.as_dict(), "invalid": "0 x Inf",
            "method": "exact product, rounded once by fp8ref.encode"}
    header = {"op": f"{f.name}_mul", "rm": pol.rounding, "ovf": pol.overflow, "tininess": pol.tininess, "nan": pol.nan}

    def build(ctx):
        a, b = _pairs(f, f)
        p, inv = _exact_products(f, f, a, b)
        z, fl = encode(p, f, policy=pol, return_flags=True)
        fl = fl.astype(np.uint64) | np.where(inv, 0x10, 0).astype(np.uint64)
        return {"a": a, "b": b, "z": z.astype(np.uint64), "flags": fl}, [gen_entry("exhaustive_pairs", a.size)]

    return FileSpec("mul", stem, "mul", fields, meta, header, build, tier)


register_suite(Suite(
    "mul",
    "every code pair: exact products -> float32 (GEMM multipliers, incl. E4M3xE5M2) and products "
    "rounded to the same format under every rounding × overflow policy",
    _mul_files,
))
