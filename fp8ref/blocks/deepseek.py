"""DeepSeek-V3 / DeepGEMM tile-wise FP8: 1x128 activation tiles, 128x128 weight blocks, E4M3.

``variant="deepgemm"`` replays DeepGEMM ``deep_gemm/utils/math.py`` (``per_token_cast_to_fp8``,
``per_block_cast_to_fp8``, ``per_channel_cast_to_fp8``) in float32, per tile::

    amax = max(max |x| over the tile, fp32(1e-4))      NaN propagates (torch clamp)
    sf   = amax / 448                                   FP32 division
    sf   = ceil_to_ue8m0(sf)   if scale_fmt == "ue8m0": biased exponent bits of |sf|, plus one
                               if any mantissa bit is set, clamped to 1..254; sf = 2^(e - 127):
                               the UE8M0 codec rounding up (rup), codes clamped to 1..254
    q    = e4m3_rne_sat(x * (1 / sf))                   FP32 reciprocal, then FP32 multiply

``variant="deepseek_v3"``: DeepSeek-V3 ``inference/kernel.py act_quant``: the same scale
(its ``exp2(ceil(log2(s)))`` taken exactly, i.e. equal to the bit rule for normal ``s``), but
``q = e4m3(x / sf)`` -- one division. With UE8M0 scales both variants are identical (scaling by
a power of two is exact); with FP32 scales they can differ by one rounding.

``variant="deepgemm_kernel"``: DeepGEMM's GPU kernel order (``common/math.cuh``
``get_e4m3_sf_and_sf_inv``, used by the SM100 mega-MoE epilogue, 1x32 tiles there), UE8M0
only (the kernel asserts it)::

    amax = max |x| over the tile                        no 1e-4 floor
    e    = exponent(fp32(amax * fp32(1/448))) + (mantissa != 0)      fast_log2_ceil, no clamp
    sf   = bits((e + 127) << 23), sf_inv = bits((127 - e) << 23)      fast_pow2
    q    = e4m3_rn_satfinite(x * sf_inv)

(These are the kernel's bit tricks, reproduced on float32's fields, not a rounding: they differ
from the UE8M0 round-up for a zero, subnormal or Inf product, as described next.)

An all-zero tile gets ``sf = 0.0`` (byte 0) instead of 2^-22; a float32-subnormal product gives
2^-126; an Inf tile gives ``sf = Inf`` (byte 0xFF) and ``sf_inv = -Inf`` (the kernel's bit
pattern), which flips the elements' signs: reproduced. A NaN tile is refused (the kernel's
max-reduction order decides what it does). The host functions divide (``amax / 448``): the
float32 quotient and the kernel's product differ in the last bit for 52.9 % of all float32 amax
values, but after the round-up to a power of two only for one amax below 1e-4 (docs/blocks.md).

``fmt="e2m1fn"``: DeepGEMM ``per_token_cast_to_fp4`` (``variant="deepgemm"``): ``sf =
max(amax, 1e-4) / 6`` (then ``ceil_to_ue8m0`` for UE8M0), ``x * (1 / sf)`` in FP32, and the
element code = how many of the boundaries 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5 lie strictly
below ``|x|`` -- round to nearest with **ties toward zero** (fp8ref rounding ``rnz``), saturating
at 6 -- with the sign bit only for a non-zero code: -0 and NaN give +0 (code 0).

Tiles at the right/bottom edge may be partial: DeepGEMM pads with zeros, which never changes
an amax. E4M3 conversion: RNE with saturation (±448; a NaN stays NaN 0x7F). UE8M0 scale bytes
pack four per int32 little-endian (:func:`fp8ref.blocks.packing.pack_ue8m0`, DeepGEMM
``pack_ue8m0_to_int``).

``encode`` (formerly ``quantize``) returns a :class:`DeepSeekTensor` of codes and scales;
``fmt`` names the element format, ``scale_fmt`` the scale format (``elem=`` is the deprecated
spelling of ``fmt``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._deprecation import renamed_function, renamed_kwarg, renamed_property
from .. import codecs
from ..core.floats import F32
from ..formats import get_format
from ..formats.builtin import UE8M0
from . import packing
from ._util import check_positive_int, float_input, html_table

__all__ = ["DeepSeekTensor", "encode", "quantize", "tile_scales", "ceil_to_ue8m0", "TILES", "VARIANTS", "SCALE_FMTS",
           "ELEMENTS"]

#: named tiles: (rows, columns) sharing one scale
TILES = {"per_token": (1, 128), "per_block": (128, 128), "per_channel": (128, 1)}
VARIANTS = ("deepgemm", "deepseek_v3", "deepgemm_kernel")
#: element formats: DeepGEMM's FP8 casts (E4M3) and its FP4 cast (E2M1, per_token_cast_to_fp4)
ELEMENTS = ("e4m3fn", "e2m1fn")
SCALE_FMTS = ("ue8m0", "fp32")
_F32 = np.float32
_AMAX_FLOOR = _F32(1e-4)
_MAX = {"e4m3fn": _F32(448.0), "e2m1fn": _F32(6.0)}
_RCP448 = _F32(1.0 / 448.0)  # const float2 finfo_factor = {1.0 / 448.0, ...}
_SF_CODES = (UE8M0.min_code + 1, UE8M0.max_code)  # DeepGEMM clamps the exponent to 1..254


def _check_fmt(fmt):
    """The element format's name, one of ``ELEMENTS`` (aliases accepted)."""
    try:
        name = get_format(fmt).name
    except (ValueError, TypeError):
        name = fmt
    if name not in ELEMENTS:
        raise ValueError(f"unknown DeepSeek/DeepGEMM element {fmt!r}; valid: {', '.join(ELEMENTS)}")
    return name


def ceil_to_ue8m0(sf):
    """DeepGEMM ``ceil_to_ue8m0``: |sf| (float32 values) rounded up to a power of two -- the
    UE8M0 codec rounding ``rup`` (NaN, Inf and overflow to the top code) -- with the code clamped
    to 1..254 (2^-126 .. 2^127) as DeepGEMM clamps the exponent. Returns ``(float32 scales,
    uint8 codes)``."""
    a = np.abs(float_input(sf, allow_float64=False, who="ceil_to_ue8m0"))
    codes = codecs.encode(a, UE8M0, rounding="rup", overflow="sat_finite", below_range="min")
    codes = np.clip(codes, *_SF_CODES).astype(UE8M0.code_dtype)
    return codecs.decode(codes, UE8M0, dtype=np.float32), codes


def tile_scales(amax, *, scale_fmt="ue8m0", fmt=None, elem=None):
    """Scale factors ``sf`` (float32) for tile maxima ``amax`` (DeepGEMM's host functions):
    clamp at 1e-4, / 448 (E4M3) or / 6 (E2M1: ``fmt="e2m1fn"``), then UE8M0 round-up if asked.
    Returns ``(sf, ue8m0 bytes or None)``. ``elem=``: deprecated spelling of ``fmt``."""
    fmt = renamed_kwarg("deepseek.tile_scales", fmt, elem, "fmt", "elem") or "e4m3fn"
    if scale_fmt not in SCALE_FMTS:
        raise ValueError(f"unknown scale_fmt {scale_fmt!r}; valid: {', '.join(SCALE_FMTS)}")
    a = np.abs(float_input(amax, allow_float64=False, who="tile_scales"))
    with np.errstate(invalid="ignore"):
        sf = np.maximum(a, _AMAX_FLOOR) / _MAX[_check_fmt(fmt)]
    if scale_fmt == "ue8m0":
        return ceil_to_ue8m0(sf)
    return sf, None


def _tile(tile):
    if isinstance(tile, str):
        if tile not in TILES:
            raise ValueError(f"unknown tile {tile!r}; valid: {', '.join(TILES)} or a (rows, cols) pair")
        return TILES[tile]
    try:
        r, c = tile
    except (TypeError, ValueError):
        raise ValueError(f"tile must be a name or a (rows, cols) pair, got {tile!r}") from None
    return check_positive_int(r, "tile rows"), check_positive_int(c, "tile cols")


def _kernel_scales(amax):
    """DeepGEMM ``get_e4m3_sf_and_sf_inv``: ``(sf, sf_inv)`` float32 from the bits of
    ``fp32(amax * fp32(1/448))`` (``fast_log2_ceil``, ``fast_pow2``: no clamp, uint32 wrap)."""
    if np.isnan(amax).any():
        raise ValueError("variant 'deepgemm_kernel': a NaN in a tile is not modelled (the kernel's "
                         "max-reduction order decides what its amax becomes)")
    with np.errstate(over="ignore"):
        scaled = amax * _RCP448
    _, exp, frac = F32.fields(F32.to_bits(scaled))
    e = exp - F32.bias + (frac != 0)  # fast_log2_ceil: the exponent field, plus one if any fraction bit

    def pow2(k):  # fast_pow2: the pattern (k + bias) << man_bits as uint32 (wrapping as the C++ does)
        return F32.from_bits(((k + F32.bias) << F32.man_bits) & (2 * F32.sign_mask - 1))

    return pow2(e), pow2(-e)


def _elements(y, fmt):
    """Element codes of the scaled values: E4M3 RNE saturating (cvt.rn.satfinite / torch cast);
    E2M1 DeepGEMM ``_quantize_to_fp4_e2m1``: nearest, ties toward zero, saturating, no -0."""
    if fmt == "e4m3fn":
        return codecs.encode(y, "e4m3fn", rounding="rne", overflow="sat_finite")
    codes = codecs.encode(y, "e2m1fn", rounding="rnz", overflow="sat_finite", nan_to="zero")
    codes[codes == 8] = 0  # sign = (x < 0) & (code != 0): -0, tiny negatives and NaN give +0
    return codes


def _expand(s, tr, tc, m, n):
    return np.repeat(np.repeat(s, tr, axis=0), tc, axis=1)[:m, :n]


@dataclass(frozen=True, eq=False, init=False)
class DeepSeekTensor:
    """Tile-quantized FP8 / FP4 (immutable). codes: uint8 element codes of ``fmt`` (E4M3, or
    E2M1 unpacked), the original (m, n) shape. scales: the tiles' ``sf`` as DeepGEMM stores them,
    float32, shape ``(ceil(m / tile_rows), ceil(n / tile_cols))`` (powers of two for
    ``scale_fmt="ue8m0"``, whose codes are ``scale_bytes``); a value is ``fmt(code) * sf``.
    ``elem``: deprecated spelling of ``fmt``."""

    codes: np.ndarray
    scales: np.ndarray
    tile: tuple = (1, 128)
    scale_fmt: str = "ue8m0"
    variant: str = "deepgemm"
    fmt: str = "e4m3fn"

    def __init__(self, codes, scales, tile=(1, 128), scale_fmt="ue8m0", variant="deepgemm", fmt=None, *,
                 elem=None):
        fmt = renamed_kwarg("DeepSeekTensor", fmt, elem, "fmt", "elem") or "e4m3fn"
        for k, v in (("codes", codes), ("scales", scales), ("tile", tile), ("scale_fmt", scale_fmt),
                     ("variant", variant), ("fmt", fmt)):
            object.__setattr__(self, k, v)
        self.__post_init__()

    elem = renamed_property("fmt", "elem")

    def __post_init__(self):
        codes = np.array(self.codes, copy=True)
        scales = np.array(self.scales, dtype=_F32, copy=True)
        if codes.dtype.kind not in "iu" or codes.ndim != 2:
            raise ValueError("DeepSeekTensor codes must be a 2-D integer array")
        fmt = _check_fmt(self.fmt)
        top = get_format(fmt).num_codes - 1  # the element format decides: 255 (E4M3), 15 (E2M1)
        if codes.size and (codes.min() < 0 or codes.max() > top):
            raise ValueError(f"{fmt} codes must lie in 0..{top}")
        tr, tc = _tile(self.tile)
        m, n = codes.shape
        want = (-(-m // tr), -(-n // tc))
        if scales.shape != want:
            raise ValueError(f"scales have shape {scales.shape}, expected {want}")
        if self.scale_fmt not in SCALE_FMTS:
            raise ValueError(f"unknown scale_fmt {self.scale_fmt!r}")
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}")
        if self.scale_fmt == "ue8m0" and scales.size:
            sign, _, frac = F32.fields(F32.to_bits(scales))
            if sign.any() or frac.any():  # (the kernel variant's 0.0 and Inf pass: byte 0 / 0xFF)
                raise ValueError("UE8M0 scales must be positive powers of two")
        codes = codes.astype(np.uint8)
        codes.setflags(write=False)
        scales.setflags(write=False)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "scales", scales)
        object.__setattr__(self, "tile", (tr, tc))
        object.__setattr__(self, "fmt", fmt)

    @property
    def shape(self):
        return self.codes.shape

    @property
    def scale_bytes(self) -> np.ndarray:
        """UE8M0 codes of the scales: the biased exponent field of each float32 ``sf`` (as
        DeepGEMM packs them; the kernel variant's 0.0 and Inf give 0x00 and 0xFF)."""
        if self.scale_fmt != "ue8m0":
            raise ValueError("scale_bytes exist only for scale_fmt='ue8m0'")
        _, exp, _ = F32.fields(F32.to_bits(self.scales))
        return exp.astype(UE8M0.code_dtype)

    def packed_scales(self, *, pad=None) -> np.ndarray:
        """UE8M0 bytes packed four per int32 along the last (K-group) axis, little-endian."""
        return packing.pack_ue8m0(self.scale_bytes, pad=pad)

    def element_values(self, dtype=np.float64) -> np.ndarray:
        """Decoded element values without the scale, the codes' shape (exact)."""
        return codecs.decode(self.codes, self.fmt, dtype=dtype)

    def scale_values(self, dtype=np.float64) -> np.ndarray:
        """``sf`` per tile as ``dtype`` (exact: float32 values), the ``scales`` shape."""
        return self.scales.astype(dtype)

    def packed(self, *, pad=None) -> np.ndarray:
        """E2M1 codes two per byte along the last axis, element 2j in the low nibble (DeepGEMM
        ``per_token_cast_to_fp4``); E4M3 codes are already one per byte."""
        if self.fmt != "e2m1fn":
            raise ValueError("packed() is for E2M1 elements; E4M3 codes are bytes already")
        return packing.pack_fp4(self.codes, pad=pad)

    def expanded_scales(self):
        tr, tc = self.tile
        return _expand(self.scales, tr, tc, *self.shape)

    def dequantize(self, dtype=np.float32):
        """``fmt(code) * sf``: one FP32 multiply (DeepSeek ``weight_dequant`` / DeepGEMM
        ``cast_back``; exact for UE8M0 scales) for float32, the exact product for float64."""
        name = np.dtype(dtype).name
        if name == "float64":
            return self.element_values(np.float64) * self.expanded_scales().astype(np.float64)
        if name != "float32":
            raise ValueError(f"dequantize dtype must be float32 or float64, got {name!r}")
        with np.errstate(over="ignore", invalid="ignore"):
            return self.element_values(np.float32) * self.expanded_scales()

    def __repr__(self):
        return (f"DeepSeekTensor(shape={self.shape}, tile={self.tile}, scale_fmt={self.scale_fmt!r}, "
                f"variant={self.variant!r}, fmt={self.fmt!r})")

    def _repr_html_(self):
        rows = []
        codes = self.scale_bytes if self.scale_fmt == "ue8m0" else None
        for i in range(min(2, self.scales.shape[0])):
            for j in range(min(2, self.scales.shape[1])):
                b = "" if codes is None else f"0x{int(codes[i, j]):02X}"
                rows.append((f"tile ({i}, {j})", repr(float(self.scales[i, j])), b))
        summary = [("shape", self.shape), ("tile", self.tile), ("scale format", self.scale_fmt),
                   ("variant", self.variant), ("element", self.fmt), ("tiles", self.scales.shape)]
        return html_table("fp8ref DeepSeekTensor", summary, rows, ("tile", "sf", "UE8M0 byte"))


def encode(x, *, tile="per_token", scale_fmt: str = "ue8m0", variant: str = "deepgemm", fmt=None,
           elem=None) -> DeepSeekTensor:
    """Encode a 2-D float32 (or bf16/fp16) array with one scale per tile: a
    :class:`DeepSeekTensor` of element codes and scales (``.dequantize()`` gives values back).

    tile: ``"per_token"`` (1x128, activations), ``"per_block"`` (128x128, weights),
    ``"per_channel"`` (128x1) or any ``(rows, cols)``. scale_fmt: ``"ue8m0"`` (power-of-two
    scales, DeepSeek-V3.1 / DeepGEMM SM100) or ``"fp32"``. variant: ``"deepgemm"`` (host code:
    multiply by the FP32 reciprocal), ``"deepseek_v3"`` (divide) or ``"deepgemm_kernel"`` (the
    GPU kernel's order; UE8M0, E4M3). fmt: the element format, ``"e4m3fn"`` (default) or
    ``"e2m1fn"`` (DeepGEMM ``per_token_cast_to_fp4``; variant ``deepgemm``); ``elem=`` is its
    deprecated spelling.
    """
    fmt = renamed_kwarg("deepseek.encode", fmt, elem, "fmt", "elem") or "e4m3fn"
    tr, tc = _tile(tile)
    if scale_fmt not in SCALE_FMTS:
        raise ValueError(f"unknown scale_fmt {scale_fmt!r}; valid: {', '.join(SCALE_FMTS)}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
    fmt = _check_fmt(fmt)
    if fmt == "e2m1fn" and variant != "deepgemm":
        raise ValueError(f"E2M1 elements are DeepGEMM's per_token_cast_to_fp4 (variant 'deepgemm'), not {variant!r}")
    if variant == "deepgemm_kernel" and scale_fmt != "ue8m0":
        raise ValueError("variant 'deepgemm_kernel' has UE8M0 scales only (get_e4m3_sf_and_sf_inv asserts kUseUE8M0)")
    arr = float_input(x, allow_float64=False, who="deepseek.encode")
    if arr.ndim != 2:
        raise ValueError(f"deepseek.encode needs a 2-D array (DeepGEMM asserts it), got shape {arr.shape}")
    m, n = arr.shape
    gm, gn = -(-m // tr), -(-n // tc)
    a = np.abs(arr)
    pr, pc = gm * tr - m, gn * tc - n
    if pr or pc:
        a = np.pad(a, ((0, pr), (0, pc)))
    amax = a.reshape(gm, tr, gn, tc).max(axis=(1, 3)) if a.size else np.zeros((gm, gn), _F32)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if variant == "deepgemm_kernel":
            sf, sf_inv = _kernel_scales(amax)
            y = arr * _expand(sf_inv, tr, tc, m, n)  # __fmul2_rn(activation, sf_inv)
        else:
            sf, _ = tile_scales(amax, scale_fmt=scale_fmt, fmt=fmt)
            full = _expand(sf, tr, tc, m, n)
            y = arr / full if variant == "deepseek_v3" else arr * (_F32(1.0) / full)
    return DeepSeekTensor(_elements(y, fmt), sf, (tr, tc), scale_fmt, variant, fmt)


#: deprecated: the tile quantizer is ``encode`` (it returns codes and scales, not values)
quantize = renamed_function(encode, "fp8ref.deepseek.quantize", "fp8ref.deepseek.encode")
