"""VeriFloat as an oracle for fp8ref's hardware conventions (ftz, daz, NaN conventions).

Runs under a Python that has ``verifloat`` 0.2.0 (cp312 only) and numpy, *not* fp8ref:

    /root/.pyenv/versions/3.12.1/bin/python -m venv /work/venv312
    /work/venv312/bin/pip install verifloat==0.2.0 numpy
    /work/venv312/bin/python scripts/verifloat_conventions.py --out tests/data/verifloat/conventions.npz
    /work/venv312/bin/python scripts/verifloat_conventions.py --serve < request.json   # tests' live check

``--out`` records VeriFloat's codes and flags for deterministic float32 inputs (subnormal-heavy,
rounding boundaries, NaN payloads, specials) converted to every format VeriFloat can describe,
under each convention in ``CONFIGS``, and every code of the ``CODE_SOURCES`` converted to every
format under ``CODE_CONFIGS`` (keys ``<src>:<fmt>/<config>/code``). ``--serve`` answers a JSON request
``{"fmt": name, "config": name, "raw": [bit patterns], "src": "f32" (default) or a FORMATS
name}`` with ``{"code": [...],
"flags": [...]}`` (code -1 where VeriFloat raises, e.g. NaN into a format without NaN).

Licence: the recorded outputs are data produced by running VeriFloat 0.2.0 (PyPI, see its
licence); no VeriFloat code is copied. This script is part of fp8ref (see LICENSE).
"""

from __future__ import annotations

import argparse
import json
import random
import sys

import numpy as np

#: fp8ref format name -> VeriFloat FPFormat arguments (formats VeriFloat can express: it has no
#: FNUZ/P3109 "no negative zero" layout).
FORMATS = {
    "e5m2": ((5, 2), {}),
    "e4m3fn": ((4, 3), {"inf_nan": "fn"}),
    "e4m3": ((4, 3), {}),
    "e3m4": ((3, 4), {}),
    "e3m2fn": ((3, 2), {"inf_nan": False}),
    "e2m3fn": ((2, 3), {"inf_nan": False}),
    "e2m1fn": ((2, 1), {"inf_nan": False}),
    "fp16": ((5, 10), {}),
    "bf16": ((8, 7), {}),
    "tf32": ((8, 10), {}),
}

#: convention name -> (destination FPFormat keywords, source float32 flushes its subnormals).
#: The fp8ref policy of each is in tests/conventions/test_verifloat.py (CONFIG_POLICY).
CONFIGS = {
    "ftz_after": ({"ftz": True}, False),
    "ftz_before": ({"ftz": True, "tininess": "before"}, False),
    "ftz_rup": ({"ftz": True, "rounding": "rup"}, False),
    "ftz_rtz": ({"ftz": True, "rounding": "rtz"}, False),
    "daz": ({}, True),
    "daz_ftz": ({"ftz": True}, True),
    "nan_canonical": ({"nan_mode": "canonical"}, False),
    "nan_x86": ({"nan_mode": "x86"}, False),
    "nan_arm": ({"nan_mode": "arm"}, False),
}


def inputs() -> list[int]:
    """Deterministic float32 bit patterns: subnormal-heavy, rounding edges, NaN payloads."""
    rng = random.Random(19)
    out = [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7F7FFFFF, 0xFF7FFFFF,
           0x00000001, 0x807FFFFF, 0x00800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFBFFFFF]
    for _ in range(160):  # float32 subnormals
        out.append((rng.getrandbits(1) << 31) | rng.randrange(1, 1 << 23))
    for e in range(-30, 3):  # every binade near the 8/16-bit formats' subnormal ranges
        for _ in range(24):
            top = rng.getrandbits(12)
            tail = rng.choice((0, 1 << 10, (1 << 10) - 1, (1 << 10) + 1, rng.getrandbits(11)))
            frac = ((top << 11) | tail) & ((1 << 23) - 1)
            out.append((rng.getrandbits(1) << 31) | ((e + 127) << 23) | frac)
    for e in range(-140, -118):  # bf16/tf32 subnormals and their boundary
        for _ in range(8):
            out.append((rng.getrandbits(1) << 31) | (max(e + 127, 0) << 23) | rng.getrandbits(23))
    for _ in range(120):  # NaNs: both signs, quiet and signalling, payloads high and low
        frac = rng.choice((rng.getrandbits(23), rng.getrandbits(8), rng.getrandbits(22) << 1)) or 1
        out.append((rng.getrandbits(1) << 31) | 0x7F800000 | frac)
    for _ in range(200):  # anything
        out.append(rng.getrandbits(32))
    return out


#: 8-bit (and FP6) sources whose every code is converted to every format (NaN payloads of E5M2,
#: E4M3, E3M4; the sources' own subnormals for daz)
CODE_SOURCES = ("e5m2", "e4m3", "e3m4", "e4m3fn", "e2m3fn")
CODE_CONFIGS = ("nan_x86", "nan_canonical", "daz")


def convert(fmt_name: str, config: str, raws, src_name: str = "f32"):
    """VeriFloat's (codes, flags) for ``raws`` (bit patterns of float32, or of ``src_name``)."""
    import verifloat as v

    (eb, mb), kw = FORMATS[fmt_name]
    dst_kw, daz = CONFIGS[config]
    dst_kw = dict(dst_kw)
    if "rounding" in dst_kw:
        dst_kw["rounding"] = v.Rounding(dst_kw["rounding"])
    if "nan_mode" in dst_kw:
        dst_kw["nan_mode"] = v.NaNMode(dst_kw["nan_mode"])
    dst = v.FPFormat(eb, mb, **kw, **dst_kw)
    if src_name == "f32":
        src = v.FP32
    else:
        (seb, smb), skw = FORMATS[src_name]
        src = v.FPFormat(seb, smb, **skw)
    src = src.replace(ftz=True) if daz else src
    codes, flags = [], []
    for r in raws:
        try:
            y = src.from_raw(int(r)).convert(dst)
            codes.append(int(y.raw))
            flags.append(int(y.flags))
        except ValueError:  # e.g. NaN into a format without NaN
            codes.append(-1)
            flags.append(0)
    return codes, flags


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the fixture .npz here")
    ap.add_argument("--serve", action="store_true", help="answer one JSON request on stdin")
    a = ap.parse_args(argv)
    if a.serve:
        req = json.load(sys.stdin)
        codes, flags = convert(req["fmt"], req["config"], req["raw"], req.get("src", "f32"))
        json.dump({"code": codes, "flags": flags}, sys.stdout)
        return 0
    if not a.out:
        ap.error("give --out FILE or --serve")
    import verifloat

    raws = np.array(inputs(), dtype=np.uint32)
    arrays = {"raw": raws}
    for f in FORMATS:
        for c in CONFIGS:
            codes, flags = convert(f, c, raws.tolist())
            arrays[f"{f}/{c}/code"] = np.array(codes, dtype=np.int32)
            arrays[f"{f}/{c}/flags"] = np.array(flags, dtype=np.uint8)
    for sname in CODE_SOURCES:
        for f in FORMATS:
            for c in CODE_CONFIGS:
                codes, flags = convert(f, c, range(1 << (1 + sum(FORMATS[sname][0]))), sname)
                arrays[f"{sname}:{f}/{c}/code"] = np.array(codes, dtype=np.int32)
                arrays[f"{sname}:{f}/{c}/flags"] = np.array(flags, dtype=np.uint8)
    arrays["meta"] = np.array(json.dumps({"verifloat": verifloat.__version__, "numpy": np.__version__,
                                          "formats": FORMATS, "configs": CONFIGS}, sort_keys=True))
    tmp = a.out + ".tmp.npz"
    np.savez_compressed(tmp, **arrays)
    import os

    os.replace(tmp, a.out)
    print(f"wrote {a.out}: {raws.size} inputs x {len(FORMATS)} formats x {len(CONFIGS)} conventions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
