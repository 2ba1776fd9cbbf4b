"""Input validation and exact decomposition: every input becomes ``(-1)^neg * M * 2^E``.

Sources are read from their own bits, never through another float type, so each input is
rounded once from its own precision. Supported sources: float16, bfloat16 (ml_dtypes),
float32, float64, signed/unsigned integers, Python scalars and lists (as numpy makes them),
and ml_dtypes arrays of any registered fp8ref format (read through fp8ref's own decoder).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ZERO",
    "FINITE",
    "INF",
    "QNAN",
    "SNAN",
    "Source",
    "as_array",
    "dtype_format",
    "as_source_array",
    "unpack",
    "unpack_float_bits",
]

# value classes
ZERO, FINITE, INF, QNAN, SNAN = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Source:
    """What an input array holds: an IEEE binary interchange float, an integer, or codes."""

    kind: str  # "float" | "int" | "codes"
    bits: int
    exp_bits: int = 0
    man_bits: int = 0
    fmt: object = None  # for "codes": the fp8ref format the codes belong to
    signed: bool = False  # for "int"

    @property
    def emin(self) -> int:
        return 2 - (1 << (self.exp_bits - 1))

    @property
    def uint(self):
        return {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}[self.bits]


_FLOAT_SOURCES = {
    "float16": Source("float", 16, 5, 10),
    "bfloat16": Source("float", 16, 8, 7),
    "float32": Source("float", 32, 8, 23),
    "float64": Source("float", 64, 11, 52),
}


def as_source_array(x):
    """Validate ``x`` and return ``(native-endian contiguous ndarray, Source)``.

    Raises TypeError for complex, bool, object, string and other unsupported inputs.
    """
    arr = as_array(x)
    dt = arr.dtype
    if dt.kind in "fV" and dt.name in _FLOAT_SOURCES:
        src = _FLOAT_SOURCES[dt.name]
    elif dt.kind == "i" or dt.kind == "u":
        src = Source("int", dt.itemsize * 8, signed=dt.kind == "i")
    elif dtype_format(dt) is not None:
        src = Source("codes", dt.itemsize * 8, fmt=dtype_format(dt))
    elif dt.kind in "fV":
        raise TypeError(
            f"unsupported float dtype {dt.name!r}: use float16, bfloat16, float32, float64 "
            "or an ml_dtypes type of a registered format"
        )
    else:
        raise TypeError(f"cannot encode input of dtype {dt.name!r} (kind {dt.kind!r}): numbers only")
    if not dt.isnative:
        arr = arr.astype(dt.newbyteorder("="))
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")  # (np.ascontiguousarray would turn 0-d into 1-d)
    return arr, src


def as_array(x) -> np.ndarray:
    """``x`` as a numpy array; a torch tensor keeps its precision (float8 as ml_dtypes types)."""
    return np.asarray(_from_torch(x) if _is_torch(x) else x)


def dtype_format(dt):
    """The registered format a (<= 16-bit float) dtype's bit patterns belong to, or None:
    ml_dtypes float8/float6/float4/e8m0, bfloat16, float16."""
    from ..formats import get_format

    if dt.kind not in "fV" or dt.itemsize > 2:
        return None
    try:
        return get_format(dt.name)
    except ValueError:
        return None


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def _from_torch(x):
    """A torch tensor as a numpy array of the same precision (float8 as ml_dtypes codes)."""
    t = x.detach().cpu()
    name = str(t.dtype).replace("torch.", "")
    if name == "bfloat16":
        import ml_dtypes

        return t.view(__import__("torch").int16).numpy().view(ml_dtypes.bfloat16)
    if name.startswith("float8") or name.startswith("float4"):
        import ml_dtypes

        if not hasattr(ml_dtypes, name):  # float4_e2m1fn_x2: two codes per byte
            raise TypeError(f"torch dtype {name} has no one-value-per-byte counterpart: "
                            "pass its bytes as uint8 codes (x.view(torch.uint8))")
        return t.view(__import__("torch").uint8).numpy().view(getattr(ml_dtypes, name))
    return t.numpy()


def unpack_float_bits(u: np.ndarray, src: Source):
    """Decompose IEEE interchange bit patterns ``u`` (uint) of ``src`` into (neg, cls, M, E)."""
    u = u.astype(np.uint64)
    m, e = src.man_bits, src.exp_bits
    neg = (u >> np.uint64(src.bits - 1)).astype(bool)
    frac = (u & np.uint64((1 << m) - 1)).astype(np.int64)
    ef = ((u >> np.uint64(m)) & np.uint64((1 << e) - 1)).astype(np.int64)
    top = (1 << e) - 1
    bias = (1 << (e - 1)) - 1
    normal = (ef != 0) & (ef != top)
    M = np.where(normal, frac | (1 << m), np.where(ef == 0, frac, 0))
    E = np.where(normal, ef - bias - m, 1 - bias - m)
    cls = np.full(u.shape, FINITE, dtype=np.int8)
    cls[M == 0] = ZERO
    special = ef == top
    cls[special & (frac == 0)] = INF
    quiet = (frac >> (m - 1)) & 1 if m else np.zeros_like(frac)
    cls[special & (frac != 0) & (quiet == 1)] = QNAN
    cls[special & (frac != 0) & (quiet == 0)] = SNAN
    return neg, cls, M.astype(np.int64), E.astype(np.int64)


def _unpack_int(a: np.ndarray):
    a = a.ravel()
    if a.dtype.kind == "u":
        mag = a.astype(np.uint64)
        neg = np.zeros(a.shape, dtype=bool)
    else:
        a64 = a.astype(np.int64)
        neg = a64 < 0
        mag = np.where(neg, (~a64.view(np.uint64)) + np.uint64(1), a64.view(np.uint64))
    # keep significands below 2^62: fold the excess bits into a sticky bit (exact for rounding
    # to any format of at most 24 bits of precision)
    big = mag >= np.uint64(1 << 62)
    E = np.zeros(a.shape, dtype=np.int64)
    if big.any():
        k = np.where(big, 3, 0).astype(np.uint64)
        sticky = (mag & ((np.uint64(1) << k) - np.uint64(1))) != 0
        mag = (mag >> k) | sticky.astype(np.uint64)
        E = k.astype(np.int64)
    M = mag.astype(np.int64)
    cls = np.where(M == 0, ZERO, FINITE).astype(np.int8)
    return neg, cls, M, E


def unpack(arr: np.ndarray, src: Source):
    """Flattened (neg, cls, M, E) of a validated source array."""
    if src.kind == "float":
        return unpack_float_bits(arr.ravel().view(src.uint), src)
    if src.kind == "int":
        return _unpack_int(arr)
    # codes of an fp8ref-registered ml_dtypes type: decode exactly to float64, then unpack
    from ..codecs import decode

    vals = decode(arr.ravel().view(src.uint), src.fmt, dtype=np.float64)
    return unpack_float_bits(vals.view(np.uint64), _FLOAT_SOURCES["float64"])
