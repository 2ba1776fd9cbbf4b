"""GEMM-unit suite: block-FMA / dot-product vectors per accumulation preset (a, b, c -> d).

One dot product per line, ``a0..a{K-1}  b0..b{K-1}  c  d``: element codes of the preset's input
format, the accumulator input ``c`` and the result ``d`` as float32 bits (float16 bits in fp16
output mode), from ``fp8ref.dot`` under the preset. K is the preset's step n (one step per line)
for 16-bit and TF32 presets, max(n, 32) for 8-bit inputs (two chained steps on Ada and CDNA3),
32 where n = 1 or n = K (``exact``, ``fp32_fma``), and 256 for the promotion preset (two
promotion intervals). Block-scaled presets (``b200_mxf8f6f4``, ``b200_mxf4nvf4``) add the
scale codes of both rows, ``a0.. sa0.. b0.. sb0.. c d`` (one scale code per block of K, UE8M0
bytes, or UE4M3 scales as E4M3 bytes whose sign bit the unit ignores), K = max(n, 64): two steps of ``kind::mxf8f6f4``, one of
``kind::mxf4nvf4``.
FP32 inputs (``cdna3_fp32``; ``fp32_fma`` and ``exact`` in the full tier too) are float32 bit
patterns (8 hex digits), drawn instead of taken from a code table (:class:`_F32Draws`): the same
groups, plus ``signed_zero`` lines (every product a zero, c = ±0) and NaN-payload / max x 1
overflow extremes.
File: ``gemm/<preset>.<in_fmt>[.<scale_fmt>b<block>].<out>``. No flags: the models define
none. NaN results and zero signs follow the preset (``AccumModel.nan_pattern``,
``signed_zero``): NVIDIA presets write 7FFFFFFF / 7FFF and +0; ``exact``, ``fp32_fma``, AMD and
RISC-V presets 7FC00000 / 7E00 and their own zero rule.
"""

from __future__ import annotations

import numpy as np

from ..codecs import decode_table
from ..core.floats import F16, F32
from ..formats import get_format
from .fields import Field
from .prng import stream
from .suites import FileSpec, Suite, gen_entry as _gen_entry, register_suite

__all__ = ["GEMM_FILES", "line_length"]

_OUT_TYPE = {"fp32": "float32", "fp16": "float16"}
_WIDE_WINDOW = 10  # 16-bit/TF32 inputs are drawn with |v| in [2^-10, 2^10] (or 0) for random lines

#: (preset, in_fmt, out[, scale_fmt, block]) in the default set; every other combination is in the full tier
DEFAULT = (("h100_fp8", "e4m3fn", "fp32"), ("h100_fp8", "e5m2", "fp32"), ("h100_fp8_promote128", "e4m3fn", "fp32"),
           ("ada_fp8", "e4m3fn", "fp32"), ("a100_fp16", "fp16", "fp32"),
           ("h100_fp16", "fp16", "fp16"), ("h100_bf16", "bf16", "fp32"), ("h100_tf32", "tf32", "fp32"),
           ("v100_fp16", "fp16", "fp32"), ("exact", "e4m3fn", "fp32"),
           # issue 20: one file per new instruction family
           ("sm100_mma_sync_fp8", "e4m3fn", "fp32"), ("sm90_mma_sync_fp8", "e4m3fn", "fp16"),
           ("cdna3_fp8", "e4m3fnuz", "fp32"), ("rvbna_fp8", "e4m3fn", "fp32"),
           ("b200_mxf8f6f4", "e4m3fn", "fp32", "ue8m0", 32), ("b200_mxf4nvf4", "e2m1fn", "fp32", "ue4m3", 16))

#: presets the suite covers, pinned (a model registered at run time never changes the output)
PRESET_NAMES = ("exact", "fp32_fma", "v100_fp16", "a100_fp16", "a100_bf16", "a100_tf32", "h100_fp16",
                "h100_bf16", "h100_tf32", "h100_fp8", "ada_fp16", "ada_bf16", "ada_tf32", "ada_fp8",
                "b200_fp16", "b200_bf16", "b200_tf32", "h100_fp8_promote128",
                "sm90_mma_sync_fp8", "sm100_mma_sync_fp8", "b200_f8f6f4", "turing_fp16", "sm120_fp8",
                "b200_mxf8f6f4", "b200_mxf4nvf4", "cdna3_fp16", "cdna3_bf16", "cdna3_xf32", "cdna3_fp8",
                "cdna1_fp16", "cdna1_bf16", "cdna2_fp16", "cdna2_bf16", "cdna2_bf16_1k", "rvbna_fp8", "rvbna_bf16",
                "cdna3_fp32")


def _accum():
    from .. import accum

    return accum


def line_length(model) -> int:
    """K, the products per line, for a preset."""
    if model.promote:
        return 2 * model.promote
    if model.scale_formats:
        return max(model.n, 64)
    if model.n is None or model.n == 1:
        return 32
    return max(model.n, 32) if _in_format(model.fmt).bits <= 8 else model.n


def _in_format(name):
    """The input format: a registered format, or ``FP32_INPUT`` for ``"fp32"``."""
    from ..accum.model import input_format

    return input_format(name) if name == "fp32" else get_format(name)


def GEMM_FILES():
    """[(preset, in_fmt, out, tier, scale)] for every preset x input format x output mode (x
    scale format and block, ``scale`` = (scale_fmt, block) or None)."""
    out = []
    for name in PRESET_NAMES:
        m = _accum().get_model(name)
        for fmt in m.format_names:
            if _in_format(fmt).bits < 8 and not m.scale_formats:  # FP6/FP4 elements: block-scaled presets
                continue
            for o in ("fp32", "fp16") if m.fp16_out else ("fp32",):
                for sc in m.scale_formats or (None,):
                    key = (name, fmt, o) + (tuple(sc) if sc else ())
                    out.append((name, fmt, o, "default" if key in DEFAULT else "full", sc))
    return out


def _pools(fmt):
    """(codes of finite values for random draws, codes of subnormals and the smallest normals,
    code of max finite, codes of +Inf/-Inf/NaN or None)."""
    t = decode_table(fmt)
    codes = np.arange(t.size, dtype=np.uint64)
    fin = np.isfinite(t)
    pool = codes[fin]
    if fmt.bits > 8:
        a = np.abs(t)
        pool = codes[fin & ((a == 0) | ((a >= 2.0**-_WIDE_WINDOW) & (a <= 2.0**_WIDE_WINDOW)))]
    small = codes[fin & (t != 0) & (np.abs(t) < 2 * fmt.min_normal)]
    mx = int(codes[fin & (t == t[fin].max())][0])
    pinf = codes[t == np.inf]
    ninf = codes[t == -np.inf]
    nan = codes[np.isnan(t)]
    sp = (int(pinf[0]) if pinf.size else None, int(ninf[0]) if ninf.size else None,
          int(nan[0]) if nan.size else None)
    return pool, small, mx, sp


class _TableDraws:
    """Operand codes of a format with a code table, drawn from its pools (:func:`_pools`)."""

    def __init__(self, fmt):
        self.fmt = fmt
        self.sign = np.uint64(1 << (fmt.bits - 1))
        self._pool, self._small, self.mx, self.specials = _pools(fmt)
        self.has_small = bool(self._small.size)

    def pool(self, r, n):
        return r.choice(n, self._pool)

    def small(self, r, n):
        return r.choice(n, self._small)

    def swamped(self, r, n):
        """The small operands of the swamping lines: subnormals and the smallest normals."""
        return r.choice(n, self._small if self.has_small else self._pool)

    def swamping(self, r, n):
        """a0 of the swamping lines: max finite."""
        return np.uint64(self.mx)

    def neg(self, codes):
        """The codes of the negated values (a zero stays zero where the sign bit of zero is NaN: FNUZ)."""
        if np.isnan(decode_table(self.fmt)[int(self.sign)]):
            return np.where(codes == 0, codes, codes ^ self.sign)
        return codes ^ self.sign

    def extra_extremes(self, big):
        return []


class _F32Draws:
    """binary32 operand bit patterns (FP32 inputs, 2^32 codes: drawn, not tabled). Random values
    as the accumulator's but in the 16-bit window, zeros of both signs; subnormals and the smallest
    normals with every significand bit random; swamping lines a0 in [2^34, 2^45) (one product far
    above the others' ulp, not an overflow as max finite would be)."""

    sign = np.uint64(F32.sign_mask)
    mx = F32.max_bits
    specials = (F32.exp_mask, F32.sign_mask | F32.exp_mask, F32.canonical_nan)
    has_small = True

    def pool(self, r, n):
        return _float_bits(r, n, F32, _WIDE_WINDOW, signed_zero=True)

    def small(self, r, n):  # biased exponent 0 (subnormal) or 1 (smallest normals)
        return _random_sign_significand(r, r.below(n, 2).astype(np.uint64), F32)

    def swamped(self, r, n):
        return self.pool(r, n)

    def swamping(self, r, n):
        return _random_sign_significand(r, r.below(n, 11).astype(np.uint64) + np.uint64(F32.bias + 34), F32)

    def neg(self, codes):
        return codes ^ self.sign

    def extra_extremes(self, big):
        """Rows (a, b) past the max-finite products: sums of max x 1 that overflow, max x +-1
        alternating (exact cancellation at the top of the range), NaN payloads (signalling,
        negative) next to max."""
        one = np.full(big.size, 0x3F800000, np.uint64)
        rows = [(big, one), (big, np.where(np.arange(big.size) % 2 == 1, one ^ self.sign, one))]
        for nan in (0x7F800001, 0xFFC12345):
            x = np.array(big)
            x[1] = nan
            rows.append((x, one))
        return rows


def _float_bits(rng, n, ft, window, signed_zero=False, center=0):
    """Random bit patterns of float type ``ft``: exponent in [center - window, center + window],
    every significand bit random, both signs; 1/8 zero (+0, or keeping the drawn sign with
    ``signed_zero``)."""
    u = _random_sign_significand(rng, rng.below(n, 2 * window + 1).astype(np.uint64) + np.uint64(ft.bias + center - window), ft)
    zero = u & np.uint64(ft.sign_mask) if signed_zero else np.uint64(0)
    return np.where(rng.below(n, 8) == 0, zero, u)


def _random_sign_significand(rng, e, ft):
    """Bit patterns of float type ``ft`` with biased exponent fields ``e``, a random sign and every
    significand bit random (drawn in that order)."""
    n = e.size
    s = rng.bits(n, 1) << np.uint64(ft.bits - 1)
    return s | (e << np.uint64(ft.man_bits)) | rng.bits(n, ft.man_bits)


def _c_bits(rng, n, out):
    """Random accumulator inputs: exponent in [-12, 12], every significand bit random; 1/8 zero."""
    return _float_bits(rng, n, F32 if out == "fp32" else F16, 12)


def _cases(preset, fmt, out, K, seed, count):
    """(A codes (L,K), B codes (L,K), C bits (L,), generator entries)."""
    D = _F32Draws() if fmt.name == "fp32" else _TableDraws(fmt)
    pinf, ninf, nan = D.specials
    parts = []

    def add(gid, a, b, c, names):
        parts.append((gid, a, b, c, names))

    names = ("gemm", preset, fmt.name, out, "random")
    r = stream(seed, *names)
    n = count
    add("random", D.pool(r, n * K).reshape(n, K), D.pool(r, n * K).reshape(n, K), _c_bits(r, n, out), names)

    names = ("gemm", preset, fmt.name, out, "cancellation")
    r = stream(seed, *names)
    m, h = 32, K // 2
    a = D.pool(r, m * K).reshape(m, K)
    b = D.pool(r, m * K).reshape(m, K)
    a[:, h:2 * h] = a[:, :h]
    b[:, h:2 * h] = D.neg(b[:, :h])  # the second half cancels the first exactly
    c = _c_bits(r, m, out)
    c[: m // 2] = 0
    add("cancellation", a, b, c, names)

    names = ("gemm", preset, fmt.name, out, "swamping")
    r = stream(seed, *names)
    a = D.swamped(r, m * K).reshape(m, K)
    b = D.pool(r, m * K).reshape(m, K)
    b[:, 0] = D.pool(r, m)
    a[:, 0] = D.swamping(r, m)
    add("swamping", a, b, _c_bits(r, m, out), names)

    names = ("gemm", preset, fmt.name, out, "c_only")
    r = stream(seed, *names)
    m2 = 16
    a = np.zeros((m2, K), np.uint64)
    b = D.pool(r, m2 * K).reshape(m2, K)
    c = _c_bits(r, m2, out)
    c[c == 0] = np.uint64(0x3FC00C02 if out == "fp32" else 0x3E03)  # the SageAttention2 probe
    add("c_only", a, b, c, names)

    if D.has_small:
        names = ("gemm", preset, fmt.name, out, "subnormal")
        r = stream(seed, *names)
        a, b, c = D.small(r, m * K).reshape(m, K), D.pool(r, m * K).reshape(m, K), _c_bits(r, m, out)
        if fmt.name == "fp32":  # half the lines: |b| in [2^-11, 2^-1), c = 0: the sums stay subnormal
            h2 = m // 2
            b[:h2] = _float_bits(r, h2 * K, F32, 5, signed_zero=True, center=-6).reshape(h2, K)
            c[:h2] = 0
        add("subnormal", a, b, c, names)

    if fmt.name == "fp32":  # signed zeros: every product a zero (the first half -0, then random signs), c = +-0
        names = ("gemm", preset, fmt.name, out, "signed_zero")
        r = stream(seed, *names)
        b = D.pool(r, m2 * K).reshape(m2, K)
        a = r.bits(m2 * K, 1).reshape(m2, K) * D.sign
        a[: m2 // 2] = (b[: m2 // 2] & D.sign) ^ D.sign
        c = r.bits(m2, 1) * np.uint64((F32 if out == "fp32" else F16).sign_mask)
        add("signed_zero", a, b, c, names)

    rows_a, rows_b = [], []
    big = np.full(K, D.mx, np.uint64)
    rows_a.append(big)
    rows_b.append(big)  # every product at max: overflow where the output range ends
    rows_a.append(big)
    rows_b.append(np.where(np.arange(K) % 2 == 1, D.neg(big), big))  # max products that cancel
    for code in (pinf, ninf, nan):
        if code is not None:
            x = np.array(big)
            x[1] = code
            rows_a.append(x)
            rows_b.append(big)
    if pinf is not None and ninf is not None:
        x = np.array(big)
        x[0], x[1] = pinf, ninf
        rows_a.append(x)
        rows_b.append(big)
        x = np.zeros(K, np.uint64)
        x[0] = pinf
        rows_a.append(x)
        rows_b.append(np.zeros(K, np.uint64))  # inf x 0
    for xa, xb in D.extra_extremes(big):
        rows_a.append(xa)
        rows_b.append(xb)
    sa, sb = np.array(rows_a), np.array(rows_b)
    add("extremes", sa, sb, np.zeros(sa.shape[0], np.uint64), None)

    A = np.concatenate([p[1] for p in parts])
    B = np.concatenate([p[2] for p in parts])
    C = np.concatenate([p[3] for p in parts])
    gens, line = [], 1
    for gid, a, _, _, nm in parts:
        gens.append(_gen_entry(gid, a.shape[0], nm, seed if nm else None, line))
        line += a.shape[0]
    return A, B, C, gens


def _params(m):
    """The model's description as sidecar metadata (every field the arithmetic reads)."""
    from dataclasses import asdict

    return {"n": m.n, "frac_bits": m.frac_bits, "out_frac": m.out_frac, "out_rounding": m.out_rounding,
            "promote": m.promote, "term_rounding": m.term_rounding, "c_frac": m.c_frac, "c_drop": m.c_drop,
            "stages": [asdict(t) for t in m.stages], "ftz": m.ftz, "scaling": m.scaling,
            "product_overflow": m.product_overflow, "signed_zero": m.signed_zero}


#: scale codes drawn for random lines: UE8M0 2^-16..2^16; UE4M3 every positive finite code
_SCALE_POOL = {"ue8m0": np.arange(127 - 16, 127 + 17, dtype=np.uint64), "ue4m3": np.arange(0, 0x7F, dtype=np.uint64)}
#: scale codes of the ``scale_extremes`` lines: UE8M0 2^-127, 2^127, NaN, 2^0; UE4M3 0, the
#: smallest subnormal 2^-9, 448, NaN, and a code with the (ignored) sign bit set
_SCALE_EXTREMES = {"ue8m0": (0x00, 0xFE, 0xFF, 0x7F), "ue4m3": (0x00, 0x01, 0x7E, 0x7F, 0xB8)}
_SCALE_TYPE = {"ue8m0": "ue8m0", "ue4m3": "e4m3fn"}


def _spec(preset, fmt_name, out, tier, scale=None):
    m = _accum().get_model(preset)
    fmt = _in_format(fmt_name)
    et = "float32" if fmt.name == "fp32" else fmt.name  # the operands' field type
    K = line_length(m)
    ct = _OUT_TYPE[out]
    sfmt, block = scale or (None, None)
    nb = -(-K // block) if scale else 0
    stem = f"gemm/{preset}.{fmt.name}" + (f".{sfmt}b{block}" if scale else "") + f".{out}"
    ins = [Field("a", "input", et, K)] + ([Field("sa", "input", _SCALE_TYPE[sfmt], nb)] if scale else [])
    ins += [Field("b", "input", et, K)] + ([Field("sb", "input", _SCALE_TYPE[sfmt], nb)] if scale else [])
    fields = tuple(ins) + (Field("c", "input", ct), Field("d", "result", ct))
    meta = {"src": et, "dst": ct, "op": "dot", "K": K, "model": preset,
            "model_parameters": _params(m),
            "model_confidence": m.confidence, "model_source": m.source,
            "model_instruction": m.instruction, "model_sass": m.sass,
            "definition": "d = c + sum_k a_k*b_k under the model's steps of n products, stages of fused sums "
                          "and roundings, chained in k order (docs/accumulation.md §1); fp16 output mode: c "
                          "and d are binary16",
            "nan_result": f"{m.nan_pattern(out):X} (any NaN, +inf with -inf, inf x 0)",
            "zero_result": {True: "IEEE 754 sign", False: "+0",
                            "inexact": "+0 for an exactly zero sum; a nonzero sum rounded to zero keeps its sign"}[
                                m.signed_zero],
            "flags": "none: the accumulation models define no exception flags"}
    if scale:
        meta["scales"] = {"format": sfmt, "block": block, "per_line": nb,
                          "meaning": "element k of a row is code_k * scale[k // block]" +
                                     ("; UE4M3 scales are E4M3 bytes read without the sign bit" if sfmt == "ue4m3"
                                      else "; UE8M0 2^(code - 127), 0xFF NaN")}
    header = {"op": "dot", "model": preset, "in": fmt.name, "out": out, "K": K}
    if scale:
        header.update(scale=sfmt, block=block)

    def build(ctx):
        A, B, C, gens = _cases(preset, fmt, out, K, ctx.seed, ctx.count)
        if out == "fp32":
            c = C.astype(np.uint32).view(np.float32)
        else:
            c = C.astype(np.uint16).view(np.float16)
        if not scale:
            if fmt.name == "fp32":
                with np.errstate(invalid="ignore"):  # signalling NaN operands widen to NaN
                    va, vb = (X.astype(np.uint32).view(np.float32).astype(np.float64) for X in (A, B))
            else:
                t = decode_table(fmt)
                va, vb = t[A.astype(np.intp)], t[B.astype(np.intp)]
            d = _accum().dot(va, vb, c, model=preset, fmt=fmt.name, out=out)
            bits = d.view(np.uint32 if out == "fp32" else np.uint16).astype(np.uint64)
            return {"a": A, "b": B, "c": C, "d": bits}, gens
        names = ("gemm", preset, fmt.name, out, sfmt, "scales")
        r = stream(ctx.seed, *names)
        pool = _SCALE_POOL[sfmt]
        L = A.shape[0]
        SA, SB = r.choice(L * nb, pool).reshape(L, nb), r.choice(L * nb, pool).reshape(L, nb)
        # scale extremes: the random lines' elements, each extreme scale code against pool codes
        names = ("gemm", preset, fmt.name, out, sfmt, "scale_extremes")
        r = stream(ctx.seed, *names)
        ext = np.array(_SCALE_EXTREMES[sfmt], np.uint64)
        n = 4 * ext.size
        XA, XB = A[:n].copy(), B[:n].copy()
        xa = np.repeat(ext, 4)[:, None] * np.ones(nb, np.uint64)
        xa[1::2, nb // 2:] = r.choice(ext.size * 2 * (nb - nb // 2), pool).reshape(-1, nb - nb // 2)
        xb = r.choice(n * nb, pool).reshape(n, nb)
        xb[2::4] = xa[2::4]  # both scales extreme
        A, B = np.concatenate([A, XA]), np.concatenate([B, XB])
        SA, SB = np.concatenate([SA, xa]), np.concatenate([SB, xb])
        C = np.concatenate([C, _c_bits(r, n, out)])
        c = C.astype(np.uint32).view(np.float32) if out == "fp32" else C.astype(np.uint16).view(np.float16)
        gens = list(gens) + [_gen_entry("scale_extremes", n, names, ctx.seed, L + 1)]
        BS = _accum().BlockScaled
        d = _accum().dot(BS(A, SA, fmt.name, sfmt, block, 1), BS(B, SB, fmt.name, sfmt, block, 1), c,
                         model=preset, out=out)
        bits = d.view(np.uint32 if out == "fp32" else np.uint16).astype(np.uint64)
        return {"a": A, "sa": SA, "b": B, "sb": SB, "c": C, "d": bits}, gens

    return FileSpec("gemm", stem, "dot", fields, meta, header, build, tier)


def _files(tier):
    return [_spec(p, f, o, t, sc) for p, f, o, t, sc in GEMM_FILES()]


register_suite(Suite(
    "gemm",
    "block FMA / dot-product vectors per accumulation preset (a, b, c -> d) for GEMM units: random, "
    "cancellation, swamping, accumulator-only, subnormal and extreme lines",
    _files,
))
