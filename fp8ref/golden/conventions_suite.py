"""Suite ``conventions`` (full tier): the hardware conventions of :mod:`fp8ref.codecs.conventions`
where they change results, one input per line with flags.

* ``conventions/f32_to_<fmt>.<ftz|ftz.tbefore|daz|ftz_daz>`` for every IEEE-like format:
  subnormal-heavy inputs (specials, the target's tininess edges and boundary cases, random values
  around the target's subnormal range, float32 subnormals);
* ``conventions/f16_to_<fmt>.<ftz|daz>`` for the OCP FP8 formats and P3109 binary8p3: every
  float16 input;
* ``conventions/f32_to_<fmt>.nan_<riscv|x86|arm>`` for every IEEE-like format with NaN: NaN
  payloads (walking one, quiet and signalling, random, both signs) and specials.
"""

from __future__ import annotations

from functools import lru_cache

from ..core.floats import float_type
from ..formats import get_format
from . import generators as G
from .convert_suites import IEEE_FORMATS, convert_inputs, convert_spec, policy_for
from .prng import stream
from .suites import Suite, concat_parts, frozen, register_suite

SUITE = "conventions"
#: file tag -> policy fields
FTZ_DAZ = {"ftz": dict(ftz=True), "ftz.tbefore": dict(ftz=True, tininess="before"), "daz": dict(daz=True),
           "ftz_daz": dict(ftz=True, daz=True)}
NANS = ("riscv", "x86", "arm")
F16_TARGETS = ("e4m3fn", "e5m2", "p3109_8p3")


@lru_cache(maxsize=64)
def _inputs(kind: str, suite: str, src_name: str, dst_name: str, seed: int, count: int):
    src, fmt = float_type(src_name), get_format(dst_name)
    if src.bits <= 16:
        return convert_inputs(suite, src_name, dst_name, seed, count)
    names = (suite, src.short, fmt.name, kind)
    rng = stream(seed, *names)
    if kind == "subnormal_heavy":
        parts = [("specials", G.specials(src), None, seed), ("tininess", G.tininess(src, fmt), None, seed),
                 ("boundary", G.boundary(src, fmt, ulps=(1,)), None, seed),
                 ("subnormal_heavy", G.subnormal_heavy(src, fmt, count, rng), names, seed)]
    else:
        parts = [("specials", G.specials(src), None, seed), ("nan_payloads", G.nan_payloads(src, count, rng), names, seed)]
    return frozen(*concat_parts(parts))


def _files(tier):
    specs = []
    for n in IEEE_FORMATS:
        fmt = get_format(n)
        for tag, kw in FTZ_DAZ.items():
            specs.append(convert_spec(SUITE, "float32", fmt, policy_for(fmt, **kw), "full", tag=tag,
                                      inputs=lambda *a: _inputs("subnormal_heavy", *a)))
        if fmt.has_nan:
            for mode in NANS:
                specs.append(convert_spec(SUITE, "float32", fmt, policy_for(fmt, nan=mode), "full", tag=f"nan_{mode}",
                                          inputs=lambda *a: _inputs("nan_payloads", *a)))
    for n in F16_TARGETS:
        fmt = get_format(n)
        for tag in ("ftz", "daz"):
            specs.append(convert_spec(SUITE, "float16", fmt, policy_for(fmt, **FTZ_DAZ[tag]), "full", tag=tag))
    return specs


register_suite(Suite(SUITE, "hardware conventions: ftz / daz on subnormal-heavy inputs, riscv / x86 / arm NaN "
                            "codes on NaN payloads, every IEEE-like format (full tier)", _files))
