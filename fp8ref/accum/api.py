"""``gemm``: D = C + A·B under an accumulation model, for plain and block-scaled operands.

The front end checks that every input is exactly a value of the model's input format (it never
rounds: quantising is the codecs' and quantizers' job), decomposes operands into exact float64
values and alignment exponents, and calls the one Numba kernel (:mod:`.kernel`).

Block-scaled operands enter where the hardware applies their scales:
* ``MXTensor`` (OCP MX, Blackwell ``tcgen05 ... block_scale``): each element's scale ``2^X`` is
  part of its value and of its alignment exponent, inside the block FMA;
* ``DeepSeekTensor`` (DeepGEMM 1x128 / 128x128 tiles): the tensor core sees the raw E4M3
  elements; every promotion interval's partial sum ``t`` is added to the FP32 register as
  ``acc = fmaf(sA·sB, t, acc)`` (``sA·sB`` rounded to FP32 first, as DeepGEMM's FMUL does).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dask
from .._dask import is_dask
from ..codecs import quantize
from ..formats import get_format
from .kernel import P_CAP, ZERO_EXP, dot_kernel, gemm_kernel, gemm_kernel_fast
from .launch import run
from .model import check_input_format, get_model

__all__ = ["gemm", "dot", "OUTPUTS", "alignment_exponents"]

#: out -> (fraction bits or None for the model's, emin, emax, numpy dtype)
_SCALAR_ONLY = False  # tests flip this to run the per-element kernel on the fast path's inputs

OUTPUTS = {"fp32": (None, -126, 127, np.float32), "fp16": (10, -14, 15, np.float16)}


def _as_float64(x, name):
    """A float64 copy of a float array: numpy, ml_dtypes, or a torch tensor (float8 included)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch: widen exactly on its side
        x = x.detach().cpu()
        x = x.double().numpy()
    arr = np.asarray(x)
    if arr.dtype.kind != "f" and not (arr.dtype.kind == "V" and arr.dtype.itemsize <= 2):
        raise TypeError(f"{name} must be a floating-point array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr.astype(np.float64))


def _check_exact(x, fmt, name):
    """Raise ValueError naming the first element of x that is not a value of fmt."""
    q = quantize(x, fmt, dtype=np.float64, overflow="sat_finite", nan_to="zero")  # never ±inf/NaN for finite x
    ok = q == x
    if fmt.has_nan:
        ok |= np.isnan(x)
    if fmt.has_infinity:
        ok |= np.isinf(x)
    if not ok.all():
        idx = tuple(int(i) for i in np.argwhere(~ok)[0])
        raise ValueError(f"{name}[{', '.join(map(str, idx))}] = {float(x[idx])!r} is not exactly "
                         f"representable in {fmt.name}; quantize it first (fp8ref.quantize)")


def alignment_exponents(x, emin):
    """floor(log2|x|) clamped at emin (subnormals share emin); ZERO_EXP for zeros and non-finite."""
    e = np.full(x.shape, ZERO_EXP, dtype=np.int32)
    ok = np.isfinite(x) & (x != 0)
    e[ok] = np.maximum(np.frexp(np.abs(x[ok]))[1] - 1, emin)
    return e


def _out_params(model, out):
    if out not in OUTPUTS:
        raise ValueError(f"out must be one of {', '.join(OUTPUTS)}, got {out!r}")
    if out == "fp16" and not model.fp16_out:
        raise ValueError(f"model {model.name!r} has no fp16 output mode")
    frac, emin, emax, dtype = OUTPUTS[out]
    if frac is None:
        return model.out_frac, emin, emax, model.out_rounding == "rne", dtype
    return frac, emin, emax, True, dtype


def _input_format(model, in_fmt):
    name = model.in_fmt if in_fmt is None else get_format(in_fmt).name
    if name not in model.in_fmts:
        raise ValueError(f"model {model.name!r} takes inputs in {', '.join(model.in_fmts)}, not {name!r}")
    return check_input_format(name)


def _shapes(A, B, C):
    if A.ndim != 2 or B.ndim != 2:
        raise ValueError(f"a and b must be 2-D, got shapes {A.shape} and {B.shape}")
    if A.shape[1] != B.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {A.shape}, b is {B.shape}")
    if C.shape != (A.shape[0], B.shape[1]):
        raise ValueError(f"c must have shape {(A.shape[0], B.shape[1])}, got {C.shape}")


def _run(model, A, EA, Bt, EBt, C, SA, SB, out, rows=False, fmt=None):
    """The kernel call: A (M,K), Bt (N,K) with their alignment exponents, C (M,N) float64.
    rows=True: A and Bt are both (R,K), C is (R,), and D[r] is the dot product of row r.
    fmt: the input format when A and Bt hold its plain values (enables the float32 kernel)."""
    frac, emin, emax, rne, dtype = _out_params(model, out)
    K = A.shape[1]
    n = model.n if model.n is not None else max(K, 1)
    F = -1 if model.frac_bits is None else model.frac_bits
    promote = model.promote or 0
    if SA is None:
        P = max(1, -(-K // promote)) if promote else 1
        SA = np.ones((A.shape[0], P))
        SB = np.ones((Bt.shape[0], P))
    special = not (np.isfinite(A).all() and np.isfinite(Bt).all() and np.isfinite(C).all())
    if rows:
        D = run(dot_kernel, A, EA, Bt, EBt, C, SA, SB, n, F, frac, emin, emax, rne, promote, special)
    elif F >= 0 and not special and not _SCALAR_ONLY:
        B = np.ascontiguousarray(Bt.T)
        pcap = 2.0**1023
        if narrow_ok(fmt, n, F):
            A, B, pcap = A.astype(np.float32), B.astype(np.float32), P_CAP
        D = run(gemm_kernel_fast, A, EA, B, np.ascontiguousarray(EBt.T), C, SA, SB,
                n, F, frac, emin, emax, rne, promote, pcap)
    else:
        D = run(gemm_kernel, A, EA, Bt, EBt, C, SA, SB, n, F, frac, emin, emax, rne, promote, special)
    return _conventions(D, model, out, dtype)


def _conventions(D, model, out, dtype):
    """D (float64, already on the output grid) as ``dtype`` with the model's output conventions:
    +0 for every zero unless ``signed_zero``, NaN results as ``model.nan_pattern(out)``."""
    if not model.signed_zero:
        D[D == 0] = 0.0
    D = D.astype(dtype)
    nan = np.isnan(D)
    if nan.any():
        D.view(np.uint32 if out == "fp32" else np.uint16)[nan] = model.nan_pattern(out)
    return D


def narrow_ok(fmt, n, F):
    """True when the fast kernel may work in float32 for inputs of ``fmt`` (no scales folded in):
    a product of two values has at most 24 significant bits and is a float32 normal, the grid
    scale 2^(F-E) of a block holding a nonzero product is at most 2^126 (E >= 2·emin), and a
    block's sum of grid terms (< n·2^(F+2)) stays below 2^24."""
    if fmt is None or F + 2 + max(n, 1).bit_length() > 24:
        return False
    return (fmt.man_bits + 1 <= 12 and 2 * (fmt.emin - fmt.man_bits) >= -126
            and 2 * math.log2(fmt.max_finite) < 127 and 2 * fmt.emin >= F - 126)


def _c_matrix(c, M, N, out):
    """C as float64 (M, N); its values must be binary32 (binary16 in fp16 output mode)."""
    if c is None:
        return np.zeros((M, N))
    C = _as_float64(c, "c")
    try:
        C = np.ascontiguousarray(np.broadcast_to(C, (M, N)))
    except ValueError:
        raise ValueError(f"c must broadcast to {(M, N)}, got shape {C.shape}") from None
    dt = OUTPUTS[out][3] if out in OUTPUTS else np.float32
    with np.errstate(over="ignore"):
        back = C.astype(dt).astype(np.float64)
    bad = ~((back == C) | np.isnan(C))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"c[{', '.join(map(str, idx))}] = {float(C[idx])!r} is not a "
                         f"{np.dtype(dt).name} value")
    return C


def gemm(a, b, c=None, *, model="h100_fp8", in_fmt=None, out="fp32"):
    """D = C + A·B as the accumulation ``model`` computes it, for a (M,K), b (K,N), c (M,N).

    a, b: float arrays whose values are all exactly representable in ``in_fmt`` (default: the
    model's), or both ``MXTensor`` (blocks along K) or both ``DeepSeekTensor`` (see the module
    docstring). c: None (zeros), or float32 values (float16 values when ``out="fp16"``);
    broadcastable to (M, N). model: a preset name (``fp8ref.accum.list_models()``) or an
    ``AccumModel``. out: ``"fp32"`` (float32 result) or ``"fp16"`` (binary16 output mode: C and
    D are binary16, block results rounded RNE). Returns a numpy array of float32 / float16: NaN
    results carry the model's ``nan_pattern(out)``, zeros are +0 unless ``model.signed_zero``.
    Safe from several threads and in fork/spawn/forkserver children (:mod:`.launch`).
    """
    if any(is_dask(v) for v in (a, b, c)):  # tiles, K chunks chained in order: fp8ref._dask
        return _dask.gemm(a, b, c, model=model, in_fmt=in_fmt, out=out)
    m = get_model(model)
    from ..blocks import DeepSeekTensor, MXTensor

    if isinstance(a, MXTensor) or isinstance(b, MXTensor):
        return _gemm_mx(a, b, c, m, out)
    if isinstance(a, DeepSeekTensor) or isinstance(b, DeepSeekTensor):
        return _gemm_deepseek(a, b, c, m, out)
    fmt = _input_format(m, in_fmt)
    A, B = _as_float64(a, "a"), _as_float64(b, "b")
    C = _c_matrix(c, A.shape[0] if A.ndim == 2 else 0, B.shape[1] if B.ndim == 2 else 0, out)
    _shapes(A, B, C)
    _check_exact(A, fmt, "a")
    _check_exact(B, fmt, "b")
    Bt = np.ascontiguousarray(B.T)
    return _run(m, A, alignment_exponents(A, fmt.emin), Bt, alignment_exponents(Bt, fmt.emin),
                C, None, None, out, fmt=fmt)


def dot(a, b, c=None, *, model="h100_fp8", in_fmt=None, out="fp32"):
    """Row-wise dot products under ``model``: D[r] = c[r] + a[r,:]·b[r,:] for a, b (R, K).

    The batch form of one output element of :func:`gemm` (what tensor-core sample files and
    GEMM-unit golden vectors hold); c: None or (R,) (broadcastable). Same checks and results as
    ``gemm(a[r:r+1], b[r:r+1].T, c[r])``.
    """
    m = get_model(model)
    fmt = _input_format(m, in_fmt)
    A, B = _as_float64(a, "a"), _as_float64(b, "b")
    if A.ndim != 2 or A.shape != B.shape:
        raise ValueError(f"a and b must be 2-D of one shape (R, K), got {A.shape} and {B.shape}")
    if c is not None and np.ndim(c) > 1:
        raise ValueError(f"c must be None, a scalar or shape ({A.shape[0]},), got shape {np.shape(c)}")
    if c is not None and np.ndim(c) == 1:
        c = _as_float64(c, "c")[:, None]
    C = _c_matrix(c, A.shape[0], 1, out)[:, 0]
    _check_exact(A, fmt, "a")
    _check_exact(B, fmt, "b")
    C = np.ascontiguousarray(C)
    return _run(m, A, alignment_exponents(A, fmt.emin), B, alignment_exponents(B, fmt.emin),
                C, None, None, out, rows=True)


def _pair(a, b, cls, what):
    if not (isinstance(a, cls) and isinstance(b, cls)):
        raise TypeError(f"{what}: a and b must both be {cls.__name__}, got {type(a).__name__} "
                        f"and {type(b).__name__}")


def _gemm_mx(a, b, c, m, out):
    from ..blocks import MXTensor

    _pair(a, b, MXTensor, "MX gemm")
    if a.ndim != 2 or b.ndim != 2 or a.axis != 1 or b.axis != 0:
        raise ValueError("MX gemm needs a (M,K) with blocks along axis 1 and b (K,N) with blocks "
                         f"along axis 0; got axes {a.axis} and {b.axis}")
    ops = []
    for t in (a, b):
        fmt = _input_format(m, t.elem_name)
        v = t.element_values(np.float64)
        x = t.scale_exponents().astype(np.int32)
        x = np.repeat(x, t.block_size, axis=t.axis)[tuple(slice(0, s) for s in t.shape)]
        e = alignment_exponents(v, fmt.emin)
        ops.append((np.ldexp(v, x), np.where(e == ZERO_EXP, e, e + x)))
        if (t.scales == 0xFF).any():  # a NaN scale makes its block NaN
            ops[-1] = (np.where(np.repeat(t.scales == 0xFF, t.block_size, axis=t.axis)
                                [tuple(slice(0, s) for s in t.shape)], np.nan, ops[-1][0]), ops[-1][1])
    (A, EA), (B, EB) = ops
    C = _c_matrix(c, A.shape[0], B.shape[1], out)
    _shapes(A, B, C)
    return _run(m, A, EA, np.ascontiguousarray(B.T), np.ascontiguousarray(EB.T), C, None, None, out)


def _gemm_deepseek(a, b, c, m, out):
    from ..blocks import DeepSeekTensor

    _pair(a, b, DeepSeekTensor, "DeepSeek gemm")
    if not m.promote:
        if m.n is None and m.frac_bits is None:
            return _deepseek_exact(a, b, c, m, out)
        raise ValueError(f"DeepSeek-scaled operands need a model with promotion (e.g. "
                         f"'h100_fp8_promote128') or one exact sum over K ('exact'); {m.name!r} is neither")
    (ta_r, ta_c), (tb_r, tb_c) = a.tile, b.tile
    if ta_c != m.promote or tb_r != m.promote:
        raise ValueError(f"scale tiles must span the promotion interval {m.promote} along K: a's tile "
                         f"is {a.tile}, b's is {b.tile}")
    fmt = _input_format(m, "e4m3fn")
    A, B = a.element_values(np.float64), b.element_values(np.float64)
    C = _c_matrix(c, A.shape[0], B.shape[1], out)
    _shapes(A, B, C)
    SA = np.repeat(a.scales.astype(np.float64), ta_r, axis=0)[: A.shape[0]]
    SB = np.repeat(b.scales.astype(np.float64).T, tb_c, axis=0)[: B.shape[1]]
    Bt = np.ascontiguousarray(B.T)
    return _run(m, A, alignment_exponents(A, fmt.emin), Bt, alignment_exponents(Bt, fmt.emin),
                C, np.ascontiguousarray(SA), np.ascontiguousarray(SB), out, fmt=fmt)


_SPLIT = 12  # b's scale is split into two parts of at most this many significant bits


def _deepseek_exact(a, b, c, m, out):
    """D = C + Σ_k (a_ik·sA)(b_kj·sB), the exact sum of the dequantized products rounded once
    (tiles of any shape). a·sA is exact in float64 (E4M3: 4 significant bits, FP32 scale: 24);
    sB = hi + lo with hi, lo of at most 12 bits each, and the exact model runs over K twice
    (a·sA against b·hi, then against b·lo), so every product has at most 4+24+4+12 = 44 bits
    and is exact in float64."""
    _input_format(m, "e4m3fn")
    A = a.dequantize(np.float64)
    sb = b.expanded_scales().astype(np.float64)
    mant, ex = np.frexp(sb)
    hi = np.ldexp(np.trunc(np.ldexp(mant, _SPLIT)), ex - _SPLIT)
    vb = b.element_values(np.float64)
    lo = np.where(np.isfinite(sb), sb - hi, 0.0)  # an Inf/NaN scale stays whole in hi
    with np.errstate(invalid="ignore"):  # 0 x Inf scale: NaN, as the dequantized value is
        B = np.concatenate([vb * hi, vb * lo], axis=0)
    C = _c_matrix(c, A.shape[0], vb.shape[1], out)
    _shapes(A, vb, C)
    A = np.concatenate([A, A], axis=1)
    Bt = np.ascontiguousarray(B.T)
    return _run(m, A, alignment_exponents(A, -1074), Bt, alignment_exponents(Bt, -1074), C, None, None, out)
