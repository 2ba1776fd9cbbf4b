"""Read the GPU results (scripts/gpu/run_h200.sh's results.tgz, or its unpacked res/ folder) back:
rebuild the jobs here, check their SHA-256 against the machine's manifest, and write one fixture
per job (tests/data/<gpu>/<job>.npz) with every output of every tile (codes in their width: uint8 / uint16 / uint32), then print, per job, how
many outputs differ from the fp8ref preset claimed for that instruction.

    python scripts/gpu/collect.py results.tgz --gpu h200 [--write]

Fixture keys: ``a``, ``b`` (tiles, 8, K) operand codes (row i of A, column j of B), ``c`` (tiles,
8) C of the diagonal outputs (every other C is 0), ``d`` (tiles, 8, 8) the GPU's D bits; ``a_fmt``,
``b_fmt``, ``out``, ``kind`` (the probe kind), ``rows`` (real rows; the rest of the last tile is
zero padding), ``src`` (where each row came from: fixture kind and row, or a targeted case).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import make_jobs  # noqa: E402

#: probe kind prefix -> (preset, changes), the instruction each preset claims (docs/accumulation.md §2.1)
PRESETS = {
    "mma_m16n8k16_f32_f16": ("h100_fp16", {}), "mma_m16n8k16_f16_f16": ("h100_fp16", {}),
    "mma_m16n8k16_f32_bf16": ("h100_bf16", {}),
    "mma_m16n8k8_f32_f16": ("h100_fp16", {"n": 8}), "mma_m16n8k8_f16_f16": ("h100_fp16", {"n": 8}),
    "mma_m16n8k8_f32_bf16": ("h100_bf16", {"n": 8}),
    "mma_m16n8k8_f32_tf32": ("h100_tf32", {}), "mma_m16n8k4_f32_tf32": ("h100_tf32", {"n": 4}),
    "mma_m16n8k32": ("sm90_mma_sync_fp8", {}),
    "wgmma_m64n8k16_f32_f16": ("h100_fp16", {}), "wgmma_m64n8k16_f16_f16": ("h100_fp16", {}),
    "wgmma_m64n8k16_f32_bf16": ("h100_bf16", {}), "wgmma_m64n8k8_f32_tf32": ("h100_tf32", {}),
    "wgmma_m64n8k32": ("h100_fp8", {}),
}


def preset_of(kind):
    from fp8ref.accum import get_model
    key = max((p for p in PRESETS if kind.startswith(p)), key=len)
    name, changes = PRESETS[key]
    m = get_model(name)
    return (m.replace(**changes) if changes else m), name + (f" {changes}" if changes else "")


def read_results(path):
    """{file name: bytes} of the res/ folder, from the .tgz or the folder."""
    path = Path(path)
    if path.is_dir():
        return {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    out = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.isfile():
                out[Path(m.name).name] = t.extractfile(m).read()
    return out


def tiles_of(job_bytes):
    w = np.frombuffer(job_bytes, "<u4")
    tiles, K = int(w[0]), int(w[1])
    A = w[2:2 + tiles * 8 * K].reshape(tiles, 8, K)
    B = w[2 + tiles * 8 * K:2 + tiles * 16 * K].reshape(tiles, 8, K)
    C = w[2 + tiles * 16 * K:].reshape(tiles, 8, 8)
    return A, B, C


def _values(codes, fmt):
    from fp8ref import decode_table, get_format
    if fmt == "tf32":
        return codes.astype(np.uint32).view(np.float32).astype(np.float64)
    return decode_table(get_format(fmt))[codes.astype(np.intp)]


def fp8ref_tiles(fx):
    """fp8ref's D bits (tiles, 8, 8) for a fixture dict: every output D[i][j] = C[i][j] + a_i · b_j."""
    from fp8ref.accum import dot
    m, _ = preset_of(str(fx["kind"]))
    A, B, c = fx["a"], fx["b"], fx["c"]
    T, _, K = A.shape
    fa, fb, out = str(fx["a_fmt"]), str(fx["b_fmt"]), str(fx["out"])
    ia, jb = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    va = _values(A, fa)[:, ia.ravel()].reshape(T * 64, K)
    vb = _values(B, fb)[:, jb.ravel()].reshape(T * 64, K)
    cbits = np.zeros((T, 8, 8), np.uint32)
    cbits[:, np.arange(8), np.arange(8)] = c
    cv = _values(cbits.reshape(-1), "tf32" if out == "fp32" else "fp16")
    dt = np.float32 if out == "fp32" else np.float16
    with np.errstate(all="ignore"):
        d = dot(va, vb, cv.astype(dt), model=m, a_fmt=fa, b_fmt=fb, out=out)
    return d.view(np.uint32 if out == "fp32" else np.uint16).reshape(T, 8, 8).astype(np.uint32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--gpu", default="h200")
    ap.add_argument("--write", action="store_true", help="write the fixtures to tests/data/<gpu>/")
    args = ap.parse_args(argv)
    res = read_results(args.results)
    remote = json.loads(res["manifest.json"])
    with tempfile.TemporaryDirectory() as tmp:
        make_jobs.main(tmp)
        local = json.loads((Path(tmp) / "manifest.json").read_text())
        jobs = {n: (Path(tmp) / f"{n}.bin").read_bytes() for n in local}
    bad = [n for n in local if remote.get(n, {}).get("sha256") != local[n]["sha256"]]
    if bad:
        sys.exit(f"jobs built there differ from the ones built here: {bad[:3]}")
    outdir = ROOT / "tests" / "data" / args.gpu
    total = 0
    for name, meta in sorted(local.items()):
        if f"{name}.out" not in res:
            print(f"{name}: no result")
            continue
        A, B, C = tiles_of(jobs[name])
        D = np.frombuffer(res[f"{name}.out"], "<u4").reshape(-1, 8, 8)
        fx = dict(a=A, b=B, c=C[:, np.arange(8), np.arange(8)], d=D, kind=np.array(meta["kind"]),
                  a_fmt=np.array(meta["a_fmt"]), b_fmt=np.array(meta["b_fmt"]), out=np.array(meta["out"]),
                  rows=np.array(meta["rows"]), src=np.array(meta["src"]))
        got = fp8ref_tiles(fx)
        diff = got != D
        diag = diff[:, np.arange(8), np.arange(8)].reshape(-1)[:meta["rows"]]
        total += int(diff.sum())
        print(f"{name:40s} {preset_of(meta['kind'])[1]:28s} outputs {D.size:6d} differ {int(diff.sum()):5d}"
              f" (diagonal rows {int(diag.sum())})")
        if args.write:
            outdir.mkdir(parents=True, exist_ok=True)
            code_t = {"e4m3fn": np.uint8, "e5m2": np.uint8, "fp16": np.uint16, "bf16": np.uint16, "tf32": np.uint32}
            out_t = np.uint32 if meta["out"] == "fp32" else np.uint16
            fx |= dict(a=A.astype(code_t[meta["a_fmt"]]), b=B.astype(code_t[meta["b_fmt"]]),
                       c=fx["c"].astype(out_t), d=D.astype(out_t))
            buf = io.BytesIO()
            np.savez_compressed(buf, **fx)
            tmpf = outdir / f".{name}.npz.tmp"
            tmpf.write_bytes(buf.getvalue())
            tmpf.replace(outdir / f"{name}.npz")
    if "machine.txt" in res:
        print(res["machine.txt"].decode().strip())
    print("outputs that differ from fp8ref:", total)


if __name__ == "__main__":
    main()
