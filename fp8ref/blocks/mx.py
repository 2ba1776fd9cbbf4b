"""OCP Microscaling (MX v1.0): block quantization to E8M0 scales + element codes, exactly.

``quantize(x, elem)`` splits ``x`` along ``axis`` into blocks of ``block_size`` (32 in the spec)
and, per block:

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
* float32-subnormal amax: its exact exponent (frexp), then the clamp below;
* block exponent below -127: clamped to -127 (elements may round to subnormals or zero);
  above 127 (float64 input only): 0xFF (``scale_overflow="nan"``) or 0xFE (``"clamp"``);
* length along ``axis`` not a multiple of ``block_size``: ``ValueError`` unless ``pad=True``,
  which fills the last block with +0 (the padding never changes amax).

``dot`` / ``matmul`` compute ``Σ_blocks X_A X_B Σ_i P_A,i P_B,i`` exactly (integers and powers
of two) and round once at the end (``dtype``: float32 or float64, RNE; ``"exact"`` returns
``fractions.Fraction``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .. import _dask
from .._dask import is_dask_array
from ..policy import ROUNDING_MODES
from . import packing
from ._util import check_axis, check_positive_int, float_input, html_table
from .elements import Element, element
from .scale_rules import E8M0_BIAS, E8M0_NAN, SCALE_OVERFLOW, check_rule, e8m0_codes, e8m0_values

__all__ = ["MXTensor", "quantize", "dot", "matmul", "scale_codes", "ELEMENTS"]

#: the OCP MX v1.0 element types (any IEEE-like format of <= 8 bits is accepted, with a warning)
ELEMENTS = ("e4m3fn", "e5m2", "e3m2fn", "e2m3fn", "e2m1fn", "int8")


def spec_element(elem, who) -> Element:
    """Resolve ``elem``; warn (UserWarning) when it is not one of the spec's element formats.

    The classic trap: ``"e4m3"`` is the IEEE-like E4M3 (max 240, with Inf), not OCP E4M3
    (``"e4m3fn"``, max 448)."""
    el = element(elem)
    if el.name not in ELEMENTS:
        hint = f"; did you mean {el.name + 'fn'!r}?" if el.name + "fn" in ELEMENTS else ""
        warnings.warn(f"{who}: element format {el.name!r} (max {el.max_value:g}) is not an OCP MX element "
                      f"format ({', '.join(ELEMENTS)}){hint}", UserWarning, stacklevel=3)
    return el


def _inv_pow2_table(dtype):
    """t[c] = 2^-(c - 127) for E8M0 codes 0..254 (exact in float32: 2^-127 is a subnormal), 0 for 255."""
    t = np.ldexp(1.0, E8M0_BIAS - np.arange(256)).astype(dtype)
    t[E8M0_NAN] = 0
    t.setflags(write=False)
    return t


_INV_POW2 = {np.dtype(np.float32): _inv_pow2_table(np.float32), np.dtype(np.float64): _inv_pow2_table(np.float64)}
_ABS_MASK = {np.dtype(np.float32): (np.uint32, np.uint32(0x7FFFFFFF)), np.dtype(np.float64): (np.uint64, np.uint64(0x7FFFFFFFFFFFFFFF))}
_UNDERFLOW_SENSITIVE = ("rup", "rdn", "rto")


@dataclass(frozen=True, eq=False)
class MXTensor:
    """An MX-quantized array: E8M0 block scales and element codes (immutable).

    codes: uint8, the shape of the original array; MXINT8 bytes are two's complement.
    scales: uint8 E8M0 codes, the original shape with ``axis`` holding ``ceil(n / block_size)``.
    Block ``j`` along ``axis`` covers elements ``[j*block_size, (j+1)*block_size)``; a padded
    last block holds implicit +0 elements (code 0) beyond the array's end.
    """

    codes: np.ndarray
    scales: np.ndarray
    elem: Element
    block_size: int = 32
    axis: int = -1
    scale_rule: str = "floor"
    rounding: str = "rne"

    def __post_init__(self):
        el = spec_element(self.elem, "MXTensor")
        bs = check_positive_int(self.block_size, "block_size")
        codes = np.array(self.codes, copy=True)
        scales = np.array(self.scales, copy=True)
        for name, a in (("codes", codes), ("scales", scales)):
            if a.dtype.kind not in "iu":
                raise TypeError(f"MXTensor {name} must be integers, got dtype {a.dtype.name!r}")
        if codes.ndim == 0:
            raise ValueError("MXTensor codes must have at least one dimension")
        if codes.size and (codes.min() < 0 or codes.max() >= (1 << el.bits)):
            raise ValueError(f"element codes out of range for {el.name} (0..{(1 << el.bits) - 1})")
        if scales.size and (scales.min() < 0 or scales.max() > 255):
            raise ValueError("E8M0 scale codes must lie in 0..255")
        ax = check_axis(self.axis, codes.ndim)
        want = list(codes.shape)
        want[ax] = -(-codes.shape[ax] // bs)
        if scales.shape != tuple(want):
            raise ValueError(f"scales have shape {scales.shape}, expected {tuple(want)} for codes {codes.shape}, "
                             f"block_size {bs} along axis {ax}")
        codes = codes.astype(np.uint8)
        scales = scales.astype(np.uint8)
        codes.setflags(write=False)
        scales.setflags(write=False)
        for k, v in (("codes", codes), ("scales", scales), ("elem", el), ("block_size", bs), ("axis", ax)):
            object.__setattr__(self, k, v)

    @classmethod
    def _trusted(cls, codes, scales, el, bs, ax, rule, rounding):
        """Build without copying or re-validating (arrays made by ``quantize``)."""
        self = object.__new__(cls)
        codes.setflags(write=False)
        scales.setflags(write=False)
        for k, v in (("codes", codes), ("scales", scales), ("elem", el), ("block_size", bs), ("axis", ax),
                     ("scale_rule", rule), ("rounding", rounding)):
            object.__setattr__(self, k, v)
        return self

    # ---- layout ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.codes.shape

    @property
    def ndim(self) -> int:
        return self.codes.ndim

    @property
    def elem_name(self) -> str:
        return self.elem.name

    @property
    def num_blocks(self) -> int:
        """Blocks along ``axis`` (per line)."""
        return self.scales.shape[self.axis]

    @property
    def padded_length(self) -> int:
        return self.num_blocks * self.block_size

    def block_codes(self) -> np.ndarray:
        """Element codes as ``(..., num_blocks, block_size)`` with ``axis`` moved last and the
        last block padded with code 0 (+0)."""
        moved = np.moveaxis(self.codes, self.axis, -1)
        extra = self.padded_length - moved.shape[-1]
        if extra:
            moved = np.concatenate([moved, np.zeros(moved.shape[:-1] + (extra,), np.uint8)], axis=-1)
        return np.ascontiguousarray(moved).reshape(moved.shape[:-1] + (self.num_blocks, self.block_size))

    def block_scales(self) -> np.ndarray:
        """Scale codes as ``(..., num_blocks)`` with ``axis`` moved last (matches block_codes)."""
        return np.ascontiguousarray(np.moveaxis(self.scales, self.axis, -1))

    # ---- values ---------------------------------------------------------------------------
    def element_values(self, dtype=np.float64) -> np.ndarray:
        """P_i: decoded element values without the scale, the original shape."""
        return self.elem.decode(self.codes, dtype)

    def scale_values(self, dtype=np.float64) -> np.ndarray:
        """X per block: ``2^(code - 127)``, NaN for 0xFF; the ``scales`` shape."""
        return e8m0_values(self.scales, dtype)

    def scale_exponents(self) -> np.ndarray:
        """Unbiased block exponents ``code - 127`` (int16; 128 marks a NaN scale)."""
        return self.scales.astype(np.int16) - E8M0_BIAS

    def expanded_scales(self, dtype=np.float64) -> np.ndarray:
        """X broadcast to every element (the original shape)."""
        x = np.repeat(self.scale_values(dtype), self.block_size, axis=self.axis)
        return np.take(x, np.arange(self.shape[self.axis]), axis=self.axis)

    def dequantize(self, dtype=np.float32) -> np.ndarray:
        """``X * P_i`` per element (a NaN scale gives NaN for the whole block).

        float64: exact. float32: the exact value rounded once to float32 (RNE), i.e. exact
        wherever it lies in float32's range; a value above FLT_MAX becomes ±Inf and one below
        the smallest subnormal rounds to it or to ±0 -- what a float32 cast, or the GPU's fp32
        ``P_i * X`` multiply, gives. Values beyond FLT_MAX arise from float64 data and from
        rules that round the scale up at the top of float32's range (``ceil`` with
        amax = FLT_MAX: ``448 * 2^120``); use float64 to keep them.
        """
        name = np.dtype(dtype).name
        if name not in ("float32", "float64"):
            raise ValueError(f"dequantize dtype must be float32 or float64, got {name!r}")
        with np.errstate(invalid="ignore"):
            v = self.element_values(np.float64) * self.expanded_scales(np.float64)
        if name == "float64":
            return v
        with np.errstate(over="ignore"):
            return v.astype(np.float32)  # v is exact (float64 holds every X * P_i): one rounding

    def packed(self) -> np.ndarray:
        """Element codes packed per block (``(..., num_blocks, bytes_per_block)``, axis moved
        last): FP4 two per byte, FP6 four per three bytes (see :mod:`fp8ref.blocks.packing`),
        8-bit elements one per byte."""
        bits = self.elem.bits
        if bits not in (4, 6, 8):
            raise ValueError(f"no packing defined for {bits}-bit elements")
        per = {4: 2, 6: 4, 8: 1}[bits]
        if self.block_size % per:
            raise ValueError(f"block_size {self.block_size} is not a multiple of {per} ({bits}-bit packing)")
        return packing.pack(self.block_codes(), bits)

    # ---- display --------------------------------------------------------------------------
    def __repr__(self):
        return (f"MXTensor(elem={self.elem.name!r}, shape={self.shape}, block_size={self.block_size}, "
                f"axis={self.axis}, num_blocks={self.num_blocks}, scale_rule={self.scale_rule!r}, "
                f"rounding={self.rounding!r})")

    def _repr_html_(self):
        bc = self.block_codes().reshape(-1, self.block_size)
        bsc = self.block_scales().reshape(-1)
        rows = []
        w = (self.elem.bits + 3) // 4
        for j in range(min(4, bsc.size)):
            s = int(bsc[j])
            xv = "NaN" if s == E8M0_NAN else f"2^{s - E8M0_BIAS}"
            shown = " ".join(f"{int(c):0{w}X}" for c in bc[j][:16]) + (" …" if self.block_size > 16 else "")
            rows.append((j, f"0x{s:02X}", xv, shown))
        summary = [("element", self.elem.name), ("shape", self.shape), ("axis", self.axis),
                   ("block size", self.block_size), ("blocks", bsc.size), ("scale rule", self.scale_rule),
                   ("rounding", self.rounding)]
        more = [] if bsc.size <= 4 else [("…", f"{bsc.size - 4} more blocks", "", "")]
        return html_table("fp8ref MXTensor", summary, rows + more, ("block", "scale", "X", "element codes (hex)"))


def _check_rounding(rounding):
    if rounding not in ROUNDING_MODES or rounding == "hybrid":
        raise ValueError(f"unknown rounding {rounding!r}; valid: {', '.join(m for m in ROUNDING_MODES if m != 'hybrid')}")


def scale_codes(amax, elem, scale_rule="floor", *, scale_overflow="nan") -> np.ndarray:
    """E8M0 codes that ``scale_rule`` gives blocks with maxima ``amax`` (float32/float64;
    float32 values only for ``rceil_hw``)."""
    el = spec_element(elem, "mx.scale_codes")
    a = float_input(amax, allow_float64=check_rule(scale_rule) != "rceil_hw", who="mx.scale_codes")
    return e8m0_codes(np.abs(a), check_rule(scale_rule), emax=el.emax, man_bits=el.man_bits,
                      max_elem=el.max_value, scale_overflow=scale_overflow)


def quantize(x, elem, *, block_size=32, axis=-1, scale_rule="floor", rounding="rne", pad=False,
             scale_overflow="nan", rbits=None, srbits=None) -> MXTensor:
    """Quantize ``x`` to MX blocks of element format ``elem`` along ``axis``.

    x: float16/bfloat16/float32/float64 (or integer) array; float32 and float64 are read from
    their own bits (no intermediate rounding). elem: ``e4m3fn``, ``e5m2``, ``e3m2fn``,
    ``e2m3fn``, ``e2m1fn``, ``int8`` (aliases accepted; any other IEEE-like format of <= 8 bits
    works but warns: ``"e4m3"`` is the IEEE-like E4M3 with max 240, not OCP's ``e4m3fn``).
    scale_rule: ``floor`` (OCP spec), ``ceil``, ``even``, ``rceil`` (exact quotient),
    ``rceil_hw`` (TE / torchao-main kernel order; float32 values only). rounding: element rounding
    (``rne``; ``rna`` = microxcaling; stochastic modes need ``rbits`` of x's shape).
    pad: allow a length along ``axis`` that is not a multiple of ``block_size``.
    scale_overflow: ``nan`` or ``clamp`` for a block exponent above 127 (float64 input only).
    """
    if is_dask_array(x):  # chunk by chunk, blocks realigned to chunks: fp8ref._dask
        return _dask.mx_quantize(x, elem, block_size=block_size, axis=axis, scale_rule=scale_rule, rounding=rounding,
                                 pad=pad, scale_overflow=scale_overflow, rbits=rbits, srbits=srbits)
    el = spec_element(elem, "mx.quantize")
    bs = check_positive_int(block_size, "block_size")
    check_rule(scale_rule)
    _check_rounding(rounding)
    if scale_overflow not in SCALE_OVERFLOW:
        raise ValueError(f"unknown scale_overflow {scale_overflow!r}; valid: {', '.join(SCALE_OVERFLOW)}")
    arr = float_input(x, allow_float64=scale_rule != "rceil_hw", who="mx.quantize")
    if arr.ndim == 0:
        raise ValueError("mx.quantize needs an array with at least one dimension")
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
    uint, mask = _ABS_MASK[blocks.dtype]
    inv = _INV_POW2[blocks.dtype]
    step = max(1, _CHUNK // max(bs, 1))
    for lo in range(0, nrows, step):
        hi = min(lo + step, nrows)
        blk = blocks[lo:hi]
        amax = (blk.view(uint) & mask).max(axis=1).view(blocks.dtype) if bs else np.zeros(hi - lo, blocks.dtype)
        sc = e8m0_codes(amax, rule, emax=el.emax, man_bits=el.man_bits, max_elem=el.max_value,
                        scale_overflow=scale_overflow)
        with np.errstate(invalid="ignore"):
            scaled = blk * inv[sc][:, None]
        nan_rows = sc == E8M0_NAN
        any_nan = bool(nan_rows.any())
        if any_nan:
            scaled[nan_rows] = 0
        if rounding in _UNDERFLOW_SENSITIVE:
            lost = (scaled == 0) & (blk != 0)
            if any_nan:
                lost[nan_rows] = False
            if lost.any():
                scaled[lost] = np.copysign(np.finfo(blocks.dtype).smallest_subnormal, blk[lost])
        c = el.encode(scaled, rounding, rbits=None if rbits is None else rbits[lo:hi], srbits=srbits)
        if any_nan:
            c[nan_rows] = el.fill_code
        codes[lo:hi] = c
        scodes[lo:hi] = sc
    return codes, scodes


# ---- exact dot products ---------------------------------------------------------------------
def _row_blocks(t: MXTensor):
    """(n, special, exps, nan_scale): element integers (rows, nb, bs), NaN/Inf element mask,
    block exponents (rows, nb) so that a value is ``n * 2^exps``, NaN-scale mask (rows, nb)."""
    bc = t.block_codes()
    rows = int(np.prod(bc.shape[:-2], dtype=np.int64))
    bc = bc.reshape(rows, t.num_blocks, t.block_size)
    sc = t.block_scales().reshape(rows, t.num_blocks)
    n, special = t.elem.int_values(bc)
    nan_scale = sc == E8M0_NAN
    exps = sc.astype(np.int64) - E8M0_BIAS + t.elem.quantum_exp
    return n, special, exps, nan_scale


def _round_exact(n: int, e: int, kind: str):
    """``n * 2^e`` rounded once (RNE) to float32 / float64, or the exact Fraction."""
    if kind == "exact":
        return Fraction(n) * Fraction(2) ** e
    if n == 0:
        return 0.0
    if kind == "float64":
        try:
            return float(n << e) if e >= 0 else n / (1 << -e)
        except OverflowError:
            return math.copysign(math.inf, n)
    # float32: round to odd at 53 bits (exact float64), then one RNE rounding to float32
    a = abs(n)
    k = a.bit_length() - 53
    if k > 0:
        a = (a >> k) | int(a & ((1 << k) - 1) != 0)
        e += k
    try:
        v = math.ldexp(float(a), e)
    except OverflowError:
        v = math.inf
    with np.errstate(over="ignore"):
        return float(np.float32(math.copysign(v, n)))


def _check_dtype(dtype):
    if isinstance(dtype, str) and dtype == "exact":
        return "exact"
    name = np.dtype(dtype).name
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32, float64 or 'exact', got {name!r}")
    return name


def _exact_products(a: MXTensor, b: MXTensor, kind: str):
    """(M, N) results of Σ_blocks over row-blocks of a (M, nb, bs) and b (N, nb, bs)."""
    if a.block_size != b.block_size:
        raise ValueError(f"block sizes differ: {a.block_size} vs {b.block_size}")
    nA, spA, eA, nanA = _row_blocks(a)
    nB, spB, eB, nanB = _row_blocks(b)
    if nA.shape[1:] != nB.shape[1:]:
        raise ValueError("operands have different contraction lengths")
    M, nb, bs = nA.shape
    N = nB.shape[0]
    bound = bs * int(np.abs(nA).max(initial=0)) * int(np.abs(nB).max(initial=0))
    if bound < 2**62:
        S = np.einsum("mbi,nbi->mnb", nA, nB).astype(object)
    else:
        S = np.empty((M, N, nb), dtype=object)
        for j in range(nb):
            S[:, :, j] = nA[:, j, :].astype(object) @ nB[:, j, :].T.astype(object)
    E = eA[:, None, :] + eB[None, :, :]  # (M, N, nb)
    out = np.empty((M, N), dtype=object if kind == "exact" else np.dtype(kind))
    if nb:
        emin = E.min(axis=2)
        tot = (S * (2 ** (E - emin[..., None]).astype(object))).sum(axis=2)
    for i in range(M):
        for j in range(N):
            out[i, j] = _round_exact(int(tot[i, j]), int(emin[i, j]), kind) if nb else _round_exact(0, 0, kind)
    nan_res = nanA.any(axis=1)[:, None] | nanB.any(axis=1)[None, :]
    if spA.any() or spB.any():
        with np.errstate(invalid="ignore", over="ignore"):
            va = np.where(spA, a.elem.decode(a.block_codes().reshape(nA.shape)), np.ldexp(nA.astype(np.float64), eA[..., None]))
            vb = np.where(spB, b.elem.decode(b.block_codes().reshape(nB.shape)), np.ldexp(nB.astype(np.float64), eB[..., None]))
            approx = va.reshape(M, -1) @ vb.reshape(N, -1).T
        odd = ~np.isfinite(approx)
        for i, j in zip(*np.nonzero(odd)):
            out[i, j] = float(approx[i, j]) if kind == "exact" else approx[i, j]
    if nan_res.any():
        out[nan_res] = math.nan
    return out


def matmul(a: MXTensor, b: MXTensor, *, dtype=np.float32):
    """``a @ b`` for 2-D MX tensors, exact then rounded once.

    a: (M, K) quantized along axis 1; b: (K, N) quantized along axis 0 (blocks on the
    contraction axis), same block size; element formats may differ. Each output is
    ``Σ_j X_A,j X_B,j Σ_i P_A,i P_B,i`` evaluated exactly, then rounded RNE to ``dtype``
    (float32 or float64; ``"exact"`` gives Fractions in an object array). A NaN scale or NaN
    element involved gives NaN, Inf elements follow IEEE rules (Inf * 0 = NaN); an exact zero
    sum is +0.
    """
    kind = _check_dtype(dtype)
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, MXTensor):
            raise TypeError(f"{name} must be an MXTensor, got {type(t).__name__}")
        if t.ndim != 2:
            raise ValueError(f"matmul needs 2-D operands; {name} has shape {t.shape}")
    if a.axis != 1 or b.axis != 0:
        raise ValueError("matmul needs a quantized along axis 1 and b along axis 0 (the contraction axis)")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"shapes {a.shape} and {b.shape} do not align")
    return _exact_products(a, b, kind)


def dot(a: MXTensor, b: MXTensor, *, dtype=np.float32):
    """Exact MX dot product of two 1-D MX tensors (same length and block size), rounded once
    to ``dtype`` (float32 / float64) or returned as a Fraction with ``dtype="exact"``."""
    kind = _check_dtype(dtype)
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, MXTensor):
            raise TypeError(f"{name} must be an MXTensor, got {type(t).__name__}")
        if t.ndim != 1:
            raise ValueError(f"dot needs 1-D operands; {name} has shape {t.shape}")
    if a.shape != b.shape:
        raise ValueError(f"shapes {a.shape} and {b.shape} differ")
    r = _exact_products(a, b, kind)[0, 0]
    return r if kind == "exact" else np.dtype(kind).type(r)
