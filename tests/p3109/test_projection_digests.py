"""fp8ref's projection reproduces the P3109 reference's Project over the committed digests of
tests/data/p3109/projection_digests.json (definitions: projection_cases.py; no driver needed):
every float16 and bfloat16 input into the 13 binary8 formats, float32 probes and exact dyadic
values (up to 62 significant bits) into all 47 compiled formats (K = 3..16, signed/unsigned,
extended/finite), each in every rounding × saturation mode the reference accepts."""

import numpy as np
import pytest

from . import projection_cases as PC
from ._common import encode_mode, fmt_of, fp8ref_outputs

_HEADER, _SETS = PC.load()


def test_the_committed_sets_are_the_defined_sets():
    assert [(s.id, s.modes) for s in _SETS] == [(s.id, s.modes) for s in PC.all_sets()]
    count = {src: sum(1 for s in _SETS if s.src == src) for src in PC.SOURCES}
    assert count == {"f16": 13, "bf16": 13, "f32": 47, "exact": 47, "family": 454, "decode": 278}
    # >= 20,000 cases per format (all modes) where the format has that many distinct inputs
    assert all(s.cases >= 20_000 for s in _SETS if s.src in ("f16", "bf16", "f32", "exact"))
    assert all(s.cases >= PC.MIN_CASES for s in _SETS if s.src == "family")
    assert all(s.cases == 1 << PC.parse_fmt(s.fmt).K for s in _SETS if s.src == "decode")


@pytest.mark.parametrize("ps", _SETS, ids=lambda s: s.id)
def test_projection_matches_the_reference(ps):
    outs = fp8ref_outputs(ps)
    assert PC.n_inputs(ps) * len(ps.modes) == ps.cases
    assert PC.digest(outs) == ps.digest, f"{ps.id}: run tests/p3109/test_live_driver.py for the differing cases"


def test_fast_paths_agree_with_the_generic_path():
    """float32 inputs take fp8ref's key-table path for large arrays: the same codes as small ones."""
    ps = next(s for s in _SETS if s.id == "f32/binary8p4ue")
    x = PC.inputs(ps)
    big = np.tile(x, 1 + (1 << 16) // x.size)
    for mode in ps.modes[:21]:
        small = encode_mode(x, fmt_of(ps.fmt), mode)
        assert (encode_mode(big, fmt_of(ps.fmt), mode)[: x.size] == small).all(), mode
