"""The MMA-Sim fixtures (tests/data/mmasim, README there) and the preset each kind is claimed by.

Every kind maps to a preset, sometimes with the instruction shape changed (``n``: the MMA-Sim
instruction's k where one preset covers several shapes, e.g. Hopper ``mma`` m16n8k8 is
``h100_fp16`` with n = 8) or with formats widened (tcgen05 kind::f16 takes f16 x bf16). Rows
whose tag is in the kind's ``excused`` set belong to a documented class where fp8ref chooses
differently from MMA-Sim (docs/accumulation.md §3); every other row must match bit for bit.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from fp8ref import decode_table, get_format
from fp8ref.accum import get_model

DATA = Path(__file__).resolve().parent.parent / "data" / "mmasim"

#: kind -> (preset, changes to it)
KINDS = {
    "volta_mma_m8n8k4_f32": ("v100_fp16", {}),
    "volta_mma_m8n8k4_f32_c16": ("v100_fp16", {}),
    "volta_mma_m8n8k4_f16": ("v100_fp16", {}),
    "turing_mma_m16n8k8_f32": ("turing_fp16", {}),
    "turing_mma_m16n8k8_f16": ("turing_fp16", {}),
    "ampere_mma_m16n8k16_f32": ("a100_fp16", {"fmts": ("fp16", "bf16")}),
    "ampere_mma_m16n8k16_f16": ("a100_fp16", {}),
    "ampere_mma_m16n8k8_f32": ("a100_bf16", {}),
    "ampere_mma_m16n8k8_tf32": ("a100_tf32", {}),
    "ampere_mma_m16n8k4_tf32": ("a100_tf32", {}),
    "ada_mma_m16n8k32_f32": ("ada_fp8", {}),
    "ada_mma_m16n8k32_f16": ("ada_fp8", {}),
    "ada_mma_m16n8k16_f32": ("ada_fp8", {}),
    "ada_mma_m16n8k16_f16": ("ada_fp8", {}),
    "hopper_mma_m16n8k8_f32": ("h100_fp16", {"n": 8, "fmts": ("fp16", "bf16")}),
    "hopper_mma_m16n8k8_f16": ("h100_fp16", {"n": 8}),
    "hopper_mma_m16n8k4_tf32": ("h100_tf32", {"n": 4}),
    "sm120_mma_m16n8k16_f32": ("sm120_fp8", {"n": 16}),
    "sm120_mma_m16n8k16_f16": ("sm120_fp8", {"n": 16}),
    "hopper_wgmma_k32_f32": ("h100_fp8", {}),
    "hopper_wgmma_k32_f16": ("h100_fp8", {}),
    "blackwell_tcgen05_k8_tf32": ("b200_tf32", {}),
    "blackwell_tcgen05_k16_f32": ("b200_fp16", {"fmts": ("fp16", "bf16"), "mixed": True}),
    "blackwell_tcgen05_k16_f16": ("b200_fp16", {}),
    "blackwell_tcgen05_k32_f32": ("b200_f8f6f4", {}),
    "blackwell_tcgen05_k32_f16": ("b200_f8f6f4", {}),
    "blackwell_tcgen05_mxf8f6f4": ("b200_mxf8f6f4", {}),
    "blackwell_tcgen05_mxf4nvf4_ue8m0_b32": ("b200_mxf4nvf4", {}),
    "blackwell_tcgen05_mxf4nvf4_ue8m0_b16": ("b200_mxf4nvf4", {}),
    "blackwell_tcgen05_mxf4nvf4_ue4m3_b16": ("b200_mxf4nvf4", {}),
    "sm120_mma_mxf4nvf4_ue4m3_b32": ("b200_mxf4nvf4", {"scale_formats": (("ue4m3", 32),)}),
    "cdna1_mfma_f16": ("cdna1_fp16", {}),
    "cdna1_mfma_bf16": ("cdna1_bf16", {}),
    "cdna2_mfma_f16": ("cdna2_fp16", {}),
    "cdna2_mfma_bf16": ("cdna2_bf16", {}),
    "cdna2_mfma_bf16_1k": ("cdna2_bf16_1k", {}),
    "cdna3_mfma_f32": ("cdna3_fp32", {}),
    "cdna3_mfma_xf32": ("cdna3_xf32", {}),
    "cdna3_mfma_f16": ("cdna3_fp16", {}),
    "cdna3_mfma_bf16": ("cdna3_bf16", {}),
    "cdna3_mfma_fp8": ("cdna3_fp8", {}),
}


def model_of(kind):
    name, changes = KINDS[kind]
    m = get_model(name)
    return m.replace(**changes) if changes else m


@lru_cache(maxsize=None)
def load(kind):
    """dict of arrays (single rows and chained rows) with values decoded to float64."""
    z = dict(np.load(DATA / f"{kind}.npz"))
    return z


def _decode(codes, fmt):
    codes = np.asarray(codes)
    if fmt in ("fp32", "tf32"):
        return codes.astype(np.uint32).view(np.float32).astype(np.float64)
    t = decode_table(get_format(fmt))
    return t[codes.astype(np.intp)]


def scale_values(codes, scale_fmt):
    """Scale codes -> values: UE8M0 2^(c-127) (0xFF NaN); UE4M3 the E4M3 value of the low 7 bits
    (MMA-Sim takes |scale|; the code's top bit is not part of an unsigned format)."""
    codes = np.asarray(codes).astype(np.int64)
    if scale_fmt == "ue8m0":
        return np.where(codes == 0xFF, np.nan, np.exp2(codes - 127.0))
    return decode_table(get_format("e4m3fn"))[codes & 0x7F]


def rows(kind, chained=False):
    """Per row: (a values, b values, a format, b format, c value, d bits, tag, sa, sb) arrays.
    sa/sb: per-element scale values for block-scaled kinds (None otherwise)."""
    z = load(kind)
    p = "chain_" if chained else ""
    if p + "a" not in z:
        return None
    fmts = [str(f) for f in z.get(p + "formats", z["formats"])]
    A, B = z[p + "a"], z[p + "b"]
    fa, fb = z[p + "fa"], z[p + "fb"]
    va = np.empty(A.shape)
    vb = np.empty(B.shape)
    for i, f in enumerate(fmts):
        va[fa == i] = _decode(A[fa == i], f)
        vb[fb == i] = _decode(B[fb == i], f)
    cf, df = str(z["c_format"]), str(z["d_format"])
    c = _decode(z[p + "c"], cf)
    d = z[p + "d"].astype(np.uint32 if df == "fp32" else np.uint16)
    sa = sb = None
    if int(z["block"]):
        blk = int(z["block"])
        sa = np.repeat(scale_values(z[p + "sa"], str(z["scale_format"])), blk, axis=1)
        sb = np.repeat(scale_values(z[p + "sb"], str(z["scale_format"])), blk, axis=1)
    return dict(a=va, b=vb, fa=np.array(fmts)[fa], fb=np.array(fmts)[fb], c=c, d=d, tag=z[p + "tag"], sa=sa, sb=sb,
                out="fp32" if df == "fp32" else "fp16", c_fmt=cf, k=int(z["k"]), sa_codes=z.get(p + "sa"),
                sb_codes=z.get(p + "sb"), a_codes=A, b_codes=B, block=int(z["block"]),
                scale_fmt=str(z["scale_format"]))


def tag_bits(kind, names):
    z = load(kind)
    tn = [str(t) for t in z["tag_names"]]
    return sum(1 << tn.index(n) for n in names)


def kinds():
    return sorted(KINDS)
