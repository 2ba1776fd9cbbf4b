"""fp8ref vs VeriFloat 0.2.0, measured side by side in one process (issue 19's feature table).

VeriFloat ships only a CPython 3.12 wheel, so run this with a Python 3.12 that has both::

    python3.12 -m venv /tmp/vf && /tmp/vf/bin/pip install verifloat numpy numba tabulate ml_dtypes
    PYTHONPATH=. /tmp/vf/bin/python benchmarks/compare_verifloat.py [--dpi] [--n 1000000]

Prints what each row measured and a Markdown table (docs/hardware-verification.md §6 holds one
run). Rows: hardware conventions (FTZ/DAZ, NaN conventions, payloads: what VeriFloat does with
them; fp8ref's are issue 19 §1), cocotb pieces (lane packing, block buses, scoreboard, vector
driver), DPI-C (``--dpi``: both models under Verilator on the committed f32 -> E4M3FN file),
the accumulators against the published tensor-core samples (tests/data/hw_accum), and the
speed of f32 -> E4M3FN conversions. Exits 0 without doing anything when verifloat is not
importable.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

try:
    import verifloat as vf
    from verifloat import E4M3, E5M2, FP16, FP32, FPFormat, NaNMode, Rounding
except ImportError as e:
    print(f"compare_verifloat: verifloat not importable ({e}); VeriFloat 0.2.0 has only a CPython 3.12 wheel. Skipped.")
    sys.exit(0)

import fp8ref  # noqa: E402
from fp8ref.golden.verify import load_vectors  # noqa: E402

GV = os.path.join(ROOT, "golden_vectors")
F32_E4M3 = os.path.join(GV, "convert_f32", "f32_to_e4m3fn.rne.ovf_inf.tafter.tv")
ROWS = []  # (row, VeriFloat, fp8ref)


def row(name, v, f):
    ROWS.append((name, v, f))
    print(f"  {name}: VeriFloat: {v} | fp8ref: {f}")


def best(fn, reps=5):
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


# ---- hardware conventions ------------------------------------------------------------------------
def conventions():
    print("hardware conventions (what VeriFloat does; fp8ref's Policy fields: issue 19 section 1)")
    pending = "pending (issue 19 §1)"
    ftz16 = FPFormat(5, 10, ftz=True)
    tiny = FP32.from_raw(0x33800000)  # 2^-24: the smallest binary16 subnormal
    out = tiny.convert(ftz16)
    sub_in = ftz16.from_raw(0x0001).convert(FP32)
    row("FTZ (subnormal result flushed)", f"ftz=True: f32 2^-24 -> f16 {out.raw:#06x} flags {out.flags!r}; "
        f"plain f16 gives {tiny.convert(FP16).raw:#06x}", pending)
    row("DAZ (subnormal input as zero)", f"same ftz flag: f16 0x0001 -> f32 {sub_in.raw:#010x} "
        f"(without: {FP16.from_raw(0x0001).convert(FP32).raw:#010x}); no separate DAZ", pending)
    snan = 0xFFA12345  # negative signalling NaN with a payload
    res = []
    for mode in NaNMode:
        r16 = FP32.from_raw(snan).convert(FPFormat(5, 10, nan_mode=mode))
        r8 = FP32.from_raw(snan).convert(FPFormat(5, 2, nan_mode=mode))
        res.append(f"{mode.value}: f16 {r16.raw:#06x} e5m2 {r8.raw:#04x} {r16.flags!r}")
    row("NaN conventions (f32 -NaN payload 0x212345 -> f16 / e5m2)", "; ".join(res), pending)
    r = FP32.from_raw(0x7FC12345).convert(FPFormat(8, 7, nan_mode=NaNMode.PROPAGATE))
    row("payload propagation (f32 qNaN 0x7FC12345 -> bf16, propagate)", f"{r.raw:#06x}", pending)


# ---- cocotb pieces ------------------------------------------------------------------------------------
def cocotb_pieces():
    from verifloat import bus as vbus
    from verifloat.scoreboard import Scoreboard as VScoreboard

    from fp8ref import cocotb as fc

    print("cocotb pieces")
    rng = np.random.default_rng(1)
    same = 0
    for bits, n in ((4, 32), (6, 32), (8, 128), (16, 8), (32, 32)):
        codes = rng.integers(0, 1 << bits, n, dtype=np.uint64)
        same += vbus.pack(codes.tolist(), bits) == fc.pack_lanes(codes, bits)
    row("lane packing (FP4/FP6/FP8/16/32-bit lanes, LSB first)", f"bus.pack: {same}/5 layouts equal to fp8ref's",
        "pack_lanes/unpack_lanes via fp8ref.blocks.packing")
    t = vf.BlockTensor.quantize(np.linspace(-3, 3, 64).tolist(), vf.MXFP4)
    b = vbus.pack_block_row(t)
    row("block buses (MX / NVFP4 / DeepSeek)",
        f"pack_block_row: elements on one bus ({b.elem_width}-bit lanes), scales on another; MX (floor), NVFP4",
        "BlockBus: codes + scale on one bus; MX (every scale rule), NVFP4, DeepSeek tiles")
    # scoreboards on the committed f32 -> E4M3FN file, with 3 DUT lines corrupted
    meta, rows, _ = load_vectors(F32_E4M3)
    dut = [list(r) for _, r, _ in rows]
    dut[10][1] ^= 0x01  # a result bit
    dut[2600][2] ^= 0x02  # the UF flag
    dut[3000][1] = 0x7F  # NaN instead of a number
    counts = {}
    for nan in ("exact", "any"):
        vsb = VScoreboard("vf", fail_fast=False, nan=nan, logger=_quiet())
        for (_, r, _), d in zip(rows, dut):
            vsb.check(FP32.from_raw(r[0]).convert(E4M3), d[1], flags=d[2])
        counts[nan] = vsb.failed
    fsb = fc.Scoreboard.convert("float32", "e4m3fn", policy=fp8ref.Policy(**meta["policy"]), log=_quiet())
    for (_, r, _), d in zip(rows, dut):
        fsb.add(r[0], d[1], d[2])
    row("scoreboard (3 corrupted lines in the 3434-line f32 -> E4M3FN file)",
        f"{counts['exact']} mismatches reported with nan='exact', {counts['any']} with nan='any' (its model's "
        "own NaN sign and flag conventions differ from the file's policy; no way to give it one)",
        f"{fsb.failed} mismatches, golden check's table")
    import verifloat.vectors as vvec

    has_driver = any("drive" in n.lower() or "cocotb" in n.lower() for n in dir(vvec))
    row("vector-file driver into a DUT", "none (vectors.read/verify work on files only)" if not has_driver else "yes",
        "drive_vectors: .tv/.memh + sidecar hash, every line scored")


def _quiet():
    import logging

    log = logging.getLogger("compare_verifloat.quiet")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


# ---- conversions: agreement and speed ----------------------------------------------------------
def conversions(n):
    print("conversions")
    meta, rows, _ = load_vectors(F32_E4M3)
    diff_code = diff_flags = 0
    for _, (a, z, f), _ in rows:
        r = FP32.from_raw(a).convert(E4M3)
        diff_code += r.raw != z
        diff_flags += int(r.flags) != f
    row("f32 -> E4M3FN, RNE, vs the committed 3434-line file", f"{diff_code} code, {diff_flags} flag lines differ",
        "0 (the file is fp8ref's; cross-checked with ml_dtypes, gfloat)")
    rng = np.random.default_rng(19)
    x = (rng.standard_normal(n) * 64).astype(np.float32)
    bits = x.view(np.uint32)
    pol = fp8ref.Policy()
    fp8ref.encode(x, "e4m3fn", policy=pol)  # warm-up: tables, Numba
    t_f = best(lambda: fp8ref.encode(x, "e4m3fn", policy=pol, return_flags=True))
    t_v = best(lambda: E4M3.array(x.astype(np.float64)))  # its fastest public path (values, not bits)
    t_v_codes = best(lambda: np.asarray(E4M3.array(x.astype(np.float64)).raw, dtype=np.uint8), reps=3)
    t_v_bits = best(lambda: vf.FPArray.from_raw(bits, FP32).convert(E4M3), reps=3)  # from the bit patterns
    same = np.array_equal(np.asarray(E4M3.array(x.astype(np.float64)).raw, dtype=np.uint8),
                          fp8ref.encode(x, "e4m3fn", policy=pol))
    row(f"speed f32 -> E4M3FN, {n:,} elements (same process)",
        f"{t_v / n * 1e9:.1f} ns/el (E4M3.array of the values; array flags are one OR, not per element); "
        f"{t_v_codes / n * 1e9:.1f} with the codes as an array; {t_v_bits / n * 1e9:.1f} from the bit patterns",
        f"{t_f / n * 1e9:.2f} ns/el, codes and per-element flags: {t_v / t_f:.1f}x / {t_v_codes / t_f:.0f}x / "
        f"{t_v_bits / t_f:.0f}x faster; codes equal: {same}")


# ---- accumulators vs the published tensor-core samples --------------------------------------------------
def accumulators():
    print("accumulators (tests/data/hw_accum)")
    from fp8ref.accum import dot

    data = os.path.join(ROOT, "tests", "data", "hw_accum")
    for name, fmt_f, fmt_v in (("H100_E4M3", "e4m3fn", E4M3), ("H100_E5M2", "e5m2", E5M2), ("Ada_E4M3", "e4m3fn", E4M3)):
        with np.load(os.path.join(data, f"{name}.npz")) as d:
            a, b, c = (d[k].view(np.float32) for k in ("a", "b", "c"))
            want = d["d_fp32"].copy()
        if name.startswith("H100"):
            c = np.zeros_like(c)  # WGMMA with C = 0 (the published script)
        preset = "h100_fp8" if name.startswith("H100") else "ada_fp8"
        got = dot(a, b, c, model=preset, in_fmt=fmt_f, out="fp32").astype(np.float32).view(np.uint32)
        miss_f = int((got != want).sum())
        # VeriFloat: the closest Accumulator -- groups of 32 (H100) / 16 (Ada) products aligned to
        # the group's largest, 13 bits kept below it (truncated), sum rounded toward zero to
        # 13 fraction bits; several settings tried, the best reported
        group = 32 if name.startswith("H100") else 16
        ca, cb = fp8ref.encode(a, fmt_f), fp8ref.encode(b, fmt_f)  # exact: the inputs are fp8 values
        av = [[fmt_v.from_raw(int(k)) for k in r] for r in ca]
        bv = [[fmt_v.from_raw(int(k)) for k in r] for r in cb]
        cv = [FP32.from_raw(int(k)) for k in c.view(np.uint32)]
        best_v = None
        for acc_m in (13, 23):
            for align in (13, 14, 25):
                acc = vf.Accumulator(FPFormat(8, acc_m, rounding=Rounding.RTZ), group=group, align_bits=align)
                miss = 0
                for i in range(len(want)):
                    r = acc.sum_products(av[i], bv[i], init=cv[i])
                    v = r.convert(FP32) if r.format != FP32 else r
                    miss += v.raw != int(want[i])
                if best_v is None or miss < best_v[0]:
                    best_v = (miss, f"m={acc_m}, align_bits={align}")
        row(f"accumulator vs {name} (fp32 out, {len(want)} rows)",
            f"misses {best_v[0]} (best Accumulator: group {group}, {best_v[1]}, RTZ)",
            f"misses {miss_f} (preset {preset})")


# ---- DPI-C ----------------------------------------------------------------------------------------------
_TB = """
module tb;
  import verifloat_pkg::*;
  import fp8ref_dpi_pkg::*;
  int fd, n, bad_v, bad_f, fl;
  int unsigned a, z, f, zf;
  byte unsigned ff;
  longint unsigned zv;
  chandle f32, e4m3;
  initial begin
    f32 = vf_format("e8m23");
    e4m3 = vf_format("e4m3, fn");
    fd = $fopen("%s", "r");
    n = 0; bad_v = 0; bad_f = 0;
    while ($fscanf(fd, "%%h %%h %%h\\n", a, z, f) == 3) begin
      zv = vf_convert(e4m3, f32, longint'(a), fl);
      zf = fp8ref_encode_f32(0, a, ff);
      if (zv != longint'(z) || fl != int'(f)) bad_v++;
      if (zf != z || int'(ff) != int'(f)) bad_f++;
      n++;
    end
    $display("RESULT %%0d %%0d %%0d", n, bad_v, bad_f);
    $finish;
  end
endmodule
"""


def dpi():
    print("DPI-C")
    from verifloat import dpi as vdpi

    from fp8ref.export import export_dpi, models

    lib = vdpi.library()
    row("DPI-C model", f"prebuilt {os.path.basename(lib)} ({os.path.getsize(lib) // 1024} KiB binary, C++ "
        "arithmetic core) + verifloat_pkg.sv, formats by name at run time",
        "fp8ref export dpi: generated self-contained C source (fp8ref's tables) + SV package, per format x policy")
    if not shutil.which("verilator"):
        row("DPI-C under Verilator", "not run (no verilator)", "not run (no verilator)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        export_dpi(tmp, models(["e4m3fn"], ["ieee"]), ["f32"])
        tb = os.path.join(tmp, "tb.sv")
        with open(tb, "w") as f:
            f.write(_TB % F32_E4M3)
        cmd = ["verilator", "--binary", "--no-timing", "-Wno-fatal", "--Mdir", os.path.join(tmp, "obj"), "-o", "tb",
               str(vdpi.sv_package()), os.path.join(tmp, "fp8ref_dpi_pkg.sv"), tb, os.path.join(tmp, "fp8ref_dpi.c"),
               "-CFLAGS", vdpi.cflags(), "-LDFLAGS", vdpi.ldflags()]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            row("DPI-C under Verilator", f"build failed: {r.stderr[-300:]}", "")
            return
        r = subprocess.run([os.path.join(tmp, "obj", "tb")], capture_output=True, text=True)
        out = [line for line in r.stdout.splitlines() if line.startswith("RESULT")]
        n, bad_v, bad_f = map(int, out[0].split()[1:])
        row("DPI-C under Verilator 5, f32 -> E4M3FN file (3434 lines)", f"{bad_v} of {n} lines differ (vf_convert)",
            f"{bad_f} of {n} lines differ (fp8ref_encode_f32)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="elements for the speed row (default 1e6)")
    p.add_argument("--dpi", action="store_true", help="also run both DPI-C models under Verilator")
    p.add_argument("--no-accum", action="store_true", help="skip the accumulator rows (slow: scalar VeriFloat calls)")
    a = p.parse_args(argv)
    print(f"VeriFloat {vf.__version__}, fp8ref {fp8ref.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    conventions()
    cocotb_pieces()
    conversions(a.n)
    if a.dpi:
        dpi()
    if not a.no_accum:
        accumulators()
    print("\n| row | VeriFloat 0.2.0 | fp8ref |\n|---|---|---|")
    for name, v, f in ROWS:
        print(f"| {name} | {v} | {f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
