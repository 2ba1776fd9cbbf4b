"""``gemm``: D = C + A·B under an accumulation model, for plain and block-scaled operands.

The front end checks that every input is exactly a value of the model's input formats (it never
rounds: quantising is the codecs' and quantizers' job), decomposes operands into exact float64
values and alignment exponents, puts K in the order the model's first stage groups it, and calls
the one Numba engine (:mod:`.kernel`).

Block-scaled operands enter where the instruction applies their scales (``AccumModel.scaling``):

* ``"product"`` (OCP MX, Blackwell ``kind::mxf8f6f4``): each element's scale is part of its value
  and its exponent joins the product's alignment exponent, inside the fused sum;
* ``"stage"`` (Blackwell ``kind::mxf4nvf4``): each 16-element group is summed exactly, multiplied
  by its two scales and aligned at the scales' exponents;
* ``"promotion"`` (DeepGEMM 1x128 / 128x128 tiles, ``DeepSeekTensor``): the tensor core sees the
  raw E4M3 elements; every promotion interval's partial sum ``t`` is added to the FP32 register
  as ``acc = fmaf(sA·sB, t, acc)`` (``sA·sB`` rounded to FP32 first, as DeepGEMM's FMUL does).

Operands: ``MXTensor`` (UE8M0 scales), ``NVFP4Tensor`` (UE4M3 scales, blocks of 16 along its
last axis, so ``b`` is given as Bᵀ, shape (N, K)), :class:`BlockScaled` (raw element codes and
scale codes), ``DeepSeekTensor``, or plain float arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _dask
from .._dask import is_dask
from ..codecs import decode_table, quantize
from ..core.floats import F32
from ..formats import get_format
from .kernel import ZERO_EXP, _family, dot_kernel, gemm_kernel, program, scan_kernel, scan_operand, task_cols
from .launch import run
from .model import FP32_INPUT, AccumModel, get_model, input_format, stage_order

__all__ = ["gemm", "dot", "OUTPUTS", "alignment_exponents", "BlockScaled"]

#: out -> (fraction bits or None for the model's, emin, emax, numpy dtype): the tensor-core
#: output format, not only the numpy dtype (FP16 output rounds every block result to binary16)
OUTPUTS = {"fp32": (None, F32.emin, F32.emax, np.float32), "fp16": (10, -14, 15, np.float16)}
_SCALE_ELEM = {"ue8m0": "ue8m0", "ue4m3": "e4m3fn"}  # scale format -> the codec format of its codes


def _as_float64(x, name):
    """A float64 copy of a float array: numpy, ml_dtypes, or a torch tensor (float8 included)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch: widen exactly on its side
        x = x.detach().cpu()
        x = x.double().numpy()
    arr = np.asarray(x)
    if arr.dtype.kind != "f" and not (arr.dtype.kind == "V" and arr.dtype.itemsize <= 2):
        raise TypeError(f"{name} must be a floating-point array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr.astype(np.float64))


def _in_float32(fmt):
    """Every finite value of fmt is a binary32 value (significands of at most 24 bits, range within
    binary32's, subnormals included)."""
    try:
        return (fmt.man_bits <= F32.man_bits and fmt.emax <= F32.emax
                and fmt.emin - fmt.man_bits >= F32.emin - F32.man_bits)
    except AttributeError:
        return False


def _check_exact(x, fmt, name):
    """Raise ValueError naming the first element of x that is not a value of fmt. Formats whose
    values are all binary32 values are checked on the binary32 copy (the codecs' fast path):
    an element that is not a binary32 value is not one of fmt's either."""
    if fmt is FP32_INPUT or _in_float32(fmt):
        with np.errstate(over="ignore"):
            x32 = x.astype(np.float32)
        ok = (x32 == x) | np.isnan(x)
        if fmt is not FP32_INPUT and ok.all():
            ok = _is_value(x32, fmt)
    else:
        ok = _is_value(x, fmt)
    if not ok.all():
        idx = tuple(int(i) for i in np.argwhere(~ok)[0])
        raise ValueError(f"{name}[{', '.join(map(str, idx))}] = {float(x[idx])!r} is not exactly "
                         f"representable in {fmt.name}; quantize it first (fp8ref.quantize)")


def _is_value(y, fmt):
    """Where y holds a value of fmt (NaN and ±Inf where fmt has them)."""
    q = quantize(y, fmt, dtype=y.dtype, overflow="sat_finite", nan_to="zero")  # never ±inf/NaN for finite y
    ok = q == y
    if fmt.has_nan:
        ok |= np.isnan(y)
    if fmt.has_infinity:
        ok |= np.isinf(y)
    return ok


def alignment_exponents(x, emin):
    """floor(log2|x|) clamped at emin (subnormals share emin); ZERO_EXP for zeros and non-finite
    values. Read from the float64 bits (kernel.scan_operand)."""
    return _scan(x, emin)[0]


_SCAN_PAR = 1 << 16  # operands from this size are scanned in parallel


def _scan(x, emin):
    """(alignment exponents, the range of :func:`_lsb_range`) of x in one pass."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    e = np.empty(x.size, np.int32)
    if x.size >= _SCAN_PAR:  # in pieces, in parallel (same results)
        maxe, lsb, sig, f32, finite = run(scan_kernel, x.reshape(-1), emin, e, 16)
    else:
        maxe, lsb, sig, f32, finite = scan_operand(x.reshape(-1), emin, e)
    return e.reshape(x.shape), ((maxe, lsb, sig, f32, finite) if sig else None)


def _out_params(model, out):
    if out not in OUTPUTS:
        raise ValueError(f"out must be one of {', '.join(OUTPUTS)}, got {out!r}")
    if out == "fp16" and not model.fp16_out:
        raise ValueError(f"model {model.name!r} has no fp16 output mode")
    return OUTPUTS[out][3]


def _formats(m, fmt, a_fmt, b_fmt, in_fmt=None):
    """(a's format, b's format) checked against the model."""
    if in_fmt is not None:
        import warnings

        warnings.warn("in_fmt= is deprecated; write fmt= (or a_fmt= / b_fmt=)", DeprecationWarning, stacklevel=3)
        fmt = in_fmt if fmt is None else fmt
    out = []
    names = m.format_names
    for f in (a_fmt, b_fmt):
        f = f if f is not None else fmt
        if f is None:
            f = m.fmts[names.index(_name(m.fmt))]
        name = _name(f)
        if name not in names:
            raise ValueError(f"model {m.name!r} takes inputs in {', '.join(names)}, not {name!r}")
        out.append(input_format(m.fmts[names.index(name)]))
    if out[0].name != out[1].name and not m.mixed:
        raise ValueError(f"model {m.name!r} takes a and b in one format, got {out[0].name} x {out[1].name}")
    return out


def _name(f):
    """A format's canonical name ("fp32" stays itself)."""
    if isinstance(f, str):
        return f if f == "fp32" else get_format(f).name
    return f.name


def _shapes(A, B, C):
    if A.ndim != 2 or B.ndim != 2:
        raise ValueError(f"a and b must be 2-D, got shapes {A.shape} and {B.shape}")
    if A.shape[1] != B.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {A.shape}, b is {B.shape}")
    if C.shape != (A.shape[0], B.shape[1]):
        raise ValueError(f"c must have shape {(A.shape[0], B.shape[1])}, got {C.shape}")


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


# ---- block-scaled operands ------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BlockScaled:
    """A block-scaled operand as a matrix unit reads it: element codes of ``fmt`` and one scale
    code (``scale_fmt``: "ue8m0" or "ue4m3") per ``block`` consecutive elements along ``axis``
    (the K axis: 1 for a, 0 for b; a last partial block is allowed). UE4M3 codes are read
    without their top bit (an unsigned format; MMA-Sim takes the magnitude)."""

    codes: np.ndarray
    scales: np.ndarray
    fmt: str
    scale_fmt: str = "ue8m0"
    block: int = 32
    axis: int = 1

    def __post_init__(self):
        codes, scales = np.asarray(self.codes), np.asarray(self.scales)
        if codes.dtype.kind not in "iu" or scales.dtype.kind not in "iu":
            raise TypeError("BlockScaled codes and scales must be integer arrays")
        if self.scale_fmt not in _SCALE_ELEM:
            raise ValueError(f"scale_fmt must be 'ue8m0' or 'ue4m3', got {self.scale_fmt!r}")
        if not isinstance(self.block, int) or self.block < 1:
            raise ValueError(f"block must be a positive int, got {self.block!r}")
        if codes.ndim != 2 or self.axis not in (0, 1):
            raise ValueError(f"BlockScaled codes must be 2-D with axis 0 or 1, got shape {codes.shape}, "
                             f"axis {self.axis}")
        want = list(codes.shape)
        want[self.axis] = -(-codes.shape[self.axis] // self.block)
        if scales.shape != tuple(want):
            raise ValueError(f"scales have shape {scales.shape}, expected {tuple(want)}")
        fmt = input_format(self.fmt)
        if codes.size and (codes.min() < 0 or codes.max() >= 1 << fmt.bits):
            raise ValueError(f"element codes out of range for {fmt.name}")
        if scales.size and (scales.min() < 0 or scales.max() > 255):
            raise ValueError("scale codes must lie in 0..255")
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "scales", scales)
        object.__setattr__(self, "fmt", fmt.name)

    @property
    def shape(self):
        return self.codes.shape

    def element_values(self):
        return decode_table(get_format(self.fmt))[self.codes.astype(np.intp)]

    def scale_values(self):
        """Scale values per block (float64; NaN for a NaN code)."""
        sf = get_format(_SCALE_ELEM[self.scale_fmt])
        codes = self.scales.astype(np.intp)
        if self.scale_fmt == "ue4m3":
            codes = codes & (sf.sign_mask - 1)  # unsigned: the top bit is not read
        return decode_table(sf)[codes]

    def scale_exponents(self):
        """Alignment exponents of the scales: floor(log2 s) clamped at the scale format's emin
        (UE4M3: E4M3's -6); 0 where the scale is 0 or NaN."""
        v = self.scale_values()
        e = alignment_exponents(v, get_format(_SCALE_ELEM[self.scale_fmt]).emin)
        return np.where(e == ZERO_EXP, 0, e)

    def expand(self, x):
        """A per-block array repeated to every element (the codes' shape)."""
        x = np.repeat(x, self.block, axis=self.axis)
        return x[: self.shape[0], : self.shape[1]]

    def transposed(self) -> BlockScaled:
        return BlockScaled(self.codes.T, self.scales.T, self.fmt, self.scale_fmt, self.block, 1 - self.axis)


def _block_scaled(t, name, want_axis):
    """An MXTensor / NVFP4Tensor / BlockScaled operand as BlockScaled with blocks along K."""
    from ..blocks import MXTensor
    from ..blocks.nvfp4 import BLOCK, NVFP4Tensor

    if isinstance(t, MXTensor):
        if t.ndim != 2 or t.axis != want_axis:
            raise ValueError(f"MX gemm needs a (M,K) with blocks along axis 1 and b (K,N) with blocks "
                             f"along axis 0; {name} has axis {t.axis}")
        return BlockScaled(t.codes, t.scales, t.fmt, "ue8m0", t.block_size, want_axis)
    if isinstance(t, NVFP4Tensor):
        if t.s_dec is not None and np.any(np.asarray(t.s_dec, np.float64) != 1.0):
            raise ValueError(f"NVFP4Tensor {name} has a per-tensor decode scale (S_dec = {t.s_dec}); the "
                             f"tensor core applies only the block scales: pass BlockScaled({name}.codes, "
                             f"{name}.block_scales, 'e2m1fn', 'ue4m3', 16) and multiply D by the S_dec "
                             "values yourself (the GEMM epilogue's alpha)")
        bs = BlockScaled(t.codes, t.block_scales, "e2m1fn", "ue4m3", BLOCK, 1)
        return bs if want_axis == 1 else bs.transposed()
    if isinstance(t, BlockScaled):
        if t.axis != want_axis:
            raise ValueError(f"{name} must have its blocks along K (axis {want_axis}), got axis {t.axis}")
        return t
    raise TypeError(f"{name}: expected a block-scaled operand, got {type(t).__name__}")


def _is_block(x):
    from ..blocks import MXTensor
    from ..blocks.nvfp4 import NVFP4Tensor

    return isinstance(x, (MXTensor, NVFP4Tensor, BlockScaled))


# ---- the kernel call --------------------------------------------------------------------------------
def _lsb_range(x):
    """(max e, min lsb, max significant bits, all binary32) over the nonzero finite values of x:
    every |value| is below 2^maxe and a multiple of 2^minlsb; then whether x holds no Inf or NaN;
    None for no nonzero finite value."""
    maxe, lsb, sig, f32, finite = scan_operand(np.ascontiguousarray(x, dtype=np.float64).reshape(-1), 0, _NO_E)
    return (maxe, lsb, sig, f32, finite) if sig else None


_NO_E = np.empty(0, np.int32)


def _prepare(m, A, EA, Bt, EBt, ranges=None, b_kn=False):
    """Order K for the first stage, pad staged models to whole steps; decide the float64
    exactness of product sums, whether products may run in float32, and whether every operand
    value is a binary32 value (f32). b_kn: Bt is B, (K, N) (then the first stage has no stride)."""
    K = A.shape[1]
    n = m.n
    if m.stages:
        pad = (-K) % n
        kb = 0 if b_kn else 1  # B's K axis
        if pad:
            A = np.concatenate([A, np.zeros((A.shape[0], pad))], axis=1)
            EA = np.concatenate([EA, np.full((EA.shape[0], pad), ZERO_EXP, np.int32)], axis=1)
            padb = (pad, Bt.shape[1]) if b_kn else (Bt.shape[0], pad)
            Bt = np.concatenate([Bt, np.zeros(padb)], axis=kb)
            EBt = np.concatenate([EBt, np.full(padb, ZERO_EXP, np.int32)], axis=kb)
            K += pad
        t0 = m.stages[0]
        if t0.stride is not None:
            if b_kn:
                raise AssertionError("a strided first stage needs Bt as (N, K)")
            order = np.asarray(stage_order(n, t0.size, t0.stride))
            perm = (np.arange(0, K, n)[:, None] + order[None, :]).ravel()
            A, EA, Bt, EBt = (np.ascontiguousarray(x[:, perm]) for x in (A, EA, Bt, EBt))
    ra, rb = ranges if ranges is not None else (_lsb_range(A), _lsb_range(Bt))
    F = m.stages[0].frac_bits if m.stages else m.frac_bits
    group = m.stages[0].size if m.stages else (n or max(K, 1))
    exact64, narrow, overflow = True, F is not None, False
    t0 = m.stages[0] if m.stages else m
    if t0.term_rounding != "rtz" and (not m.stages or m.stages[0].chain):
        narrow = False  # an accumulator may set E so high that float32 grid terms underflow
    f32 = all(r is None or r[3] for r in (ra, rb))
    if narrow:
        narrow = f32
    if ra is not None and rb is not None:
        pmax, plsb = ra[0] + rb[0], ra[1] + rb[1]
        exact64 = pmax + (group + 1).bit_length() - plsb <= 53
        overflow = pmax > 128  # |product| < 2^pmax
        if narrow:  # float32 products: exact, in range, and every grid term exact (no underflow)
            emin_ab = int(EA[EA != ZERO_EXP].min()) + int(EBt[EBt != ZERO_EXP].min())
            narrow = (ra[2] + rb[2] <= 24 and pmax <= 127 and plsb >= -149 and plsb + F - pmax >= -149
                      and F - emin_ab <= 126)
    if m.scaling == "stage" and m.stages[0].rounding is None and m.stages[0].frac_bits is None and not exact64:
        raise ValueError(f"model {m.name!r}: its unrounded exact groups are not exact in float64 for these inputs")
    # product-grid sums as int32 where every term (|term| < 2^(F+2)) and sum is below 2^31 and
    # finite (an operand with no nonzero finite value has no range: float64 then)
    sn_int = (F is not None and F + 2 + (group + 1).bit_length() <= 31 and ra is not None and rb is not None
              and ra[4] and rb[4])
    return A, EA, Bt, EBt, exact64, narrow, sn_int, overflow, f32


def _run(model, A, EA, Bt, EBt, C, SA, SB, out, rows=False, groups=None, ranges=None, b_kn=False):
    """The kernel call: A (M,K), Bt (N,K) with their alignment exponents, C (M,N) float64 (rows:
    A and Bt both (R,K), C (R,), D[r] the dot product of row r). SA, SB: promotion scales or None.
    groups: (GA, GEA, GB, GEB) first-stage block scales per group, GB/GEB as (N, G). ranges: the
    operands' (_lsb_range) if known. b_kn: Bt is B itself, (K,N) (models whose first stage has no
    stride: K is not reordered, only padded)."""
    dtype = _out_params(model, out)
    m = model
    K0 = A.shape[1]
    A, EA, Bt, EBt, exact64, narrow, sn_int, overflow, f32 = _prepare(m, A, EA, Bt, EBt, ranges, b_kn)
    N = Bt.shape[1] if b_kn else Bt.shape[0]
    if SA is None:
        P = max(1, -(-K0 // m.promote)) if m.promote else 1
        SA = np.ones((A.shape[0], P))
        SB = np.ones((N, P))
    if groups is None:
        GA, GEA = np.ones((A.shape[0], 1)), np.zeros((A.shape[0], 1), np.int32)
        GB, GEB = np.ones((N, 1)), np.zeros((N, 1), np.int32)
    else:
        GA, GEA, GB, GEB = groups
        G = A.shape[1] // m.stages[0].size
        if GA.shape[1] < G:  # padding groups: unit scales
            def padg(x, v):
                return np.concatenate([x, np.full((x.shape[0], G - x.shape[1]), v, x.dtype)], axis=1)
            GA, GEA, GB, GEB = padg(GA, 1.0), padg(GEA, 0), padg(GB, 1.0), padg(GEB, 0)
    pg = program(m, out, exact64, overflow)
    if rows:  # one compiled row kernel: float64 throughout (dot serves tests and golden vectors)
        narrow = sn_int = False
    elif _family(pg) == 1:  # the FMA chain: binary32 FMAs where every operand value is binary32
        narrow = f32
    sn = np.empty(0, np.int32 if sn_int else np.float64)
    vt = np.float32 if narrow else np.float64
    c = np.ascontiguousarray
    if rows:
        D = run(dot_kernel, pg, c(A.astype(vt)), c(EA), c(Bt.astype(vt)), c(EBt), c(C), c(SA), c(SB), c(GA),
                c(GEA.astype(np.int32)), c(GB), c(GEB.astype(np.int32)), sn)
    else:
        B, EB = (Bt, EBt) if b_kn else (Bt.T, EBt.T)
        D = run(gemm_kernel, pg, c(A.astype(vt)), c(EA), c(B.astype(vt)), c(EB), c(C), c(SA), c(SB), c(GA),
                c(GEA.astype(np.int32)), c(GB.T), c(GEB.T.astype(np.int32)), sn, task_cols(pg, A.shape[0], B.shape[1]))
    return _conventions(D, m, out, dtype)


def _conventions(D, model, out, dtype):
    """D (float64, already on the output grid) as ``dtype`` with the model's output conventions:
    +0 for every zero unless ``signed_zero``, NaN results as ``model.nan_pattern(out)``."""
    if model.signed_zero is False:
        D[D == 0] = 0.0
    D = D.astype(dtype)
    nan = np.isnan(D)
    if nan.any():
        D.view(np.uint32 if out == "fp32" else np.uint16)[nan] = model.nan_pattern(out)
    return D


def _plain(m, x, fmt, name):
    """A plain operand: float64 values checked against fmt (FTZ models read subnormals as +0)."""
    X = _as_float64(x, name)
    _check_exact(X, fmt, name)
    if m.ftz:
        X = np.where(np.abs(X) < 2.0**fmt.emin, 0.0, X)
    return X


def _needs_scales(m):
    return m.scaling in ("product", "stage") and bool(m.scale_formats)


def _refuse_plain(m):
    if _needs_scales(m):
        pairs = ", ".join(f"{f} block {b}" for f, b in m.scale_formats)
        raise ValueError(f"model {m.name!r} is a block-scaled instruction ({pairs}): pass MXTensor, "
                         "NVFP4Tensor or BlockScaled operands")


def _ftz_c(m, C):
    return np.where(np.abs(C) < 2.0**F32.emin, 0.0, C) if m.ftz else C


def gemm(a, b, c=None, *, model: str | AccumModel = "h100_fp8", fmt: str | None = None, a_fmt: str | None = None,
         b_fmt: str | None = None, out: str = "fp32", in_fmt: str | None = None) -> np.ndarray:
    """D = C + A·B as the accumulation ``model`` computes it, for a (M,K), b (K,N), c (M,N).

    a, b: float arrays whose values are all exactly representable in their input formats (``fmt``
    for both, or ``a_fmt`` / ``b_fmt``; default: the model's ``fmt``); or block-scaled operands
    (``MXTensor``, ``NVFP4Tensor`` given as Bᵀ for b, :class:`BlockScaled`), which only models
    with ``scaling`` "product"/"stage" take; or both ``DeepSeekTensor`` (promotion models, and
    the exact model). c: None (zeros), or float32 values (float16 values when ``out="fp16"``);
    broadcastable to (M, N). model: a preset name (``fp8ref.accum.list_models()``) or an
    ``AccumModel``. out: the tensor-core output format, ``"fp32"`` or ``"fp16"`` (binary16
    output mode: C and D are binary16 and every block result is rounded RNE to binary16); the
    result's numpy dtype follows it. Returns float32 / float16: NaN results carry the model's
    ``nan_pattern(out)``, zeros follow ``model.signed_zero``. ``in_fmt`` is a deprecated alias of
    ``fmt``. Safe from several threads and in fork/spawn/forkserver children (:mod:`.launch`).
    """
    if any(is_dask(v) for v in (a, b, c)):  # tiles, K chunks chained in order: fp8ref._dask
        if a_fmt is not None or b_fmt is not None:
            raise ValueError("gemm on dask arrays takes one input format (fmt=), not a_fmt/b_fmt")
        return _dask.gemm(a, b, c, model=model, in_fmt=fmt or in_fmt, out=out)
    m = get_model(model)
    from ..blocks import DeepSeekTensor

    if _is_block(a) or _is_block(b):
        return _gemm_block(a, b, c, m, out)
    if isinstance(a, DeepSeekTensor) or isinstance(b, DeepSeekTensor):
        return _gemm_deepseek(a, b, c, m, out)
    _refuse_plain(m)
    fa, fb = _formats(m, fmt, a_fmt, b_fmt, in_fmt)
    A, B = _plain(m, a, fa, "a"), _plain(m, b, fb, "b")
    C = _ftz_c(m, _c_matrix(c, A.shape[0] if A.ndim == 2 else 0, B.shape[1] if B.ndim == 2 else 0, out))
    _shapes(A, B, C)
    (EA, ra), (EB, rb) = _scan(A, fa.emin), _scan(B, fb.emin)
    if not m.stages or m.stages[0].stride is None:  # K stays in order: B goes to the kernel as it is (K, N)
        return _run(m, A, EA, B, EB, C, None, None, out, ranges=(ra, rb), b_kn=True)
    return _run(m, A, EA, np.ascontiguousarray(B.T), np.ascontiguousarray(EB.T), C, None, None, out,
                ranges=(ra, rb))


def dot(a, b, c=None, *, model: str | AccumModel = "h100_fp8", fmt: str | None = None, a_fmt: str | None = None,
        b_fmt: str | None = None, out: str = "fp32", in_fmt: str | None = None) -> np.ndarray:
    """Row-wise dot products under ``model``: D[r] = c[r] + a[r,:]·b[r,:] for a, b (R, K).

    The batch form of one output element of :func:`gemm` (what tensor-core sample files and
    GEMM-unit golden vectors hold); c: None or (R,) (broadcastable). a, b: float arrays, or
    block-scaled operands with blocks along K (axis 1 of both). Same checks and results as
    ``gemm(a[r:r+1], b[r:r+1].T, c[r])``.
    """
    m = get_model(model)
    if _is_block(a) or _is_block(b):
        return _dot_block(a, b, c, m, out)
    _refuse_plain(m)
    fa, fb = _formats(m, fmt, a_fmt, b_fmt, in_fmt)
    A, B = _plain(m, a, fa, "a"), _plain(m, b, fb, "b")
    if A.ndim != 2 or A.shape != B.shape:
        raise ValueError(f"a and b must be 2-D of one shape (R, K), got {A.shape} and {B.shape}")
    C = _dot_c(m, c, A.shape[0], out)
    return _run(m, A, alignment_exponents(A, fa.emin), B, alignment_exponents(B, fb.emin), C, None, None, out,
                rows=True)


def _dot_c(m, c, R, out):
    if c is not None and np.ndim(c) > 1:
        raise ValueError(f"c must be None, a scalar or shape ({R},), got shape {np.shape(c)}")
    if c is not None and np.ndim(c) == 1:
        c = _as_float64(c, "c")[:, None]
    return np.ascontiguousarray(_ftz_c(m, _c_matrix(c, R, 1, out))[:, 0])


def _pair(a, b, cls, what):
    if not (isinstance(a, cls) and isinstance(b, cls)):
        raise TypeError(f"{what}: a and b must both be {cls.__name__}, got {type(a).__name__} "
                        f"and {type(b).__name__}")


def _scaled_operand(m, t, name, axis):
    """(values, alignment exponents, group scale values, group scale exponents) of a block-scaled
    operand along K (``axis``), scales applied where the model applies them."""
    bs = _block_scaled(t, name, axis)
    if m.scaling not in ("product", "stage"):
        raise ValueError(f"model {m.name!r} takes no block-scaled operands (its instruction has no scales); "
                         "block-scaled presets: " + ", ".join(_block_models()))
    if not m.accepts(bs.scale_fmt, bs.block):
        raise ValueError(f"model {m.name!r} takes block scales {m.scale_formats}, not {bs.scale_fmt} with "
                         f"block {bs.block}")
    fmt = _formats(m, bs.fmt, None, None)[0]
    v = bs.element_values()
    sv, sx = bs.scale_values(), bs.scale_exponents()
    if m.ftz:
        v = np.where(np.abs(v) < 2.0**fmt.emin, 0.0, v)
    e = alignment_exponents(v, fmt.emin)
    if m.scaling == "product":
        with np.errstate(invalid="ignore"):
            vals = v * bs.expand(sv)
        ex = np.where(e == ZERO_EXP, e, e + bs.expand(sx))
        ex = np.where(np.isfinite(vals) & (vals != 0), ex, ZERO_EXP).astype(np.int32)
        return vals, ex, None, None
    size = m.stages[0].size
    if bs.block % size:
        raise ValueError(f"block size {bs.block} is not a multiple of the model's group of {size}")
    rep = bs.block // size
    ga = np.repeat(sv, rep, axis=axis)
    gx = np.repeat(sx, rep, axis=axis).astype(np.int32)
    G = -(-bs.shape[axis] // size)
    ga, gx = (np.take(x, np.arange(G), axis=axis) for x in (ga, gx))
    return v, e, ga, gx


def _block_models():
    from .model import MODELS

    return [k for k, v in MODELS.items() if v.scale_formats]


def _gemm_block(a, b, c, m, out):
    A, EA, ga, gxa = _scaled_operand(m, a, "a", 1)
    B, EB, gb, gxb = _scaled_operand(m, b, "b", 0)
    C = _ftz_c(m, _c_matrix(c, A.shape[0], B.shape[1], out))
    _shapes(A, B, C)
    groups = None if ga is None else (ga, gxa, np.ascontiguousarray(gb.T), np.ascontiguousarray(gxb.T))
    return _run(m, A, EA, np.ascontiguousarray(B.T), np.ascontiguousarray(EB.T), C, None, None, out, groups=groups)


def _dot_block(a, b, c, m, out):
    A, EA, ga, gxa = _scaled_operand(m, a, "a", 1)
    B, EB, gb, gxb = _scaled_operand(m, b, "b", 1)
    if A.shape != B.shape:
        raise ValueError(f"a and b must be 2-D of one shape (R, K), got {A.shape} and {B.shape}")
    C = _dot_c(m, c, A.shape[0], out)
    groups = None if ga is None else (ga, gxa, gb, gxb)
    return _run(m, A, EA, B, EB, C, None, None, out, rows=True, groups=groups)


def _gemm_deepseek(a, b, c, m, out):
    from ..blocks import DeepSeekTensor

    _pair(a, b, DeepSeekTensor, "DeepSeek gemm")
    if not m.promote:
        if m.n is None and m.frac_bits is None and not m.stages:
            return _deepseek_exact(a, b, c, m, out)
        raise ValueError(f"DeepSeek-scaled operands need a model with promotion (e.g. "
                         f"'h100_fp8_promote128') or one exact sum over K ('exact'); {m.name!r} is neither")
    (ta_r, ta_c), (tb_r, tb_c) = a.tile, b.tile
    if ta_c != m.promote or tb_r != m.promote:
        raise ValueError(f"scale tiles must span the promotion interval {m.promote} along K: a's tile "
                         f"is {a.tile}, b's is {b.tile}")
    fmt = _formats(m, "e4m3fn", None, None)[0]
    A, B = a.element_values(np.float64), b.element_values(np.float64)
    C = _c_matrix(c, A.shape[0], B.shape[1], out)
    _shapes(A, B, C)
    SA = np.repeat(a.scales.astype(np.float64), ta_r, axis=0)[: A.shape[0]]
    SB = np.repeat(b.scales.astype(np.float64).T, tb_c, axis=0)[: B.shape[1]]
    Bt = np.ascontiguousarray(B.T)
    return _run(m, A, alignment_exponents(A, fmt.emin), Bt, alignment_exponents(Bt, fmt.emin),
                C, np.ascontiguousarray(SA), np.ascontiguousarray(SB), out)


_SPLIT = 12  # b's scale is split into two parts of at most this many significant bits


def _deepseek_exact(a, b, c, m, out):
    """D = C + Σ_k (a_ik·sA)(b_kj·sB), the exact sum of the dequantized products rounded once
    (tiles of any shape). a·sA is exact in float64 (E4M3: 4 significant bits, FP32 scale: 24);
    sB = hi + lo with hi, lo of at most 12 bits each, and the exact model runs over K twice
    (a·sA against b·hi, then against b·lo), so every product has at most 4+24+4+12 = 44 bits
    and is exact in float64."""
    _formats(m, "e4m3fn", None, None)
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
