"""Output conventions: the sign of zero results and the bits of NaN results, per model.

Expected values are published facts, not fp8ref output: MMA-Sim (microsoft/MMA-Sim @ c785138,
mmasim/simulator/arithmetic.py, nv_fused_dot_add) writes NaN results as 0x7FFFFFFF (FP32) and
0x7FFF (FP16) and every zero result as +0 (its rounding goes through Python integers); CUDA-core
``fmaf`` is IEEE 754 (checked against the C library's ``fmaf``). MMA-Sim itself is run where a
copy is found (../shared/third_party/MMA-Sim)."""

import ctypes
import ctypes.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import fp8ref
from fp8ref import decode_table, get_format, mx
from fp8ref.accum import MODELS, BlockScaled, dot, gemm, get_model, reference_dot
from fp8ref.accum.model import input_format

from .._deps import TORCH_REASON

NV = [n for n, m in MODELS.items() if m.nan_bits == 0x7FFFFFFF]
#: preset -> (FP32 NaN, FP16 NaN): NVIDIA from MMA-Sim; the definitions, AMD and RVBNA (whose spec
#: names the canonical quiet NaN) keep fp8ref's quiet NaN
NAN = {n: (0x7FFFFFFF, 0x7FFF) if n in NV else (0x7FC00000, 0x7E00) for n in MODELS}

T75 = 2.0**-75  # bf16: 2^-75 · -2^-75 = -2^-150, below half the smallest FP32 subnormal


def _u32(x):
    return np.asarray(x, dtype=np.float32).view(np.uint32)


_UNIT = {"ue8m0": 127, "ue4m3": 0x38}  # scale codes of 1.0


def _operands(model, a, b, fmt=None):
    """(A (1,K), Bt (1,K)) as the model takes them: plain values, or BlockScaled codes with unit
    scales for block-scaled instructions."""
    m = get_model(model)
    A, Bt = np.array([a], dtype=np.float64), np.array([b], dtype=np.float64)
    if not m.scale_formats:
        return A, Bt
    sf, blk = m.scale_formats[0]
    f = fmt or m.fmt
    nb = -(-A.shape[1] // blk)
    sc = np.full((1, nb), _UNIT[sf])
    return (BlockScaled(fp8ref.encode(A, f), sc, f, sf, blk, 1), BlockScaled(fp8ref.encode(Bt, f), sc, f, sf, blk, 1))


def _every_kernel(a, b, c, **kw):
    """The result bits from the gemm kernel (tiles of packed columns) and the row kernel."""
    out = kw.get("out", "fp32")
    view = np.uint32 if out == "fp32" else np.uint16
    A, Bt = _operands(kw["model"], a, b, kw.get("fmt"))
    if isinstance(A, BlockScaled):
        kw.pop("fmt", None)
        got = [gemm(A, Bt.transposed(), c, **kw).view(view)[0, 0]]
    else:
        got = [gemm(A, Bt.T, c, **kw).view(view)[0, 0]]
    got.append(dot(A, Bt, None if c is None else np.ravel(c), **kw).view(view)[0])
    return {int(g) for g in got}


@pytest.mark.parametrize("model,fmt,a,b,out", [
    ("h100_bf16", "bf16", T75, -T75, "fp32"),          # MMA-Sim C2 / R2 class: -2^-150 -> RZ -> 0
    ("a100_bf16", "bf16", -T75, T75, "fp32"),
    ("b200_bf16", "bf16", 2.0**-100, -(2.0**-100), "fp32"),
    ("h100_fp16", "fp16", 2.0**-14, -2.0**-14, "fp16"),  # -2^-28 -> RNE to binary16 -> 0
])
def test_tensor_core_zero_results_are_plus_zero(model, fmt, a, b, out):
    """A negative nonzero sum that rounds to zero gives +0 on NVIDIA presets (was -0)."""
    c = np.zeros((1, 1), np.float16 if out == "fp16" else np.float32)
    got = _every_kernel([a, 0.0], [b, 0.0], c, model=model, fmt=fmt, out=out)
    assert got == {0}
    assert math.copysign(1.0, reference_dot([a, 0.0], [b, 0.0], model=model, fmt=fmt, out=out)) == 1.0


@pytest.mark.parametrize("model", NV)
def test_every_nvidia_preset_gives_plus_zero_for_negative_zero_addends(model):
    """c = -0 and -0 products: +0 on every tensor-core preset (IEEE would give -0)."""
    m = get_model(model)
    fmt = m.fmt
    got = _every_kernel([0.0, 0.0], [-1.0, -1.0], np.full((1, 1), -0.0, np.float32), model=model, fmt=fmt)
    assert got == {0}


@pytest.mark.parametrize("model", ["exact", "fp32_fma"])
def test_ieee_models_keep_the_sign_of_zero(model):
    """exact / fp32_fma are IEEE 754 sums: -0 for a negative sum that rounds to zero and for an
    all -0 sum; +0 when any addend is +0 or nonzero terms cancel."""
    neg0 = np.full((1, 1), -0.0, np.float32)
    assert _every_kernel([T75], [-T75], None, model=model, fmt="bf16") == {0x80000000}
    # fp32_fma: fmaf(2^-75, -2^-75, +0) = -0, then fmaf(0, 0, -0) = +0 (exact: -0, one rounding)
    want = {0x80000000} if model == "exact" else {0}
    assert _every_kernel([T75, 0.0], [-T75, 0.0], None, model=model, fmt="bf16") == want
    assert _every_kernel([0.0, 0.0], [-1.0, -1.0], neg0, model=model) == {0x80000000}
    assert _every_kernel([0.0, 0.0], [-1.0, 1.0], neg0, model=model) == {0}
    assert _every_kernel([1.0, 1.0], [-1.0, 1.0], neg0, model=model) == {0}
    assert _every_kernel([0.0, 0.0], [-1.0, -1.0], None, model=model) == {0}


def _libm_fmaf():
    name = ctypes.util.find_library("m")
    if name is None:
        pytest.skip("no C math library")
    f = ctypes.CDLL(name).fmaf
    f.argtypes = [ctypes.c_float] * 3
    f.restype = ctypes.c_float
    return f


def test_fp32_fma_equals_the_c_library_fmaf_chain():
    """fp32_fma = d = fmaf(a_k, b_k, d) in k order, bit for bit against libm's fmaf (IEEE 754),
    on bf16 inputs whose products underflow, cancel, and carry signed zeros."""
    fmaf = _libm_fmaf()
    rng = np.random.default_rng(15)
    t = decode_table(get_format("bf16"))
    mid = t[(np.abs(t) >= 2.0**-60) & (np.abs(t) <= 2.0**60)]  # no overflow, hence no NaN
    tiny = t[(np.abs(t) > 2.0**-80) & (np.abs(t) < 2.0**-76)]  # products below 2^-150: round to 0
    R, K = 300, 6
    A = np.where(rng.random((R, K)) < 0.5, rng.choice(tiny, (R, K)), rng.choice(mid, (R, K)))
    B = np.where(rng.random((R, K)) < 0.5, rng.choice(tiny, (R, K)), rng.choice(mid, (R, K)))
    A[:100], B[:100] = rng.choice(tiny, (100, K)), rng.choice(tiny, (100, K))  # all products underflow
    A[100::7] = 0.0
    A[100::11, :3] = -0.0
    B[101::5, ::2] = -B[101::5, 1::2]
    C = rng.choice(np.array([0.0, -0.0, 2.0**-140, -(2.0**-140), 1.5]), R).astype(np.float32)
    C[:100] = rng.choice(np.array([0.0, -0.0]), 100)
    want = []
    for r in range(R):
        d = float(C[r])
        for k in range(K):
            d = fmaf(float(A[r, k]), float(B[r, k]), d)
        want.append(d)
    want = _u32(want)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.array_equal(dot(A, B, C, model="fp32_fma", fmt="bf16").view(np.uint32), want)
        g = np.array([gemm(A[r:r + 1], B[r:r + 1].T, C[r], model="fp32_fma", fmt="bf16")[0, 0] for r in range(40)])
    assert np.array_equal(g.view(np.uint32), want[:40])
    assert (want == 0x80000000).sum() > 20 and (want == 0).sum() > 20  # both zeros occurred


@pytest.mark.parametrize("model,ftz", [("fp32_fma", False), ("cdna3_fp32", False), ("fp32_fma", True)])
def test_fma_chain_gemm_equals_the_c_library_fmaf_chain(model, ftz):
    """The gemm kernel's binary32 FMA chain (its path for binary32 operands: a tile of several rows
    and columns, K not a multiple of its four-k passes) against libm's fmaf chain, bit for bit:
    products that underflow, land in the subnormal range, overflow, cancel; signed zeros, ±Inf,
    NaN. With FTZ, C below 2^-126 is read as +0 and every fmaf result below 2^-126 becomes a zero of
    its sign."""
    fmaf = _libm_fmaf()
    rng = np.random.default_rng(16 + ftz)
    M, K, N = 5, 11, 70
    mag = 2.0 ** rng.choice(np.array([-75, -70, -64, -40, 0, 20, 60, 64]), (M, K))
    A = (rng.standard_normal((M, K)) * mag).astype(np.float32)
    B = (rng.standard_normal((K, N)) * 2.0 ** rng.choice(np.array([-75, -64, 0, 64]), (K, N))).astype(np.float32)
    A[4] = rng.standard_normal(K) * 2.0**-70  # row 4 x columns 60.. : results in the subnormal range
    B[:, 60:] = rng.standard_normal((K, N - 60)) * 2.0**-64
    A[0, ::3], A[1, :4], B[2, ::5], B[::4, 7] = 0.0, -0.0, -0.0, 0.0
    B[5, 9::11] = -B[5, 9::11] * 0.5
    A[2, 6], A[3, 1], B[3, 40] = np.inf, -np.inf, np.nan
    C = (rng.standard_normal((M, N)) * 2.0 ** rng.choice(np.array([-140, -126, 0, 30]), (M, N))).astype(np.float32)
    C[:, ::6] = -0.0
    C[4, 60:] = rng.standard_normal(N - 60) * 2.0**-136
    A[0] = np.abs(A[0])  # row 0: every product with column 2 is -0
    B[:, 1], C[:, 1], C[:3, 2], B[:, 2] = 0.0, -0.0, -0.0, -0.0  # zero results of both signs
    m = get_model(model).replace(ftz=True) if ftz else model
    want = np.empty((M, N), np.float32)
    for i in range(M):
        for j in range(N):
            d = float(C[i, j])
            d = 0.0 if ftz and abs(d) < 2.0**-126 else d  # FTZ reads C below 2^-126 (±0 too) as +0
            for k in range(K):
                d = fmaf(float(A[i, k]), float(B[k, j]), d)
                if ftz and abs(d) < 2.0**-126:
                    d = math.copysign(0.0, d)
            want[i, j] = d
    with np.errstate(over="ignore", invalid="ignore"):
        got = np.asarray(gemm(A, B, C, model=m, fmt="fp32"), np.float32)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(got.view(np.uint32)[~nan], want.view(np.uint32)[~nan])
    w = np.abs(want[~nan])
    assert ((w > 0) & (w < 2.0**-126)).any() != ftz and np.isinf(w).any()
    assert (want.view(np.uint32) == 0).any() and (want.view(np.uint32) == 0x80000000).any()


@pytest.mark.parametrize("model", sorted(NAN))
def test_nan_results_have_the_model_nan_bits(model):
    """A NaN (or Inf x 0) operand where the format has one, and a NaN accumulator everywhere."""
    m = get_model(model)
    fmt = input_format(m.fmt)
    outs = ["fp32", "fp16"] if m.fp16_out else ["fp32"]
    for out in outs:
        want = {NAN[model][out == "fp16"]}
        dt = np.float16 if out == "fp16" else np.float32
        assert _every_kernel([1.0, 1.0], [1.0, 1.0], np.full((1, 1), np.nan, dt), model=model, out=out) == want
        if (fmt.has_nan or fmt.has_infinity) and not m.scale_formats:
            bad = math.nan if fmt.has_nan else math.inf
            a, b = [bad, 1.0], [0.0 if bad == math.inf else 1.0, 1.0]  # NaN, or inf x 0
            assert _every_kernel(a, b, np.zeros((1, 1), dt), model=model, out=out) == want, out


def test_nan_bits_are_a_model_field():
    """0x7FC00000 stays available on any preset; a model with another quiet NaN uses it."""
    a, b = np.array([[math.nan, 1.0]]), np.array([[1.0], [1.0]])
    m = get_model("h100_fp8").replace(nan_bits=0x7FC00000)
    assert gemm(a, b, model=m).view(np.uint32)[0, 0] == 0x7FC00000
    assert gemm(a, b, model=m.replace(nan_bits=0xFFC00001)).view(np.uint32)[0, 0] == 0xFFC00001
    h = get_model("h100_fp16").replace(nan_bits=0x7FC00000)
    assert gemm(a, b, np.float16(0), model=h, fmt="fp16", out="fp16").view(np.uint16)[0, 0] == 0x7E00
    for bad in (0x7F800001, 0x7F800000, 1 << 32, -1, True, 1.0):
        with pytest.raises(ValueError, match="nan_bits"):
            m.replace(nan_bits=bad)
    with pytest.raises(ValueError, match="signed_zero"):
        m.replace(signed_zero=True)  # IEEE zeros describe exact sums (frac_bits=None)


def test_mx_nan_scale_gives_the_model_nan():
    x = np.ones((1, 32), np.float32)
    x[0, 3] = np.nan
    qa = mx.quantize(x, "e4m3fn", axis=1)
    qb = mx.quantize(np.ones((32, 1), np.float32), "e4m3fn", axis=0)
    assert gemm(qa, qb, model="b200_mxf8f6f4").view(np.uint32)[0, 0] == 0x7FFFFFFF
    assert gemm(qa, qb, model="exact").view(np.uint32)[0, 0] == 0x7FC00000


# ---- MMA-Sim itself, where a copy is available ------------------------------------------------
def _mmasim():
    root = Path(__file__).resolve().parents[2]
    for base in (root / ".." / "shared", root / "shared", Path("/work/shared")):
        p = base / "third_party" / "MMA-Sim"
        if (p / "mmasim").is_dir():
            return p
    return None


@pytest.mark.parametrize("model,fmt,out,a,b,c", [
    ("h100_bf16", "bf16", "f32", [T75], [-T75], 0.0),
    ("h100_bf16", "bf16", "f32", [T75, 2.0**-76], [-T75, -(2.0**-76)], 0.0),
    ("h100_fp16", "fp16", "f16", [2.0**-14], [-(2.0**-14)], 0.0),
    ("h100_bf16", "bf16", "f32", [math.nan], [1.0], 1.0),
    ("h100_fp16", "fp16", "f16", [math.inf], [0.0], 0.0),
    ("h100_fp8", "e4m3fn", "f32_e8m13", [math.nan], [1.0], 0.0),
])
def test_conventions_equal_mmasim(model, fmt, out, a, b, c):
    """MMA-Sim's nv_fused_dot_add (Hopper: N = 25, FP8: 13) on the same block, bit for bit."""
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    if _mmasim() is None:
        pytest.skip("no MMA-Sim copy (../shared/third_party/MMA-Sim)")
    sys.path.insert(0, str(_mmasim()))
    try:
        from mmasim.simulator.arithmetic import nv_fused_dot_add
    finally:
        sys.path.pop(0)
    m = get_model(model)
    k = m.n
    tdt = {"bf16": torch.bfloat16, "fp16": torch.float16, "e4m3fn": torch.float8_e4m3fn}[fmt]
    av = a + [0.0] * (k - len(a))
    bv = b + [0.0] * (k - len(b))
    ct = torch.tensor(c, dtype=torch.float16 if out == "f16" else torch.float32)
    sim = nv_fused_dot_add(torch.tensor(av).to(tdt), torch.tensor(bv).to(tdt), ct, m.frac_bits, out)
    ours = dot(np.array([av]), np.array([bv]), np.array([c]), model=m, fmt=fmt,
               out="fp16" if out == "f16" else "fp32")
    view = (torch.uint16, np.uint16) if out == "f16" else (torch.uint32, np.uint32)
    assert int(sim.view(view[0]).item()) == int(ours.view(view[1])[0])
