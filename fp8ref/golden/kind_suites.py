"""Suites of the other kinds of format, one input per line with flags (conversion files as in
:mod:`.convert_suites`): ``ue8m0`` (OCP MX / DeepGEMM scales), ``hif8`` (HiFloat8 TA and HR),
``posit8`` (es 0, 1, 2)."""

from __future__ import annotations

from .convert_suites import kind_files
from .suites import Suite, register_suite

__all__ = ["UE8M0_ROUNDINGS", "POSIT_FORMATS"]

UE8M0_ROUNDINGS = ("rdn", "rup", "rne", "rna", "rtz")
register_suite(Suite(
    "ue8m0",
    "f32/f64/bf16/f16 -> UE8M0 scales: rdn rup rne rna rtz × overflow (NaN | 2^127) × below-range "
    "(zero/negative/too small -> NaN | 2^-127)",
    kind_files(
        "ue8m0", ("ue8m0",),
        {"rounding": UE8M0_ROUNDINGS, "overflow": ("ovf_inf", "sat_finite"), "below_range": ("nan", "min")},
        ("float32", "float64", "bfloat16", "float16"),
        lambda src, fmt, kw: src == "float32" and (
            (kw["overflow"] == "ovf_inf" and kw["below_range"] == "nan")
            or (kw["rounding"] == "rup" and kw["overflow"] == "sat_finite" and kw["below_range"] == "min")),
    ),
))

register_suite(Suite(
    "hif8",
    "f32/f64/f16/bf16 -> HiFloat8: TA (rna) and HR (hybrid) × overflow (Inf | saturate)",
    kind_files(
        "hif8", ("hif8",),
        {"rounding": ("rna", "hybrid"), "overflow": ("ovf_inf", "sat_finite")},
        ("float32", "float64", "float16", "bfloat16"),
        lambda src, fmt, kw: src == "float32",
    ),
))

POSIT_FORMATS = ("posit8_es0", "posit8_es1", "posit8_es2")
register_suite(Suite(
    "posit8",
    "f32/f64/f16/bf16 -> posit8 (es 0, 1, 2), round to nearest even (posits never overflow)",
    kind_files(
        "posit8", POSIT_FORMATS, {"rounding": ("rne",)},
        ("float32", "float64", "float16", "bfloat16"),
        lambda src, fmt, kw: src == "float32",
    ),
))
