"""Accumulation-model GEMM (Numba) versus numpy float32 matmul, and versus MMA-Sim, in one run.

Usage: python benchmarks/bench_gemm.py [N] [model ...] [--no-mmasim]
       (default N = 1024 and every preset; three rounds, each of 3 gemm calls then 5 numpy
       matmuls back to back, fastest call of each; ratio = gemm / numpy)

Inputs per preset: N x N standard-normal float32 matrices quantized to the preset's input format
(RNE); block-scaled presets get their block tensors (``b200_mxf8f6f4``: MXFP8 E4M3, UE8M0 per 32;
``b200_mxf4nvf4``: NVFP4, E2M1 with UE4M3 per 16, single-level scaling, b given as Bᵀ). The first
call compiles the kernels (or loads Numba's on-disk cache): that time is excluded.

MMA-Sim (microsoft/MMA-Sim, found as for scripts/mmasim_fixtures.py; needs torch) runs one
NVIDIA instruction (Hopper wgmma m64n8k32 E4M3 -> FP32, for ``h100_fp8``) and one AMD instruction
(CDNA3 mfma f32_16x16x16_f16, for ``cdna3_fp16``) chained over K = 512 on a small slice of the
512 x 512 x 512 problem (one instruction tile of outputs); its time per product is extrapolated
to the whole GEMM and compared with fp8ref's 512^3 products/s measured in the same run. The slice's
bits are checked against fp8ref's.
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import fp8ref  # noqa: E402
from fp8ref import mx, nvfp4  # noqa: E402
from fp8ref.accum import MODELS, gemm  # noqa: E402


def operands(name, n, rng):
    """(a, b) for a preset: values of its input format, or its block tensors."""
    m = MODELS[name]
    x = rng.standard_normal((n, n)).astype(np.float32)
    y = rng.standard_normal((n, n)).astype(np.float32)
    if m.scaling == "product" and m.scale_formats:
        return mx.encode(x, "e4m3fn", axis=1), mx.encode(y, "e4m3fn", axis=0)
    if m.scaling == "stage":
        kw = dict(variant="torchao_0.18", per_tensor_scale=None)
        return nvfp4.encode(x, **kw), nvfp4.encode(np.ascontiguousarray(y.T), **kw)
    if m.fmt == "fp32":
        return x, y
    return fp8ref.quantize(x, m.fmt), fp8ref.quantize(y, m.fmt)


def best_of(f, reps=3):
    """Fastest of ``reps`` back-to-back calls. The presets' rounds run each library's calls back to
    back (a block of gemm calls, then a block of matmuls): a call right after the other library's
    pays for that library's still-spinning worker threads (on the 2-core test machine h100_fp8's
    gemm took 0.16 s right after a matmul and 0.12 s after a pause, and numpy's matmul 0.017 s right
    after a gemm and 0.012 s after a pause), and the fastest call of a block is one without it."""
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def bench_presets(n, names, rng):
    x = rng.standard_normal((n, n)).astype(np.float32)
    y = rng.standard_normal((n, n)).astype(np.float32)
    rows = []
    for name in names:
        a, b = operands(name, n, rng)
        t = time.perf_counter()
        gemm(a, b, model=name)  # compile or cache load
        first = time.perf_counter() - t
        tg, tn = [], []
        for _ in range(3):  # rounds, so that machine load hits both
            tg.append(best_of(lambda: gemm(a, b, model=name), 3))
            tn.append(best_of(lambda: x @ y, 5))
        g, nb = min(tg), min(tn)
        rows.append((name, g, nb, first))
        print(f"{name:22s} fp8ref.gemm {g:7.3f} s   numpy float32 matmul {nb:7.4f} s   ratio {g / nb:6.1f}x"
              f"   (first call {first:.1f} s)", flush=True)
    return rows


def _mmasim():
    sys.path.insert(0, str(ROOT / "scripts"))
    env = os.environ.get("MMASIM_PATH")
    cands = [Path(env)] if env else []
    d = ROOT
    for _ in range(4):
        cands.append(d / "shared" / "third_party" / "MMA-Sim")
        d = d.parent
    for c in cands:
        if (c / "mmasim" / "simulator" / "arithmetic.py").is_file():
            sys.path.insert(0, str(c))
            import torch  # noqa: F401
            from mmasim.simulator import amd, nv_ptx

            return nv_ptx, amd
    raise ImportError("MMA-Sim not found (set MMASIM_PATH)")


def bench_mmasim(rng, K=512, N=512):
    """MMA-Sim products/s on one instruction tile chained over K, against fp8ref's on N x N x K."""
    import torch

    nv, amd = _mmasim()
    cases = [("h100_fp8", "e4m3fn", nv.wgmma("Hopper", "m64n8k32.f32.e4m3.e4m3"), torch.float8_e4m3fn),
             ("cdna3_fp16", "fp16", amd.mfma("CDNA3", "f32_16x16x16_f16"), torch.float16)]
    for name, fmt, insn, tdt in cases:
        a = fp8ref.quantize(rng.standard_normal((N, K)).astype(np.float32), fmt)
        b = fp8ref.quantize(rng.standard_normal((K, N)).astype(np.float32), fmt)
        gemm(a[:8, :64], b[:64, :8], model=name)
        tf = best_of(lambda: gemm(a, b, model=name))
        ours = N * N * K / tf
        mi, ni, ki = insn.m, insn.n, insn.k
        A = torch.tensor(a[:mi].astype(np.float32)).to(tdt)
        B = torch.tensor(b[:, :ni].astype(np.float32)).to(tdt)
        D = torch.zeros((mi, ni), dtype=torch.float32)
        t = time.perf_counter()
        for k0 in range(0, K, ki):
            D = insn(A[:, k0:k0 + ki].contiguous(), B[k0:k0 + ki].contiguous(), D)
        ts = time.perf_counter() - t
        sim = mi * ni * K / ts
        same = np.array_equal(D.numpy().view(np.uint32), gemm(a[:mi], b[:, :ni], model=name).view(np.uint32))
        print(f"{name:12s} MMA-Sim {mi}x{ni}x{K} slice {ts:6.2f} s = {sim:10.3g} products/s; fp8ref "
              f"{N}x{N}x{K} {tf:6.3f} s = {ours:10.3g} products/s; ratio {ours / sim:8.0f}x; slice bits equal: {same}",
              flush=True)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args and args[0].isdigit() else 1024
    names = [a for a in args if not a.isdigit()] or list(MODELS)
    import numba

    print(f"(M, K, N) = ({n}, {n}, {n}), {numba.get_num_threads()} Numba threads, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(0)
    bench_presets(n, names, rng)
    if "--no-mmasim" not in sys.argv:
        try:
            bench_mmasim(rng)
        except ImportError as e:
            print(f"MMA-Sim comparison skipped: {e}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
