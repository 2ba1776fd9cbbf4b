"""A SystemVerilog DPI-C golden model generated from fp8ref's tables.

``render_dpi(formats, policies)`` returns three files (deterministic bytes):

* ``fp8ref_dpi.c``: self-contained C99 (``stdint.h`` only; also valid C++, as Verilator
  compiles it): the tables and a few lines of lookup code. No Python at simulation time.

  - **encode** from binary16 / bfloat16 bit patterns: the codec's full table, one entry per
    source pattern (65,536);
  - **encode** from binary32: the codec's key table; ``key = sign | exponent | top T
    significand bits | sticky`` where T (per model) is what the codec needs to decide every
    rounding (``key_lead_bits``; the key-and-lookup path ``fp8ref.encode`` itself takes);
  - entries are ``code | flags << 8``, flags in TestFloat order (bit 0 NX, 1 UF, 2 OF, 3 DZ,
    4 NV); every entry is ``fp8ref.encode`` of a representative input under the model's
    policy, so the C model is fp8ref, bit for bit;
  - **decode**: the binary32 bits of every code (NaN: ``sign | 0x7FC00000``, as the decode
    vectors);
  - an invalid model or format number, or a source not exported, gives ``0xFFFFFFFF`` and
    flags ``0xFF``.
* ``fp8ref_dpi_pkg.sv``: ``package fp8ref_dpi_pkg`` with the ``import "DPI-C"`` declarations
  and ``localparam int`` numbers of the formats and models.
* ``fp8ref_dpi.json``: the same index for scripts (each model's format, full policy, sources).

A *model* is one (format, policy). Policies are :class:`PolicySpec` values (a preset and/or
policy fields, resolved per format by :func:`fp8ref.codecs.resolve_policy`, as
``fp8ref.encode(x, fmt, preset=..., **fields)`` does) or :class:`~fp8ref.Policy` objects; their
fields reach ``fp8ref.encode`` unchanged, whatever fields a Policy has.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, fields

import numpy as np

from .. import __version__
from ..codecs import codec_for, encode, resolve_policy
from ..core.floats import BF16, F16, F32
from ..formats import get_format
from ..golden.decode_suite import f32_bits_of  # the decode vectors' rule: NaN -> sign | canonical NaN
from ..golden.fields import encode_input
from ..golden.writers import atomic_write
from ..policy import Policy

__all__ = ["PolicySpec", "SOURCES", "FILES", "models", "render_dpi", "export_dpi"]

#: source short name -> IEEE interchange type of the encode functions
SOURCES = {t.short: t.name for t in (F32, F16, BF16)}
FILES = ("fp8ref_dpi.c", "fp8ref_dpi_pkg.sv", "fp8ref_dpi.json")
_MAX_BITS = 8  # table entries hold an 8-bit code and the flag byte


@dataclass(frozen=True)
class PolicySpec:
    """A preset and/or policy fields, resolved per format (``PolicySpec.parse("ocp_sat")``,
    ``"ieee:overflow=sat_finite"``, ``"rounding=rtz:tininess=before"``)."""

    preset: str | None = None
    fields: tuple = ()  # ((field, value), ...)

    @classmethod
    def parse(cls, text: str) -> PolicySpec:
        """``[preset][:field=value]...``; an empty text is the default policy. Values are read
        as the type of the Policy field's default (``true``/``false`` for a boolean field)."""
        preset, pairs = None, []
        kinds = {f.name: type(f.default) for f in fields(Policy)}
        for i, part in enumerate(p for p in text.strip().split(":") if p):
            if "=" not in part:
                if i or preset:
                    raise ValueError(f"policy {text!r}: {part!r} is not field=value (a preset comes first)")
                preset = part
                continue
            k, v = (s.strip() for s in part.split("=", 1))
            if k not in kinds:
                raise ValueError(f"policy {text!r}: unknown policy field {k!r}; valid: {', '.join(kinds)}")
            pairs.append((k, _typed(v, kinds[k], k)))
        return cls(preset, tuple(pairs))

    def resolve(self, fmt) -> Policy:
        return resolve_policy(fmt, self.preset, **dict(self.fields))

    @property
    def text(self) -> str:
        return ":".join(([self.preset] if self.preset else []) + [f"{k}={_untyped(v)}" for k, v in self.fields])


def _typed(v: str, kind, name):
    if kind is bool:
        if v.lower() in ("1", "true", "yes", "on"):
            return True
        if v.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"policy field {name} takes true or false, got {v!r}")
    if kind is int:
        return int(v, 0)
    return v


def _untyped(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _ident(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "DEFAULT"


@dataclass(frozen=True)
class _Model:
    name: str
    fmt: object
    spec: str
    policy: Policy
    lead: int | None  # key table lead bits (None: no binary32 table)
    tables: dict  # source short name -> uint16 entries


def _entries(src: str, bits: np.ndarray, fmt, pol) -> np.ndarray:
    codes, flags = encode(encode_input(SOURCES[src], bits), fmt, policy=pol, return_flags=True)
    return (codes.astype(np.uint16) | (flags.astype(np.uint16) << np.uint16(8))).astype(np.uint16)


def _key_table(fmt, pol):
    """(T, entries) of the binary32 key table: each key's representative (its lead bits, then
    the sticky bit as the lowest significand bit) encoded by fp8ref."""
    t = codec_for(fmt).key_lead_bits(fmt, 1 - F32.bias, pol)
    if t is None or t > F32.man_bits:
        raise ValueError("fp8ref has no binary32 key table here (the result depends on more of the significand "
                         "than a table can key on); export this model without the f32 source")
    key = np.arange(1 << (1 + F32.exp_bits + t + 1), dtype=np.uint64)
    pats = ((key >> np.uint64(1)) << np.uint64(F32.man_bits - t)) | (key & np.uint64(1))
    return t, _entries("f32", pats, fmt, pol)


def models(formats, policies) -> list:
    """Every (format, policy) pair, formats outermost: the models of ``--formats`` x ``--policies``."""
    return [(f, p) for f in formats for p in policies]


def _models(pairs, sources):
    if not pairs:
        raise ValueError("no models to export (give at least one format and one policy)")
    fmts, out, names = [], [], set()
    for f, p in pairs:
        fmt = get_format(f)
        if fmt.bits > _MAX_BITS:
            raise ValueError(f"{fmt.name} has {fmt.bits}-bit codes; the DPI export covers formats of up to {_MAX_BITS} bits")
        if fmt not in fmts:
            fmts.append(fmt)
        spec = PolicySpec.parse(p) if isinstance(p, str) else p
        if isinstance(spec, Policy):
            pol = spec
            diff = [(k, v) for k, v in pol.as_dict().items() if v != getattr(Policy(), k)]
            stext = "policy (" + ", ".join(f"{k}={_untyped(v)}" for k, v in diff) + ")"
            tag = _ident("_".join(f"{k}_{_untyped(v)}" for k, v in diff))
        else:
            pol = spec.resolve(fmt)
            stext, tag = f"policy {spec.text or 'default'!r}", _ident(spec.text)
        label = f"{fmt.name}, {stext}"
        if pol.is_stochastic:
            raise ValueError(f"{label}: stochastic rounding needs random bits per conversion; not exported")
        name = f"{_ident(fmt.name)}_{tag}"
        if name in names:
            raise ValueError(f"{label}: model {name} given twice")
        names.add(name)
        tables, lead = {}, None
        try:
            for s in sources:
                if s == "f32":
                    lead, tables[s] = _key_table(fmt, pol)
                else:
                    tables[s] = _entries(s, np.arange(1 << 16, dtype=np.uint64), fmt, pol)
        except ValueError as e:
            raise ValueError(f"{label}: {e}") from None
        out.append(_Model(name, fmt, stext, pol, lead, tables))
    return fmts, out


# ---- rendering ------------------------------------------------------------------------------
def _array(ctype, name, values, per_line=16, width=0) -> str:
    vals = [f"{int(v):#0{width}x}" if width else str(int(v)) for v in values]
    lines = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    return f"static const {ctype} {name}[{len(vals)}] = {{\n  " + ",\n  ".join(lines) + "\n};\n"


def _policy_text(pol: Policy) -> str:
    return " ".join(f"{k}={_untyped(v)}" for k, v in pol.as_dict().items())


_C_STRUCT = """struct fp8ref_model {
  const char *name;
  int fmt;              /* index into the format tables */
  unsigned lead;        /* T: significand bits in the binary32 key */
  const uint16_t *f32;  /* key table (or NULL) */
  const uint16_t *f16;  /* full table (or NULL) */
  const uint16_t *bf16; /* full table (or NULL) */
};
"""

_C_CODE = """static const struct fp8ref_model *fp8ref_model(int model) {
  return (model >= 0 && model < FP8REF_NUM_MODELS) ? &fp8ref_models[model] : NULL;
}

static unsigned int fp8ref_lookup(const uint16_t *table, uint32_t index, unsigned char *flags) {
  if (table == NULL) {
    *flags = 0xFFu;
    return 0xFFFFFFFFu;
  }
  *flags = (unsigned char)(table[index] >> 8);
  return table[index] & 0xFFu;
}

int fp8ref_model_count(void) { return FP8REF_NUM_MODELS; }

const char *fp8ref_model_name(int model) {
  const struct fp8ref_model *m = fp8ref_model(model);
  return m ? m->name : "";
}

unsigned int fp8ref_encode_f32(int model, unsigned int a, unsigned char *flags) {
  const struct fp8ref_model *m = fp8ref_model(model);
  uint32_t bits = (uint32_t)a, sh, key;
  if (m == NULL || m->f32 == NULL) return fp8ref_lookup(NULL, 0, flags);
  sh = 23u - m->lead;
  key = ((bits >> sh) << 1) | (uint32_t)((bits & ((1u << sh) - 1u)) != 0u);
  return fp8ref_lookup(m->f32, key, flags);
}

unsigned int fp8ref_encode_f16(int model, unsigned short a, unsigned char *flags) {
  const struct fp8ref_model *m = fp8ref_model(model);
  return fp8ref_lookup(m ? m->f16 : NULL, (uint32_t)a & 0xFFFFu, flags);
}

unsigned int fp8ref_encode_bf16(int model, unsigned short a, unsigned char *flags) {
  const struct fp8ref_model *m = fp8ref_model(model);
  return fp8ref_lookup(m ? m->bf16 : NULL, (uint32_t)a & 0xFFFFu, flags);
}

unsigned int fp8ref_decode_f32(int fmt, unsigned int code) {
  if (fmt < 0 || fmt >= FP8REF_NUM_FORMATS || code >= fp8ref_format_codes[fmt]) return 0xFFFFFFFFu;
  return fp8ref_format_dec[fmt][code];
}
"""


def render_dpi(pairs, sources=("f32", "f16", "bf16")) -> dict:
    """{file name: bytes} of the DPI-C model with one model per (format, policy) pair (in
    order; :func:`models` makes the pairs of formats x policies).

    Formats: names (codes of up to 8 bits). Policies: :class:`PolicySpec` values, their text
    (``"ocp_sat"``, ``"ieee:overflow=sat_finite"``) or :class:`~fp8ref.Policy` objects.
    sources: encoders to generate, from ``f32``, ``f16``, ``bf16``.
    Raises ValueError for a model fp8ref cannot tabulate (stochastic rounding; a policy that
    has no result for some input, e.g. ``nan_to='error'`` in a format without NaN; no binary32
    key table) with the reason.
    """
    bad = [s for s in sources if s not in SOURCES]
    if bad or not sources:
        raise ValueError(f"unknown source(s) {', '.join(bad) or '(none given)'}; valid: {', '.join(SOURCES)}")
    sources = tuple(s for s in SOURCES if s in sources)
    fmts, mods = _models(list(pairs), sources)
    # tables: each distinct content once, in first-use order
    tables: list[tuple[str, np.ndarray]] = []
    table_names: dict[bytes, str] = {}

    def table(arr):
        key = arr.tobytes()
        if key not in table_names:
            table_names[key] = f"fp8ref_table_{len(tables)}"
            tables.append((table_names[key], arr))
        return table_names[key]

    refs = [{s: table(m.tables[s]) for s in sources} for m in mods]
    head = [f"fp8ref DPI-C golden model, generated by fp8ref {__version__} (fp8ref export dpi); do not edit.",
            "", "formats (fmt argument of fp8ref_decode_f32):"]
    head += [f"  {i} {f.name}" for i, f in enumerate(fmts)]
    head += ["", f"models (model argument of the encoders; sources: {', '.join(sources)}):"]
    head += [f"  {i} {m.name}: {m.fmt.name}, {m.spec}: {_policy_text(m.policy)}" for i, m in enumerate(mods)]

    c = ["/* fp8ref_dpi.c: " + head[0]]
    c += [(" * " + h).rstrip() for h in head[1:]]
    c += [" *", " * Encoders return the code; *flags gets the flags, TestFloat order: bit 0 NX, 1 UF, 2 OF, 3 DZ,",
          " * 4 NV. binary32 sources index a key table: key = sign | exponent | top T significand bits | sticky.",
          " * Table entries: code | flags << 8. Decode: binary32 bits of every code (NaN: sign | 0x7FC00000).",
          " * An invalid model or format number, or a source not exported: 0xFFFFFFFF, flags 0xFF.", " */",
          "#include <stddef.h>", "#include <stdint.h>", "", "#ifdef __cplusplus", 'extern "C" {', "#endif", ""]
    c += [f"#define FP8REF_NUM_FORMATS {len(fmts)}", f"#define FP8REF_NUM_MODELS {len(mods)}", ""]
    for i, f in enumerate(fmts):
        c.append(f"/* {f.name}: binary32 bits of codes 0..{f.num_codes - 1} */")
        c.append(_array("uint32_t", f"fp8ref_dec_{i}", f32_bits_of(f, np.arange(f.num_codes, dtype=np.uint64)),
                        8, 10))
    c.append(f"static const uint32_t *const fp8ref_format_dec[{len(fmts)}] = {{"
             + ", ".join(f"fp8ref_dec_{i}" for i in range(len(fmts))) + "};")
    c.append(f"static const unsigned fp8ref_format_codes[{len(fmts)}] = {{"
             + ", ".join(str(f.num_codes) for f in fmts) + "};\n")
    for name, arr in tables:
        users = [f"{m.name} {s}" for m, r in zip(mods, refs) for s in sources if r[s] == name]
        c.append(f"/* {', '.join(users)} */")
        c.append(_array("uint16_t", name, arr, 16, 6))
    c.append(_C_STRUCT)
    c.append(f"static const struct fp8ref_model fp8ref_models[{len(mods)}] = {{")
    rows = []
    for m, r in zip(mods, refs):
        ptr = [r.get(s, "NULL") for s in ("f32", "f16", "bf16")]
        rows.append(f'  {{"{m.name}", {fmts.index(m.fmt)}, {m.lead or 0}u, {", ".join(ptr)}}}')
    c.append(",\n".join(rows) + "\n};\n")
    c.append(_C_CODE)
    c += ["#ifdef __cplusplus", "}", "#endif", ""]

    sv = ["// fp8ref_dpi_pkg.sv: " + head[0]] + [("// " + h).rstrip() for h in head[1:]] + [
        "//", "// Compile fp8ref_dpi.c with the testbench (Verilator: add it to the command line; other",
        "// simulators: their DPI C compile option). Encoders: the code; flags = {NV, DZ, OF, UF, NX}",
        "// in bits 4..0. 0xFFFFFFFF (flags 0xFF): invalid model or format, or a source not exported.",
        "package fp8ref_dpi_pkg;"]
    sv += [f"  localparam int FP8REF_FMT_{_ident(f.name)} = {i};" for i, f in enumerate(fmts)]
    sv += [f"  localparam int FP8REF_{m.name} = {i};  // {m.fmt.name}: {_policy_text(m.policy)}"
           for i, m in enumerate(mods)]
    sv += [f"  localparam int FP8REF_NUM_FORMATS = {len(fmts)};", f"  localparam int FP8REF_NUM_MODELS = {len(mods)};",
           "",
           '  import "DPI-C" function int fp8ref_model_count();',
           '  import "DPI-C" function string fp8ref_model_name(input int model);',
           '  import "DPI-C" function int unsigned fp8ref_encode_f32(input int model, input int unsigned a,',
           "                                                         output byte unsigned flags);",
           '  import "DPI-C" function int unsigned fp8ref_encode_f16(input int model, input shortint unsigned a,',
           "                                                         output byte unsigned flags);",
           '  import "DPI-C" function int unsigned fp8ref_encode_bf16(input int model, input shortint unsigned a,',
           "                                                          output byte unsigned flags);",
           '  import "DPI-C" pure function int unsigned fp8ref_decode_f32(input int fmt, input int unsigned code);',
           "endpackage", ""]

    index = {
        "tool": {"name": "fp8ref", "version": __version__},
        "sources": [SOURCES[s] for s in sources],
        "formats": [{"id": i, "name": f.name, "bits": f.bits} for i, f in enumerate(fmts)],
        "models": [{"id": i, "name": m.name, "localparam": f"FP8REF_{m.name}", "format": m.fmt.name,
                    "spec": m.spec, "policy": m.policy.as_dict(), "f32_lead_bits": m.lead}
                   for i, m in enumerate(mods)],
    }
    return {
        FILES[0]: "\n".join(c).encode(),
        FILES[1]: "\n".join(sv).encode(),
        FILES[2]: (json.dumps(index, indent=1, sort_keys=True) + "\n").encode(),
    }


def export_dpi(out: str, pairs, sources=("f32", "f16", "bf16")) -> list:
    """Write :func:`render_dpi`'s files into directory ``out`` (created if missing; each file
    written atomically). Returns their paths."""
    files = render_dpi(pairs, sources)
    os.makedirs(out, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = os.path.join(out, name)
        atomic_write(path, data)
        os.chmod(path, 0o644)  # source files, not the temporary file's 0600
        paths.append(path)
    return paths
