"""fp8ref.strategies: valid codes and values, near-boundary inputs that really are midpoints
± ulps (checked with fractions against ml_dtypes' value tables), MX blocks that probe clipping."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from hypothesis import find, given, settings


import fp8ref
from fp8ref import strategies as fst

from ..oracles.shared import finite_sorted, ml_values

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["e4m3fn", "e5m2", "e2m1fn", "e3m2fn", "e4m3fnuz"]


@pytest.mark.parametrize("name", NAMES)
def test_codes_and_values_are_the_formats_own(name):
    vals = ml_values(name)
    fmt = fp8ref.get_format(name)

    @settings(max_examples=150)
    @given(fst.codes(name), fst.codes(name, allow_nan=False, allow_infinity=False),
           fst.values(name, allow_nan=False, allow_infinity=False), fst.values(name))
    def check(c, cf, v, vany):
        assert 0 <= c < fmt.num_codes and isinstance(c, int)
        assert np.isfinite(vals[cf])
        assert any(float(w) == v and np.signbit(w) == np.signbit(v) for w in vals)
        assert math.isnan(vany) or vany in set(vals.tolist())

    check()


def test_codes_cover_everything_and_shrink_to_zero():
    seen = set()

    @settings(max_examples=2000, derandomize=True)
    @given(fst.codes("e2m1fn"))
    def collect(c):
        seen.add(c)

    collect()
    assert seen == set(range(16))
    assert find(fst.codes("e4m3fn"), lambda c: True) == 0
    assert find(fst.values("e5m2"), lambda v: True) == 0.0
    assert math.isinf(find(fst.values("e5m2"), lambda v: math.isinf(v)))


def _steps_from(x, m, dtype):
    """k such that x is k ulps (of dtype) from RNE_dtype(m), or None when more than 8 away."""
    base = np.array([float(m)], dtype=np.float64).astype(dtype)[0]  # m is exact in float64
    if x == base:
        return 0
    for k in range(1, 9):
        up, dn = base, base
        for _ in range(k):
            up = np.nextafter(up, dtype(np.inf))
            dn = np.nextafter(dn, dtype(-np.inf))
        if x == up:
            return k
        if x == dn:
            return -k
    return None


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn"])
def test_near_boundaries_are_midpoints_plus_minus_ulps(name, dtype):
    fin = finite_sorted(ml_values(name))
    mids = [(a + b) / 2 for a, b in zip(fin, fin[1:])]
    fmt = fp8ref.get_format(name)
    top = Fraction(fmt.max_finite) + Fraction(2) ** (fmt.emax - fmt.man_bits) / 2  # overflow midpoint
    mids += [top, -top]
    seen = set()

    @settings(max_examples=150)
    @given(fst.near_boundaries(name, dtype=dtype, ulps=2))
    def check(x):
        assert isinstance(x, float) and dtype(x) == x  # exactly a value of dtype
        q = Fraction(x)
        m = min(mids, key=lambda mm: abs(mm - q))
        k = _steps_from(dtype(x), m, dtype)
        assert k is not None and abs(k) <= 2, (x, m)
        seen.add(k)

    check()
    assert {-1, 0, 1} <= seen


def test_midpoints_are_exact():
    fin = finite_sorted(ml_values("e4m3fn"))
    want = sorted({(a + b) / 2 for a, b in zip(fin, fin[1:])} | {Fraction(464), Fraction(-464)})
    assert [Fraction(float(m)) for m in fst.midpoints("e4m3fn")] == want
    assert 61440.0 in fst.midpoints("e5m2")  # 57344 + 2^12/2... (57344 + 65536) / 2
    with pytest.raises(ValueError, match="ulps"):
        fst.near_boundaries("e4m3fn", ulps=-1)


def _floor_clips(block, emax_elem, max_elem):
    """OCP MX spec scale rule: X = 2^(floor(log2 amax) - emax_elem); does any |v|/X exceed max?"""
    amax = float(np.max(np.abs(block.astype(np.float64))))
    if amax == 0 or not math.isfinite(amax):
        return False
    e = math.frexp(amax)[1] - 1
    return amax / math.ldexp(1.0, e - emax_elem) > max_elem


def _collect(strategy, n=150):
    """n examples (deterministic); `find` would spend seconds shrinking 32-element blocks."""
    out = []

    @settings(max_examples=n, derandomize=True, database=None)
    @given(strategy)
    def run(b):
        out.append(b)

    run()
    return out


@pytest.mark.parametrize("elem,emax,mx", [("e4m3fn", 8, 448.0), ("e2m1fn", 2, 6.0), ("e5m2", 15, 57344.0),
                                         ("int8", 0, 127 / 64)])
def test_mx_blocks_shape_and_probes(elem, emax, mx):
    blocks = _collect(fst.mx_blocks(elem, block_size=32, num_blocks=2), 80)
    assert all(b.shape == (64,) and b.dtype == np.float32 and np.isfinite(b).all() for b in blocks)
    halves = [h for b in blocks for h in (b[:32], b[32:])]
    assert sum(_floor_clips(h, emax, mx) for h in halves) >= 10  # the floor scale clips
    assert sum(not h.any() for h in halves) >= 2  # all-zero blocks
    tiny = np.finfo(np.float32).tiny
    assert sum(0 < np.abs(h).max() < tiny for h in halves) >= 1  # amax in float32's subnormals
    assert sum(np.abs(h).max() > 1e20 for h in halves) >= 1  # and far up the range


def test_mx_blocks_options():
    blocks = _collect(fst.mx_blocks("e2m1fn", block_size=4, allow_special=True), 60)
    assert all(b.shape == (4,) for b in blocks) and any(np.isnan(b).any() for b in blocks)
    assert any(np.isinf(b).any() for b in blocks)
    b16 = _collect(fst.mx_blocks("e4m3fn", dtype="bfloat16", exp_range=(-3, 3), allow_zero_blocks=False), 20)
    assert all(b.dtype == np.dtype(ml_dtypes.bfloat16) for b in b16)
    assert max(float(np.abs(b.astype(np.float32)).max()) for b in b16) < 2 * 448 * 8
    for bad in (dict(block_size=0), dict(num_blocks=0), dict(exp_range=(3, -3))):
        with pytest.raises(ValueError):
            fst.mx_blocks("e4m3fn", **bad)


def test_mx_blocks_elem_keyword_is_a_deprecated_alias_of_fmt():
    want = _collect(fst.mx_blocks("e2m1fn", block_size=4), 10)
    with pytest.warns(DeprecationWarning, match=r"mx_blocks\(elem=...\) is deprecated"):
        old = fst.mx_blocks(elem="e2m1fn", block_size=4)
    got = _collect(old, 10)
    assert len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want))
    with pytest.raises(TypeError, match="not both"):
        fst.mx_blocks("e2m1fn", elem="e2m1fn")


def test_docstring_example_runs():
    src = fst.__doc__
    code = "\n".join(ln[4:] for ln in src.split("::", 1)[1].splitlines() if ln.startswith("    ") or not ln.strip())
    ns = {}
    exec(compile(code, "strategies-docstring", "exec"), ns)
    ns["test_ml_dtypes_e4m3fn_cast"]()


def test_importing_fp8ref_does_not_import_hypothesis():
    code = "import sys, fp8ref, fp8ref.testing, fp8ref.cli; assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr


def test_clear_error_without_hypothesis():
    code = "import sys; sys.modules['hypothesis'] = None\nimport fp8ref.strategies"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode != 0 and re.search(r"needs hypothesis: pip install hypothesis", r.stderr)
