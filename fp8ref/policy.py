"""Conversion policy: rounding, overflow, NaN and flag rules, in one value.

Every encoder reads a :class:`Policy`; no codec keeps policy of its own. Named presets bundle
the choices of a software or hardware stack so that a user (and a golden-vector file) can say
which behaviour it reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ._deprecation import warn_renamed

__all__ = [
    "Policy",
    "ROUNDING_MODES",
    "OVERFLOW_MODES",
    "NAN_MODES",
    "NAN_TO_MODES",
    "TININESS_MODES",
    "BELOW_RANGE_MODES",
    "INPUT_PATHS",
    "FLAG_INEXACT",
    "FLAG_UNDERFLOW",
    "FLAG_OVERFLOW",
    "FLAG_INFINITE",
    "FLAG_INVALID",
    "FLAG_NAMES",
    "PRESETS",
    "make_policy",
    "flag_names",
]

#: Rounding modes. ``stochastic*`` need caller-supplied random bits (see ``round_shift``).
ROUNDING_MODES = (
    "rne",  # nearest, ties to the even code
    "rna",  # nearest, ties away from zero
    "rnz",  # nearest, ties toward zero (IEEE 754-2019 roundTiesTowardZero; DeepGEMM's FP4 cast)
    "rtz",  # toward zero (truncate)
    "rup",  # toward +inf
    "rdn",  # toward -inf
    "rto",  # round to odd: truncate, then set the last bit if inexact
    "raz",  # away from zero, i.e. toward max magnitude (P3109 TowardMaxMagnitude)
    "stochastic",  # add n random bits below the kept precision, truncate (gfloat StochasticFastest, PTX cvt.rs)
    "stochastic_fast",  # add r + 1/2 (gfloat StochasticFast)
    "stochastic_rne",  # round the discarded part to n bits (RNE), then add (gfloat Stochastic)
    "stochastic_rno",  # round the discarded part to n bits (ties to odd), then add (gfloat StochasticOdd)
    "hybrid",  # HiF8 only: HR/SSR rule (tapered formats), see fp8ref.codecs.tapered
)
STOCHASTIC_MODES = tuple(m for m in ROUNDING_MODES if m.startswith("stochastic"))

#: Overflow modes, in IEEE P3109 terms.
OVERFLOW_MODES = (
    "ovf_inf",  # to ±Inf where the format has Inf, else NaN, else ±max (FP6/FP4, as ml_dtypes)
    "sat_finite",  # finite overflow and ±Inf inputs go to ±max finite (OCP SAT, PTX .satfinite)
    "sat_propagate",  # finite overflow to ±max; ±Inf stays Inf (NaN where the format has no Inf)
)

#: Which NaN code a NaN result gets (formats that have a NaN).
NAN_MODES = (
    "canonical",  # the format's canonical NaN, always positive (0x7F; 0x80 for FNUZ/P3109)
    "keep_sign",  # canonical NaN with the sign of the input
    "ml_dtypes",  # ml_dtypes: quiet NaN (E5M2: 0x7E) with the input's sign
)

#: What a NaN input becomes in a format without NaN (FP6/FP4). All set the invalid flag.
NAN_TO_MODES = (
    "error",  # raise ValueError
    "zero",  # +0
    "max",  # +max finite (TE's satfinite fallback)
    "ml_dtypes",  # +NaN -> -0, -NaN -> +0 (what ml_dtypes 0.6.0 and 0.7.0 do)
)

TININESS_MODES = ("after", "before")

#: How inputs wider than float32 (float64, 64/32-bit integers) reach the rounding.
INPUT_PATHS = (
    "direct",  # rounded once, from the input's own precision (the fp8ref default)
    "via_float32",  # first rounded RNE to float32, then converted (double rounding): ml_dtypes 0.6.0, torch 2.13.0
)

#: Formats without zero or sign (UE8M0): what zero, negative and too-small inputs become.
BELOW_RANGE_MODES = (
    "nan",  # NaN code (ml_dtypes for zero and negatives)
    "min",  # the smallest value, 2^-127 (torch / TransformerEngine for zero)
    "error",  # raise ValueError
    "ml_dtypes_0.6",  # ml_dtypes 0.6.0 float8_e8m0fnu exactly: "nan", and (2^-127, 2^-126) -> 2^-126 (0.7.0 is "nan")
    "torch",  # torch 2.13.0 float8_e8m0fnu exactly: 0 -> 2^-127, negative x -> |x|, (2^-127, 2^-126) -> 2^-126
)

#: deprecated field values -> the value they mean now (a Policy built with one warns and stores the new one)
RENAMED_VALUES = {("below_range", "ml_dtypes"): "ml_dtypes_0.6"}

# Flags, per element, in Berkeley TestFloat / RISC-V fflags order.
FLAG_INEXACT = 0x01
FLAG_UNDERFLOW = 0x02
FLAG_OVERFLOW = 0x04
FLAG_INFINITE = 0x08  # divide-by-zero; conversions never raise it
FLAG_INVALID = 0x10
FLAG_NAMES = {
    FLAG_INEXACT: "inexact",
    FLAG_UNDERFLOW: "underflow",
    FLAG_OVERFLOW: "overflow",
    FLAG_INFINITE: "infinite",
    FLAG_INVALID: "invalid",
}


def flag_names(flags: int) -> list[str]:
    """Names of the flags set in one flag byte."""
    return [n for bit, n in FLAG_NAMES.items() if int(flags) & bit]


@dataclass(frozen=True)
class Policy:
    """How a value is converted: every choice explicit, every field validated.

    Flags (TestFloat rules): inexact when the delivered value differs from a finite input
    (saturation and overflow included); overflow when the result rounded with an unbounded
    exponent exceeds max finite (saturation changes the value, not the flag); underflow when
    tiny and inexact, tiny meaning ``0 < |r_unbounded| < min_normal`` (``after``) or
    ``0 < |x| < min_normal`` (``before``); invalid for signalling-NaN inputs and for NaN/Inf
    inputs delivered as a number because the format lacks them.
    """

    rounding: str = "rne"
    overflow: str = "ovf_inf"
    nan: str = "canonical"
    nan_to: str = "error"
    tininess: str = "after"
    below_range: str = "nan"
    input_path: str = "direct"

    def __post_init__(self):
        for (f, old), new in RENAMED_VALUES.items():
            if getattr(self, f) == old:
                warn_renamed(f"{f}={old!r}", f"{f}={new!r}", stacklevel=4)
                object.__setattr__(self, f, new)
        for f, allowed in (
            ("rounding", ROUNDING_MODES),
            ("overflow", OVERFLOW_MODES),
            ("nan", NAN_MODES),
            ("nan_to", NAN_TO_MODES),
            ("tininess", TININESS_MODES),
            ("below_range", BELOW_RANGE_MODES),
            ("input_path", INPUT_PATHS),
        ):
            v = getattr(self, f)
            if v not in allowed:
                raise ValueError(f"unknown {f} {v!r}; valid: {', '.join(allowed)}")

    @property
    def is_stochastic(self) -> bool:
        return self.rounding in STOCHASTIC_MODES

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Preset:
    """A named stack behaviour: a base policy plus per-format overrides.

    ``reproduces`` names the peer and the exact version the preset is tested against (or the
    specification it follows). A peer's plain name (``ml_dtypes``, ``torch``) follows its newest
    release measured; an older behaviour keeps a versioned name (``ml_dtypes_0.6``).
    """

    name: str
    base: Policy
    per_format: tuple = ()  # ((format name, {field: value}), ...)
    reproduces: str = ""
    source: str = ""

    def policy_for(self, fmt_name: str) -> Policy:
        for name, over in self.per_format:
            if name == fmt_name:
                return replace(self.base, **dict(over))
        return self.base


_ML_DTYPES_COMMON = (
    "numpy astype casts: RNE; non-saturating (E4M3FN/FNUZ -> NaN, E5M2/E4M3/E3M4 -> Inf, FP6/FP4 "
    "-> ±max); NaN -> the quiet NaN with the input's sign (nan='ml_dtypes'; FNUZ: 0x80); FP6/FP4 "
    "+NaN -> -0, -NaN -> +0 (nan_to='ml_dtypes'); float8_e8m0fnu rounds ties up (rna), "
    "zero/negative -> NaN"
)

PRESETS = {
    p.name: p
    for p in (
        Preset(
            "ml_dtypes",
            Policy("rne", "ovf_inf", "ml_dtypes", "ml_dtypes"),
            per_format=(("ue8m0", {"rounding": "rna"}),),
            reproduces="ml_dtypes 0.7.0",
            source=f"ml_dtypes 0.7.0 {_ML_DTYPES_COMMON}, (2^-127, 2^-126) rounded like any other "
            "input; float64 and integer inputs rounded once, from their own precision (measured "
            "against 0.7.0: every float16/bfloat16 input, float32/float64 boundary cases and random "
            "bits, NaN payloads, integers up to 64 bits, casts between its 8-bit types)",
        ),
        Preset(
            "ml_dtypes_0.6",
            Policy("rne", "ovf_inf", "ml_dtypes", "ml_dtypes", input_path="via_float32"),
            per_format=(("ue8m0", {"rounding": "rna", "below_range": "ml_dtypes_0.6"}),),
            reproduces="ml_dtypes 0.6.0",
            source=f"ml_dtypes 0.6.0 {_ML_DTYPES_COMMON}, (2^-127, 2^-126) -> 0x01 "
            "(below_range='ml_dtypes_0.6'); float64 and 32/64-bit integer inputs first rounded to "
            "float32 (input_path='via_float32', double rounding). Its Python-scalar constructors "
            "(float8_e4m3fn(x)) round float64 directly; the preset follows its array casts",
        ),
        Preset(
            "torch",
            Policy("rne", "ovf_inf", "keep_sign", "error", input_path="via_float32"),
            per_format=(("e4m3fn", {"overflow": "sat_finite"}),
                        ("ue8m0", {"rounding": "rna", "below_range": "torch"})),
            reproduces="torch 2.13.0",
            source="PyTorch 2.13.0 CPU casts (measured on 2.13.0+cpu): E4M3FN saturates (Inf -> "
            "448, pytorch #178817), E5M2 and FNUZ non-saturating; NaN 0x7F with the input's sign; "
            "float64 and 32/64-bit integer inputs go through float32 (double rounding); "
            "float8_e8m0fnu rounds ties up, "
            "sends 0 to 2^-127, a negative x to |x| and (2^-127, 2^-126) to 2^-126 "
            "(below_range='torch')",
        ),
        Preset(
            "ptx_satfinite",
            Policy("rne", "sat_finite", "canonical", "max"),
            reproduces="PTX ISA 8.6 cvt (specification)",
            source="PTX cvt.rn.satfinite.{e4m3x2,e5m2x2,e2m1x2,...}.f32: finite overflow and Inf "
            "clamp to ±max, NaN -> canonical NaN (0x7F) or +max for FP4/FP6",
        ),
        Preset(
            "ocp_sat",
            Policy("rne", "sat_finite", "keep_sign", "error"),
            reproduces="OCP OFP8 rev 1.0 / OCP MX v1.0 (specification)",
            source="OCP OFP8 spec rev 1.0 saturating conversion mode / OCP MX v1.0 §6.3: RNE, "
            "overflow clamps to ±max normal; NaN stays NaN",
        ),
        Preset(
            "ieee",
            Policy("rne", "ovf_inf", "canonical", "error"),
            reproduces="IEEE 754-2019 (specification)",
            source="IEEE 754 default: RNE, overflow to Inf (NaN where there is none), tininess after",
        ),
    )
}


def make_policy(fmt_name: str | None = None, preset: str | None = None, **overrides) -> Policy:
    """Build a Policy from an optional preset plus explicit field overrides (None = keep)."""
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
        base = PRESETS[preset].policy_for(fmt_name or "")
    else:
        base = Policy()
    over = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(over) - {f.name for f in fields(Policy)}
    if unknown:
        raise TypeError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
    return replace(base, **over) if over else base
