"""fp16 / bfloat16 conversions under the conventions vs Berkeley SoftFloat (softfloatpy 1.2.3,
built with SoftFloat's RISC-V specialisation: every NaN result is the canonical 0x7E00 / 0x7FC0,
i.e. fp8ref's ``nan="riscv"``; tininess settable). SoftFloat has no FTZ/DAZ mode, so they are
restated from its IEEE result: a result is tiny iff SoftFloat raised underflow or delivered an
exact subnormal; ftz turns exactly those into ±0 with underflow|inexact; daz feeds ±0 for a
subnormal input."""

import math

import numpy as np
import pytest

from fp8ref import encode

from .test_paths import f32_inputs

sf = pytest.importorskip("softfloatpy", reason="softfloatpy (dev extra) is the SoftFloat oracle")

UF, NX = 0x02, 0x01
OPS = {  # (source dtype, destination) -> (SoftFloat conversion, bits in, bits out)
    ("float32", "fp16"): ("f32_to_f16", "Float32", 4, 2, 10),
    ("float32", "bf16"): ("f32_to_bf16", "Float32", 4, 2, 7),
    ("float64", "fp16"): ("f64_to_f16", "Float64", 8, 2, 10),
}


def softfloat(x, op, tininess, ftz, daz):
    fn, cls, nin, nout, man = OPS[op]
    conv, ctor = getattr(sf, fn), getattr(sf, cls)
    sf.set_tininess_mode(sf.TininessMode.BEFORE_ROUNDING if tininess == "before" else sf.TininessMode.AFTER_ROUNDING)
    sub_in = 2.0 ** (-126 if nin == 4 else -1022)
    codes, flags = [], []
    for v, b in zip(x.tolist(), x.view(f"u{nin}").tolist()):  # bits from the array: tolist() quiets sNaNs
        if daz and 0 < abs(v) < sub_in:
            b &= 1 << (8 * nin - 1)
        sf.set_exception_flags(0)
        r = int.from_bytes(conv(ctor.from_bytes(int(b).to_bytes(nin, "big"))).to_bytes(), "big")
        f = int(sf.get_exception_flags())
        exp0 = (r >> man) & ((1 << (8 * nout - 1 - man)) - 1) == 0
        if ftz and math.isfinite(v) and v != 0 and (f & UF or (exp0 and r & ((1 << man) - 1))):
            r, f = r & (1 << (8 * nout - 1)), UF | NX
        codes.append(r)
        flags.append(f)
    return np.array(codes), np.array(flags)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("tininess,ftz,daz", [("after", False, False), ("before", False, False),
                                              ("after", True, False), ("before", True, True),
                                              ("after", False, True)])
def test_conversions_vs_softfloat(op, tininess, ftz, daz):
    x = f32_inputs()
    if op[1] == "bf16":  # move the values into bf16's subnormal range too
        x = np.concatenate([x, (x.view(np.uint32) - np.uint32(112 << 23)).view(np.float32)[np.abs(x) < 1]])
    if op[0] == "float64":
        with np.errstate(invalid="ignore"):
            x64 = x.astype(np.float64)
        nan64 = np.array([0x7FF0000000000001, 0xFFF4000000012345, 0x7FF8000000000001, 0xFFFFFFFFFFFFFFFF,
                          0x7FF0200000000000], dtype=np.uint64).view(np.float64)
        x = np.concatenate([x64, np.array([1e-310, -3e-320, 2.0**-1030]), nan64])
    sc, sfl = softfloat(x, op, tininess, ftz, daz)
    c, f = encode(x, op[1], nan="riscv", tininess=tininess, ftz=ftz, daz=daz, return_flags=True)
    bad = np.flatnonzero((c != sc) | (f != sfl))
    assert not bad.size, (f"{len(bad)} mismatches, first x={x[bad[0]]!r}: fp8ref {int(c[bad[0]]):#x}/{int(f[bad[0]]):#x} "
                          f"SoftFloat {int(sc[bad[0]]):#x}/{int(sfl[bad[0]]):#x}")
    if ftz and not (daz and op == ("float32", "bf16")):  # float32 -> bf16: only float32 subnormals are tiny
        assert (sfl == UF | NX).sum() > 100


def test_softfloatpy_uses_the_riscv_specialisation():
    """What the oracle can tell: RISC-V canonical NaN (no payload, positive), tininess after."""
    sf.set_tininess_mode(sf.TininessMode.AFTER_ROUNDING)
    r = sf.f32_to_f16(sf.Float32.from_bytes(bytes.fromhex("ff812345")))
    assert r.to_bytes().hex() == "7e00"
    x = np.array([0xFF812345], np.uint32).view(np.float32)
    assert encode(x, "fp16", nan="riscv").tolist() == [0x7E00]
    assert encode(x, "fp16", nan="x86").tolist() == [0xFE09]  # SoftFloat 8086: sign, quiet, payload >> 13
