"""Name → format registry. Every codec, quantizer and CLI command resolves formats here."""

from __future__ import annotations

import difflib

from .ieee import Format
from .p3109 import p3109_format, resolve_p3109

__all__ = ["register", "register_default", "register_resolver", "get_format", "list_formats", "resolve"]

_FORMATS: dict[str, object] = {}
_ALIASES: dict[str, str] = {}
_RESOLVERS: list = []  # name -> format | None, for families resolved on demand (P3109)
#: what ``list_formats`` does not list: families whose members are built on first lookup
FAMILY_NOTE = ("plus the IEEE P3109 family p3109_k{K}p{P}{s|u}{e|f} (K 3..16; also binary{K}p{P}{s|u}{e|f}), "
               "resolved on demand: docs/formats_p3109.md")


def register(fmt, aliases=(), *, replace: bool = False):
    """Add a format description (any kind) under ``fmt.name`` and optional aliases."""
    names = [fmt.name, *aliases]
    for n in names:
        key = n.lower()
        if not replace and (key in _FORMATS or key in _ALIASES):
            raise ValueError(f"format name {n!r} is already registered")
    _FORMATS[fmt.name.lower()] = fmt
    for a in aliases:
        _ALIASES[a.lower()] = fmt.name.lower()
    return fmt


def register_default(fmt, aliases=()):
    """Register a built-in ``fmt`` unless its name is taken (a codec module imported again, or a
    test that restored the registry); return the format registered under that name."""
    key = fmt.name.lower()
    if key in _FORMATS or key in _ALIASES:
        return get_format(fmt.name)
    return register(fmt, aliases)


def register_resolver(fn):
    """Consult ``fn(name) -> format | None`` for names that are not registered: a family whose
    members are built on first lookup (and cached by ``fn``), never listed by ``list_formats``."""
    if fn not in _RESOLVERS:
        _RESOLVERS.append(fn)
    return fn


def get_format(name):
    """Return the format called ``name`` (canonical name or alias, case-insensitive), or the
    member of a resolved family (``p3109_k6p2uf``).

    A format object passes through unchanged. Unknown names raise ValueError listing close
    matches and every valid name.
    """
    if not isinstance(name, str):
        if hasattr(name, "kind") and hasattr(name, "bits"):
            return name
        raise TypeError(f"expected a format name or description, got {type(name).__name__}")
    key = name.lower()
    key = _ALIASES.get(key, key)
    if key in _FORMATS:
        return _FORMATS[key]
    for fn in _RESOLVERS:
        fmt = fn(key)
        if fmt is not None:
            return fmt
    everything = sorted(set(_FORMATS) | set(_ALIASES))
    close = difflib.get_close_matches(key, everything, n=4, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown format {name!r}.{hint} Valid names: {', '.join(list_formats())}, {FAMILY_NOTE}")


resolve = get_format


def list_formats(kind: str | None = None) -> list[str]:
    """Canonical names of the registered formats, in registration order (the members of
    resolved families other than ``p3109_8p1`` … ``p3109_8p7`` are not listed: ``FAMILY_NOTE``)."""
    return [f.name for f in _FORMATS.values() if kind is None or f.kind == kind]


def aliases_of(name: str) -> list[str]:
    key = get_format(name).name.lower()
    return sorted(a for a, k in _ALIASES.items() if k == key)


def _ieee(name, e, m, bias, inf, nans, nz=True, aliases=(), doc=""):
    register(Format(name, e, m, bias, inf, nans, nz, doc=doc), aliases)


# fmt: off
# name           e  m  bias    inf    high NaNs  -0     aliases
_ieee("e4m3fn",   4, 3, 7,     False, 1,    True,  ("float8_e4m3fn", "ocp_e4m3", "fp8_e4m3"),
      doc="OCP OFP8 E4M3: no Inf, S.1111.111 NaN, max 448")
_ieee("e5m2",     5, 2, 15,    True,  3,    True,  ("float8_e5m2", "ocp_e5m2", "fp8_e5m2"),
      doc="OCP OFP8 E5M2: IEEE-style Inf/NaN, max 57344")
_ieee("e4m3fnuz", 4, 3, 8,     False, 0,    False, ("float8_e4m3fnuz",),
      doc="AMD/Graphcore FNUZ: 0x80 the only NaN, no -0, no Inf, max 240")
_ieee("e5m2fnuz", 5, 2, 16,    False, 0,    False, ("float8_e5m2fnuz",),
      doc="FNUZ E5M2: 0x80 the only NaN, no -0, no Inf, max 57344")
_ieee("e4m3b11fnuz", 4, 3, 11, False, 0,    False, ("float8_e4m3b11fnuz",),
      doc="E4M3 with bias 11, FNUZ specials, max 30")
_ieee("e4m3",     4, 3, 7,     True,  7,    True,  ("float8_e4m3",),
      doc="IEEE-like E4M3 with Inf, max 240")
_ieee("e3m4",     3, 4, 3,     True,  15,   True,  ("float8_e3m4",),
      doc="IEEE-like E3M4 with Inf, max 15.5")
_ieee("e2m3fn",   2, 3, 1,     False, 0,    True,  ("float6_e2m3fn", "fp6_e2m3", "ocp_e2m3"),
      doc="OCP MX FP6 E2M3: no Inf/NaN, max 7.5")
_ieee("e3m2fn",   3, 2, 3,     False, 0,    True,  ("float6_e3m2fn", "fp6_e3m2", "ocp_e3m2"),
      doc="OCP MX FP6 E3M2: no Inf/NaN, max 28")
_ieee("e2m1fn",   2, 1, 1,     False, 0,    True,  ("float4_e2m1fn", "fp4_e2m1", "ocp_e2m1", "fp4"),
      doc="OCP MX FP4 E2M1: no Inf/NaN, max 6")
for _p in range(1, 8):
    # IEEE P3109 binary8pP (signed, extended): bias 2^(7-P), 0x80 NaN, 0x7F/0xFF ±Inf, no -0;
    # the rest of the family resolves on demand (resolve_p3109)
    register(p3109_format(8, _p), (f"binary8p{_p}", f"p3109_k8p{_p}", f"p3109_k8p{_p}se", f"binary8p{_p}se"))
_ieee("fp16",     5, 10, 15,   True,  1023, True,  ("float16", "binary16", "half"),
      doc="IEEE 754 binary16")
_ieee("bf16",     8, 7, 127,   True,  127,  True,  ("bfloat16",),
      doc="bfloat16")
_ieee("tf32",     8, 10, 127,  True,  1023, True,  ("tensorfloat32",),
      doc="NVIDIA TF32 (19 bits: e8m10), as stored in fp32 with the low 13 bits zero")
# fmt: on
register_resolver(resolve_p3109)
