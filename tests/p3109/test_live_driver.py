"""Spot checks against the live P3109 reference (skipped, with the reason, where g++ or
boost/MPFR/GMP or the reference sources are missing; .ci/run installs them): a spread of the
committed projection sets rerun through the drivers, compared case by case with fp8ref (so a
failure lists the differing inputs) and with the committed digests (so the data file is
reproducible)."""

import numpy as np
import pytest

from tests.oracles import p3109 as P

from . import family_driver as FD
from . import projection_cases as PC
from ._common import fp8ref_outputs

_HEADER, _SETS = PC.load()
_BY_ID = {s.id: s for s in _SETS}
#: two members the operation driver does not compile, for the family driver's live check
FAMILY_LIVE = ("binary7p1se", "binary12p2uf")


def _diff(ps, k, ref, ours):
    """The first differing cases of mode k: (mode, input, reference code, fp8ref code)."""
    x = PC.inputs(ps)
    idx = np.flatnonzero(np.asarray(ref, dtype=np.int64) != np.asarray(ours, dtype=np.int64))
    return [(ps.modes[k], tuple(int(c[i]) for c in x) if ps.src == "family" else x[i], hex(int(ref[i])),
             hex(int(ours[i]))) for i in idx[:3]]


@pytest.mark.parametrize("sid, modes", [
    ("f16/binary8p3se", (5, 20, 29)),  # NTE.SF, ODD.OI, a stochastic mode: all 65,536 inputs
    ("f32/binary8p4ue", (6, 20, 23)),
    ("exact/binary5p4ue", (1, 13, 26)),
    ("exact/binary16p8se", (0, 19, 27)),
    ("f32/binary9p1sf", (2, 6, 9)),
])
def test_projection_sets_live(sid, modes):
    P.driver()  # or skip with the reason
    ps = _BY_ID[sid]
    x = PC.inputs(ps)
    ours = fp8ref_outputs(ps)
    bad = []
    for k in modes:
        r, s, nb = ps.modes[k]
        kw = dict(rounding=r, saturation=s, nbits=nb, rbits=PC.random_values(ps, k, len(x)))
        if ps.src == "exact":
            ref = P.project(ps.fmt, x, **kw)
        else:
            with np.errstate(invalid="ignore"):  # float32 signalling NaNs
                ref = P.from_f64(ps.fmt, np.asarray(x).astype(np.float64), **kw)
        bad += _diff(ps, k, ref, ours[k])
    assert not bad, bad


def test_family_driver_live():
    FD.require(FAMILY_LIVE)  # builds a two-format family driver, or skips with the reason
    for name in FAMILY_LIVE:
        ps = _BY_ID[f"family/{name}"]
        x = PC.inputs(ps)
        ref = [FD.project(name, *x, r, s, PC.random_values(ps, k, len(x[0])), formats=FAMILY_LIVE)
               for k, (r, s, nb) in enumerate(ps.modes)]
        ours = fp8ref_outputs(ps)
        bad = [d for k in range(len(ref)) for d in _diff(ps, k, ref[k], ours[k])]
        assert not bad, (name, bad)
        assert PC.digest(ref) == ps.digest, f"{ps.id}: the committed digest does not reproduce"
        dec = _BY_ID[f"decode/{name}"]
        rec = FD.decode(name, PC.inputs(dec), formats=FAMILY_LIVE)
        assert PC.digest([rec]) == dec.digest and rec == fp8ref_outputs(dec)[0], name
