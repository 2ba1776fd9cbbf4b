"""NVIDIA NVFP4: E2M1 elements, 16-element blocks, E4M3 block scales, an FP32 per-tensor scale.

Decoded value: ``x = e2m1(q) * fp32(s_block_e4m3) * S_dec``. NVFP4 has no single normative
formula; every variant here replays one implementation's float32 operation order exactly
(numpy float32 arithmetic is IEEE round-to-nearest-even, as the CUDA/PyTorch code paths are)
and rounds E4M3/E2M1 through ``fp8ref.encode`` (RNE, saturating = PTX ``.satfinite``).

``variant="te"`` -- TransformerEngine kernels (``common/cast/nvfp4/core_nvfp4.cuh``)::

    S_enc   = 2688 / amax                (448 * 6 folded to 2688.0f), min(S_enc, FLT_MAX);
              S_enc = 1 if amax == 0 or S_enc == 0 (amax = Inf)
    S_dec   = 1 / S_enc                  (the per-tensor decode scale)
    s_dec_b = amax_b * (S_enc * fp32(1/6))          per block (FP32, this association)
    s8_b    = e4m3_rn_satfinite(s_dec_b)            stored block scale
    enc_b   = min(1 / (fp32(s8_b) * S_dec), FLT_MAX)
    q_i     = e2m1_rn_satfinite(x_i * enc_b)        cvt.rn.satfinite.e2m1x2.f32

``variant="te_ref"`` -- TE's PyTorch reference (``custom_recipes/quantization_nvfp4.py``):
the same order, except amax = 0 keeps ``S_enc = FLT_MAX`` (only ``S_enc == 0`` is replaced
by 1) and its threshold cast maps a scaled value of exactly ±0 to code 0 (+0). With amax = 0
every value is zero either way, so the codes agree; only the stored S_enc/S_dec differ.

``row_scaled=True`` (``te``/``te_ref``, 1x16 tiles) -- TE's ``row_scaled_nvfp4`` (TE >= 2.16,
commit c74e5aa): the same order with one amax, S_enc and S_dec per row (``amax[row]`` instead
of the tensor amax); the dequantize kernel reads ``tensor_amax[y]`` per row.

torchao ``nvfp4_quantize`` (``pts = amax / 2688``, a given per-tensor scale, or None for
single-level scaling; ``s8 = e4m3(clamp(amax_b / 6 [/ pts], 2^-6, 448))``; elements clamped
to ±6, then RNE), in its three operation orders:

* ``torchao_0.16`` (torchao 0.12 - 0.16): ``q = x / (pts * s8)`` (single level ``x / s8``);
* ``torchao_0.17``: ``q = x * ((1 / pts) / s8)``, single level still ``x / s8``;
* ``torchao_0.18`` (0.18 and main as of 36027d8): ``q = x * ((1 / pts) / s8)``, single level
  ``x * (1 / s8)``.

``"torchao"`` is a deprecated alias of ``torchao_0.16`` (it warns). The reciprocal orders
overflow: ``1 / pts`` is Inf for a tensor amax below about 7.9e-36, ``(1 / pts) / s8`` for
blocks with ``s8 = 2^-6`` earlier; ``0 * Inf`` then gives NaN, which torchao's FP4 bit trick
turns into a platform-dependent code, so fp8ref raises there (non-zero elements times Inf
saturate to ±6 and are reproduced).

NaN anywhere in the tensor makes the per-tensor amax NaN (torch semantics): every block scale
becomes the E4M3 NaN 0x7F and every element code 0 (``te``/``te_ref``; per row with
``row_scaled``); the torchao variants raise, as for a per-tensor scale of 0 (their own code
then produces NaN garbage). Not modelled: random Hadamard transform, stochastic rounding,
"4over6", TE's BF16 coefficient fast path.

``encode`` (formerly ``quantize``) returns an :class:`NVFP4Tensor`: ``codes`` (``fmt`` =
``e2m1fn``), ``scales`` (``scale_fmt`` = ``e4m3fn``; formerly ``block_scales``) and the
per-tensor figures; ``element_values`` / ``scale_values`` decode them exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .. import codecs
from .._deprecation import renamed_function, renamed_kwarg, renamed_property, warn_renamed
from . import packing
from ._util import float_input, html_table

__all__ = ["NVFP4Tensor", "encode", "quantize", "VARIANTS", "BLOCK"]

VARIANTS = ("te", "te_ref", "torchao_0.16", "torchao_0.17", "torchao_0.18")
#: deprecated variant names -> the variant they mean
DEPRECATED = {"torchao": "torchao_0.16"}
TILES = ((1, 16), (16, 16))
BLOCK = 16
_F32 = np.float32
_FLT_MAX = np.finfo(np.float32).max
_E4M3_MAX = _F32(448.0)
_E2M1_MAX = _F32(6.0)
_GLOBAL = _F32(2688.0)  # 448 * 6
_RCP6 = _F32(1.0) / _F32(6.0)  # constexpr 1.0f / 6.0f (== torch.reciprocal(6.0))
_RCP2688 = _F32(1.0 / 2688.0)  # dequantize's constexpr factor_inv = 1.0 / (6.0 * 448.0)
_E4M3_TINY = _F32(2.0**-6)


@dataclass(frozen=True, eq=False, init=False)
class NVFP4Tensor:
    """NVFP4-quantized array (immutable).

    codes: uint8 E2M1 codes (``fmt``), the original shape. scales: uint8 E4M3 codes
    (``scale_fmt``; ``block_scales`` is the deprecated name), shape
    ``shape[:-1] + (ceil(n / 16),)`` -- one per row and 16-column block; with 16x16 tiles the
    same code repeats over each group of 16 rows (TE's layout). global_amax / s_enc / s_dec:
    FP32 per-tensor figures (``s_dec`` is the decode scale; None for torchao single-level);
    with ``row_scaled`` float32 arrays of shape ``shape[:-1]``, one per row.
    """

    codes: np.ndarray
    scales: np.ndarray
    variant: str = "te"
    tile: tuple = (1, 16)
    global_amax: object = None
    s_enc: object = None
    s_dec: object = None
    row_scaled: bool = False

    #: the element and block-scale formats
    fmt = "e2m1fn"
    scale_fmt = "e4m3fn"

    def __init__(self, codes, scales=None, variant="te", tile=(1, 16), global_amax=None, s_enc=None, s_dec=None,
                 row_scaled=False, *, block_scales=None):
        scales = renamed_kwarg("NVFP4Tensor", scales, block_scales, "scales", "block_scales")
        if scales is None:
            raise TypeError("NVFP4Tensor() missing the block scales (scales)")
        for k, v in (("codes", codes), ("scales", scales), ("variant", variant), ("tile", tile),
                     ("global_amax", global_amax), ("s_enc", s_enc), ("s_dec", s_dec), ("row_scaled", row_scaled)):
            object.__setattr__(self, k, v)
        self.__post_init__()

    block_scales = renamed_property("scales", "block_scales")

    def __post_init__(self):
        codes = np.array(self.codes, copy=True)
        scales = np.array(self.scales, copy=True)
        if codes.dtype.kind not in "iu" or scales.dtype.kind not in "iu":
            raise TypeError("NVFP4Tensor codes and scales must be integer arrays")
        if codes.ndim == 0:
            raise ValueError("NVFP4Tensor codes must have at least one dimension")
        if codes.size and (codes.min() < 0 or codes.max() > 15):
            raise ValueError("E2M1 codes must lie in 0..15")
        if scales.size and (scales.min() < 0 or scales.max() > 255):
            raise ValueError("E4M3 block scale codes must lie in 0..255")
        want = codes.shape[:-1] + (-(-codes.shape[-1] // BLOCK),)
        if scales.shape != want:
            raise ValueError(f"scales have shape {scales.shape}, expected {want}")
        variant = _variant(self.variant)
        tile = tuple(self.tile)
        if tile not in TILES:
            raise ValueError(f"tile must be (1, 16) or (16, 16), got {self.tile!r}")
        codes, scales = codes.astype(np.uint8), scales.astype(np.uint8)
        codes.setflags(write=False)
        scales.setflags(write=False)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "scales", scales)
        object.__setattr__(self, "tile", tile)
        object.__setattr__(self, "variant", variant)
        row_scaled = bool(self.row_scaled)
        if row_scaled and (variant not in ("te", "te_ref") or tile != (1, 16)):
            raise ValueError("row_scaled applies to variants 'te'/'te_ref' with 1x16 tiles (as in TE)")
        object.__setattr__(self, "row_scaled", row_scaled)
        for k in ("global_amax", "s_enc", "s_dec"):
            v = getattr(self, k)
            if v is not None and row_scaled:
                v = np.array(v, dtype=_F32)
                if v.shape != codes.shape[:-1]:
                    raise ValueError(f"row_scaled {k} must have shape {codes.shape[:-1]}, got {v.shape}")
                v.setflags(write=False)
            elif v is not None:
                v = _F32(v)
            object.__setattr__(self, k, v)

    def _per_row(self, v):
        """A per-tensor figure broadcast against the codes (per row with ``row_scaled``)."""
        return v[..., None] if self.row_scaled else v

    @property
    def shape(self):
        return self.codes.shape

    def element_values(self, dtype=np.float64) -> np.ndarray:
        """Decoded E2M1 values without any scale, the codes' shape (exact)."""
        return codecs.decode(self.codes, self.fmt, dtype=dtype)

    def scale_values(self, dtype=np.float64) -> np.ndarray:
        """s8 per block: the E4M3 block decode scales (before S_dec), the ``scales`` shape (exact)."""
        return codecs.decode(self.scales, self.scale_fmt, dtype=dtype)

    def expanded_scales(self, dtype=np.float64) -> np.ndarray:
        """s8 broadcast to every element (the codes' shape)."""
        s = np.repeat(self.scale_values(dtype), BLOCK, axis=-1)
        return s[..., : self.shape[-1]]

    def block_scale_values(self, dtype=np.float32):
        """Deprecated: ``scale_values`` (float32 stays this name's default)."""
        warn_renamed("NVFP4Tensor.block_scale_values()", ".scale_values()")
        return self.scale_values(dtype)

    def expanded_block_scales(self, dtype=np.float32):
        """Deprecated: ``expanded_scales`` (float32 stays this name's default)."""
        warn_renamed("NVFP4Tensor.expanded_block_scales()", ".expanded_scales()")
        return self.expanded_scales(dtype)

    def dequantize(self, dtype=np.float32, *, exact=False):
        """Values of the codes.

        Default: the variant's own float32 dequantization -- TE ``dequantize_fp4_kernel``
        (``e2m1 * ((fp32(s8) * amax) * fp32(1/2688))``) for ``te``/``te_ref``, torchao
        ``to_dtype`` (``e2m1 * (pts * fp32(s8))``) for ``torchao``. ``exact=True``: the exact
        product ``e2m1 * s8 * S_dec`` in float64 (``S_dec`` the stored FP32 decode scale).
        """
        e = self.element_values(np.float64 if exact else np.float32)
        if exact:
            sdec = 1.0 if self.s_dec is None else self._per_row(np.asarray(self.s_dec, np.float64))
            return e * self.expanded_scales(np.float64) * sdec
        if np.dtype(dtype).name != "float32":
            raise ValueError("the variants' own dequantization is float32; use exact=True for float64")
        s8 = self.expanded_scales(np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.variant.startswith("torchao"):
                scale = s8 if self.s_dec is None else self.s_dec * s8
            else:
                scale = (s8 * self._per_row(self.global_amax)) * _RCP2688
            return e * scale

    def packed(self, *, pad=None):
        """E2M1 codes two per byte along the last axis (code 2j in the low nibble)."""
        return packing.pack_fp4(self.codes, pad=pad)

    def __repr__(self):
        if self.row_scaled:
            return (f"NVFP4Tensor(shape={self.shape}, variant={self.variant!r}, tile={self.tile}, "
                    f"row_scaled=True)")
        return (f"NVFP4Tensor(shape={self.shape}, variant={self.variant!r}, tile={self.tile}, "
                f"global_amax={self.global_amax}, s_dec={self.s_dec})")

    def _repr_html_(self):
        sc = self.scales.reshape(-1, self.scales.shape[-1]) if self.scales.size else self.scales
        cd = self.codes.reshape(-1, self.shape[-1])
        rows = []
        if self.scales.size:
            for j in range(min(4, sc.shape[1])):
                seg = cd[0, j * BLOCK:(j + 1) * BLOCK]
                rows.append((f"row 0, block {j}", f"0x{int(sc[0, j]):02X}", " ".join(f"{int(c):X}" for c in seg)))
        per = "per row" if self.row_scaled else None
        summary = [("variant", self.variant), ("shape", self.shape), ("tile", self.tile),
                   ("global amax", per or self.global_amax), ("S_enc", per or self.s_enc), ("S_dec", per or self.s_dec)]
        return html_table("fp8ref NVFP4Tensor", summary, rows, ("block", "E4M3 scale", "E2M1 codes (hex)"))


def _e4m3(v):
    return codecs.encode(v, "e4m3fn", rounding="rne", overflow="sat_finite")


def _e2m1(v):
    return codecs.encode(v, "e2m1fn", rounding="rne", overflow="sat_finite", nan_to="zero")


def _block_amax(x2, tile, nb, pad):
    """Block maxima (rows, nb) in float32 (NaN propagates), 16x16 tiles repeated per row."""
    rows, n = x2.shape
    a = np.abs(x2)
    extra_c = nb * BLOCK - n
    if extra_c:
        a = np.concatenate([a, np.zeros((rows, extra_c), _F32)], axis=1)
    if tile == (1, 16):
        return a.reshape(rows, nb, BLOCK).max(axis=2) if rows else np.zeros((0, nb), _F32)
    extra_r = (-rows) % 16
    if extra_r:
        if not pad:
            raise ValueError(f"{rows} rows is not a multiple of 16 for 16x16 tiles; pass pad=True")
        a = np.concatenate([a, np.zeros((extra_r, a.shape[1]), _F32)], axis=0)
    t = a.reshape(a.shape[0] // 16, 16, nb, BLOCK).max(axis=(1, 3))
    return np.repeat(t, 16, axis=0)[:rows]


def _variant(variant):
    if variant in DEPRECATED:
        new = DEPRECATED[variant]
        warnings.warn(f"NVFP4 variant {variant!r} is deprecated: it means {new!r} (torchao <= 0.16); "
                      "torchao 0.17 and 0.18+ are 'torchao_0.17' and 'torchao_0.18'", FutureWarning, stacklevel=3)
        return new
    if variant not in VARIANTS:
        raise ValueError(f"unknown NVFP4 variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return variant


def encode(x, *, variant: str = "te", tile=(1, 16), global_amax=None, per_tensor_scale="dynamic", pad: bool = False,
           row_scaled: bool = False) -> NVFP4Tensor:
    """Encode ``x`` (float32 values; bf16/fp16 widen exactly) as NVFP4 along the last axis: an
    :class:`NVFP4Tensor` of E2M1 codes and E4M3 block scales (``.dequantize()`` gives values back).

    Arrays of more than two dimensions are viewed as ``(-1, shape[-1])`` (as TE does).
    variant: ``te`` (TE kernels, default), ``te_ref`` (TE PyTorch reference), ``torchao_0.16``,
    ``torchao_0.17``, ``torchao_0.18`` (see the module docstring). tile: ``(1, 16)``
    (activations, TE's default) or ``(16, 16)`` (TE's weight recipe: one amax per 16x16 tile).
    global_amax (te/te_ref): a calibrated per-tensor amax instead of ``max |x|`` (with
    ``row_scaled``: per-row amaxes, shape ``x.shape[:-1]``). row_scaled (te/te_ref, 1x16):
    TE's ``row_scaled_nvfp4``, one global scale per row. per_tensor_scale (torchao):
    ``"dynamic"`` (amax / 2688), a float32 value, or None (single-level scaling). pad: allow a
    last axis (and, for 16x16 tiles, a row count) that is not a multiple of 16 -- zeros are implied.
    """
    variant = _variant(variant)
    tile = tuple(tile) if isinstance(tile, (tuple, list)) else tile
    if tile not in TILES:
        raise ValueError(f"tile must be (1, 16) or (16, 16), got {tile!r}")
    row_scaled = bool(row_scaled)
    if row_scaled and (variant not in ("te", "te_ref") or tile != (1, 16)):
        raise ValueError("row_scaled applies to variants 'te'/'te_ref' with 1x16 tiles (as in TE)")
    arr = float_input(x, allow_float64=False, who="nvfp4.encode")
    if arr.ndim == 0:
        raise ValueError("nvfp4.encode needs an array with at least one dimension")
    shape = arr.shape
    n = shape[-1]
    nb = -(-n // BLOCK)
    if n % BLOCK and not pad:
        raise ValueError(f"last axis length {n} is not a multiple of 16; pass pad=True to pad blocks with zeros")
    x2 = arr.reshape(-1, n) if n else arr.reshape(-1, 0)
    vec_max = _block_amax(x2, tile, nb, pad)

    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if variant.startswith("torchao"):
            if global_amax is not None:
                raise ValueError("global_amax applies to the TE variants; torchao takes per_tensor_scale")
            codes, s8, g_amax, s_enc, s_dec = _torchao(x2, vec_max, per_tensor_scale, variant)
        else:
            if per_tensor_scale != "dynamic":
                raise ValueError("per_tensor_scale applies to the torchao variants; TE variants take global_amax")
            g_amax = _te_amax(x2, global_amax, row_scaled)
            g = g_amax[:, None] if row_scaled else g_amax
            s_enc = np.minimum(_GLOBAL / g, _FLT_MAX)
            # kernel (compute_global_encode_scaling_factor_FP4): amax == 0 or S_enc == 0 -> 1;
            # reference (quantization_nvfp4.py): only S_enc == 0 -> 1
            s_enc = np.where((s_enc == 0) | ((g == 0) & (variant == "te")), _F32(1.0), s_enc).astype(_F32)
            s_dec = _F32(1.0) / s_enc
            s_dec_b = vec_max * (s_enc * _RCP6)
            if variant == "te_ref":
                s_dec_b = np.clip(np.minimum(s_dec_b, _FLT_MAX), -_E4M3_MAX, _E4M3_MAX)
            s8 = _e4m3(s_dec_b)
            s8f = codecs.decode(s8, "e4m3fn", dtype=np.float32)
            enc_b = np.minimum(_F32(1.0) / (s8f * s_dec), _FLT_MAX)
            scaled = x2 * _expand(enc_b, n)
            codes = _e2m1(scaled)
            if variant == "te_ref":
                codes[scaled == 0] = 0
            if row_scaled:
                g_amax, s_enc, s_dec = (v.reshape(shape[:-1]) for v in (g_amax, s_enc[:, 0], s_dec[:, 0]))
            else:
                s_enc, s_dec = _F32(s_enc), _F32(s_dec)
    return NVFP4Tensor(codes.reshape(shape), s8.reshape(shape[:-1] + (nb,)), variant, tile, g_amax, s_enc, s_dec,
                       row_scaled)


def _te_amax(x2, global_amax, row_scaled):
    """The TE variants' amax: ``max |x|`` of the tensor (of each row with ``row_scaled``;
    NaN propagates) or the calibrated ``global_amax`` (float32 values, >= 0)."""
    rows = x2.shape[0]
    if global_amax is None:
        if row_scaled:
            return np.max(np.abs(x2), axis=1) if x2.size else np.zeros(rows, _F32)
        return _F32(np.max(np.abs(x2))) if x2.size else _F32(0.0)
    g = np.asarray(global_amax)
    g32 = g.astype(_F32)
    if not ((g32.astype(np.float64) == g.astype(np.float64)) | np.isnan(g32)).all():
        raise ValueError("global_amax must hold float32 values")
    if (g32 < 0).any():
        raise ValueError("global_amax must be non-negative")
    if not row_scaled:
        if g32.ndim:
            raise ValueError("global_amax must be a scalar (per-row amaxes need row_scaled=True)")
        return _F32(g32)
    if g32.size != rows:
        raise ValueError(f"row_scaled global_amax must hold one amax per row ({rows}), got shape {g32.shape}")
    return g32.reshape(rows)


def _expand(per_block, n):
    return np.repeat(per_block, BLOCK, axis=-1)[:, :n]


def _torchao(x2, vec_max, per_tensor_scale, variant):
    """torchao ``nvfp4_quantize`` in the operation order of ``variant`` (float32 throughout)."""
    if np.isnan(x2).any():
        raise ValueError("torchao's NVFP4 cast maps NaN to code 0x3 by accident; NaN input is not modelled")
    block_scale = vec_max / _E2M1_MAX
    g_amax = _F32(np.max(np.abs(x2))) if x2.size else _F32(0.0)
    if per_tensor_scale is None:
        s8 = _e4m3(np.clip(block_scale, _E4M3_TINY, _E4M3_MAX))
        s8f = codecs.decode(s8, "e4m3fn", dtype=np.float32)
        pts = None
        if variant == "torchao_0.18":  # data_hp * (1.0 / block_scale_fp32)
            data = x2 * _expand(_F32(1.0) / s8f, x2.shape[1])
        else:  # data_hp / block_scale_fp32
            data = x2 / _expand(s8f, x2.shape[1])
    else:
        if isinstance(per_tensor_scale, str):
            if per_tensor_scale != "dynamic":
                raise ValueError(f"per_tensor_scale must be 'dynamic', a float32 value or None, got {per_tensor_scale!r}")
            pts = g_amax / _GLOBAL  # per_tensor_amax_to_scale: amax / (448 * 6)
        else:
            pts = _F32(per_tensor_scale)
            if float(pts) != float(per_tensor_scale):
                raise ValueError("per_tensor_scale must be a float32 value")
        if not pts > 0 or not np.isfinite(pts):
            raise ValueError("torchao divides by the per-tensor scale: it must be positive and finite "
                             f"(got {pts!r}; an all-zero tensor gives 0)")
        s8 = _e4m3(np.clip(block_scale / pts, _E4M3_TINY, _E4M3_MAX))
        s8f = codecs.decode(s8, "e4m3fn", dtype=np.float32)
        if variant == "torchao_0.16":  # data_hp / (per_tensor_scale * scaled_block_scales_fp32)
            data = x2 / _expand(pts * s8f, x2.shape[1])
        else:  # data_hp * ((1.0 / per_tensor_scale) / scaled_block_scales_fp32)
            data = x2 * _expand((_F32(1.0) / pts) / s8f, x2.shape[1])
            if np.isnan(data).any():
                raise ValueError(
                    f"{variant} multiplies by (1 / per_tensor_scale) / s8, which overflows float32 here "
                    f"(per-tensor scale {float(pts):.6g}); 0 * Inf is NaN, which torchao's FP4 cast turns "
                    "into a platform-dependent code: not modelled")
    data = np.clip(data, -_E2M1_MAX, _E2M1_MAX)
    codes = _e2m1(data)
    return codes, s8, g_amax, (None if pts is None else _F32(1.0) / pts), pts


#: deprecated: the NVFP4 quantizer is ``encode`` (it returns codes and scales, not values)
quantize = renamed_function(encode, "fp8ref.nvfp4.quantize", "fp8ref.nvfp4.encode")
