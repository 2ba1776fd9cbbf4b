#!/usr/bin/env python3
"""Exhaustive float32 digests: SHA-256 of the codes (and flags) of all 2^32 float32 inputs.

Every float32 bit pattern 0x00000000 .. 0xFFFFFFFF, in ascending order, is converted with
``fp8ref.encode`` to each format under each policy. The code stream (one byte per input for
formats of at most 8 bits, little-endian uint16 up to 16 bits, uint32 above (tf32)) and the flag stream (one byte per
input, TestFloat order) are hashed with SHA-256, whole and per chunk of 2^24 inputs, so a
hardware team can compare a full-range converter with one hash and localise a mismatch.

    python scripts/float32_digests.py --out golden_vectors                 # the main policies
    python scripts/float32_digests.py --formats e2m1fn --policies rne:sat_finite --jobs 2

Results are merged into ``<out>/float32_digests.json`` (written atomically; entries keyed by
format and policy). When ``<out>`` holds a vector set, its MANIFEST.json (``float32_digests``:
the file's SHA-256 and every entry's two digests) and SHA256SUMS are updated to match, so
``fp8ref golden verify`` detects an edited or corrupted digests file. Chunks are computed in parallel (``--jobs``); the parent feeds the whole-
stream hashes in input order. The run time is printed on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import fp8ref  # noqa: E402
from fp8ref.golden.sets import index_digests  # noqa: E402
from fp8ref.golden.writers import atomic_write, json_bytes  # noqa: E402

SCHEMA = "fp8ref-float32-digests/1.0"
FILE = "float32_digests.json"
MAIN_FORMATS = ("e4m3fn", "e5m2")
MAIN_POLICIES = ("rne:ovf_inf", "rne:sat_finite")


def parse_policy(text: str) -> dict:
    """``rne:sat_finite[:before]`` -> Policy fields (NaN into NaN-less formats: +max)."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"policy must be ROUNDING:OVERFLOW[:TININESS], got {text!r}")
    pol = {"rounding": parts[0], "overflow": parts[1], "tininess": parts[2] if len(parts) == 3 else "after"}
    fp8ref.Policy(**pol)  # validate
    return pol


def policy_for(fmt, pol: dict) -> fp8ref.Policy:
    kw = dict(pol)
    if not getattr(fmt, "has_nan", True):
        kw.setdefault("nan_to", "max")
    return fp8ref.Policy(**kw)


def key_of(fmt_name: str, pol: fp8ref.Policy) -> str:
    return f"{fmt_name}.{pol.rounding}.{pol.overflow}.t{pol.tininess}"


def encode_range(fmt_name: str, pol: dict, start: int, stop: int):
    """(code bytes, flag bytes) of float32 patterns start .. stop-1."""
    fmt = fp8ref.get_format(fmt_name)
    x = np.arange(start, stop, dtype=np.uint64).astype(np.uint32).view(np.float32)
    codes, flags = fp8ref.encode(x, fmt, policy=policy_for(fmt, pol), return_flags=True)
    if codes.dtype.itemsize > 1:  # little-endian 16-bit codes, 32-bit for wider formats (tf32)
        codes = codes.astype("<u2" if fmt.bits <= 16 else "<u4")
    return codes.tobytes(), flags.astype(np.uint8).tobytes()


def _work(args):
    fmt_name, pol, start, stop = args
    return encode_range(fmt_name, pol, start, stop)


def digest(fmt_name: str, pol: dict, start: int = 0, stop: int = 1 << 32, chunk_bits: int = 24, jobs: int = 1):
    """Digests of inputs start .. stop-1: {codes_sha256, flags_sha256, chunks: {codes: [...],
    flags: [...]}}. start and stop must be multiples of 2^chunk_bits."""
    step = 1 << chunk_bits
    if start % step or stop % step or not 0 <= start < stop <= 1 << 32:
        raise ValueError(f"range must be chunk-aligned (2^{chunk_bits}) within [0, 2^32]")
    tasks = [(fmt_name, pol, lo, lo + step) for lo in range(start, stop, step)]
    hc, hf = hashlib.sha256(), hashlib.sha256()
    chunks_c, chunks_f = [], []

    def consume(results):
        for c, f in results:
            hc.update(c)
            hf.update(f)
            chunks_c.append(hashlib.sha256(c).hexdigest())
            chunks_f.append(hashlib.sha256(f).hexdigest())

    if jobs <= 1:
        consume(map(_work, tasks))
    else:
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(jobs) as pool:
            consume(pool.imap(_work, tasks, chunksize=1))
    return {"codes_sha256": hc.hexdigest(), "flags_sha256": hf.hexdigest(),
            "chunks": {"codes": chunks_c, "flags": chunks_f}}


def load(path):
    if os.path.isfile(path):
        with open(path, "rb") as f:
            data = json.loads(f.read())
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path}: unexpected schema {data.get('schema')!r}")
        return data
    return None


def header(chunk_bits):
    return {
        "schema": SCHEMA,
        "tool": {"name": "fp8ref", "version": fp8ref.__version__},
        "inputs": "every float32 bit pattern 0x00000000..0xFFFFFFFF, ascending",
        "code_stream": "one byte per input for formats of <= 8 bits, little-endian uint16 up to 16 bits, "
                       "else little-endian uint32",
        "flag_stream": "one byte per input: bit0 NX, bit1 UF, bit2 OF, bit3 DZ, bit4 NV",
        "chunk_bits": chunk_bits,
        "chunks": f"SHA-256 of each 2^{chunk_bits}-input slice of the streams, in input order",
        "regenerate": "python scripts/float32_digests.py --out golden_vectors [--formats ...] [--policies ...]",
        "digests": {},
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="golden_vectors", help="directory of the vector set (default golden_vectors)")
    p.add_argument("--formats", default=",".join(MAIN_FORMATS), help="comma-separated format names")
    p.add_argument("--policies", default=",".join(MAIN_POLICIES),
                   help="comma-separated ROUNDING:OVERFLOW[:TININESS] (default rne:ovf_inf,rne:sat_finite)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    p.add_argument("--chunk-bits", type=int, default=24, help="log2 inputs per chunk (default 24)")
    args = p.parse_args(argv)
    fmts = [fp8ref.get_format(n).name for n in args.formats.split(",") if n]
    pols = [parse_policy(t) for t in args.policies.split(",") if t]
    if not os.path.isdir(args.out):
        p.error(f"--out {args.out} is not a directory")
    path = os.path.join(args.out, FILE)
    data = load(path) or header(args.chunk_bits)
    if data["chunk_bits"] != args.chunk_bits:
        p.error(f"{path} uses chunk_bits={data['chunk_bits']}")
    data.update({k: v for k, v in header(args.chunk_bits).items() if k != "digests"})  # current descriptions
    t_all = time.perf_counter()
    for name in fmts:
        fmt = fp8ref.get_format(name)
        for pol in pols:
            full = policy_for(fmt, pol)
            key = key_of(name, full)
            t = time.perf_counter()
            d = digest(name, pol, chunk_bits=args.chunk_bits, jobs=args.jobs)
            dt = time.perf_counter() - t
            data["digests"][key] = {"format": name, "policy": full.as_dict(), **d}
            atomic_write(path, json_bytes(data))  # after each entry: a long run keeps its progress
            index_digests(args.out)  # and the set's MANIFEST.json / SHA256SUMS record it
            print(f"{key}: codes {d['codes_sha256']} flags {d['flags_sha256']} ({dt:.1f} s, {args.jobs} jobs)",
                  file=sys.stderr)
    print(f"total {time.perf_counter() - t_all:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
