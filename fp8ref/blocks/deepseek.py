"""DeepSeek-V3 / DeepGEMM tile-wise FP8: 1x128 activation tiles, 128x128 weight blocks, E4M3.

``variant="deepgemm"`` replays DeepGEMM ``deep_gemm/utils/math.py`` (``per_token_cast_to_fp8``,
``per_block_cast_to_fp8``, ``per_channel_cast_to_fp8``) in float32, per tile::

    amax = max(max |x| over the tile, fp32(1e-4))      NaN propagates (torch clamp)
    sf   = amax / 448                                   FP32 division
    sf   = ceil_to_ue8m0(sf)   if scale_fmt == "ue8m0": biased exponent bits of |sf|, plus one
                               if any mantissa bit is set, clamped to 1..254; sf = 2^(e - 127)
    q    = e4m3_rne_sat(x * (1 / sf))                   FP32 reciprocal, then FP32 multiply

``variant="deepseek_v3"``: DeepSeek-V3 ``inference/kernel.py act_quant``: the same scale
(its ``exp2(ceil(log2(s)))`` taken exactly, i.e. equal to the bit rule for normal ``s``), but
``q = e4m3(x / sf)`` -- one division. With UE8M0 scales both variants are identical (scaling by
a power of two is exact); with FP32 scales they can differ by one rounding.

Tiles at the right/bottom edge may be partial: DeepGEMM pads with zeros, which never changes
an amax. E4M3 conversion: RNE with saturation (±448; a NaN stays NaN 0x7F). UE8M0 scale bytes
pack four per int32 little-endian (:func:`fp8ref.blocks.packing.pack_ue8m0`, DeepGEMM
``pack_ue8m0_to_int``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..codecs import decode, encode
from . import packing
from ._util import check_positive_int, float_input, html_table

__all__ = ["DeepSeekTensor", "quantize", "tile_scales", "ceil_to_ue8m0", "TILES", "VARIANTS", "SCALE_FMTS"]

#: named tiles: (rows, columns) sharing one scale
TILES = {"per_token": (1, 128), "per_block": (128, 128), "per_channel": (128, 1)}
VARIANTS = ("deepgemm", "deepseek_v3")
SCALE_FMTS = ("ue8m0", "fp32")
_F32 = np.float32
_AMAX_FLOOR = _F32(1e-4)
_E4M3_MAX = _F32(448.0)


def ceil_to_ue8m0(sf):
    """DeepGEMM ``ceil_to_ue8m0``: |sf| rounded up to a power of two from its FP32 bits
    (exponent + (mantissa != 0), clamped to 1..254). Returns ``(float32 scales, uint8 bytes)``."""
    bits = np.asarray(sf, dtype=_F32).view(np.uint32) & np.uint32(0x7FFFFFFF)
    e = ((bits >> np.uint32(23)) & np.uint32(0xFF)).astype(np.int64) + ((bits & np.uint32(0x7FFFFF)) != 0)
    e = np.clip(e, 1, 254)
    return (e.astype(np.uint32) << np.uint32(23)).view(_F32), e.astype(np.uint8)


def tile_scales(amax, *, scale_fmt="ue8m0"):
    """Scale factors ``sf`` (float32) for tile maxima ``amax``: clamp at 1e-4, / 448, then
    UE8M0 round-up if asked. Returns ``(sf, ue8m0 bytes or None)``."""
    if scale_fmt not in SCALE_FMTS:
        raise ValueError(f"unknown scale_fmt {scale_fmt!r}; valid: {', '.join(SCALE_FMTS)}")
    a = np.abs(float_input(amax, allow_float64=False, who="tile_scales"))
    with np.errstate(invalid="ignore"):
        sf = np.maximum(a, _AMAX_FLOOR) / _E4M3_MAX
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


def _expand(s, tr, tc, m, n):
    return np.repeat(np.repeat(s, tr, axis=0), tc, axis=1)[:m, :n]


@dataclass(frozen=True, eq=False)
class DeepSeekTensor:
    """Tile-quantized FP8 (immutable). codes: uint8 E4M3 codes, the original (m, n) shape.
    scales: float32 ``sf`` per tile, shape ``(ceil(m / tile_rows), ceil(n / tile_cols))``;
    a value is ``e4m3(code) * sf``."""

    codes: np.ndarray
    scales: np.ndarray
    tile: tuple = (1, 128)
    scale_fmt: str = "ue8m0"
    variant: str = "deepgemm"

    def __post_init__(self):
        codes = np.array(self.codes, copy=True)
        scales = np.array(self.scales, dtype=_F32, copy=True)
        if codes.dtype.kind not in "iu" or codes.ndim != 2:
            raise ValueError("DeepSeekTensor codes must be a 2-D integer array")
        if codes.size and (codes.min() < 0 or codes.max() > 255):
            raise ValueError("E4M3 codes must lie in 0..255")
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
            b = scales.view(np.uint32)
            if (b & np.uint32(0x807FFFFF)).any():
                raise ValueError("UE8M0 scales must be positive powers of two")
        codes = codes.astype(np.uint8)
        codes.setflags(write=False)
        scales.setflags(write=False)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "scales", scales)
        object.__setattr__(self, "tile", (tr, tc))

    @property
    def shape(self):
        return self.codes.shape

    @property
    def scale_bytes(self) -> np.ndarray:
        """UE8M0 bytes of the scales (``sf`` bits >> 23)."""
        if self.scale_fmt != "ue8m0":
            raise ValueError("scale_bytes exist only for scale_fmt='ue8m0'")
        return (self.scales.view(np.uint32) >> np.uint32(23)).astype(np.uint8)

    def packed_scales(self, *, pad=None) -> np.ndarray:
        """UE8M0 bytes packed four per int32 along the last (K-group) axis, little-endian."""
        return packing.pack_ue8m0(self.scale_bytes, pad=pad)

    def element_values(self, dtype=np.float32):
        return decode(self.codes, "e4m3fn", dtype=dtype)

    def expanded_scales(self):
        tr, tc = self.tile
        return _expand(self.scales, tr, tc, *self.shape)

    def dequantize(self, dtype=np.float32):
        """``e4m3(code) * sf``: one FP32 multiply (DeepSeek ``weight_dequant`` / DeepGEMM
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
                f"variant={self.variant!r})")

    def _repr_html_(self):
        rows = []
        for i in range(min(2, self.scales.shape[0])):
            for j in range(min(2, self.scales.shape[1])):
                sf = float(self.scales[i, j])
                b = f"0x{int(np.float32(sf).view(np.uint32) >> 23):02X}" if self.scale_fmt == "ue8m0" else ""
                rows.append((f"tile ({i}, {j})", repr(sf), b))
        summary = [("shape", self.shape), ("tile", self.tile), ("scale format", self.scale_fmt),
                   ("variant", self.variant), ("tiles", self.scales.shape)]
        return html_table("fp8ref DeepSeekTensor", summary, rows, ("tile", "sf", "UE8M0 byte"))


def quantize(x, *, tile="per_token", scale_fmt="ue8m0", variant="deepgemm") -> DeepSeekTensor:
    """Quantize a 2-D float32 (or bf16/fp16) array to E4M3 with one scale per tile.

    tile: ``"per_token"`` (1x128, activations), ``"per_block"`` (128x128, weights),
    ``"per_channel"`` (128x1) or any ``(rows, cols)``. scale_fmt: ``"ue8m0"`` (power-of-two
    scales, DeepSeek-V3.1 / DeepGEMM SM100) or ``"fp32"``. variant: ``"deepgemm"`` (multiply by
    the FP32 reciprocal) or ``"deepseek_v3"`` (divide).
    """
    tr, tc = _tile(tile)
    if scale_fmt not in SCALE_FMTS:
        raise ValueError(f"unknown scale_fmt {scale_fmt!r}; valid: {', '.join(SCALE_FMTS)}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")
    arr = float_input(x, allow_float64=False, who="deepseek.quantize")
    if arr.ndim != 2:
        raise ValueError(f"deepseek.quantize needs a 2-D array (DeepGEMM asserts it), got shape {arr.shape}")
    m, n = arr.shape
    gm, gn = -(-m // tr), -(-n // tc)
    a = np.abs(arr)
    pr, pc = gm * tr - m, gn * tc - n
    if pr or pc:
        a = np.pad(a, ((0, pr), (0, pc)))
    amax = a.reshape(gm, tr, gn, tc).max(axis=(1, 3)) if a.size else np.zeros((gm, gn), _F32)
    sf, _ = tile_scales(amax, scale_fmt=scale_fmt)
    full = _expand(sf, tr, tc, m, n)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        y = arr / full if variant == "deepseek_v3" else arr * (_F32(1.0) / full)
    codes = encode(y, "e4m3fn", rounding="rne", overflow="sat_finite")
    return DeepSeekTensor(codes, sf, (tr, tc), scale_fmt, variant)
