"""Build the job files for scripts/gpu/probe.cu from the MMA-Sim fixture inputs (tests/data/mmasim)
plus a few targeted rows, and a manifest to read the results back (README.md here).

    python scripts/gpu/make_jobs.py DIR        # writes DIR/*.bin and DIR/manifest.json

Needs numpy and ml_dtypes only (the GPU machine builds the same jobs from the committed fixtures;
the manifest's SHA-256 per job shows that both sides had the same inputs).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MMASIM = ROOT / "tests" / "data" / "mmasim"

PAIRS = [("e4m3", "e4m3fn"), ("e5m2", "e5m2")]
F8 = {"e4m3": "e4m3fn", "e5m2": "e5m2"}

#: GPU kind -> (sources: [(fixture kind, a format, b format)], element bits, k, output)
JOBS: dict = {
    "mma_m16n8k16_f32_f16_f16": ([("ampere_mma_m16n8k16_f32", "fp16", "fp16")], 16, 16, "fp32"),
    "mma_m16n8k16_f32_bf16_bf16": ([("ampere_mma_m16n8k16_f32", "bf16", "bf16")], 16, 16, "fp32"),
    "mma_m16n8k16_f16_f16_f16": ([("ampere_mma_m16n8k16_f16", "fp16", "fp16")], 16, 16, "fp16"),
    "mma_m16n8k8_f32_f16_f16": ([("hopper_mma_m16n8k8_f32", "fp16", "fp16")], 16, 8, "fp32"),
    "mma_m16n8k8_f32_bf16_bf16": ([("hopper_mma_m16n8k8_f32", "bf16", "bf16"),
                                   ("ampere_mma_m16n8k8_f32", "bf16", "bf16")], 16, 8, "fp32"),
    "mma_m16n8k8_f16_f16_f16": ([("hopper_mma_m16n8k8_f16", "fp16", "fp16")], 16, 8, "fp16"),
    "mma_m16n8k8_f32_tf32_tf32": ([("ampere_mma_m16n8k8_tf32", "tf32", "tf32")], 32, 8, "fp32"),
    "mma_m16n8k4_f32_tf32_tf32": ([("hopper_mma_m16n8k4_tf32", "tf32", "tf32"),
                                   ("ampere_mma_m16n8k4_tf32", "tf32", "tf32")], 32, 4, "fp32"),
    "wgmma_m64n8k16_f32_f16_f16": ([("ampere_mma_m16n8k16_f32", "fp16", "fp16")], 16, 16, "fp32"),
    "wgmma_m64n8k16_f16_f16_f16": ([("ampere_mma_m16n8k16_f16", "fp16", "fp16")], 16, 16, "fp16"),
    "wgmma_m64n8k16_f32_bf16_bf16": ([("ampere_mma_m16n8k16_f32", "bf16", "bf16")], 16, 16, "fp32"),
    "wgmma_m64n8k8_f32_tf32_tf32": ([("ampere_mma_m16n8k8_tf32", "tf32", "tf32")], 32, 8, "fp32"),
}
for _pa, _fa in PAIRS:
    for _pb, _fb in PAIRS:
        for _o in ("f32", "f16"):
            JOBS[f"mma_m16n8k32_{_o}_{_pa}_{_pb}"] = ([(f"ada_mma_m16n8k32_{_o}", _fa, _fb)], 8, 32, "fp" + _o[1:])
            JOBS[f"wgmma_m64n8k32_{_o}_{_pa}_{_pb}"] = ([(f"hopper_wgmma_k32_{_o}", _fa, _fb)], 8, 32, "fp" + _o[1:])


def _bits(fmt, value):
    """Code of an exactly representable value (targeted rows; ml_dtypes, so that the GPU machine
    can build the same jobs without fp8ref)."""
    import ml_dtypes
    dt = {"tf32": np.float32, "fp16": np.float16, "bf16": ml_dtypes.bfloat16, "e4m3fn": ml_dtypes.float8_e4m3fn,
          "e5m2": ml_dtypes.float8_e5m2}[fmt]
    x = np.array([value], np.float64).astype(dt)
    assert float(x[0]) == value, (fmt, value)
    return int(x.view({1: np.uint8, 2: np.uint16, 4: np.uint32}[x.itemsize])[0])


def targeted(fa, fb, k, out):
    """Rows that settle the open classes directly, and small-integer rows (exact in every format:
    a wrong fragment layout shows there first). Returns (a codes, b codes, c bits, names)."""
    rows = []  # (a values, b values, c value or C bits, name)
    for i in range(16):  # small integers, fixed (no generator)
        av = [float((7 * i + 3 * j + 1) % 7 - 3) for j in range(k)]
        bv = [float((5 * i + 11 * j + 2) % 7 - 3) for j in range(k)]
        rows.append((av, bv, float(i - 8), f"int{i}"))
    if fa in ("bf16", "tf32"):  # C3: 0 x 2^s + 2^-30
        for scale in (127, 100, 60):
            rows.append(([0.0] * k, [2.0**scale] + [0.0] * (k - 1), 2.0**-30, f"c3_zero_times_2^{scale}"))
        rows.append(([1.0] + [0.0] * (k - 1), [2.0**-30] + [2.0**127] * (k - 1), 0.0, "c3_one_product_rest_zero"))
    if out == "fp16" and fa in ("e5m2", "e4m3fn"):  # C4: subnormal FP16 C
        if fa == fb == "e5m2":  # issue 20's experiment: a = 0x91, b = 0x09, c = 0x0345
            rows.append(([-1.25 * 2.0**-11] + [0.0] * (k - 1), [1.25 * 2.0**-13] + [0.0] * (k - 1), ("bits", 0x0345),
                         "c4_issue_case"))
        va = 2.0**-12 if fa == "e5m2" else 2.0**-9
        vb = 2.0**-12 if fb == "e5m2" else 2.0**-8
        for cb in (0x0001, 0x0155, 0x03FF, 0x8200):
            rows.append(([va] + [0.0] * (k - 1), [-1.5 * vb] + [0.0] * (k - 1), ("bits", cb), f"c4_sub_c_{cb:04x}"))
    if out == "fp32":
        cbits = lambda v: int(np.float32(v).view(np.uint32))  # noqa: E731
    else:
        cbits = lambda v: int(np.float16(v).view(np.uint16))  # noqa: E731
    A = [[_bits(fa, x) for x in av] for av, _, _, _ in rows]
    B = [[_bits(fb, x) for x in bv] for _, bv, _, _ in rows]
    C = [c[1] if isinstance(c, tuple) else cbits(c) for _, _, c, _ in rows]
    return A, B, C, [r[3] for r in rows]


def main(outdir):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for gpu_kind, (sources, _bits_per_element, k, out) in JOBS.items():
        for chained in (False, True):
            p = "chain_" if chained else ""
            parts, src = [], []
            for fixture, fa, fb in sources:
                z = np.load(MMASIM / f"{fixture}.npz")
                if p + "a" not in z:
                    continue
                fmts = [str(f) for f in z["formats"]]
                sel = np.flatnonzero((z[p + "fa"] == fmts.index(fa)) & (z[p + "fb"] == fmts.index(fb)))
                parts.append((z[p + "a"][sel], z[p + "b"][sel], z[p + "c"][sel]))
                src += [f"{fixture}:{p or 'single_'}{i}" for i in sel]
            if not parts:
                continue
            fa0, fb0 = sources[0][1], sources[0][2]
            if not chained:
                ta, tb, tc, names = targeted(fa0, fb0, k, out)
                parts.append((np.array(ta), np.array(tb), np.array(tc)))
                src += [f"targeted:{n}" for n in names]
            A, B, C = (np.concatenate([q[i].astype(np.uint32) for q in parts]) for i in range(3))
            rows, K = A.shape
            tiles = -(-rows // 8)
            pad = tiles * 8 - rows
            A = np.concatenate([A, np.zeros((pad, K), np.uint32)]).reshape(tiles, 8, K)
            B = np.concatenate([B, np.zeros((pad, K), np.uint32)]).reshape(tiles, 8, K)
            Cf = np.zeros((tiles, 8, 8), np.uint32)
            Cf[:, np.arange(8), np.arange(8)] = np.concatenate([C, np.zeros(pad, np.uint32)]).reshape(tiles, 8)
            name = f"{gpu_kind}__K{K}"
            words = np.concatenate([np.array([tiles, K], np.uint32), A.ravel(), B.ravel(), Cf.ravel()]).astype("<u4")
            data = words.tobytes()
            (outdir / f"{name}.bin").write_bytes(data)
            manifest[name] = dict(kind=gpu_kind, K=K, rows=rows, tiles=tiles, a_fmt=fa0, b_fmt=fb0, out=out,
                                  sha256=hashlib.sha256(data).hexdigest(), src=src)
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=0))
    print(len(manifest), "jobs,", sum(m["rows"] for m in manifest.values()), "rows")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "gpu_jobs")
