"""Public encode / decode / quantize, shared by every codec.

A codec is a module (or object) with ``kind``, ``encode_exact(fmt, neg, cls, M, E, policy,
rbits, srbits, errors="raise") -> (codes, flags)``, ``decode_table(fmt) -> float64[2^bits]``
and ``key_lead_bits(fmt, src_emin, policy) -> int | None`` (and optionally
``default_rounding``, the rounding used when the caller names none); the built-in codecs
(``ieee``, ``ue8m0``, ``tapered``, ``posit``) are registered here, by kind. This front end
validates inputs, decomposes them exactly (``core.unpack``; codes of a format through that
format's decoder) and picks one of three equivalent paths:

* **full table** for 8/16-bit sources (float16, bfloat16, ml_dtypes codes, int8/16): the
  codec encodes every possible input once; encoding is then one lookup;
* **key table** for float32/float64 when the codec's codes *and flags* depend only on the sign,
  the exponent, the leading ``t`` significand bits and one sticky bit (true of every format
  whose precision is small and whose smallest normal is at least the source's; the codec's
  ``key_lead_bits`` says how many bits, tininess decisions included): the codec encodes one
  representative per key;
* **generic**: the codec on the decomposed input (wide formats, ints; stochastic rounding and
  HiF8 ``hybrid`` below 2^16 elements, larger float inputs taking ``_fast_modes``' Numba loop).

Tables are built by the generic path itself, so all three agree by construction; the tests
check them against each other and against the oracles anyway. Inputs the policy leaves without
a result (``nan_to="error"``, ``below_range="error"``) are marked in the tables and raise only
when the data holds one (:mod:`._no_value`, the one home of that error).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from .. import _dask
from .._dask import is_dask_array
from ..core.floats import float_type
from ..core.rounding import MAX_SR_BITS
from ..core.unpack import QNAN, SNAN, as_array, as_source_array, dtype_format, unpack, unpack_float_bits, unpack_values
from ..formats import FormatLike, FormatSpec, get_format
from ..policy import Policy, make_policy
from . import conventions, ieee, posit, tapered, ue8m0
from ._no_value import NO_VALUE, error_at, may_refuse

__all__ = ["encode", "decode", "quantize", "register_codec", "codec_for", "decode_table", "resolve_policy"]

_CODECS: dict[str, Any] = {}  # kind -> codec module
_GENERIC_CHUNK = 1 << 20
_FUSED_MIN = 1 << 16  # inputs from which the key-table path runs as one Numba loop


def register_codec(codec):
    """Make ``codec`` handle every format whose ``kind`` equals ``codec.kind``."""
    _CODECS[codec.kind] = codec
    return codec


for _codec in (ieee, ue8m0, tapered, posit):
    register_codec(_codec)


def codec_for(fmt: FormatLike):
    try:
        return _CODECS[fmt.kind]
    except KeyError:
        raise ValueError(f"no codec for format kind {fmt.kind!r}") from None


# ---- decode -------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def decode_table(fmt: FormatSpec) -> np.ndarray:
    """Exact float64 value of every code of ``fmt`` (a format or its name; read-only)."""
    fmt = get_format(fmt)
    t = np.asarray(codec_for(fmt).decode_table(fmt), dtype=np.float64)
    t.setflags(write=False)
    return t


@lru_cache(maxsize=None)
def _typed_table(fmt, dtype_name):
    t64 = decode_table(fmt)
    dt = float_type(dtype_name).dtype
    with np.errstate(over="ignore"):
        t = t64.astype(dt)
    back = t.astype(np.float64)
    exact = (back == t64) | (np.isnan(back) & np.isnan(t64))
    t.setflags(write=False)
    return t, (None if exact.all() else exact)


def _check_codes(codes, fmt):
    arr = as_array(codes)
    if arr.dtype.kind not in "iu":
        arr = _typed_codes(arr, fmt)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    in_range = arr.dtype.kind == "u" and (1 << (8 * arr.dtype.itemsize)) <= fmt.num_codes  # e.g. uint8 codes of an 8-bit format
    if arr.size and not in_range and (arr.min() < 0 or arr.max() >= fmt.num_codes):
        bad = arr.ravel()[(arr.ravel() < 0) | (arr.ravel() >= fmt.num_codes)][0]
        raise ValueError(f"code {int(bad)} out of range for {fmt.name} (valid: 0..{fmt.num_codes - 1})")
    return arr


def _typed_codes(arr, fmt):
    """The bit patterns of an array whose dtype is a registered format (ml_dtypes float8/6/4 and
    e8m0, bfloat16, float16; torch tensors arrive here as ml_dtypes arrays), as unsigned codes."""
    dt = arr.dtype
    own = dtype_format(dt)
    if own is None:
        raise TypeError(f"codes must be an integer array or an array of a registered format's dtype "
                        f"(ml_dtypes or torch float8), got dtype {dt.name!r}")
    if own != fmt:
        raise ValueError(f"codes of dtype {dt.name} are {own.name} codes, not {fmt.name}: "
                         f"pass fmt={own.name!r}, or integer codes to read them as {fmt.name}")
    return arr.view(np.dtype(f"u{dt.itemsize}").newbyteorder(dt.byteorder))


def decode(codes, fmt: FormatSpec, *, dtype=np.float32) -> np.ndarray:
    """Values of ``codes`` in ``fmt``, as ``dtype``, same shape.

    codes: integers, or an array typed as ``fmt`` itself (an ml_dtypes array such as
    ``float8_e4m3fn``, a torch float8 tensor, bfloat16, float16), read from its bit patterns.
    dtype: float16, bfloat16, float32 or float64. Raises ValueError if a decoded value is not
    exactly representable in ``dtype`` (use float64 for wide formats).
    """
    fmt = get_format(fmt)
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"decode dtype must be float16, bfloat16, float32 or float64, got {name!r}")
    if is_dask_array(codes):  # block by block: fp8ref._dask
        return _dask.decode(codes, fmt, dtype)
    arr = _check_codes(codes, fmt)
    table, exact = _typed_table(fmt, name)
    if arr.size >= _FUSED_MIN and table.dtype.kind == "f" and table.dtype.itemsize >= 4:
        from ._gather import lookup

        out = lookup(arr, table)  # one Numba pass
    else:
        out = table[arr]  # numpy fancy indexing
    if exact is not None:
        ok = exact.take(arr.astype(np.intp, copy=False))
        if not ok.all():
            c = int(arr.ravel()[~ok.ravel()][0])
            raise ValueError(
                f"{fmt.name} code {c:#x} = {decode_table(fmt)[c]!r} is not exactly representable "
                f"in {name}; decode with dtype=np.float64"
            )
    return out


# ---- encode -------------------------------------------------------------------------------
def _policy(fmt, policy, preset, fields):
    if policy is not None:
        if not isinstance(policy, Policy):
            raise TypeError("policy must be an fp8ref.Policy")
        if preset is not None or any(v is not None for v in fields.values()):
            raise ValueError("pass either policy= or preset=/individual policy fields, not both")
        return policy
    return resolve_policy(fmt, preset, **fields)


def resolve_policy(fmt: FormatSpec, preset: str | None = None, **fields) -> Policy:
    """The Policy ``encode(x, fmt, preset=..., **fields)`` uses: the preset (or the defaults), the
    format kind's own default rounding when none is named (HiF8: TA), then ``fields``."""
    fmt = get_format(fmt)
    default = getattr(codec_for(fmt), "default_rounding", None)
    if preset is None and default is not None and fields.get("rounding") is None:
        fields = {**fields, "rounding": default}
    return make_policy(fmt.name, preset, **fields)


def _rbits_array(rbits, srbits, shape):
    """rbits as a flat integer array and its width (srbits), checked but for the values."""
    if rbits is None:
        raise ValueError("stochastic rounding needs rbits: an unsigned integer array of x's shape")
    if hasattr(rbits, "detach"):
        rbits = rbits.detach().cpu().numpy()
    r = np.asarray(rbits)
    if r.dtype.kind not in "iu":
        raise ValueError(f"rbits must be an integer array, got dtype {r.dtype.name!r}")
    if r.shape != shape:
        raise ValueError(f"rbits has shape {r.shape}, expected x's shape {shape}")
    n = r.dtype.itemsize * 8 if srbits is None else srbits
    if not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_SR_BITS:
        raise ValueError(f"srbits must be an integer in 1..{MAX_SR_BITS}, got {n!r}")
    return np.ascontiguousarray(r).reshape(-1), int(n)


def _check_rbit_values(r, n):
    """Raise unless every value lies in [0, 2^n) (no scan where r's dtype holds no other)."""
    if r.dtype.kind == "u" and r.dtype.itemsize * 8 <= n:
        return
    if r.size and (r.min() < 0 or int(r.max()) >= (1 << n)):
        raise ValueError(f"rbits values must lie in [0, 2^{n}) for srbits={n}")


def _check_rbits(rbits, srbits, shape):
    r, n = _rbits_array(rbits, srbits, shape)
    _check_rbit_values(r, n)
    return r.astype(np.int64), n


def _decompose(flat, src):
    """(neg, cls, M, E) of a flat source array; codes through their format's exact values."""
    if src.kind != "codes":
        return unpack(flat, src)
    codes = flat.view(src.uint)
    vals = decode(codes, src.fmt, dtype=np.float64)
    neg, cls, M, E = unpack_values(vals)
    m = getattr(src.fmt, "nan_payload_bits", 0)
    if m:  # IEEE-style NaN codes: their own payload and quiet bit, not float64's default NaN
        nan = np.isnan(vals)
        frac = codes.astype(np.int64) & ((1 << m) - 1)
        M, E = np.where(nan, frac, M), np.where(nan, -m, E)
        cls = np.where(nan, np.where(frac >> (m - 1), QNAN, SNAN), cls).astype(np.int8)
    return neg, cls, M, E


def _generic(fmt, codec, policy, arr, src, rbits=None, srbits=0):
    """Codes and flags of every element by the codec itself (no-result inputs marked)."""
    flat = arr.reshape(-1)
    codes = np.empty(flat.size, dtype=np.int64)
    flags = np.empty(flat.size, dtype=np.uint8)
    for lo in range(0, max(flat.size, 1), _GENERIC_CHUNK):
        hi = min(lo + _GENERIC_CHUNK, flat.size)
        if hi <= lo:
            break
        neg, cls, M, E = _decompose(flat[lo:hi], src)
        cls = conventions.apply_daz(policy, cls, M, E, conventions.source_emin(src))
        r = None if rbits is None else rbits[lo:hi]
        codes[lo:hi], flags[lo:hi] = codec.encode_exact(fmt, neg, cls, M, E, policy, r, srbits, errors="mark")
    return codes, flags


@lru_cache(maxsize=256)
def _full_table(fmt, policy, src):
    """Codes and flags for every bit pattern of an 8/16-bit source (every code of a codes source:
    64 for an ml_dtypes float6 array, 16 for float4, though each takes a byte)."""
    n = src.fmt.num_codes if src.kind == "codes" else 1 << src.bits
    arr = np.arange(n, dtype=np.uint64).astype(src.uint)
    if src.kind == "int" and src.signed:
        arr = arr.view(np.dtype(f"i{src.bits // 8}"))
    codes, flags = _generic(fmt, codec_for(fmt), policy, arr, src)
    return _freeze(codes.astype(fmt.code_dtype), flags)


def _key_table(fmt, policy, src, t):
    """Codes/flags per key = sign | exponent | top t significand bits | sticky (cached: up to 256
    tables of at most 2^16 keys, and the 8 most recent wider ones, up to 20 MB each)."""
    small = 2 + src.exp_bits + t <= _SMALL_KEY_BITS
    return (_small_key_table if small else _wide_key_table)(fmt, policy, src, t)


def _build_key_table(fmt, policy, src, t):
    nkey = 1 << (1 + src.exp_bits + t + 1)
    codes = np.empty(nkey, dtype=fmt.code_dtype)
    flags = np.empty(nkey, dtype=np.uint8)
    for lo in range(0, nkey, _GENERIC_CHUNK):  # representatives in slices (bounded memory)
        key = np.arange(lo, min(lo + _GENERIC_CHUNK, nkey), dtype=np.uint64)
        pats = ((key >> np.uint64(1)) << np.uint64(src.man_bits - t)) | (key & np.uint64(1))
        neg, cls, M, E = unpack_float_bits(pats, src)
        cls = conventions.apply_daz(policy, cls, M, E, src.emin)
        c, flags[lo:lo + key.size] = codec_for(fmt).encode_exact(fmt, neg, cls, M, E, policy, None, 0, errors="mark")
        codes[lo:lo + key.size] = c
    return _freeze(codes, flags)


_small_key_table = lru_cache(maxsize=256)(_build_key_table)
_wide_key_table = lru_cache(maxsize=8)(_build_key_table)


def _freeze(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


_MAX_KEY_BITS = 22  # float32 -> fp16 (2 + 8 + 11 bits), tf32 (2 + 8 + 12, tininess 'after'): up to 2^22 entries
_SMALL_KEY_BITS = 16  # tables up to 2^16 keys are always worth building; larger ones for large inputs


def _key_table_pays(key_bits, n):
    """Build a key table of 2^key_bits entries for n inputs? (Each entry costs about one
    generic-path encode, so a large table must serve at least a quarter as many inputs.)"""
    return key_bits <= _SMALL_KEY_BITS or (key_bits <= _MAX_KEY_BITS and 4 * n >= 1 << key_bits)


def encode(
    x,
    fmt: FormatSpec,
    *,
    rounding: str | None = None,
    overflow: str | None = None,
    nan: str | None = None,
    nan_to: str | None = None,
    tininess: str | None = None,
    below_range: str | None = None,
    input_path: str | None = None,
    ftz: bool | None = None,
    daz: bool | None = None,
    rbits=None,
    srbits: int | None = None,
    preset: str | None = None,
    policy: Policy | None = None,
    return_flags: bool = False,
):
    """Encode ``x`` to codes of ``fmt`` (uint8, or uint16 for formats over 8 bits).

    Policy fields default to ``rounding="rne", overflow="ovf_inf", nan="canonical",
    nan_to="error", tininess="after", ftz=False, daz=False``, or to those of ``preset`` (see
    ``fp8ref.PRESETS``; the hardware conventions ``ftz``/``daz``/``nan="riscv"|"x86"|"arm"`` are
    described in ``fp8ref.codecs.conventions``).
    Stochastic modes need ``rbits`` (integers of x's shape, each ``< 2^srbits``; ``srbits``
    defaults to the bit width of rbits' dtype). With ``return_flags`` also returns a uint8
    flag array (inexact 0x01, underflow 0x02, overflow 0x04, infinite 0x08, invalid 0x10).
    """
    fmt = get_format(fmt)
    codec = codec_for(fmt)
    fields = dict(
        rounding=rounding, overflow=overflow, nan=nan, nan_to=nan_to, tininess=tininess,
        below_range=below_range, input_path=input_path, ftz=ftz, daz=daz,
    )
    pol = _policy(fmt, policy, preset, fields)
    conventions.check(fmt, pol)
    if is_dask_array(x):  # block by block: fp8ref._dask
        return _dask.encode(x, fmt, pol, return_flags, rbits, srbits)
    arr, src = as_source_array(x)
    wider_than_f32 = (src.kind == "float" and src.bits > 32) or (src.kind == "int" and src.bits >= 32)
    if pol.input_path == "via_float32" and wider_than_f32:
        with np.errstate(over="ignore", invalid="ignore"):
            arr, src = as_source_array(arr.astype(np.float32))
    shape = arr.shape
    refuse = may_refuse(fmt, pol)
    if pol.is_stochastic:
        fast = _encode_fast(fmt, codec, pol, arr, src, rbits, srbits, return_flags or refuse)
        if fast is not None:
            codes, flags = fast
        else:
            r, n = _check_rbits(rbits, srbits, shape)
            codes, flags = _generic(fmt, codec, pol, arr, src, r, n)
            codes = codes.astype(fmt.code_dtype)
    elif rbits is not None:
        raise ValueError(f"rbits given but rounding is {pol.rounding!r}, not a stochastic mode")
    else:
        codes, flags = _encode_deterministic(fmt, codec, pol, arr, src, return_flags or refuse)
    if refuse:
        _raise_if_marked(fmt, pol, arr, src, flags)
    codes = codes.reshape(shape)
    if return_flags:
        return codes, flags.reshape(shape)
    return codes


def _raise_if_marked(fmt, pol, arr, src, flags):
    """Raise for the first element the codec marked as having no result under ``pol``."""
    marked = np.flatnonzero(flags.reshape(-1) & NO_VALUE)
    if marked.size:
        i = int(marked[0])
        neg, cls, M, E = _decompose(arr.reshape(-1)[i:i + 1], src)
        raise error_at(fmt, pol, i, neg[0], cls[0], M[0], E[0])


def _encode_deterministic(fmt, codec, pol, arr, src, want_flags=True):
    if src.bits <= 16:
        tc, tf = _full_table(fmt, pol, src)
        idx = arr.reshape(-1).view(src.uint)
        if src.kind == "codes":
            _check_codes(idx, src.fmt)
        return tc[idx], (tf[idx] if want_flags else None)
    if src.kind == "float":
        t = codec.key_lead_bits(fmt, src.emin, pol)
        if t is not None and t <= src.man_bits and _key_table_pays(2 + src.exp_bits + t, arr.size):
            tc, tf = _key_table(fmt, pol, src, t)
            u = arr.reshape(-1).view(src.uint)
            sh = src.man_bits - t
            if u.size >= _FUSED_MIN:  # one serial Numba pass (imported on first use); same keys, same tables
                from ._gather import gather

                return gather(np.ascontiguousarray(u), sh, tc, tf, bool(want_flags))
            key = (u >> src.uint(sh)) << src.uint(1)
            key |= (u & src.uint((1 << sh) - 1)) != 0
            return tc[key], (tf[key] if want_flags else None)
    fast = _encode_fast(fmt, codec, pol, arr, src, None, None, want_flags)  # hybrid
    if fast is not None:
        return fast
    codes, flags = _generic(fmt, codec, pol, arr, src)
    return codes.astype(fmt.code_dtype), flags


def _encode_fast(fmt, codec, pol, arr, src, rbits, srbits, want_flags):
    """The serial Numba path for stochastic and hybrid rounding (``_fast_modes``) on large
    float inputs; None where it does not apply (also under ``ftz``/``daz``: the conventions are
    applied by the generic path, which stays the one home of those rules)."""
    if arr.size < _FUSED_MIN or src.kind != "float" or pol.ftz or pol.daz:
        return None
    from ._fast_modes import encode_fast

    return encode_fast(fmt, codec, pol, arr, src, rbits, srbits, want_flags)


def quantize(x, fmt: FormatSpec, *, dtype=None, **policy) -> np.ndarray:
    """``decode(encode(x, fmt, **policy), fmt)``: x rounded to ``fmt``'s values.

    dtype defaults to float64 for float64 input and float32 otherwise. (``quantize`` always
    returns values; the block formats' ``mx.encode`` / ``nvfp4.encode`` / ``deepseek.encode``
    return codes with their scales, as ``encode`` does here.)
    """
    fmt = get_format(fmt)
    if dtype is None:
        arr = x if hasattr(x, "detach") or is_dask_array(x) else np.asarray(x)
        dtype = np.float64 if getattr(arr, "dtype", None) == np.float64 else np.float32
    return decode(encode(x, fmt, **policy), fmt, dtype=dtype)
