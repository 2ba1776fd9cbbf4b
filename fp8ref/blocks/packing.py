"""Sub-byte packing: FP4 two codes per byte, FP6 four codes per three bytes; UE8M0 four per int32.

Bit order (one rule for every width): codes are laid out as a little-endian bit stream, code
``i`` of the last axis occupying stream bits ``[w*i, w*i + w)`` with bit ``b`` of the stream
being bit ``b % 8`` of byte ``b // 8``. So

* **FP4** (w = 4): byte ``j`` holds code ``2j`` in bits 3..0 (low nibble) and code ``2j+1`` in
  bits 7..4 -- NVIDIA's ``__nv_fp4x2_e2m1`` / PTX ``cvt.rn.satfinite.e2m1x2.f32 d, a, b``
  (``b``, the first element, goes to the low nibble), TransformerEngine's ``cast_to_fp4x2``,
  DeepGEMM's FP4 packing and torchao's ``pack_uint4``;
* **FP6** (w = 6): each group of four codes ``c0..c3`` becomes the 24-bit little-endian word
  ``c0 | c1 << 6 | c2 << 12 | c3 << 18`` stored as bytes ``w & 0xFF, (w >> 8) & 0xFF, w >> 16``.
  The OCP MX spec prescribes no storage layout; this is the same LSB-first stream rule as FP4
  (CUDA's ``__nv_fp6x2/x4`` storage types keep one code per byte instead: use the unpacked
  codes for those).
* **UE8M0 scales** (DeepGEMM ``pack_ue8m0_to_int``): four bytes per int32, little-endian:
  byte ``4j`` in bits 7..0, ``4j+1`` in 15..8, ``4j+2`` in 23..16, ``4j+3`` in 31..24.

Packing works along the last axis, whose length must be a multiple of the group size
(2 for FP4, 4 for FP6 and UE8M0) unless ``pad`` names a code to fill with.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pack", "unpack", "pack_fp4", "unpack_fp4", "pack_fp6", "unpack_fp6", "pack_ue8m0", "unpack_ue8m0"]

_GROUP = {4: (2, 1), 6: (4, 3), 8: (1, 1)}  # bits -> (codes per group, bytes per group)


def _codes(codes, bits):
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"codes must be an integer array, got dtype {arr.dtype.name!r}")
    if arr.ndim == 0:
        raise ValueError("codes must have at least one dimension (packing runs along the last axis)")
    if arr.size and (arr.min() < 0 or arr.max() >= (1 << bits)):
        raise ValueError(f"codes must lie in 0..{(1 << bits) - 1} for {bits}-bit packing")
    return arr.astype(np.uint32)


def _pad_last(arr, group, pad, bits):
    n = arr.shape[-1]
    extra = (-n) % group
    if not extra:
        return arr
    if pad is None:
        raise ValueError(
            f"last axis has {n} codes, not a multiple of {group} ({bits}-bit packing); pass pad=<code> to fill"
        )
    if not 0 <= int(pad) < (1 << bits):
        raise ValueError(f"pad code {pad} out of range for {bits}-bit codes")
    fill = np.full(arr.shape[:-1] + (extra,), int(pad), dtype=arr.dtype)
    return np.concatenate([arr, fill], axis=-1)


def pack(codes, bits, *, pad=None) -> np.ndarray:
    """Pack ``bits``-wide codes (4, 6 or 8) along the last axis into uint8 bytes."""
    if bits not in _GROUP:
        raise ValueError(f"bits must be 4, 6 or 8, got {bits!r}")
    per, nbytes = _GROUP[bits]
    arr = _pad_last(_codes(codes, bits), per, pad, bits)
    g = arr.reshape(arr.shape[:-1] + (arr.shape[-1] // per, per))
    word = np.zeros(g.shape[:-1], dtype=np.uint32)
    for i in range(per):
        word |= g[..., i] << np.uint32(bits * i)
    out = np.stack([(word >> np.uint32(8 * b)) & np.uint32(0xFF) for b in range(nbytes)], axis=-1)
    return out.astype(np.uint8).reshape(arr.shape[:-1] + (g.shape[-2] * nbytes,))


def unpack(packed, bits, *, count=None) -> np.ndarray:
    """Inverse of :func:`pack`: uint8 codes along the last axis (``count`` trims padding)."""
    if bits not in _GROUP:
        raise ValueError(f"bits must be 4, 6 or 8, got {bits!r}")
    per, nbytes = _GROUP[bits]
    arr = np.asarray(packed)
    if arr.dtype != np.uint8:
        if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 255)):
            raise TypeError("packed data must be bytes (uint8)")
        arr = arr.astype(np.uint8)
    if arr.ndim == 0 or arr.shape[-1] % nbytes:
        raise ValueError(f"packed last axis must be a multiple of {nbytes} bytes for {bits}-bit codes")
    g = arr.reshape(arr.shape[:-1] + (arr.shape[-1] // nbytes, nbytes)).astype(np.uint32)
    word = np.zeros(g.shape[:-1], dtype=np.uint32)
    for b in range(nbytes):
        word |= g[..., b] << np.uint32(8 * b)
    mask = np.uint32((1 << bits) - 1)
    out = np.stack([(word >> np.uint32(bits * i)) & mask for i in range(per)], axis=-1).astype(np.uint8)
    out = out.reshape(arr.shape[:-1] + (g.shape[-2] * per,))
    if count is not None:
        if not 0 <= count <= out.shape[-1]:
            raise ValueError(f"count {count} exceeds the {out.shape[-1]} codes held")
        out = out[..., :count]
    return out


def pack_fp4(codes, *, pad=None) -> np.ndarray:
    """Two 4-bit codes per byte, code 2j in the low nibble."""
    return pack(codes, 4, pad=pad)


def unpack_fp4(packed, *, count=None) -> np.ndarray:
    return unpack(packed, 4, count=count)


def pack_fp6(codes, *, pad=None) -> np.ndarray:
    """Four 6-bit codes per three bytes, LSB-first bit stream."""
    return pack(codes, 6, pad=pad)


def unpack_fp6(packed, *, count=None) -> np.ndarray:
    return unpack(packed, 6, count=count)


def pack_ue8m0(scale_bytes, *, pad=None) -> np.ndarray:
    """Four UE8M0 bytes per int32 along the last axis, little-endian (DeepGEMM layout).

    The last axis must be a multiple of 4 (DeepGEMM asserts it) unless ``pad`` gives the byte
    to fill with (DeepGEMM's FP4 path pads with 127 = 1.0; its TMA layout pads with 0).
    """
    arr = _pad_last(_codes(scale_bytes, 8), 4, pad, 8)
    g = arr.reshape(arr.shape[:-1] + (arr.shape[-1] // 4, 4))
    word = g[..., 0] | (g[..., 1] << np.uint32(8)) | (g[..., 2] << np.uint32(16)) | (g[..., 3] << np.uint32(24))
    return word.astype(np.uint32).view(np.int32)


def unpack_ue8m0(packed, *, count=None) -> np.ndarray:
    """Inverse of :func:`pack_ue8m0`: uint8 bytes along the last axis."""
    arr = np.asarray(packed)
    if arr.dtype.kind not in "iu" or arr.dtype.itemsize != 4:
        raise TypeError("packed UE8M0 scales must be a 32-bit integer array")
    if arr.ndim == 0:
        raise ValueError("packed UE8M0 scales must have at least one dimension")
    w = arr.view(np.uint32)
    out = np.stack([(w >> np.uint32(8 * b)) & np.uint32(0xFF) for b in range(4)], axis=-1).astype(np.uint8)
    out = out.reshape(arr.shape[:-1] + (arr.shape[-1] * 4,))
    if count is not None:
        if not 0 <= count <= out.shape[-1]:
            raise ValueError(f"count {count} exceeds the {out.shape[-1]} bytes held")
        out = out[..., :count]
    return out
