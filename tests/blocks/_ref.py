"""Independent references for the block tests: exact fractions, re-statements of peer code.

Nothing here calls fp8ref: scale rules are restated with ``fractions.Fraction``, element
casts use ml_dtypes (with np.clip for saturation) or threshold tables, and the NVFP4 / DeepGEMM
recipes are rewritten from the published operation order with numpy float32 arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np

from ..oracles.shared import floor_log2 as flog2
from ..oracles.shared import round_f32

F32 = np.float32

#: element name -> (emax, mantissa bits, max value, ml_dtypes type or None)
ELEMS = {
    "e4m3fn": (8, 3, Fraction(448), ml_dtypes.float8_e4m3fn),
    "e5m2": (15, 2, Fraction(57344), ml_dtypes.float8_e5m2),
    "e3m2fn": (4, 2, Fraction(28), ml_dtypes.float6_e3m2fn),
    "e2m3fn": (2, 3, Fraction(15, 2), ml_dtypes.float6_e2m3fn),
    "e2m1fn": (2, 1, Fraction(6), ml_dtypes.float4_e2m1fn),
    "int8": (0, 6, Fraction(127, 64), None),
}


def clog2(q: Fraction) -> int:
    k = flog2(q)
    return k if Fraction(2) ** k == q else k + 1


def rule_exponent(amax: Fraction, rule: str, elem: str) -> int:
    """Unclamped block exponent, straight from the rule's definition."""
    emax, m, mx, _ = ELEMS[elem]
    if rule == "floor":
        return flog2(amax) - emax
    if rule == "ceil":
        return clog2(amax) - emax
    if rule == "even":
        k = flog2(amax)
        s = amax / Fraction(2) ** k  # significand in [1, 2)
        r = Fraction(int(s * 2**m + Fraction(1, 2)), 2**m)  # round half up to m fraction bits
        return flog2(r * Fraction(2) ** k) - emax
    if rule == "rceil":
        return clog2(amax / mx)
    if rule == "rceil_hw":  # fp32(amax * fp32(1/max)), then cvt.rp.satfinite.ue8m0x2.f32
        rcp = Fraction(round_f32(1 / mx))
        p = Fraction(round_f32(amax * rcp))
        if p <= Fraction(2) ** -127:
            return -127
        return min(clog2(p), 127)
    raise ValueError(rule)


def e8m0_code(amax: float, rule: str, elem: str, overflow="nan") -> int:
    if amax != amax or amax in (float("inf"), float("-inf")):
        return 0xFF
    a = Fraction(abs(amax))
    if a == 0:
        return 0
    e = rule_exponent(a, rule, elem)
    if e > 127:
        return 0xFF if overflow == "nan" else 0xFE
    return max(e, -127) + 127


def e2m1_thresholds(v):
    """E2M1 codes by threshold comparison (TransformerEngine ``cast_to_fp4x2`` table; RNE ties),
    magnitude first, sign bit set for negative inputs (so tiny negatives give -0, code 8)."""
    v = np.asarray(v, dtype=np.float64)
    a = np.abs(v)
    mag = np.zeros(v.shape, dtype=np.uint8)
    mag[(a > 0.25) & (a < 0.75)] = 1
    mag[(a >= 0.75) & (a <= 1.25)] = 2
    mag[(a > 1.25) & (a < 1.75)] = 3
    mag[(a >= 1.75) & (a <= 2.5)] = 4
    mag[(a > 2.5) & (a < 3.5)] = 5
    mag[(a >= 3.5) & (a <= 5.0)] = 6
    mag[a > 5.0] = 7
    return mag | np.where(np.signbit(v), 8, 0).astype(np.uint8)


def e4m3_sat(v):
    """float32 -> E4M3 codes, RNE, saturating (ml_dtypes cast of the clipped value)."""
    v = np.asarray(v, dtype=F32)
    return np.clip(v, -448, 448).astype(ml_dtypes.float8_e4m3fn).view(np.uint8)


def e4m3_value(codes):
    return np.asarray(codes, np.uint8).view(ml_dtypes.float8_e4m3fn).astype(F32)


def te_nvfp4(x, kernel=True, tile16=False, amax=None):
    """TE NVFP4 restated from core_nvfp4.cuh / quantization_nvfp4.py: (codes, s8, S_enc, S_dec)."""
    x = np.asarray(x, dtype=F32)
    m, n = x.shape
    flt_max = np.finfo(F32).max
    amax = F32(np.max(np.abs(x))) if amax is None else F32(amax)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        s_enc = F32(min(F32(F32(448.0) * F32(6.0)) / amax, flt_max))
        if (kernel and amax == 0) or s_enc == 0:
            s_enc = F32(1.0)
        s_dec = F32(1.0) / s_enc
        blocks = np.abs(x).reshape(m, n // 16, 16)
        if tile16:
            t = np.abs(x).reshape(m // 16, 16, n // 16, 16).max(axis=(1, 3))
            vec_max = np.repeat(t, 16, axis=0)
        else:
            vec_max = blocks.max(axis=2)
        fp4_inv = F32(1.0) / F32(6.0)
        s_dec_b = vec_max * (s_enc * fp4_inv)
        s8 = e4m3_sat(s_dec_b)
        enc = np.minimum(F32(1.0) / (e4m3_value(s8) * s_dec), flt_max)
        scaled = x * np.repeat(enc, 16, axis=1)
        codes = e2m1_thresholds(np.clip(scaled, -6, 6))
        if not kernel:
            codes[scaled == 0] = 0
    return codes, s8, s_enc, s_dec


def deepgemm_cast(x, tile, use_ue8m0, divide=False):
    """DeepGEMM per_token/per_block/per_channel_cast_to_fp8 restated in numpy float32."""
    x = np.asarray(x, dtype=F32)
    m, n = x.shape
    tr, tc = tile
    pm, pn = -(-m // tr) * tr, -(-n // tc) * tc
    xp = np.zeros((pm, pn), F32)
    xp[:m, :n] = x
    v = xp.reshape(pm // tr, tr, pn // tc, tc)
    amax = np.abs(v).max(axis=(1, 3), keepdims=True)
    amax = np.maximum(amax, F32(1e-4))
    sf = amax / F32(448.0)
    if use_ue8m0:
        bits = sf.view(np.int32) & 0x7FFFFFFF
        exp = ((bits >> 23) & 0xFF) + ((bits & 0x7FFFFF) != 0).astype(np.int32)
        sf = (np.clip(exp, 1, 254) << 23).astype(np.int32).view(F32)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        y = v / sf if divide else v * (F32(1.0) / sf)
    codes = e4m3_sat(y).reshape(pm, pn)[:m, :n]
    return codes, sf.reshape(pm // tr, pn // tc)


_DEEPGEMM = "deepseek-ai/DeepGEMM 54e22612409371d6364144b69086735beb54e98b"


def deepgemm_cast_to_fp4(x, gran_k, use_ue8m0):
    """DeepGEMM ``per_token_cast_to_fp4`` + ``_quantize_to_fp4_e2m1`` + ``ceil_to_ue8m0``, restated
    line by line in numpy float32 (deep_gemm/utils/math.py lines 13-16, 73-82, 85-111 at
    DeepGEMM 54e22612409371d6364144b69086735beb54e98b). Returns (packed bytes, sf)."""
    x = np.asarray(x, dtype=F32)
    m, n = x.shape
    assert n % 2 == 0
    padded_n = -(-n // gran_k) * gran_k  # align(n, gran_k)
    x_padded = np.zeros((m, padded_n), F32)
    x_padded[:, :n] = x
    x_view = x_padded.reshape(m, -1, gran_k)
    x_amax = np.maximum(np.abs(x_view).max(axis=2), F32(1e-4))  # .amax(dim=2).clamp_min(1e-4)
    sf = x_amax / F32(6.0)
    if use_ue8m0:  # ceil_to_ue8m0
        bits = sf.view(np.int32) & 0x7FFFFFFF
        exp = ((bits >> 23) & 0xFF) + ((bits & 0x7FFFFF) != 0).astype(np.int32)
        sf = (np.clip(exp, 1, 254) << 23).astype(np.int32).view(F32)
    with np.errstate(over="ignore", invalid="ignore"):
        x_scaled = x_view * (F32(1.0) / sf[..., None])
        ax = np.abs(x_scaled)
        code = np.zeros(x_scaled.shape, np.uint8)
        for boundary in (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0):
            code += (ax > F32(boundary)).astype(np.uint8)
        sign = (x_scaled < 0) & (code != 0)
    code = code | (sign.astype(np.uint8) << 3)
    codes = code.reshape(m, padded_n)
    packed = (codes[:, 0::2] & 0x0F) | ((codes[:, 1::2] & 0x0F) << 4)
    return packed[:, :n // 2], sf


def deepgemm_kernel_cast(x, gran_k):
    """DeepGEMM's GPU FP8 cast, restated: per-token amax (from 0, no floor; sm100_fp8_fp4_mega_moe.cuh
    lines 1022-1055), ``get_e4m3_sf_and_sf_inv`` with ``fast_log2_ceil`` / ``fast_pow2``
    (deep_gemm/include/deep_gemm/common/math.cuh lines 78-99), ``__fmul2_rn(x, sf_inv)`` and
    ``__nv_fp8x4_e4m3`` (cvt.rn.satfinite: NaN -> 0x7F) (mega_moe lines 1062-1064), the stored
    byte ``sf bits >> 23`` (lines 1097-1100); DeepGEMM 54e22612409371d6364144b69086735beb54e98b.
    Returns (codes, sf)."""
    x = np.asarray(x, dtype=F32)
    m, n = x.shape
    v = x.reshape(m, n // gran_k, gran_k)
    amax = np.abs(v).max(axis=2)
    scaled = amax * F32(1.0 / 448.0)  # __fmul2_rn(amax, {1.0 / 448.0, ...})
    bits = scaled.view(np.uint32).astype(np.int64)
    exp_x = (bits >> 23) - 127 + ((bits & ((1 << 23) - 1)) != 0)  # fast_log2_ceil
    sf = (((exp_x + 127) << 23) & 0xFFFFFFFF).astype(np.uint32).view(F32)  # fast_pow2(exp_x)
    sf_inv = (((-exp_x + 127) << 23) & 0xFFFFFFFF).astype(np.uint32).view(F32)  # fast_pow2(-exp_x)
    with np.errstate(over="ignore", invalid="ignore"):
        y = v * sf_inv[..., None]
        codes = np.where(np.isnan(y), 0x7F, e4m3_sat(y)).astype(np.uint8)
    return codes.reshape(m, n), sf
