"""Exhaustive counts behind docs/blocks.md: where peers' float32 operation orders part.

Over every positive finite float32 amax (2,139,095,040 values, in chunks of 2^24):

* ``rceil`` (exact quotient) vs ``rceil_hw`` (fp32(amax * fp32(1/max)), then round up) for each
  MX element format, with fp8ref's ``scale_codes`` (``rceil`` with ``scale_overflow="clamp"``,
  the saturation of ``cvt.rp.satfinite``) and, as a cross-check, TE's ``float_to_e8m0`` bits;
* DeepGEMM: fp32(amax * fp32(1/448)) (GPU kernel) vs fp32(amax / 448) (host), and the power of
  two above each (``fast_log2_ceil`` / ``ceil_to_ue8m0`` without its clamp);
* torchao >= 0.17 NVFP4: the largest amax for which 1 / (amax / 2688) is Inf (and / 2^-6).

Usage: ``python scripts/block_scale_orders.py [deepgemm|torchao|<element>...]`` (all by default;
about 1.5 minutes per element on one core).
"""

from __future__ import annotations

import sys

import numpy as np

from fp8ref.blocks import mx

F32 = np.float32
ELEMS = {"e4m3fn": 448.0, "e5m2": 57344.0, "e3m2fn": 28.0, "e2m3fn": 7.5, "e2m1fn": 6.0, "int8": 127 / 64}
CHUNK = 1 << 24
TOP = 0x7F800000  # +Inf: every positive finite float32 lies below


def _chunks():
    for lo in range(1, TOP, CHUNK):
        yield np.arange(lo, min(lo + CHUNK, TOP), dtype=np.uint32)


def _te_float_to_e8m0(p):
    """TE ptx::float_to_e8m0 (software path) for finite p >= 0."""
    u = p.view(np.uint32)
    e = (u >> 23).astype(np.int64)
    m = u & 0x7FFFFF
    return np.where(p == 0, 0, e + ((m > 0) & (e != 0xFE) & ~((e == 0) & (m <= 0x400000))))


def rceil(elem):
    mx_ = ELEMS[elem]
    rcp = F32(1.0 / mx_)
    n, first = 0, []
    for u in _chunks():
        a = u.view(F32)
        hw = mx.scale_codes(a, elem, "rceil_hw").astype(np.int64)
        assert np.array_equal(hw, _te_float_to_e8m0(a * rcp))
        ex = mx.scale_codes(a, elem, "rceil", scale_overflow="clamp").astype(np.int64)
        d = hw != ex
        n += int(d.sum())
        first.extend(f"0x{int(b):08X}" for b in u[d][: 4 - len(first)])
    print(f"{elem}: rceil != rceil_hw for {n:,} float32 amax; first: {', '.join(first)}", flush=True)


def deepgemm():
    r = F32(1.0 / 448.0)
    ulp = ceil = 0
    where = []

    def up(v):
        b = v.view(np.uint32)
        return ((b >> 23) & 0xFF).astype(np.int64) + ((b & 0x7FFFFF) != 0)

    for u in _chunks():
        a = u.view(F32)
        p, q = a * r, a / F32(448.0)
        ulp += int((p != q).sum())
        d = up(p) != up(q)
        ceil += int(d.sum())
        where.extend(f"0x{int(b):08X}" for b in u[d][:4])
    total = TOP - 1
    print(f"deepgemm: fp32(a*fp32(1/448)) != fp32(a/448) for {ulp:,} of {total:,} ({100 * ulp / total:.1f} %); "
          f"the power of two above differs for {ceil:,}: {', '.join(where)}", flush=True)


def torchao():
    def last_overflow(k):
        lo, hi = 1, 0x7F7FFFFF
        while hi - lo > 1:
            mid = (lo + hi) // 2
            a = np.array([mid], np.uint32).view(F32)[0]
            with np.errstate(over="ignore", divide="ignore"):
                inf = np.isinf((F32(1.0) / (a / F32(2688.0))) / F32(k))
            lo, hi = (mid, hi) if inf else (lo, mid)
        return lo

    for k in (1.0, 2.0**-6):
        b = last_overflow(k)
        print(f"torchao>=0.17: (1/pts)/{k:g} is Inf for amax <= {np.array([b], np.uint32).view(F32)[0]!r} "
              f"(0x{b:08X})", flush=True)


if __name__ == "__main__":
    for w in sys.argv[1:] or ["torchao", "deepgemm", *ELEMS]:
        {"deepgemm": deepgemm, "torchao": torchao}.get(w, lambda w=w: rceil(w))()
