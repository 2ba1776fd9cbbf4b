"""The OCP MX tensor: E8M0 block scales and element codes (what :func:`fp8ref.mx.encode` returns).

Layout, values and display only; the quantizer is :mod:`fp8ref.blocks.mx`, the exact dot
products :mod:`fp8ref.blocks.mx_dot`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._deprecation import renamed_property
from ..codecs import decode
from ..formats.builtin import UE8M0
from . import packing
from ._util import check_axis, check_positive_int, html_table
from .elements import Element, element

__all__ = ["MXTensor", "ELEMENTS", "spec_element"]


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


@dataclass(frozen=True, eq=False)
class MXTensor:
    """An MX-quantized array: E8M0 block scales and element codes (immutable).

    codes: uint8, the shape of the original array; MXINT8 bytes are two's complement.
    scales: uint8 E8M0 codes, the original shape with ``axis`` holding ``ceil(n / block_size)``.
    elem: the :class:`~fp8ref.blocks.elements.Element` (element format and code layout; a name
    is accepted); ``fmt`` is its name, ``scale_fmt`` is ``"ue8m0"``.
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
        if scales.size and (scales.min() < 0 or scales.max() >= UE8M0.num_codes):
            raise ValueError(f"E8M0 scale codes must lie in 0..{UE8M0.num_codes - 1}")
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
    def fmt(self) -> str:
        """The element format's name (``"e4m3fn"``, ..., ``"int8"``)."""
        return self.elem.name

    elem_name = renamed_property("fmt", "elem_name")

    @property
    def scale_fmt(self) -> str:
        """The scale format: ``"ue8m0"``."""
        return UE8M0.name

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
        """P_i: decoded element values without the scale, the original shape (exact)."""
        return self.elem.decode(self.codes, dtype)

    def scale_values(self, dtype=np.float64) -> np.ndarray:
        """X per block: ``2^(code - 127)``, NaN for 0xFF; the ``scales`` shape (exact: float32
        holds 2^-127 as a subnormal)."""
        return decode(self.scales, UE8M0, dtype=dtype)

    def scale_exponents(self) -> np.ndarray:
        """Unbiased block exponents ``code - 127`` (int16; 128 marks a NaN scale)."""
        return self.scales.astype(np.int16) - UE8M0.bias

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
            xv = "NaN" if s in UE8M0.nan_codes else f"2^{s - UE8M0.bias}"
            shown = " ".join(f"{int(c):0{w}X}" for c in bc[j][:16]) + (" …" if self.block_size > 16 else "")
            rows.append((j, f"0x{s:02X}", xv, shown))
        summary = [("element", self.elem.name), ("shape", self.shape), ("axis", self.axis),
                   ("block size", self.block_size), ("blocks", bsc.size), ("scale rule", self.scale_rule),
                   ("rounding", self.rounding)]
        more = [] if bsc.size <= 4 else [("…", f"{bsc.size - 4} more blocks", "", "")]
        return html_table("fp8ref MXTensor", summary, rows + more, ("block", "scale", "X", "element codes (hex)"))
