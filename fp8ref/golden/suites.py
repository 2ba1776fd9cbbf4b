"""The suite registry: what vector files exist, how each is computed, which are in the default set.

A :class:`Suite` lists :class:`FileSpec` s; a FileSpec names one file set (``<stem>.tv``,
``.memh``, ``.json``, ``.npz``), its fields, its metadata and a ``build(ctx)`` that returns the
columns. Suites only *choose inputs* (``generators``) and call the library (``fp8ref.encode``,
``fp8ref.decode``, block quantizers, GEMM models) for the results.

Each FileSpec has a tier: ``default`` files form the committed set (``golden_vectors/``);
``full`` adds every remaining (format × rounding × overflow × tininess) combination.

Suites whose library layer is missing stay registered but report why (``Suite.status``).
"""

from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from .. import policy as _policy
from ..codecs import decode, decode_table, encode
from ..formats import get_format, list_formats
from . import generators as G
from .fields import FLOAT_TYPES, Field, encode_input, float_type
from .prng import stream, subseed

__all__ = [
    "Context",
    "FileSpec",
    "Suite",
    "SUITES",
    "register_suite",
    "get_suite",
    "list_suites",
    "DEFAULT_SEED",
    "DEFAULT_COUNT",
    "TIERS",
]

DEFAULT_SEED = 1  # TestFloat's default seed
DEFAULT_COUNT = 256  # random cases per file
TIERS = ("default", "full")


@dataclass(frozen=True)
class Context:
    seed: int = DEFAULT_SEED
    count: int = DEFAULT_COUNT


@dataclass(frozen=True, eq=False)
class FileSpec:
    """One vector file set. ``stem`` is its path (``/``-separated) without extension."""

    suite: str
    stem: str
    op: str
    fields: tuple
    meta: dict
    header: dict  # short key=value pairs for the memh comment header
    build: Callable = field(repr=False)  # ctx -> (table: dict[field -> uint64 array], generators: list[dict])
    tier: str = "default"

    @property
    def name(self) -> str:
        return self.stem.rsplit("/", 1)[-1]


class Suite:
    """A named family of vector files.

    ``files(tier)`` returns the FileSpecs of that tier and below. ``requires``: modules that
    must import (``"fp8ref.blocks"``) and/or formats that must be registered (``"fmt:ue8m0"``).
    """

    def __init__(self, name: str, title: str, files: Callable, requires=(), note: str = ""):
        self.name, self.title, self._files, self.requires, self.note = name, title, files, tuple(requires), note

    def status(self):
        """(available, reason)."""
        for r in self.requires:
            if r.startswith("fmt:"):
                try:
                    get_format(r[4:])
                except ValueError:
                    return False, f"format {r[4:]!r} is not registered yet{self._why()}"
            else:
                try:
                    importlib.import_module(r)
                except ImportError:
                    return False, f"module {r} is not available yet{self._why()}"
        try:
            self._files("full")
        except _NotReady as e:
            return False, f"{e}{self._why()}"
        except (AttributeError, ImportError, TypeError) as e:  # a lower layer's API changed under us
            return False, f"the library layer does not offer what this suite needs: {e}{self._why()}"
        return True, ""

    def _why(self):
        return f" ({self.note})" if self.note else ""

    def files(self, tier: str = "default") -> list:
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; valid: {', '.join(TIERS)}")
        ok, why = self.status()
        if not ok:
            raise ValueError(f"suite {self.name!r} is not available: {why}")
        specs = self._files(tier)
        keep = TIERS[: TIERS.index(tier) + 1]
        return [s for s in specs if s.tier in keep]


class _NotReady(Exception):
    """A suite's library layer exists but lacks what the suite needs."""


SUITES: dict = {}


def register_suite(suite: Suite) -> Suite:
    SUITES[suite.name] = suite
    return suite


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; valid suites: {', '.join(SUITES)}") from None


def list_suites() -> list:
    return list(SUITES)


# ---- shared pieces -----------------------------------------------------------------------
ROUNDINGS = ("rne", "rna", "rtz", "rup", "rdn", "rto")
OVERFLOWS = ("ovf_inf", "sat_finite", "sat_propagate")
STOCHASTIC = ("stochastic", "stochastic_fast", "stochastic_rne", "stochastic_rno")
#: formats that get every rounding × overflow combination in the default set (OCP FP8 and MX)
MAIN_FORMATS = ("e4m3fn", "e5m2", "e2m3fn", "e3m2fn", "e2m1fn")
#: the IEEE-like formats the suites cover, pinned here so that a format registered at run time
#: (a user's, a test's) never changes what ``generate`` writes
IEEE_FORMATS = ("e4m3fn", "e5m2", "e4m3fnuz", "e5m2fnuz", "e4m3b11fnuz", "e4m3", "e3m4", *MAIN_FORMATS[2:],
                *(f"p3109_8p{p}" for p in range(1, 8)), "fp16", "bf16", "tf32")
#: the other kinds of format (decode tables); each is included once its codec is registered
OTHER_FORMATS = ("ue8m0", "hif8", "posit8_es0", "posit8_es1", "posit8_es2")


def _policy_for(fmt, **kw) -> _policy.Policy:
    """The file's policy: the given fields; NaN into NaN-less formats delivers +max (PTX
    satfinite), since a vector file cannot raise."""
    if not getattr(fmt, "has_nan", True):
        kw.setdefault("nan_to", "max")
    return _policy.Policy(**kw)


def _policy_meta(pol: _policy.Policy) -> dict:
    return pol.as_dict()


def _gen_entry(gid: str, n: int, seed_names=None, seed=None, first=1) -> dict:
    d = {"id": gid, "count": int(n), "first_line": int(first)}
    if seed_names is not None:
        d["stream"] = "/".join(map(str, seed_names))
        d["subseed"] = f"0x{subseed(seed, *seed_names):016X}"
    return d


def _concat(parts):
    """[(id, array, seed names or None)] -> (array, generator entries)."""
    arrays, gens, line = [], [], 1
    for gid, a, names, seed in parts:
        if a.size == 0:
            continue
        arrays.append(a)
        gens.append(_gen_entry(gid, a.shape[0], names, seed, line))
        line += a.shape[0]
    return np.concatenate(arrays), gens


# ---- conversions ---------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _convert_inputs(suite: str, src_name: str, dst_name: str, seed: int, count: int):
    """Source patterns and generator entries for ``src -> dst`` (the same in every policy's
    file, so files of different modes line up)."""
    src = float_type(src_name)
    fmt = get_format(dst_name)
    if src.bits <= 16:
        a = G.exhaustive(src.bits)
        return _freeze(*_concat([("exhaustive", a, None, seed)]))
    names = (suite, src.short, fmt.name, "random")
    parts = [
        ("specials", G.specials(src), None, seed),
        ("boundary", G.boundary(src, fmt), None, seed),
        ("tininess", G.tininess(src, fmt), None, seed),
        ("binade_sweep", G.binade_sweep(src, fmt), None, seed),
        ("structured", G.structured(src, fmt), None, seed),
        ("random", G.testfloat_random(src, fmt, count, stream(seed, *names)), names, seed),
    ]
    return _freeze(*_concat(parts))


def _freeze(a, gens):
    a.setflags(write=False)
    return a, tuple(gens)


def _encode_table(src_name, bits, fmt, pol, rbits=None, srbits=None):
    x = encode_input(src_name, bits)
    kw = {}
    if rbits is not None:
        kw = dict(rbits=rbits.astype(np.uint32), srbits=srbits)
    codes, flags = encode(x, fmt, policy=pol, return_flags=True, **kw)
    return codes.astype(np.uint64), flags.astype(np.uint64)


_AXIS_TAG = {"rounding": "", "overflow": "", "tininess": "t", "below_range": "b"}
_HEADER_KEY = {"rounding": "rm", "overflow": "ovf", "tininess": "tininess", "below_range": "below"}
IEEE_AXES = ("rounding", "overflow", "tininess")


def _convert_spec(suite, src_name, fmt, pol, tier, axes=IEEE_AXES):
    """``<suite>/<src>_to_<fmt>.<axis values>``: one input, one result, flags."""
    src = float_type(src_name)
    tag = ".".join(_AXIS_TAG[a] + getattr(pol, a) for a in axes)
    stem = f"{suite}/{src.short}_to_{fmt.name}.{tag}"
    fields = (Field("a", "input", src.name), Field("z", "result", fmt.name), Field("flags", "flags", "flags"))
    meta = {"src": src.name, "dst": fmt.name, "policy": _policy_meta(pol)}
    keys = dict.fromkeys(("rounding", "overflow", "tininess", *axes))  # rm/ovf/tininess always named
    header = {"op": f"{src.short}_to_{fmt.name}", **{_HEADER_KEY[a]: getattr(pol, a) for a in keys}, "nan": pol.nan}
    if not getattr(fmt, "has_nan", True):
        header["nan_to"] = pol.nan_to

    def build(ctx):
        a, gens = _convert_inputs(suite, src.name, fmt.name, ctx.seed, ctx.count)
        z, fl = _encode_table(src.name, a, fmt, pol)
        return {"a": a, "z": z, "flags": fl}, list(gens)

    return FileSpec(suite, stem, "convert", fields, meta, header, build, tier)


def _ieee_targets(src_name, max_bits=None):
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
        for fmt in _ieee_targets(src_name):
            for rm in ROUNDINGS:
                for ovf in OVERFLOWS:
                    for tin in ("after", "before"):
                        pol = _policy_for(fmt, rounding=rm, overflow=ovf, tininess=tin)
                        t = "default" if default_rule(fmt, rm, ovf, tin) else "full"
                        specs.append(_convert_spec(suite, src_name, fmt, pol, t))
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
    _s = FLOAT_TYPES[_src].short
    register_suite(Suite(
        f"convert_{_s}",
        f"{_s} -> every IEEE-like format, every rounding mode × overflow policy × tininess, with flags; {_what}",
        _convert_files(f"convert_{_s}", _src, _rule),
    ))


# ---- stochastic rounding ------------------------------------------------------------------
SRBITS = 8


def _stochastic_files(tier):
    suite = "convert_stochastic"
    src = FLOAT_TYPES["float32"]
    specs = []
    for fmt in _ieee_targets("float32", max_bits=8):
        for rm in STOCHASTIC:
            for ovf in OVERFLOWS:
                pol = _policy_for(fmt, rounding=rm, overflow=ovf)
                default = rm == "stochastic" and (
                    (fmt.name in ("e4m3fn", "e5m2") and ovf in ("ovf_inf", "sat_finite"))
                    or (fmt.name == "e2m1fn" and ovf == "sat_finite")
                )
                specs.append(_stochastic_spec(suite, src, fmt, pol, "default" if default else "full"))
    return specs


@lru_cache(maxsize=32)
def _stochastic_inputs(suite, dst_name, seed, count):
    src = FLOAT_TYPES["float32"]
    fmt = get_format(dst_name)
    b = G.boundary(src, fmt, ulps=(1,))
    rnd_names = (suite, src.short, fmt.name, "random")
    r = G.testfloat_random(src, fmt, count, stream(seed, *rnd_names))
    a_names = (suite, src.short, fmt.name, "rbits")
    x_sw, r_sw = G.srbits_sweep(src, fmt, SRBITS)
    a = np.concatenate([b, r])
    rb = stream(seed, *a_names).bits(a.size, SRBITS)
    gens = [
        _gen_entry("boundary", b.size, a_names, seed, 1),
        _gen_entry("random", r.size, rnd_names, seed, 1 + b.size),
        _gen_entry("srbits_sweep", x_sw.size, None, seed, 1 + a.size),
    ]
    gens[0]["note"] = "rbits of the boundary and random cases come from stream " + gens[0]["stream"]
    return _freeze(np.concatenate([a, x_sw]), gens)[0], np.concatenate([rb, r_sw]), tuple(gens)


def _stochastic_spec(suite, src, fmt, pol, tier):
    stem = f"{suite}/{src.short}_to_{fmt.name}.{pol.rounding}{SRBITS}.{pol.overflow}.t{pol.tininess}"
    fields = (
        Field("a", "input", src.name),
        Field("rbits", "input", f"uint{SRBITS}"),
        Field("z", "result", fmt.name),
        Field("flags", "flags", "flags"),
    )
    meta = {"src": src.name, "dst": fmt.name, "policy": _policy_meta(pol), "srbits": SRBITS}
    header = {"op": f"{src.short}_to_{fmt.name}", "rm": pol.rounding, "srbits": SRBITS, "ovf": pol.overflow,
              "tininess": pol.tininess, "nan": pol.nan}

    def build(ctx):
        a, rb, gens = _stochastic_inputs(suite, fmt.name, ctx.seed, ctx.count)
        z, fl = _encode_table(src.name, a, fmt, pol, rbits=rb, srbits=SRBITS)
        return {"a": a, "rbits": rb, "z": z, "flags": fl}, list(gens)

    return FileSpec(suite, stem, "convert", fields, meta, header, build, tier)


register_suite(Suite(
    "convert_stochastic",
    f"f32 -> 4/6/8-bit formats under the four stochastic rounding rules, {SRBITS} random bits per "
    "case written in the line (boundary + random + every-rbits sweeps)",
    _stochastic_files,
))


# ---- decode tables -------------------------------------------------------------------------
def _f32_bits_of(fmt, codes):
    """float32 bit patterns of the decoded codes; NaN -> sign | 0x7FC00000 (canonical)."""
    v = decode(codes.astype(np.int64), fmt, dtype=np.float32)
    u = v.view(np.uint32).astype(np.uint64)
    nan = np.isnan(v)
    u[nan] = (u[nan] & np.uint64(0x80000000)) | np.uint64(0x7FC00000)
    return u


def _decode_files(tier):
    specs = []
    for n in IEEE_FORMATS + tuple(n for n in OTHER_FORMATS if n in list_formats()):
        fmt = get_format(n)
        if fmt.bits > 16:
            continue
        t = "default" if fmt.bits <= 8 else "full"
        specs.append(_decode_spec(fmt, t))
    return specs


def _decode_spec(fmt, tier):
    stem = f"decode/{fmt.name}_to_f32"
    fields = (Field("a", "input", fmt.name), Field("z", "result", "float32"), Field("flags", "flags", "flags"))
    meta = {"src": fmt.name, "dst": "float32", "nan_result": "sign | 0x7FC00000"}
    header = {"op": f"{fmt.name}_to_f32", "nan": "sign|7FC00000"}

    def build(ctx):
        a = np.arange(fmt.num_codes, dtype=np.uint64)
        z = _f32_bits_of(fmt, a)
        return {"a": a, "z": z, "flags": np.zeros(a.size, np.uint64)}, [_gen_entry("exhaustive", a.size)]

    return FileSpec("decode", stem, "decode", fields, meta, header, build, tier)


register_suite(Suite(
    "decode",
    "every code of every format (up to 16 bits) -> float32 bits (NaN -> sign|7FC00000), flags",
    _decode_files,
))


# ---- products (every code pair) ------------------------------------------------------------
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
                pol = _policy_for(f, rounding=rm, overflow=ovf)
                default = f.bits < 8 and rm == "rne" and ovf == "sat_finite"
                specs.append(_mul_round_spec(f, pol, "default" if default else "full"))
    return specs


def _mul_exact_spec(fa, fb, tier):
    stem = f"mul/{fa.name}_x_{fb.name}_to_f32.exact"
    fields = (Field("a", "input", fa.name), Field("b", "input", fb.name), Field("z", "result", "float32"),
              Field("flags", "flags", "flags"))
    meta = {"src": [fa.name, fb.name], "dst": "float32", "rounding": "exact (every product fits float32)",
            "nan_result": "sign | 0x7FC00000", "invalid": "0 x Inf"}
    header = {"op": f"{fa.name}_x_{fb.name}_to_f32", "rm": "exact", "nan": "sign|7FC00000"}

    def build(ctx):
        a, b = _pairs(fa, fb)
        p, inv = _exact_products(fa, fb, a, b)
        p32 = p.astype(np.float32)
        if not np.array_equal(p32.astype(np.float64), p, equal_nan=True):
            raise AssertionError(f"{fa.name} x {fb.name} products are not exact in float32")
        u = p32.view(np.uint32).astype(np.uint64)
        nan = np.isnan(p32)
        sign = np.where(inv, np.uint64(0), u & np.uint64(0x80000000))  # 0 x Inf: default NaN, positive
        u[nan] = sign[nan] | np.uint64(0x7FC00000)
        return {"a": a, "b": b, "z": u, "flags": np.where(inv, 0x10, 0).astype(np.uint64)}, [
            _gen_entry("exhaustive_pairs", a.size)]

    return FileSpec("mul", stem, "mul", fields, meta, header, build, tier)


def _mul_round_spec(f, pol, tier):
    stem = f"mul/{f.name}_mul.{pol.rounding}.{pol.overflow}.t{pol.tininess}"
    fields = (Field("a", "input", f.name), Field("b", "input", f.name), Field("z", "result", f.name),
              Field("flags", "flags", "flags"))
    meta = {"src": [f.name, f.name], "dst": f.name, "policy": _policy_meta(pol), "invalid": "0 x Inf",
            "method": "exact product, rounded once by fp8ref.encode"}
    header = {"op": f"{f.name}_mul", "rm": pol.rounding, "ovf": pol.overflow, "tininess": pol.tininess, "nan": pol.nan}

    def build(ctx):
        a, b = _pairs(f, f)
        p, inv = _exact_products(f, f, a, b)
        z, fl = encode(p, f, policy=pol, return_flags=True)
        fl = fl.astype(np.uint64) | np.where(inv, 0x10, 0).astype(np.uint64)
        return {"a": a, "b": b, "z": z.astype(np.uint64), "flags": fl}, [_gen_entry("exhaustive_pairs", a.size)]

    return FileSpec("mul", stem, "mul", fields, meta, header, build, tier)


register_suite(Suite(
    "mul",
    "every code pair: exact products -> float32 (GEMM multipliers, incl. E4M3xE5M2) and products "
    "rounded to the same format under every rounding × overflow policy",
    _mul_files,
))


# ---- other kinds of format: UE8M0 scales, HiFloat8, posits ---------------------------------
def _kind_files(suite, fmt_names, axes: dict, sources, default_rule):
    """Every (source, format, policy combination) of ``axes`` ({field: values})."""

    def files(tier):
        specs = []
        names = list(axes)
        for src_name in sources:
            for n in fmt_names:
                fmt = get_format(n)
                for combo in itertools.product(*(axes[a] for a in names)):
                    kw = dict(zip(names, combo))
                    pol = _policy_for(fmt, **kw)
                    t = "default" if default_rule(src_name, fmt.name, kw) else "full"
                    specs.append(_convert_spec(suite, src_name, fmt, pol, t, names))
        return specs

    return files


UE8M0_ROUNDINGS = ("rdn", "rup", "rne", "rna", "rtz")
register_suite(Suite(
    "ue8m0",
    "f32/f64/bf16/f16 -> UE8M0 scales: rdn rup rne rna rtz × overflow (NaN | 2^127) × below-range "
    "(zero/negative/too small -> NaN | 2^-127)",
    _kind_files(
        "ue8m0", ("ue8m0",),
        {"rounding": UE8M0_ROUNDINGS, "overflow": ("ovf_inf", "sat_finite"), "below_range": ("nan", "min")},
        ("float32", "float64", "bfloat16", "float16"),
        lambda src, fmt, kw: src == "float32" and (
            (kw["overflow"] == "ovf_inf" and kw["below_range"] == "nan")
            or (kw["rounding"] == "rup" and kw["overflow"] == "sat_finite" and kw["below_range"] == "min")),
    ),
    requires=("fmt:ue8m0",),
    note="issue 3",
))

register_suite(Suite(
    "hif8",
    "f32/f64/f16/bf16 -> HiFloat8: TA (rna) and HR (hybrid) × overflow (Inf | saturate)",
    _kind_files(
        "hif8", ("hif8",),
        {"rounding": ("rna", "hybrid"), "overflow": ("ovf_inf", "sat_finite")},
        ("float32", "float64", "float16", "bfloat16"),
        lambda src, fmt, kw: src == "float32",
    ),
    requires=("fmt:hif8",),
    note="issue 3",
))

POSIT_FORMATS = ("posit8_es0", "posit8_es1", "posit8_es2")
register_suite(Suite(
    "posit8",
    "f32/f64/f16/bf16 -> posit8 (es 0, 1, 2), round to nearest even (posits never overflow)",
    _kind_files(
        "posit8", POSIT_FORMATS, {"rounding": ("rne",)},
        ("float32", "float64", "float16", "bfloat16"),
        lambda src, fmt, kw: src == "float32",
    ),
    requires=tuple(f"fmt:{n}" for n in POSIT_FORMATS),
    note="issue 3",
))


from . import block_suites  # noqa: E402,F401  (registers mx, nvfp4, deepseek)
from . import gemm_suite  # noqa: E402,F401  (registers gemm)
from . import arith_suites  # noqa: E402,F401  (registers arith)
