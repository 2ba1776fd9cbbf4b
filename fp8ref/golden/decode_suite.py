"""Suite ``decode``: every code of every format (up to 16 bits) -> float32 bits, NaN written as
``sign | 7FC00000`` (``decode/<fmt>_to_f32``)."""

from __future__ import annotations

import numpy as np

from ..codecs import decode
from ..core.floats import F32
from ..formats import get_format
from .convert_suites import IEEE_FORMATS, OTHER_FORMATS
from .fields import Field
from .suites import FileSpec, Suite, gen_entry, register_suite

__all__ = ["f32_bits_of"]

def f32_bits_of(fmt, codes) -> np.ndarray:
    """float32 bit patterns (uint64) of the decoded codes; NaN -> its sign | F32's canonical NaN."""
    return F32.to_bits_canonical(decode(codes.astype(np.int64), fmt, dtype=np.float32)).astype(np.uint64)


def _decode_files(tier):
    specs = []
    for n in IEEE_FORMATS + OTHER_FORMATS:
        fmt = get_format(n)
        if fmt.bits > 16:
            continue
        t = "default" if fmt.bits <= 8 else "full"
        specs.append(_decode_spec(fmt, t))
    return specs


def _decode_spec(fmt, tier):
    stem = f"decode/{fmt.name}_to_f32"
    fields = (Field("a", "input", fmt.name), Field("z", "result", "float32"), Field("flags", "flags", "flags"))
    meta = {"src": fmt.name, "dst": "float32", "nan_result": f"sign | 0x{F32.canonical_nan:08X}"}
    header = {"op": f"{fmt.name}_to_f32", "nan": f"sign|{F32.canonical_nan:08X}"}

    def build(ctx):
        a = np.arange(fmt.num_codes, dtype=np.uint64)
        z = f32_bits_of(fmt, a)
        return {"a": a, "z": z, "flags": np.zeros(a.size, np.uint64)}, [gen_entry("exhaustive", a.size)]

    return FileSpec("decode", stem, "decode", fields, meta, header, build, tier)


register_suite(Suite(
    "decode",
    f"every code of every format (up to 16 bits) -> float32 bits (NaN -> sign|{F32.canonical_nan:08X}), flags",
    _decode_files,
))
