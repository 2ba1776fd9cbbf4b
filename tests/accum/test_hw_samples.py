"""Real tensor-core outputs (V100 .. B200, 5,000 samples per set) reproduced bit for bit."""

import numpy as np
import pytest

from fp8ref.accum import dot, reference_dot

from .hw import UNEXPLAINED, load, sets

ALL = sets()
EXPLAINED = [s for s in ALL if s not in UNEXPLAINED]


def _mismatches(name, out):
    preset, fmt, a, b, c, want = load(name, out)
    got = dot(a, b, c, model=preset, in_fmt=fmt, out=out).astype(np.float32).view(np.uint32)
    return int((got != want).sum()), want.size


def test_every_published_set_is_covered():
    assert len(ALL) == 48 and len(EXPLAINED) == 40


@pytest.mark.parametrize("name,out", EXPLAINED, ids=[f"{n}-{o}" for n, o in EXPLAINED])
def test_preset_reproduces_hardware(name, out):
    bad, total = _mismatches(name, out)
    assert total == 5000
    assert bad == 0, f"{bad} of {total} samples differ"


@pytest.mark.parametrize("name,out", sorted(UNEXPLAINED), ids=[f"{n}-{o}" for n, o in sorted(UNEXPLAINED)])
@pytest.mark.xfail(strict=True, reason="no published model explains this set (docs/accumulation.md)")
def test_unexplained_sets(name, out):
    bad, _ = _mismatches(name, out)
    assert bad == 0


@pytest.mark.parametrize("name,out", EXPLAINED[::3], ids=[f"{n}-{o}" for n, o in EXPLAINED[::3]])
def test_fractions_reference_reproduces_hardware(name, out):
    """The pure-Python reference, on its own, against the hardware (first 40 rows per set)."""
    preset, fmt, a, b, c, want = load(name, out)
    for r in range(40):
        d = reference_dot(a[r].tolist(), b[r].tolist(), float(c[r]), model=preset, in_fmt=fmt, out=out)
        assert np.float32(d).view(np.uint32) == want[r], (name, r)
