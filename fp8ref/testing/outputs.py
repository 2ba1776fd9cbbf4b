"""Reading what a quantizer returned: codes or values, from numpy, ml_dtypes or torch.

Integer arrays and arrays of the format's own ml_dtypes/torch dtype are codes; float arrays
(float16/bfloat16/float32/float64) are values, compared by value (NaN equals NaN, the sign of
zero counts). torch and ml_dtypes are imported only when their objects are passed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..codecs import decode_table
from ..core.floats import float_type_of
from ..formats import get_format
from .cases import as_f64

__all__ = ["as_codes_or_values", "values_equal", "exact_code_of", "to_numpy", "numpy_to_torch", "is_torch"]


def is_torch(x) -> bool:
    """Whether ``x`` is a torch tensor (without importing torch)."""
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def to_numpy(t):
    """A CPU numpy view of a torch tensor: bfloat16 and float8 as their ml_dtypes dtypes (or,
    without ml_dtypes' float8 dtype, the codes tagged with the torch dtype name)."""
    t = t.detach().cpu()
    name = str(t.dtype).replace("torch.", "")
    import torch

    if name == "bfloat16":
        import ml_dtypes

        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    if name.startswith(("float8", "float4")):
        u8 = t.view(torch.uint8).numpy()
        try:
            import ml_dtypes

            return u8.view(getattr(ml_dtypes, name))
        except (ImportError, AttributeError):
            return _TorchCodes(u8, name)
    if name.startswith("uint") and name != "uint8":  # uint16/32/64 lack numpy conversion in older torch
        return t.to(torch.int64).numpy()
    return t.numpy()


def numpy_to_torch(x: np.ndarray):
    """A torch tensor sharing ``x``'s values (bfloat16 through its int16 bits)."""
    import torch

    if x.dtype.name == "bfloat16":
        return torch.from_numpy(x.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(x)


@dataclass
class _TorchCodes:
    """Codes of a torch float8/float4 tensor whose dtype ml_dtypes does not have."""

    codes: np.ndarray
    dtype_name: str


def _same_format(name, fmt) -> bool:
    try:
        return get_format(name) is fmt or get_format(name) == fmt
    except ValueError:
        return False


def as_codes_or_values(y, fmt, *, output: str = "auto", what: str = "output") -> tuple[str, np.ndarray]:
    """Normalise an output for comparison: ``("codes", int64 array)`` or ``("values", float64)``.

    ``output="auto"`` reads integer arrays and arrays of the format's own ml_dtypes/torch dtype
    as codes, and float arrays as values; ``"codes"``/``"values"`` force one reading.
    """
    __tracebackhide__ = True
    fmt = get_format(fmt)
    if output not in ("auto", "codes", "values"):
        raise ValueError(f"output must be 'auto', 'codes' or 'values', got {output!r}")
    if is_torch(y):
        y = to_numpy(y)
    if isinstance(y, _TorchCodes):
        if not _same_format(y.dtype_name, fmt):
            raise TypeError(f"{what} has dtype torch.{y.dtype_name}, but the format under test is {fmt.name}")
        return "codes", y.codes.astype(np.int64)
    arr = np.asarray(y)
    dt = arr.dtype
    if dt.kind in "biu" and dt.kind != "b":
        if output == "values":
            return "values", as_f64(arr)
        if dt.kind == "i" and dt.itemsize * 8 == fmt.bits:  # int8/int16 views of codes
            arr = arr.view(np.dtype(f"u{dt.itemsize}"))
        codes = arr.astype(np.int64)
        if codes.size and (codes.min() < 0 or codes.max() >= fmt.num_codes):
            bad = codes.ravel()[(codes.ravel() < 0) | (codes.ravel() >= fmt.num_codes)][0]
            raise ValueError(f"{what}: code {int(bad)} out of range for {fmt.name} (0..{fmt.num_codes - 1})")
        return "codes", codes
    if dt.kind in "fV" and float_type_of(dt) is None and dt.name != "longdouble":
        if _same_format(dt.name, fmt) and dt.itemsize * 8 >= fmt.bits:
            u = arr.view(np.dtype(f"u{dt.itemsize}")).astype(np.int64)
            if output == "values":
                return "values", decode_table(fmt)[u]
            return "codes", u
        raise TypeError(
            f"{what} has dtype {dt.name}, which is not the format under test ({fmt.name}); "
            "return codes, values in a float dtype, or that format's own dtype"
        )
    if dt.kind in "fV":  # float16/32/64, bfloat16, longdouble
        if _same_format(dt.name, fmt) and output != "values":  # fp16/bf16 under test: bits are codes
            return "codes", arr.view(np.dtype(f"u{dt.itemsize}")).astype(np.int64)
        if output == "codes":
            raise TypeError(f"{what} has float dtype {dt.name}; output='codes' needs integer codes")
        return "values", as_f64(arr)
    raise TypeError(f"{what} has unsupported dtype {dt.name!r}: expected codes or values")


def values_equal(a, b):
    """Elementwise value equality: NaN == NaN, and -0 != +0."""
    both_nan = np.isnan(a) & np.isnan(b)
    return both_nan | ((a == b) & (np.signbit(a) == np.signbit(b)))


def exact_code_of(values, fmt):
    """The code whose value is exactly ``values[i]`` (sign of zero included; the first NaN code
    for NaN), or -1 (display only)."""
    t = decode_table(fmt)
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, -1, dtype=np.int64)
    ok = ~np.isnan(t)
    order = np.flatnonzero(ok)[np.lexsort((np.signbit(t[ok]), t[ok]))]  # -0 after +0 at equal value
    tv = t[order]
    pos = np.searchsorted(tv, v, side="left")
    pos = np.clip(pos, 0, max(tv.size - 1, 0))
    hit = tv.size > 0
    if hit:
        c = order[pos]
        good = tv[pos] == v
        out = np.where(good, c, -1)
        zero = good & (v == 0)
        if zero.any():
            pz = np.flatnonzero((t == 0) & ~np.signbit(t))
            nz = np.flatnonzero((t == 0) & np.signbit(t))
            out = np.where(zero & ~np.signbit(v), pz[0] if pz.size else -1, out)
            out = np.where(zero & np.signbit(v), nz[0] if nz.size else -1, out)
    nans = np.flatnonzero(np.isnan(t))
    out = np.where(np.isnan(v), nans[0] if nans.size else -1, out)
    return out.astype(np.int64)
