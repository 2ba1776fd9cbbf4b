"""torch._scaled_mm (cuBLASLt FP8 GEMM) on the GPU over fixed inputs, both accumulation modes
(scripts/gpu/README.md). Inputs: e4m3 codes made here with a fixed seed; run where torch sees a GPU.

    python scripts/gpu/scaled_mm.py OUT.npz     # inputs (fixed seed) and results, in one file
"""

from __future__ import annotations

import sys

import numpy as np

SHAPES = [(128, 128, 512), (256, 256, 4096), (64, 128, 1024)]


def make():
    rng = np.random.default_rng(20261204)
    out = {}
    for i, (m, n, k) in enumerate(SHAPES):
        # finite e4m3 codes, magnitudes 2^-6 .. 2^4 mostly, some subnormals and zeros
        for name, rows, cols in (("a", m, k), ("b", k, n)):
            mag = rng.integers(0x08, 0x58, (rows, cols), dtype=np.uint8)
            mag[rng.random((rows, cols)) < 0.05] = rng.integers(0, 8, dtype=np.uint8)
            sign = (rng.random((rows, cols)) < 0.5).astype(np.uint8) << 7
            out[f"{name}{i}"] = mag | sign
    return out


def run(outpath):
    import torch
    z = make()
    dev = "cuda"
    one = torch.tensor(1.0, device=dev)
    res = dict(z)
    res |= {"torch_version": np.array(torch.__version__), "device": np.array(torch.cuda.get_device_name())}
    for i in range(len(SHAPES)):
        a = torch.from_numpy(z[f"a{i}"]).view(torch.float8_e4m3fn).to(dev)
        b = torch.from_numpy(z[f"b{i}"]).view(torch.float8_e4m3fn).to(dev)
        bt = b.t().contiguous().t()  # column-major, as _scaled_mm requires
        for fast in (False, True):
            for od in (torch.float32, torch.bfloat16):
                d = torch._scaled_mm(a, bt, scale_a=one, scale_b=one, out_dtype=od, use_fast_accum=fast)
                bits = d.cpu().view(torch.int32 if od == torch.float32 else torch.int16).numpy()
                res[f"d{i}_{'fast' if fast else 'slow'}_{'f32' if od == torch.float32 else 'bf16'}"] = bits
                print(i, fast, od, "ok", flush=True)
    np.savez(outpath, **res)


if __name__ == "__main__":
    run(sys.argv[1])
