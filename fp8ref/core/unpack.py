"""Input validation and exact decomposition: every input becomes ``(-1)^neg * M * 2^E``.

Sources are read from their own bits, never through another float type, so each input is
rounded once from its own precision. Supported sources: float16, bfloat16 (ml_dtypes),
float32, float64 (described once, in :mod:`.floats`), signed/unsigned integers, Python scalars
and lists (as numpy makes them), and ml_dtypes arrays of any registered fp8ref format. Codes of
a format are not numbers until their format decodes them: :func:`as_source_array` names the
format, and the codecs' front end decodes them exactly (this layer sits below the codecs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .floats import F64, FLOAT_TYPES, FloatType

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
    "unpack_values",
]

# value classes
ZERO, FINITE, INF, QNAN, SNAN = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Source:
    """What an input array holds: an IEEE binary interchange float, an integer, or codes."""

    kind: str  # "float" | "int" | "codes"
    bits: int
    ft: FloatType | None = None  # for "float": its interchange type
    fmt: object = None  # for "codes": the fp8ref format the codes belong to
    signed: bool = False  # for "int"

    @property
    def exp_bits(self) -> int:
        return self.ft.exp_bits if self.ft else 0

    @property
    def man_bits(self) -> int:
        return self.ft.man_bits if self.ft else 0

    @property
    def emin(self) -> int:
        """Exponent of the float type's smallest normal."""
        assert self.ft is not None, "emin of a non-float source"
        return self.ft.emin

    @property
    def uint(self):
        return {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}[self.bits]


_FLOAT_SOURCES = {name: Source("float", t.bits, t) for name, t in FLOAT_TYPES.items()}


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


def unpack_float_bits(u: np.ndarray, src: Source | FloatType):
    """Decompose IEEE interchange bit patterns ``u`` (uint) of ``src`` into (neg, cls, M, E)."""
    ft = src.ft if isinstance(src, Source) else src
    assert ft is not None, "unpack_float_bits needs a float source"
    sign, ef, frac = ft.fields(u)
    M, E = ft.significand(ef, frac)
    cls = np.full(M.shape, FINITE, dtype=np.int8)
    cls[M == 0] = ZERO
    special = ef == ft.exp_max
    cls[special & (frac == 0)] = INF
    quiet = (frac & ft.quiet_bit) != 0
    cls[special & (frac != 0) & quiet] = QNAN
    cls[special & (frac != 0) & ~quiet] = SNAN
    return sign.astype(bool), cls, M, E


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
    """Flattened (neg, cls, M, E) of a validated float or integer source array (codes are
    decoded by their format first: :func:`unpack_values`)."""
    if src.kind == "float":
        return unpack_float_bits(arr.ravel().view(src.uint), src)
    if src.kind == "int":
        return _unpack_int(arr)
    raise TypeError(f"{src.fmt} codes have no value until decoded: pass their exact float64 values "
                    "to unpack_values")


def unpack_values(values: np.ndarray):
    """(neg, cls, M, E) of exact float64 values (e.g. decoded codes)."""
    return unpack_float_bits(np.ascontiguousarray(values, dtype=np.float64).ravel().view(np.uint64), F64)
