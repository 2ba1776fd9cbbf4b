"""Block suites: OCP MX (quantize and dot), NVFP4 and DeepSeek tiles, one block per line.

Inputs are float32 blocks from the block generators (:mod:`.generators`); results come from
``fp8ref.blocks`` (``mx.quantize``, ``mx.dot``, ``nvfp4.quantize``, ``deepseek.quantize``).
The block quantizers define no IEEE flags, so these lines carry none.

Line layouts (element 0 first; every field fixed-width hex):

* ``mx/quantize_<elem>.<rule>.<rounding>``: ``x0..x31  scale  z0..z31``
  (float32 sources, E8M0 scale, element codes);
* ``mx/scale_<elem>.<rule>``: ``x0..x31  scale  flags`` (the shared scale alone, for scale
  units; flags always 00);
* ``mx/dot_<elemA>_x_<elemB>.f32``: ``sa a0..a31 sb b0..b31  z`` (one 32-element block each,
  exact dot product rounded once to float32, NaN written as F32's canonical NaN 7FC00000);
* ``nvfp4/quantize.<variant>``: ``amax x0..x15  scale z0..z15`` (``amax``: the per-tensor
  amax the block's tensor had, an input to the hardware; E4M3 block scale; E2M1 codes);
* ``deepseek/quantize_1x128.<scale_fmt>.<variant>``: ``x0..x127  scale z0..z127``
  (E8M0 byte for UE8M0 scales, float32 bits for FP32 scales; E4M3 codes).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import blocks
from ..core.floats import F32
from ..formats.builtin import UE8M0
from . import generators as G
from .fields import Field
from .prng import stream
from .suites import FileSpec, Suite, concat_parts, frozen, gen_entry, register_suite

__all__ = ["MX_BLOCK", "mx_elements"]

MX_BLOCK = 32
_ELEM_OVF = "sat_finite"  # every fp8ref.blocks quantizer saturates its elements (no flags, so no tininess)


def mx_elements() -> tuple:
    return blocks.mx.ELEMENTS


def _elem_type(name: str) -> str:
    return "mxint8" if name == "int8" else name


def _elem_fmt(name: str):
    return blocks.element(name).fmt


def _as_f32(bits: np.ndarray) -> np.ndarray:
    return F32.from_bits(bits)


@lru_cache(maxsize=32)
def _block_inputs(suite: str, elem: str, bs: int, seed: int, count: int, exps=None, scales=(0, 64), nrand=None):
    """(rows of float32 patterns (n, bs), generator entries) shared by a suite's files."""
    fmt = _elem_fmt(elem)
    edge_names = (suite, elem, "amax_edges")
    rnd_names = (suite, elem, "random")
    kw = {} if exps is None else {"exps": exps}
    return frozen(*concat_parts([
        ("block_specials", G.block_specials(bs), None, seed),
        ("amax_edges", G.amax_edge_blocks(fmt, bs, stream(seed, *edge_names), **kw), edge_names, seed),
        ("element_boundary", G.element_boundary_blocks(fmt, bs, scales), None, seed),
        ("random_blocks", G.random_blocks(count // 4 if nrand is None else nrand, bs, stream(seed, *rnd_names)),
         rnd_names, seed),
    ]))


# ---- MX quantize --------------------------------------------------------------------------
def _mx_quantize_spec(elem, rule, rounding, tier):
    stem = f"mx/quantize_{elem}.{rule}.{rounding}"
    et = _elem_type(elem)
    fields = (Field("x", "input", "float32", MX_BLOCK), Field("scale", "result", "ue8m0"),
              Field("z", "result", et, MX_BLOCK))
    meta = {"src": "float32", "dst": et, "block_size": MX_BLOCK, "scale_rule": rule, "rounding": rounding,
            "element_overflow": _ELEM_OVF, "scale_overflow": "nan",
            "nan_or_inf_in_block": "scale 0xFF, every element the element's canonical NaN (0 for FP6/FP4/INT8)",
            "flags": "none: the MX quantizer defines no exception flags"}
    header = {"op": f"mx_quantize_{elem}", "block": MX_BLOCK, "scale_rule": rule, "rm": rounding, "ovf": _ELEM_OVF}

    def build(ctx):
        x, gens = _block_inputs("mx", elem, MX_BLOCK, ctx.seed, ctx.count)
        t = blocks.mx.encode(_as_f32(x), elem, block_size=MX_BLOCK, axis=-1, scale_rule=rule, rounding=rounding)
        return {"x": x, "scale": t.scales.reshape(-1).astype(np.uint64), "z": t.codes.astype(np.uint64)}, list(gens)

    return FileSpec("mx", stem, "mx_quantize", fields, meta, header, build, tier)


# ---- MX shared scale alone ------------------------------------------------------------------
def _mx_scale_spec(elem, rule, tier):
    stem = f"mx/scale_{elem}.{rule}"
    fields = (Field("x", "input", "float32", MX_BLOCK), Field("scale", "result", "ue8m0"),
              Field("flags", "flags", "flags"))
    meta = {"src": "float32", "dst": "ue8m0", "elem": elem, "block_size": MX_BLOCK, "scale_rule": rule,
            "scale_overflow": "nan", "flags_note": "always 00: no exception is defined for the scale computation"}
    header = {"op": f"mx_scale_{elem}", "block": MX_BLOCK, "scale_rule": rule}

    def build(ctx):
        x, gens = _block_inputs("mx_scale", elem, MX_BLOCK, ctx.seed, ctx.count, scales=())
        t = blocks.mx.encode(_as_f32(x), elem, block_size=MX_BLOCK, axis=-1, scale_rule=rule)
        sc = t.scales.reshape(-1).astype(np.uint64)
        return {"x": x, "scale": sc, "flags": np.zeros(sc.size, np.uint64)}, list(gens)

    return FileSpec("mx", stem, "mx_scale", fields, meta, header, build, tier)


# ---- MX dot ---------------------------------------------------------------------------------
MX_DOT_PAIRS = (("e4m3fn", "e4m3fn"), ("e4m3fn", "e5m2"), ("e2m1fn", "e2m1fn"), ("e5m2", "e5m2"),
                ("e3m2fn", "e3m2fn"), ("e2m3fn", "e2m3fn"), ("int8", "int8"))


def _negate(elem, codes):
    if elem == "int8":
        return ((256 - codes.astype(np.int64)) % 256).astype(np.uint64)
    return codes ^ np.uint64(1 << (_elem_fmt(elem).bits - 1))


def _dot_operands(ea, eb, seed, count):
    """Scale and element codes of A and B: quantized generator blocks (A and B from different
    streams), cancellation pairs (b = [q, -q] against a = [p, p]: exact zero), extreme scales
    (0xFE overflow, 0x00 underflow, 0xFF NaN)."""
    xa, ga = _block_inputs("mx_dot", ea, MX_BLOCK, seed, count)
    xb, _ = _block_inputs("mx_dot_b", eb, MX_BLOCK, seed, count)
    n = min(xa.shape[0], xb.shape[0])
    ta = blocks.mx.encode(_as_f32(xa[:n]), ea, block_size=MX_BLOCK)
    tb = blocks.mx.encode(_as_f32(xb[:n]), eb, block_size=MX_BLOCK)
    sa, a = ta.scales.reshape(-1).astype(np.uint64), ta.codes.astype(np.uint64)
    sb, b = tb.scales.reshape(-1).astype(np.uint64), tb.codes.astype(np.uint64)
    h = MX_BLOCK // 2
    k = min(16, n)
    ok = (sa[-k:] != UE8M0.canonical_nan) & (sb[-k:] != UE8M0.canonical_nan)
    p, q = a[-k:][ok, :h], b[-k:][ok, :h]
    canc_a = np.concatenate([p, p], axis=1)
    canc_b = np.concatenate([q, _negate(eb, q)], axis=1)
    canc_sa, canc_sb = sa[-k:][ok], sb[-k:][ok]
    top, bottom, one, nan = UE8M0.max_code, UE8M0.min_code, UE8M0.bias, UE8M0.canonical_nan  # 2^127, 2^-127, 1, NaN
    ext = np.array([[top, top], [bottom, bottom], [top, bottom], [nan, one], [one, nan]], dtype=np.uint64)
    m = ext.shape[0]
    ext_a = np.tile(a[-1], (m, 1))
    ext_b = np.tile(b[-1], (m, 1))
    gens = [
        gen_entry("quantized_blocks", n, None, seed, 1),
        gen_entry("cancellation", canc_a.shape[0], None, seed, 1 + n),
        gen_entry("extreme_scales", m, None, seed, 1 + n + canc_a.shape[0]),
    ]
    gens[0]["note"] = "A and B are mx.quantize of the mx_dot/<elem> and mx_dot_b/<elem> block generators"
    return (np.concatenate([sa, canc_sa, ext[:, 0]]), np.concatenate([a, canc_a, ext_a]),
            np.concatenate([sb, canc_sb, ext[:, 1]]), np.concatenate([b, canc_b, ext_b]), gens, ga)


def _mx_dot_spec(ea, eb, tier):
    stem = f"mx/dot_{ea}_x_{eb}.f32"
    fields = (Field("sa", "input", "ue8m0"), Field("a", "input", _elem_type(ea), MX_BLOCK),
              Field("sb", "input", "ue8m0"), Field("b", "input", _elem_type(eb), MX_BLOCK),
              Field("z", "result", "float32"))
    meta = {"src": [_elem_type(ea), _elem_type(eb)], "dst": "float32", "block_size": MX_BLOCK,
            "rounding": "exact sum of products, rounded once to float32 (RNE)",
            "nan_result": f"{F32.canonical_nan:08X} (NaN scale or element, Inf x 0)", "zero_sum": "+0",
            "flags": "none: mx.dot defines no exception flags"}
    header = {"op": f"mx_dot_{ea}_x_{eb}", "block": MX_BLOCK, "rm": "exact_then_rne_f32"}

    def build(ctx):
        sa, a, sb, b, gens, _ = _dot_operands(ea, eb, ctx.seed, ctx.count)
        z = np.empty(sa.size, dtype=np.uint64)
        for i in range(sa.size):
            ta = blocks.MXTensor(a[i].astype(np.uint8), sa[i:i + 1].astype(np.uint8), ea, MX_BLOCK)
            tb = blocks.MXTensor(b[i].astype(np.uint8), sb[i:i + 1].astype(np.uint8), eb, MX_BLOCK)
            r = np.float32(blocks.mx.dot(ta, tb, dtype=np.float32))
            z[i] = F32.to_bits_canonical(r, keep_sign=False)
        return {"sa": sa, "a": a, "sb": sb, "b": b, "z": z}, gens

    return FileSpec("mx", stem, "mx_dot", fields, meta, header, build, tier)


def _mx_files(tier):
    specs = []
    rules = blocks.scale_rules.SCALE_RULES
    # rceil_hw (the kernels' float32 order) parts from rceil at one amax per element format, so
    # its files live in the full tier only
    for elem in mx_elements():
        for rule in rules:
            for rm in ("rne", "rna", "rtz"):
                default = rm == "rne" and (rule == "floor" or elem in ("e4m3fn", "e2m1fn")) and rule != "rceil_hw"
                specs.append(_mx_quantize_spec(elem, rule, rm, "default" if default else "full"))
    for elem in mx_elements():
        for rule in rules:
            default = (rule == "floor" or elem in ("e4m3fn", "e2m1fn")) and rule != "rceil_hw"
            specs.append(_mx_scale_spec(elem, rule, "default" if default else "full"))
    for i, (ea, eb) in enumerate(MX_DOT_PAIRS):
        specs.append(_mx_dot_spec(ea, eb, "default" if i < 3 else "full"))
    return specs


register_suite(Suite(
    "mx",
    "OCP MX: block quantization (32 float32 -> E8M0 scale + 32 elements, one block per line) for every "
    "element format x scale rule (floor ceil even rceil) x rounding; the scale alone; exact MX dot "
    "products -> float32",
    _mx_files,
))


# ---- NVFP4 ----------------------------------------------------------------------------------
NV_BLOCK = 16


def _nvfp4_spec(variant, tier):
    stem = f"nvfp4/quantize.{variant}"
    fields = (Field("amax", "input", "float32"), Field("x", "input", "float32", NV_BLOCK),
              Field("scale", "result", "e4m3fn"), Field("z", "result", "e2m1fn", NV_BLOCK))
    meta = {"src": "float32", "dst": "e2m1fn", "block_size": NV_BLOCK, "variant": variant, "tile": [1, 16],
            "amax": "the per-tensor amax of the line's tensor (lines are grouped into tensors: special "
                    "and boundary lines are one-row tensors, random lines come in tensors of 16 rows, and "
                    "some tensors use a calibrated global_amax of 4x their max)",
            "flags": "none: the NVFP4 quantizer defines no exception flags",
            "omitted": "torchao variants: tensors they reject (NaN, all zero, reciprocal overflow) have no line"}
    header = {"op": "nvfp4_quantize", "block": NV_BLOCK, "variant": variant, "rm": "rne", "ovf": _ELEM_OVF}

    def build(ctx):
        nv = blocks.nvfp4
        x, gens = _block_inputs("nvfp4", "e2m1fn", NV_BLOCK, ctx.seed, ctx.count)
        xf = _as_f32(x)
        keep = np.ones(x.shape[0], dtype=bool)
        first_random = [g for g in gens if g["id"] == "random_blocks"]
        r0 = first_random[0]["first_line"] - 1 if first_random else x.shape[0]
        amax = np.empty(x.shape[0], dtype=np.float32)
        scale = np.empty(x.shape[0], dtype=np.uint64)
        z = np.empty((x.shape[0], NV_BLOCK), dtype=np.uint64)
        groups = [[i] for i in range(r0)] + [list(range(i, min(i + 16, x.shape[0]))) for i in range(r0, x.shape[0], 16)]
        for gi, g in enumerate(groups):
            g = [i for i in g if keep[i]]
            if not g:
                continue
            xs = xf[g]
            kw = {}
            torchao = variant.startswith("torchao")
            if gi % 3 == 2 and not torchao:  # calibrated global amax, larger than the data
                with np.errstate(over="ignore", invalid="ignore"):
                    ga = np.float32(np.max(np.abs(xs)) * np.float32(4))
                if np.isfinite(ga):
                    kw["global_amax"] = ga
            try:
                t = nv.encode(xs, variant=variant, **kw)
            except ValueError:
                if not torchao:
                    raise
                keep[g] = False  # torchao rejects NaN and all-zero tensors: no line
                continue
            amax[g] = t.global_amax
            scale[g] = t.scales.reshape(-1)
            z[g] = t.codes
        idx = np.flatnonzero(keep)
        a_bits = F32.to_bits_canonical(amax, keep_sign=False).astype(np.uint64)
        table = {"amax": a_bits[idx], "x": x[idx], "scale": scale[idx], "z": z[idx]}
        return table, _renumber(gens, keep)

    return FileSpec("nvfp4", stem, "nvfp4_quantize", fields, meta, header, build, tier)


def _renumber(gens, keep):
    """Generator entries after dropping the lines where ``keep`` is False."""
    out, line = [], 1
    for g in gens:
        lo = g["first_line"] - 1
        n = int(keep[lo:lo + g["count"]].sum())
        if n:
            out.append({**g, "first_line": line, "count": n})
            line += n
    return out


register_suite(Suite(
    "nvfp4",
    "NVFP4 (TE kernels, TE reference, torchao <= 0.16 / 0.17 / 0.18): 16 float32 + the tensor amax -> "
    "E4M3 block scale + 16 E2M1 codes, one block per line",
    # torchao_0.17 equals torchao_0.18 on these two-level lines: full tier only
    lambda tier: [_nvfp4_spec(v, "full" if v == "torchao_0.17" else "default") for v in blocks.nvfp4.VARIANTS],
))


# ---- DeepSeek / DeepGEMM tiles ----------------------------------------------------------------
DS_TILE = 128


def _deepseek_spec(scale_fmt, variant, tier):
    stem = f"deepseek/quantize_1x128.{scale_fmt}.{variant}"
    st = "ue8m0" if scale_fmt == "ue8m0" else "float32"
    fields = (Field("x", "input", "float32", DS_TILE), Field("scale", "result", st),
              Field("z", "result", "e4m3fn", DS_TILE))
    meta = {"src": "float32", "dst": "e4m3fn", "tile": [1, DS_TILE], "scale_fmt": scale_fmt, "variant": variant,
            "scale_field": "UE8M0 byte (sf bits >> 23)" if st == "ue8m0" else "float32 bits of sf",
            "flags": "none: the tile quantizer defines no exception flags"}
    header = {"op": "deepseek_quantize_1x128", "scale": scale_fmt, "variant": variant, "rm": "rne", "ovf": _ELEM_OVF}

    def build(ctx):
        ds = blocks.deepseek
        x, gens = _block_inputs("deepseek", "e4m3fn", DS_TILE, ctx.seed, ctx.count,
                                exps=(-127, -40, -1, 0, 20, 120), scales=(0,), nrand=ctx.count // 8)
        t = ds.encode(_as_f32(x), tile="per_token", scale_fmt=scale_fmt, variant=variant)
        if scale_fmt == "ue8m0":
            s = t.scale_bytes.reshape(-1).astype(np.uint64)
        else:
            sf = t.scales.reshape(-1)
            s = F32.to_bits_canonical(sf, keep_sign=False).astype(np.uint64)
        return {"x": x, "scale": s, "z": t.codes.astype(np.uint64)}, list(gens)

    return FileSpec("deepseek", stem, "deepseek_quantize", fields, meta, header, build, tier)


def _deepseek_files(tier):
    ds = blocks.deepseek
    specs = []
    for sf in ds.SCALE_FMTS:
        for v in ds.VARIANTS:
            if v == "deepgemm_kernel":
                continue  # no vectors: it refuses NaN tiles, which every tile set here has
            # with UE8M0 scales both variants give the same codes (power-of-two scaling is exact)
            default = v == "deepgemm"
            specs.append(_deepseek_spec(sf, v, "default" if default else "full"))
    return specs


register_suite(Suite(
    "deepseek",
    "DeepSeek-V3 / DeepGEMM 1x128 tiles: 128 float32 -> scale (UE8M0 byte or float32) + 128 E4M3 codes, "
    "one tile per line",
    _deepseek_files,
))
