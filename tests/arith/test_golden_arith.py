"""The ``arith`` golden vectors: committed lines against the exact fractions reference, and the
operand generators do what their names say.

The committed files are read with plain Python from ``golden_vectors/`` (tests/golden/test_sets.py
proves they regenerate byte for byte); every file's lines are checked against
tests/oracles/arith_ref.py (codes and flags, under the policy written in the file's sidecar):
every line of a generator's first 40 and then every 11th line.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest

import fp8ref
from fp8ref.golden import arith_suites as S
from tests.oracles import arith_ref as R

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VECTORS = os.path.join(ROOT, "golden_vectors")


def _manifest():
    with open(os.path.join(VECTORS, "MANIFEST.json")) as f:
        return json.load(f)


ENTRIES = [e for e in _manifest()["sets"] if e["suite"] == "arith"]


def _read(stem):
    with open(os.path.join(VECTORS, stem + ".json")) as f:
        meta = json.load(f)
    with open(os.path.join(VECTORS, stem + ".tv")) as f:
        rows = np.array([[int(t, 16) for t in ln.split()] for ln in f], dtype=np.int64)
    assert rows.shape[0] == meta["lines"] <= S.DEFAULT_LINES
    return meta, {fd["name"]: rows[:, i] for i, fd in enumerate(meta["fields"])}


def _lines(meta):
    pick = set()
    for g in meta["generators"]:
        lo = g["first_line"] - 1
        pick |= set(range(lo, lo + min(40, g["count"])))
    return sorted(pick | set(range(0, meta["lines"], 11)))


def test_committed_arith_files():
    ops = {e["op"] for e in ENTRIES}
    assert ops >= {"add", "sub", "mul", "div", "fma", "sqrt", "recip", "rsqrt", "neg", "abs", "copysign", "clamp",
                   "convert", "eq", "lt", "le", "gt", "ge", "unordered", "total_order", *S.SELECT_OPS}
    assert len(ENTRIES) >= 100


@pytest.mark.parametrize("stem", [e["stem"] for e in ENTRIES])
def test_lines_match_fractions_reference(stem):
    meta, t = _read(stem)
    fields = [fd["name"] for fd in meta["fields"] if fd["role"] == "input" and fd["name"] != "rbits"]
    fmts = meta["src"]
    pol = meta.get("policy", {})
    mode = {k: pol[k] for k in ("rounding", "overflow", "tininess", "nan", "nan_to") if k in pol}
    bad = []
    for i in _lines(meta):
        extra = {"rbits": int(t["rbits"][i]), "nbits": meta["srbits"]} if "rbits" in t else {}
        codes = [int(t[f][i]) for f in fields]
        if meta["dst"] == "bool":
            want, wf = R.scalar(meta["op"], *codes, fmt=fmts[0], in_fmts=fmts)
            want = int(want)
        else:
            want, wf = R.scalar(meta["op"], *codes, fmt=meta["dst"], in_fmts=fmts, **mode, **extra)
        if (int(t["z"][i]), int(t["flags"][i])) != (int(want), int(wf)):
            bad.append((i + 1, [hex(c) for c in codes], hex(int(t["z"][i])), hex(int(want))))
    assert not bad, f"{stem}: {len(bad)} lines differ from arith_ref, first {bad[:3]}"


# ---- the generators ----------------------------------------------------------------------------
def _value(fmt, code):
    return fp8ref.get_format(fmt).exact_value(int(code))


def test_full_tier_is_exhaustive_for_8bit_pairs():
    cols, gens = S.operands("mul", ("e4m3fn", "e4m3fn"), "e4m3fn", "full", 1, 256)
    assert [g["id"] for g in gens] == ["exhaustive"] and cols[0].size == 65536
    assert len({(int(a), int(b)) for a, b in zip(cols[0], cols[1])}) == 65536
    cols, gens = S.operands("add", ("e2m1fn", "e2m1fn"), "e2m1fn", "default", 1, 256)
    assert [g["id"] for g in gens] == ["exhaustive"] and cols[0].size == 256  # FP4: every pair in every tier
    full = {(s.stem, s.tier) for s in S._files("full")}
    assert ("arith/mul/e4m3fn.rne.sat_finite.tafter", "full") in full
    assert all(s.tier == "default" for s in S._files("default"))


def test_boundary_generators():
    cols, gens = S.operands("mul", ("e4m3fn", "e4m3fn"), "e4m3fn", "default", 1, 256)
    g = {x["id"]: x for x in gens}
    assert set(g) >= {"specials", "ties", "near_ties", "overflow", "underflow", "random"}
    vals = sorted({_value("e4m3fn", c) for c in range(256) if isinstance(_value("e4m3fn", c), Fraction)})
    mids = {(x + y) / 2 for x, y in zip(vals, vals[1:])}
    lo = g["ties"]["first_line"] - 1
    for i in range(lo, lo + g["ties"]["count"]):
        p = _value("e4m3fn", cols[0][i]) * _value("e4m3fn", cols[1][i])
        assert p in mids or -p in mids  # exactly halfway between two E4M3FN values
    lo = g["overflow"]["first_line"] - 1
    assert all(abs(_value("e4m3fn", cols[0][i]) * _value("e4m3fn", cols[1][i])) > 300
               for i in range(lo, lo + g["overflow"]["count"]))


def test_fma_generators():
    cols, gens = S.operands("fma", ("e4m3fn",) * 3, "e4m3fn", "default", 1, 256)
    g = {x["id"]: x for x in gens}
    assert all(g[k]["count"] > 100 for k in ("exact_zero", "cancellation", "overflow", "subnormal_products", "sticky"))

    def rows(gid):
        lo = g[gid]["first_line"] - 1
        for i in range(lo, lo + g[gid]["count"]):
            yield [_value("e4m3fn", c[i]) for c in cols]

    assert all(a * b + c == 0 for a, b, c in rows("exact_zero"))
    fin = sorted({_value("e4m3fn", k) for k in range(256) if isinstance(_value("e4m3fn", k), Fraction)})
    between = lambda x, y: sum(min(x, y) < v < max(x, y) for v in fin)
    assert all(between(c, -a * b) <= 3 for a, b, c in rows("cancellation"))  # c a few values from -(a b)
    assert all(0 < abs(a * b) < Fraction(1, 64) for a, b, c in rows("subnormal_products"))
    assert all(abs(a * b) > 100 for a, b, c in rows("overflow"))
    assert S.operands("fma", ("e4m3fn",) * 3, "e4m3fn", "full", 1, 256)[0][0].size == S.FMA_LINES["full"]
