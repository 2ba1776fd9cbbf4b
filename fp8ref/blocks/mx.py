"""OCP Microscaling (MX v1.0): block quantization to E8M0 scales + element codes, exactly.

``encode(x, fmt)`` (formerly ``quantize``) splits ``x`` along ``axis`` into blocks of
``block_size`` (32 in the spec) of element format ``fmt`` and, per block:

1. ``amax = max |x_i|`` from the input's own bits (float32 or float64; NaN detected from bits);
2. the E8M0 scale code from amax by ``scale_rule`` (:mod:`fp8ref.blocks.scale_rules`: ``floor``
   = the spec, ``ceil``, ``even``, ``rceil``), from exponent bits, never a floating ``log2``;
3. each element ``P_i = encode(x_i / X)`` by the element codec with the spec's saturating
   conversion (``overflow="sat_finite"``) and ``rounding`` (RNE default; ``rna`` reproduces
   microxcaling's default ``round="nearest"``; any deterministic or stochastic fp8ref mode).

``x_i / X`` is formed as ``x_i * 2^-E`` in the input's own precision. That product is exact
unless it falls below the float's normal range (``< 2^-126`` for float32), and there it never
matters: every element format's smallest quantum is at least ``2^(-126 + 34)``, so all
rounding modes give ±0 (nearest, toward zero, stochastic with <= 32 random bits) or depend
only on the value being non-zero and its sign (``rup``/``rdn``/``rto``; a product that
underflowed to zero is replaced by the smallest subnormal of its sign first).

Edge blocks (see docs/blocks.md for which peer each matches):

* all-zero block: scale 0x00 (2^-127), elements ±0 (sign kept);
* NaN or ±Inf anywhere in the block: scale 0xFF (NaN; the whole block reads NaN), every element
  code set to the element's canonical NaN (0x7F for E4M3/E5M2) or 0 where it has none;
* float32-subnormal amax: its exact exponent (from its bits), then the clamp below;
* block exponent below -127: clamped to -127 (elements may round to subnormals or zero);
  above 127 (float64 input only): 0xFF (``scale_overflow="nan"``) or 0xFE (``"clamp"``);
* length along ``axis`` not a multiple of ``block_size``: ``ValueError`` unless ``pad=True``,
  which fills the last block with +0 (the padding never changes amax).

``dot`` / ``matmul`` compute ``Σ_blocks X_A X_B Σ_i P_A,i P_B,i`` exactly (integers and powers
of two) and round once at the end (``dtype``: float32 or float64, RNE; ``"exact"`` returns
``fractions.Fraction``).

This module is the public path (``fp8ref.mx``): the quantizer lives here, the tensor in
:mod:`.mx_tensor` and the exact products in :mod:`.mx_dot`, all re-exported. The verb: ``encode``
turns values into codes (here: element codes and their block scales, an :class:`MXTensor`), as
``fp8ref.encode`` does for one format; ``fp8ref.quantize`` returns *values* (``decode(encode())``),
and ``MXTensor.dequantize`` turns an MX tensor back into values.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import _dask
from .._dask import is_dask_array
from .._deprecation import renamed_function, renamed_kwarg
from ..codecs import decode
from ..core.floats import float_type
from ..policy import ROUNDING_MODES
from ._util import check_axis, check_positive_int, float_input
from .elements import ElementSpec
from .mx_dot import dot, matmul
from .mx_tensor import ELEMENTS, UE8M0, MXTensor, spec_element
from .scale_rules import SCALE_OVERFLOW, check_rule, e8m0_codes

__all__ = ["MXTensor", "encode", "quantize", "dot", "matmul", "scale_codes", "ELEMENTS"]

_UNDERFLOW_SENSITIVE = ("rup", "rdn", "rto")


@lru_cache(maxsize=None)
def _inverse_scales(dtype_name):
    """``t[c] = 1 / X = 2^-(c - 127)`` for scale codes 0..254 in ``dtype_name``: the value of
    code ``254 - c`` (UE8M0's range is symmetric: 2^-127 .. 2^127, exact in float32 too), and 0
    for the NaN code 0xFF (those blocks are overwritten)."""
    t = np.zeros(UE8M0.num_codes, dtype=dtype_name)
    c = np.arange(UE8M0.max_code + 1)
    t[c] = decode(UE8M0.max_code - c, UE8M0, dtype=dtype_name)
    t.setflags(write=False)
    return t


def _fmt_arg(who, fmt, elem):
    fmt = renamed_kwarg(who, fmt, elem, "fmt", "elem")
    if fmt is None:
        raise TypeError(f"{who}() missing the element format fmt")
    return fmt


def _check_rounding(rounding):
    if rounding not in ROUNDING_MODES or rounding == "hybrid":
        raise ValueError(f"unknown rounding {rounding!r}; valid: {', '.join(m for m in ROUNDING_MODES if m != 'hybrid')}")


def scale_codes(amax, fmt: ElementSpec = None, scale_rule: str = "floor", *, scale_overflow: str = "nan",
                elem: ElementSpec = None) -> np.ndarray:
    """E8M0 codes that ``scale_rule`` gives blocks of element format ``fmt`` with maxima
    ``amax`` (float32/float64; float32 values only for ``rceil_hw``). ``elem=``: deprecated
    spelling of ``fmt``."""
    el = spec_element(_fmt_arg("mx.scale_codes", fmt, elem), "mx.scale_codes")
    a = float_input(amax, allow_float64=check_rule(scale_rule) != "rceil_hw", who="mx.scale_codes")
    return e8m0_codes(np.abs(a), check_rule(scale_rule), emax=el.emax, man_bits=el.man_bits,
                      max_elem=el.max_value, scale_overflow=scale_overflow)


def encode(x, fmt: ElementSpec = None, *, block_size: int = 32, axis: int = -1, scale_rule: str = "floor",
           rounding: str = "rne", pad: bool = False, scale_overflow: str = "nan", rbits=None,
           srbits: int | None = None, elem: ElementSpec = None) -> MXTensor:
    """Encode ``x`` as MX blocks of element format ``fmt`` along ``axis``: an :class:`MXTensor`
    (E8M0 scales and element codes; ``.dequantize()`` gives values back).

    x: float16/bfloat16/float32/float64 (or integer) array; float32 and float64 are read from
    their own bits (no intermediate rounding). fmt: ``e4m3fn``, ``e5m2``, ``e3m2fn``,
    ``e2m3fn``, ``e2m1fn``, ``int8`` (aliases accepted; any other IEEE-like format of <= 8 bits
    works but warns: ``"e4m3"`` is the IEEE-like E4M3 with max 240, not OCP's ``e4m3fn``).
    scale_rule: ``floor`` (OCP spec), ``ceil``, ``even``, ``rceil`` (exact quotient),
    ``rceil_hw`` (TE / torchao-main kernel order; float32 values only). rounding: element rounding
    (``rne``; ``rna`` = microxcaling; stochastic modes need ``rbits`` of x's shape).
    pad: allow a length along ``axis`` that is not a multiple of ``block_size``.
    scale_overflow: ``nan`` or ``clamp`` for a block exponent above 127 (float64 input only).
    elem: deprecated spelling of ``fmt``.
    """
    fmt = _fmt_arg("mx.encode", fmt, elem)
    if is_dask_array(x):  # chunk by chunk, blocks realigned to chunks: fp8ref._dask
        return _dask.mx_quantize(x, fmt, block_size=block_size, axis=axis, scale_rule=scale_rule, rounding=rounding,
                                 pad=pad, scale_overflow=scale_overflow, rbits=rbits, srbits=srbits)
    el = spec_element(fmt, "mx.encode")
    bs = check_positive_int(block_size, "block_size")
    check_rule(scale_rule)
    _check_rounding(rounding)
    if scale_overflow not in SCALE_OVERFLOW:
        raise ValueError(f"unknown scale_overflow {scale_overflow!r}; valid: {', '.join(SCALE_OVERFLOW)}")
    arr = float_input(x, allow_float64=scale_rule != "rceil_hw", who="mx.encode")
    if arr.ndim == 0:
        raise ValueError("mx.encode needs an array with at least one dimension")
    ax = check_axis(axis, arr.ndim)
    n = arr.shape[ax]
    nb = -(-n // bs)
    extra = nb * bs - n
    if extra and not pad:
        raise ValueError(
            f"length {n} along axis {ax} is not a multiple of block_size {bs}; "
            "pass pad=True to fill the last block with zeros"
        )
    moved = np.moveaxis(arr, ax, -1)
    r = None
    if rbits is not None:
        r = np.asarray(rbits)
        if r.shape != arr.shape:
            raise ValueError(f"rbits has shape {r.shape}, expected x's shape {arr.shape}")
        r = np.moveaxis(r, ax, -1)
    if extra:
        moved = np.concatenate([moved, np.zeros(moved.shape[:-1] + (extra,), arr.dtype)], axis=-1)
        if r is not None:
            r = np.concatenate([r, np.zeros(r.shape[:-1] + (extra,), r.dtype)], axis=-1)
    padded_shape = moved.shape
    blocks = np.ascontiguousarray(moved).reshape(-1, bs)

    rb = None if r is None else np.ascontiguousarray(r).reshape(-1, bs)
    codes, scodes = _quantize_blocks(blocks, el, scale_rule, rounding, scale_overflow, rb, srbits)

    codes = codes.reshape(padded_shape)
    if extra:
        codes = codes[..., :n]
    codes = np.moveaxis(codes, -1, ax)
    scales = np.moveaxis(scodes.reshape(padded_shape[:-1] + (nb,)), -1, ax)
    return MXTensor._trusted(np.ascontiguousarray(codes), np.ascontiguousarray(scales), el, bs, ax, scale_rule, rounding)


_CHUNK = 1 << 18  # elements per pass: keeps the temporaries cache-sized (about 1.5x faster at 1e7)


def _quantize_blocks(blocks, el, rule, rounding, scale_overflow, rbits, srbits):
    """Scale codes (N,) and element codes (N, bs) of the rows of ``blocks`` (float32/float64)."""
    nrows, bs = blocks.shape
    codes = np.empty((nrows, bs), np.uint8)
    scodes = np.empty(nrows, np.uint8)
    ft = float_type(blocks.dtype)
    inv = _inverse_scales(ft.name)
    step = max(1, _CHUNK // max(bs, 1))
    for lo in range(0, nrows, step):
        hi = min(lo + step, nrows)
        blk = blocks[lo:hi]
        amax = ft.amax(blk, axis=1) if bs else np.zeros(hi - lo, blocks.dtype)
        sc = e8m0_codes(amax, rule, emax=el.emax, man_bits=el.man_bits, max_elem=el.max_value,
                        scale_overflow=scale_overflow)
        with np.errstate(invalid="ignore"):
            scaled = blk * inv[sc][:, None]
        nan_rows = np.isin(sc, UE8M0.nan_codes)
        any_nan = bool(nan_rows.any())
        if any_nan:
            scaled[nan_rows] = 0
        if rounding in _UNDERFLOW_SENSITIVE:
            lost = (scaled == 0) & (blk != 0)
            if any_nan:
                lost[nan_rows] = False
            if lost.any():
                scaled[lost] = np.copysign(ft.from_bits(1), blk[lost])  # the smallest subnormal
        c = el.encode(scaled, rounding, rbits=None if rbits is None else rbits[lo:hi], srbits=srbits)
        if any_nan:
            c[nan_rows] = el.fill_code
        codes[lo:hi] = c
        scodes[lo:hi] = sc
    return codes, scodes


#: deprecated: the block quantizer is ``encode`` (it returns codes and scales, not values)
quantize = renamed_function(encode, "fp8ref.mx.quantize", "fp8ref.mx.encode")
