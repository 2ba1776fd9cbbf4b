"""The prepared GPU check (scripts/gpu, README there), run against an emulated GPU: the job files
carry the fixture rows they name, tile by tile, and the comparison reads every tile output back
in the right place (a GPU stand-in computes each tile as one fp8ref ``gemm``; the comparison uses
``dot`` row by row, so a mix-up of rows, columns or C shows as differences)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "gpu"))

pytest.importorskip("ml_dtypes")
import collect  # noqa: E402
import make_jobs  # noqa: E402

from fp8ref.accum import gemm  # noqa: E402


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    d = tmp_path_factory.mktemp("jobs")
    make_jobs.main(d)
    return d, json.loads((d / "manifest.json").read_text())


def test_jobs_are_deterministic(jobs, tmp_path):
    make_jobs.main(tmp_path)
    again = json.loads((tmp_path / "manifest.json").read_text())
    assert {n: m["sha256"] for n, m in again.items()} == {n: m["sha256"] for n, m in jobs[1].items()}
    assert len(again) == 56 and sum(m["rows"] for m in again.values()) == 33506


@pytest.mark.parametrize("name", ["mma_m16n8k16_f32_bf16_bf16__K48", "wgmma_m64n8k32_f16_e5m2_e4m3__K32",
                                  "mma_m16n8k4_f32_tf32_tf32__K4"])
def test_tiles_carry_the_fixture_rows(jobs, name):
    d, man = jobs
    meta = man[name]
    A, B, C = collect.tiles_of((d / f"{name}.bin").read_bytes())
    assert A.shape[0] * 8 >= meta["rows"] > A.shape[0] * 8 - 8
    off = C.copy()
    off[:, np.arange(8), np.arange(8)] = 0
    assert not off.any()
    for r in (0, 1, 9, meta["rows"] - 1):
        src = meta["src"][r]
        if src.startswith("targeted"):
            continue
        fixture, row = src.split(":")
        z = np.load(ROOT / "tests" / "data" / "mmasim" / f"{fixture}.npz")
        i = int(row.split("_")[-1])
        p = "chain_" if row.startswith("chain_") else ""
        t, j = divmod(r, 8)
        assert (A[t, j] == z[p + "a"][i]).all() and (B[t, j] == z[p + "b"][i]).all() and C[t, j, j] == z[p + "c"][i]


@pytest.mark.parametrize("name", ["mma_m16n8k16_f32_bf16_bf16__K48", "wgmma_m64n8k32_f16_e5m2_e5m2__K32",
                                  "mma_m16n8k32_f32_e4m3_e5m2__K96", "wgmma_m64n8k8_f32_tf32_tf32__K8"])
def test_comparison_reads_emulated_gpu_back(jobs, name):
    d, man = jobs
    meta = man[name]
    A, B, C = collect.tiles_of((d / f"{name}.bin").read_bytes())
    A, B, C = A[:3], B[:3], C[:3]
    m, _ = collect.preset_of(meta["kind"])
    out = meta["out"]
    D = np.zeros((3, 8, 8), np.uint32)
    for t in range(3):  # the GPU stand-in: one gemm per tile
        a, b = collect._values(A[t], meta["a_fmt"]), collect._values(B[t], meta["b_fmt"])
        c = collect._values(C[t].reshape(-1), "tf32" if out == "fp32" else "fp16").reshape(8, 8)
        with np.errstate(all="ignore"):
            g = gemm(a, b.T, c.astype(np.float32 if out == "fp32" else np.float16), model=m, a_fmt=meta["a_fmt"],
                     b_fmt=meta["b_fmt"], out=out)
        D[t] = g.view(np.uint32 if out == "fp32" else np.uint16)
    fx = dict(a=A, b=B, c=C[:, np.arange(8), np.arange(8)], d=D, kind=meta["kind"], a_fmt=meta["a_fmt"],
              b_fmt=meta["b_fmt"], out=out)
    got = collect.fp8ref_tiles(fx)
    assert (got == D).all()
    fx["d"] = D.copy()
    fx["d"][1, 2, 5] ^= 1  # one flipped bit off the diagonal is seen
    assert (collect.fp8ref_tiles(fx) != fx["d"]).sum() == 1
