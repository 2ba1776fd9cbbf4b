"""Suite ``convert_stochastic``: f32 -> 4/6/8-bit formats under the four stochastic rounding
rules, with the random bits of each case written in its line
(``convert_stochastic/f32_to_<fmt>.<rule><SRBITS>.<overflow>.t<tininess>``)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core.floats import F32
from ..formats import get_format
from . import generators as G
from .convert_suites import OVERFLOWS, STOCHASTIC, encode_table, ieee_targets, policy_for
from .fields import Field
from .prng import stream
from .suites import FileSpec, Suite, frozen, gen_entry, register_suite

__all__ = ["SRBITS"]

SRBITS = 8


def _stochastic_files(tier):
    suite = "convert_stochastic"
    src = F32
    specs = []
    for fmt in ieee_targets("float32", max_bits=8):
        for rm in STOCHASTIC:
            for ovf in OVERFLOWS:
                pol = policy_for(fmt, rounding=rm, overflow=ovf)
                default = rm == "stochastic" and (
                    (fmt.name in ("e4m3fn", "e5m2") and ovf in ("ovf_inf", "sat_finite"))
                    or (fmt.name == "e2m1fn" and ovf == "sat_finite")
                )
                specs.append(_stochastic_spec(suite, src, fmt, pol, "default" if default else "full"))
    return specs


@lru_cache(maxsize=32)
def _stochastic_inputs(suite, dst_name, seed, count):
    src = F32
    fmt = get_format(dst_name)
    b = G.boundary(src, fmt, ulps=(1,))
    rnd_names = (suite, src.short, fmt.name, "random")
    r = G.testfloat_random(src, fmt, count, stream(seed, *rnd_names))
    a_names = (suite, src.short, fmt.name, "rbits")
    x_sw, r_sw = G.srbits_sweep(src, fmt, SRBITS)
    a = np.concatenate([b, r])
    rb = stream(seed, *a_names).bits(a.size, SRBITS)
    gens = [
        gen_entry("boundary", b.size, a_names, seed, 1),
        gen_entry("random", r.size, rnd_names, seed, 1 + b.size),
        gen_entry("srbits_sweep", x_sw.size, None, seed, 1 + a.size),
    ]
    gens[0]["note"] = "rbits of the boundary and random cases come from stream " + gens[0]["stream"]
    return frozen(np.concatenate([a, x_sw]), gens)[0], np.concatenate([rb, r_sw]), tuple(gens)


def _stochastic_spec(suite, src, fmt, pol, tier):
    stem = f"{suite}/{src.short}_to_{fmt.name}.{pol.rounding}{SRBITS}.{pol.overflow}.t{pol.tininess}"
    fields = (
        Field("a", "input", src.name),
        Field("rbits", "input", f"uint{SRBITS}"),
        Field("z", "result", fmt.name),
        Field("flags", "flags", "flags"),
    )
    meta = {"src": src.name, "dst": fmt.name, "policy": pol.as_dict(), "srbits": SRBITS}
    header = {"op": f"{src.short}_to_{fmt.name}", "rm": pol.rounding, "srbits": SRBITS, "ovf": pol.overflow,
              "tininess": pol.tininess, "nan": pol.nan}

    def build(ctx):
        a, rb, gens = _stochastic_inputs(suite, fmt.name, ctx.seed, ctx.count)
        z, fl = encode_table(src.name, a, fmt, pol, rbits=rb, srbits=SRBITS)
        return {"a": a, "rbits": rb, "z": z, "flags": fl}, list(gens)

    return FileSpec(suite, stem, "convert", fields, meta, header, build, tier)


register_suite(Suite(
    "convert_stochastic",
    f"f32 -> 4/6/8-bit formats under the four stochastic rounding rules, {SRBITS} random bits per "
    "case written in the line (boundary + random + every-rbits sweeps)",
    _stochastic_files,
))
