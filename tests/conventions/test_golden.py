"""The ``conventions`` golden suite (full tier) against the oracles: SoftFloat for the fp16
files, exact `fractions` for the P3109 / FNUZ files, VeriFloat (live, when its interpreter is
present) for the formats it can describe."""

import numpy as np
import pytest

from fp8ref import get_format
from fp8ref.golden.suites import Context, get_suite

from . import _verifloat as vf
from .test_exact import expected, matches
from .test_verifloat import compare

TAG_CONFIG = {"ftz": "ftz_after", "ftz.tbefore": "ftz_before", "daz": "daz", "ftz_daz": "daz_ftz",
              "nan_riscv": "nan_canonical", "nan_x86": "nan_x86", "nan_arm": "nan_arm"}


def files():
    return {s.stem.split("/", 1)[1]: s for s in get_suite("conventions").files("full")}


def table(stem):
    t, _ = files()[stem].build(Context())
    return t["a"], t["z"], t["flags"]


def test_suite_shape():
    f = files()
    assert all(s.tier == "full" for s in f.values()) and len(f) == 137
    assert not get_suite("conventions").files("default")
    a, z, fl = table("f32_to_e5m2.ftz")
    assert ((fl & 0x3) == 0x3).sum() > 200  # flushed rows
    a, z, fl = table("f32_to_fp16.nan_x86")
    assert len(set((z & 0x1FF).tolist())) > 100  # payloads travel


@pytest.mark.parametrize("stem", ["f32_to_fp16.ftz", "f32_to_fp16.ftz.tbefore", "f32_to_fp16.daz",
                                  "f32_to_fp16.ftz_daz", "f32_to_fp16.nan_riscv"])
def test_fp16_files_vs_softfloat(stem):
    from .test_softfloat import softfloat

    a, z, fl = table(stem)
    x = a.astype(np.uint32).view(np.float32)
    pol = files()[stem].meta["policy"]
    sc, sfl = softfloat(x, ("float32", "fp16"), pol["tininess"], pol.get("ftz", False), pol.get("daz", False))
    rows = np.ones(x.size, bool) if pol["nan"] == "riscv" else ~np.isnan(x)  # SoftFloat's NaN is riscv's
    assert rows.sum() > 300 and (z == sc)[rows].all() and (fl == sfl)[rows].all()


@pytest.mark.parametrize("stem", ["f32_to_p3109_8p3.ftz", "f32_to_p3109_8p1.ftz.tbefore", "f32_to_e4m3fnuz.ftz_daz",
                                  "f32_to_p3109_8p5.daz", "f16_to_p3109_8p3.ftz"])
def test_p3109_fnuz_files_vs_fractions(stem):
    from fp8ref import decode

    a, z, fl = table(stem)
    spec = files()[stem]
    fmt, pol = get_format(spec.meta["dst"]), spec.meta["policy"]
    dt = np.float32 if stem.startswith("f32") else np.float16
    x = a.astype(np.uint32 if dt is np.float32 else np.uint16).view(dt)
    if dt is np.float16:
        x = x[::7]
        z, fl = z[::7], fl[::7]
    got = decode(z.astype(np.int64), fmt, dtype=np.float64)
    for xi, gi, fi in zip(x.tolist(), got.tolist(), fl.tolist()):
        if np.isnan(xi):  # the reference does not tell signalling NaNs (test_verifloat checks them)
            continue
        ref, rfl = expected(float(xi), fmt, pol["rounding"], pol["tininess"], pol.get("ftz", False),
                            pol.get("daz", False) and dt is np.float32)
        if dt is np.float16 and pol.get("daz") and 0 < abs(xi) < 2.0**-14:
            ref, rfl = expected(float(np.copysign(0.0, xi)), fmt, pol["rounding"], pol["tininess"], pol.get("ftz", False), False)
        assert matches(ref, gi, float(xi), fmt) and fi == rfl, (stem, xi, gi, fi, ref, rfl)


LIVE = [(f, t) for f in ("e5m2", "e4m3fn", "bf16", "e2m1fn", "tf32") for t in TAG_CONFIG
        if not (f == "e2m1fn" and t.startswith("nan"))]


@pytest.mark.parametrize("fmt_name,tag", LIVE)
def test_files_vs_live_verifloat(fmt_name, tag):
    a, z, fl = table(f"f32_to_{fmt_name}.{tag}")
    vcode, vflags = vf.run(fmt_name, TAG_CONFIG[tag], a)
    spec = files()[f"f32_to_{fmt_name}.{tag}"]
    assert compare(fmt_name, TAG_CONFIG[tag], a.astype(np.uint32), vcode, vflags) > 200
    # and the file holds what fp8ref computes under the file's own policy
    from fp8ref import Policy, encode

    c, f = encode(a.astype(np.uint32).view(np.float32), fmt_name, policy=Policy(**spec.meta["policy"]), return_flags=True)
    assert (c == z).all() and (f == fl).all()
