"""The committed exhaustive digests (golden_digests/) against independent oracles, and the oracle
script's adjustment rules against the sweep's streams.

scripts/float32_digests_oracle.py recomputes every entry that has an oracle over all inputs
(docs/golden-vectors.md §6 has the run); here, in CI time, it recomputes five 2^24-input chunks
of every float32 entry with an oracle, and every float16/bfloat16-source entry in full."""

from __future__ import annotations

import collections
import hashlib
import importlib.util
import json
import os

import pytest

import fp8ref
from fp8ref import sweep as S

from .conftest import REPO

COMMITTED = os.path.join(REPO, "golden_digests")

_ospec = importlib.util.spec_from_file_location("float32_digests_oracle",
                                                os.path.join(REPO, "scripts", "float32_digests_oracle.py"))
O = importlib.util.module_from_spec(_ospec)
_ospec.loader.exec_module(O)

#: float32 patterns where the oracle adjustments matter: zero/subnormals, 1.0, the E4M3/E5M2/HiF8
#: overflow thresholds, float32 max, Inf and NaNs, negatives, the narrow formats' subnormal ranges
_EDGE_STARTS = (0x00000000, 0x3F800000, 0x43600000, 0x43E00000, 0x47600000, 0x7F7F0000, 0x7F800000,
                0x7FFF0000, 0x80000000, 0xC3E00000, 0xFF800000, 0x33000000, 0x3B000000,
                0x003FE000, 0x005FE000)  # UE8M0: 2^-127 and 1.5 * 2^-127 (float32 subnormals)
_VARIANTS = [(o, t) for o in O.OVERFLOWS for t in ("after", "before")]


def _streams(spec, lo, hi):
    c, f = S.chunk_streams(spec, lo, hi)
    return (c.array() if isinstance(c, S.Const) else c).tobytes(), (f.array() if isinstance(f, S.Const) else f).tobytes()


def _format_edges(fmt):
    """Starts of 2^14-input slices centred on the format's smallest subnormal, smallest normal
    (where tininess before and after differ) and largest finite value, and on half the smallest
    normal and twice the largest finite value (where the oracle's flag rules stop casting), both
    signs."""
    import numpy as np

    f = fp8ref.get_format(fmt).figures()
    out = []
    for v in (f["min_subnormal"], f["min_normal"], f["max_finite"], f["min_normal"] / 2, f["max_finite"] * 2):
        v = np.float32(min(float(v), float(np.finfo(np.float32).max)))
        b = int(np.array([v], np.float32).view(np.uint32)[0])
        out += [max(b - (1 << 13), 0), max(b - (1 << 13), 0) | 0x80000000]
    return out


@pytest.mark.parametrize("fmt", sorted(O.ORACLES))
def test_oracle_rules_agree_with_the_sweep_on_edge_ranges(fmt):
    """The oracle script's casts, adjusted by its stated rules, give the sweep's code and flag
    bytes on 2^14-input slices at the edges, for every overflow mode and tininess rule."""
    nan = fp8ref.get_format(fmt).canonical_nan
    rounding = O.ROUNDING.get(fmt, "rne")
    specs = {v: S.Sweep.of(fmt, rounding=rounding, overflow=v[0], tininess=v[1]) for v in _VARIANTS}
    for lo in _EDGE_STARTS + tuple(_format_edges(fmt)):
        got = O._chunk(fmt, "float32", lo, lo + (1 << 14), _VARIANTS, nan)
        for v, spec in specs.items():
            c, f = _streams(spec, lo, lo + (1 << 14))
            assert got[v][0].tobytes() == c, (fmt, v, hex(lo))
            if fmt not in O.NO_FLAGS:
                assert got[v][1].tobytes() == f, (fmt, v, hex(lo))


def test_oracle_flags_catch_the_issue15_underflow_bug():
    """The flag oracle on the issue-15 inputs: float32 subnormals 0x007FC000 .. 0x007FFFFF (bf16)
    and 0x007FF800 .. 0x007FFFFF (tf32) round up to 2^-126 under RNE, also with unbounded
    exponent: inexact, not tiny after rounding (the old key table said inexact|underflow); the
    pattern just below each range rounds down with unbounded exponent: tiny. The sweep agrees."""
    import numpy as np

    for fmt, lo in (("bf16", 0x007FC000), ("tf32", 0x007FF800)):
        nan = fp8ref.get_format(fmt).canonical_nan
        got = O._chunk(fmt, "float32", lo, 0x00800000, [("ovf_inf", "after"), ("ovf_inf", "before")], nan)
        assert set(got[("ovf_inf", "after")][1].tolist()) == {0x01}
        assert set(got[("ovf_inf", "before")][1].tolist()) == {0x03}
        below = O._chunk(fmt, "float32", lo - 1, lo, [("ovf_inf", "after")], nan)
        assert below[("ovf_inf", "after")][1].tolist() == [0x03]
        for t, want in (("after", 0x01), ("before", 0x03)):
            f = np.frombuffer(_streams(S.Sweep.of(fmt, tininess=t), lo, 0x00800000)[1], np.uint8)
            assert set(f.tolist()) == {want}, (fmt, t)


def test_16_bit_inputs_are_widened_exactly():
    """Every float16/bfloat16 pattern becomes the float32 of the same value, NaN payload and
    quiet bit kept (a signalling NaN stays signalling)."""
    import ml_dtypes
    import numpy as np

    h = O._inputs("float16", 0, 1 << 16)
    b = O._inputs("bfloat16", 0, 1 << 16)
    u = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    for x, src in ((h, u.view(np.float16)), (b, u.view(ml_dtypes.bfloat16))):
        with np.errstate(invalid="ignore"):
            v = src.astype(np.float64)
        fin = ~np.isnan(v)
        assert (x.astype(np.float64)[fin] == v[fin]).all() and (np.signbit(x) == np.signbit(v)).all()
        assert (np.isnan(x) == ~fin).all()
    quiet = (h.view(np.uint32) >> 22) & 1
    assert (quiet[np.isnan(h)] == ((u[np.isnan(h)] >> 9) & 1)).all()


def _committed():
    with open(os.path.join(COMMITTED, "MANIFEST.json")) as f:
        names = sorted(json.load(f)["entries"])
    out = {}
    for n in names:
        with open(os.path.join(COMMITTED, *f"{n}.json".split("/"))) as f:
            out[n] = json.load(f)
    return out


#: 0.5..2 (ordinary rounding), the top binades with +Inf and NaNs, negatives around 448,
#: negative zero and float32 subnormals (underflow), positive zero and subnormals (UE8M0's bottom)
_CHUNKS = (0x3F, 0x7F, 0xC3, 0x80, 0x00)


@pytest.mark.skipif(not os.path.isdir(COMMITTED), reason="golden_digests/ not present")
def test_committed_digest_chunks_match_the_oracles():
    """Five 2^24-input chunks of every committed float32 entry that has an oracle (ml_dtypes,
    numpy float16, en_dtypes, tf32 by scaling), codes and flags, one cast per format and chunk."""
    groups = collections.defaultdict(dict)
    for name, e in _committed().items():
        if e["source"] == "float32" and O.oracle_for(e) is None:
            groups[e["format"]][name] = e
    for fmt, es in groups.items():
        variants = sorted({(e["policy"]["overflow"], e["policy"]["tininess"]) for e in es.values()})
        for chunk in _CHUNKS:
            got = O._chunk(fmt, "float32", chunk << 24, (chunk + 1) << 24, variants,
                           fp8ref.get_format(fmt).canonical_nan)
            for name, e in es.items():
                c, f = got[(e["policy"]["overflow"], e["policy"]["tininess"])]
                assert hashlib.sha256(c).hexdigest() == e["chunks"]["codes"][chunk], (name, hex(chunk))
                if f is not None:
                    assert hashlib.sha256(f).hexdigest() == e["chunks"]["flags"][chunk], (name, hex(chunk))
    checked = {n for es in groups.values() for n in es}
    assert {n.split("/")[1].split(".")[0] for n in checked} == set(O.ORACLES), sorted(checked)


@pytest.mark.skipif(not os.path.isdir(COMMITTED), reason="golden_digests/ not present")
def test_committed_16_bit_source_entries_match_the_oracles_in_full():
    groups = collections.defaultdict(dict)
    for name, e in _committed().items():
        if e["source"] != "float32" and O.oracle_for(e) is None:
            groups[(e["format"], e["source"], e["chunk_bits"])][name] = e
    assert len(groups) == 2 * 15
    for (fmt, source, cb), es in groups.items():
        for name, (ok_c, ok_f, where) in O.check_group(fmt, source, es, 2, cb).items():
            assert ok_c and ok_f is not False and where is None, (name, ok_c, ok_f, where)
