"""The hardware sample sets (tests/data/hw_accum) and the preset each one is claimed by."""

from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data" / "hw_accum"

GPU_FAMILY = {"V100": "v100", "A100": "a100", "A2": "a100", "Ada": "ada", "L40S": "ada",
              "H100": "h100", "H200": "h100", "B200": "b200"}
IN_FMT = {"fp16": "fp16", "bf16": "bf16", "tf32": "tf32", "E4M3": "e4m3fn", "E5M2": "e5m2"}

#: the FP8 sets recorded with mma.sync, which ptxas emulates on sm_90 / sm_100 (tests/data/sass):
#: H100/H200 FP16 output and every B200 FP8 set; the H100/H200 FP32-output FP8 sets used wgmma
MMA_SYNC_FP8 = {("H100", "fp16"): "sm90_mma_sync_fp8", ("H200", "fp16"): "sm90_mma_sync_fp8",
                ("B200", "fp16"): "sm100_mma_sync_fp8", ("B200", "fp32"): "sm100_mma_sync_fp8"}


def sets():
    """[(set name, output)] for every output column of every file."""
    out = []
    for f in sorted(DATA.glob("*.npz")):
        with np.load(f) as d:
            for o in ("fp32", "fp16"):
                if f"d_{o}" in d:
                    out.append((f.stem, o))
    return out


def load(name, out):
    """(preset, in_fmt, a, b, c, expected bits) with c as the hardware used it."""
    gpu, fm = name.split("_")
    with np.load(DATA / f"{name}.npz") as d:
        a, b, c = (d[k].view(np.float32) for k in ("a", "b", "c"))
        want = d[f"d_{out}"].copy()
    fp8 = fm in ("E4M3", "E5M2")
    preset = MMA_SYNC_FP8.get((gpu, out), "") if fp8 else ""
    preset = preset or f"{GPU_FAMILY[gpu]}_{'fp8' if fp8 else fm}"
    if fp8 and gpu in ("H100", "H200") and out == "fp32":
        c = np.zeros_like(c)  # WGMMA with C = 0 (Validate_TC_models.m)
    if out == "fp16":
        c = c.astype(np.float16)  # fp16 output mode: C is binary16
    return preset, IN_FMT[fm], a, b, c, want
