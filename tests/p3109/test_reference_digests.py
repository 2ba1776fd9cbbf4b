"""fp8ref's P3109 codecs reproduce the P3109 reference implementation (awf/p3109-cpp @ 9042910)
over the committed reference digests of tests/data/p3109/digests.json (no driver needed):

* ``decode``  every code of the 47 formats the driver compiles (K 3..16, both signednesses and
  domains): exact values;
* ``from_f64`` ConvertFromIEEE754<double> of float64 probes (every code's value and the midpoint
  to the next, each with its float64 neighbours, overflow/underflow probes, ±0, ±Inf, NaN, the
  negatives) in every rounding × saturation mode the reference allows (StochasticA/B/C with
  1..32 random bits): fp8ref.encode of float64;
* ``convert`` between P3109 formats (all binary8 pairs, every other format to and from
  binary8p3se/p4se) in every mode: fp8ref.encode of the source's exact value.

The digest of a mode's outputs is defined by tests/oracles/p3109/cases.py.
"""

import numpy as np
import pytest

import fp8ref
from tests.oracles.p3109 import ROUNDING_ALIASES, SATURATION_ALIASES
from tests.oracles.p3109 import cases as C

from ._common import encode_mode, fmt_of, value_records

_HEADER, _SETS = C.load()
_BY_OP = {op: [s for s in _SETS if s.op == op] for op in ("decode", "from_f64", "convert")}


def test_mode_tables_agree_with_the_oracle_s():
    """fp8ref's P3109 name tables are the inverse of the oracle's independent alias tables."""
    from fp8ref.formats.p3109 import P3109_ROUNDING, P3109_SATURATION

    assert P3109_ROUNDING == {v: k for k, v in ROUNDING_ALIASES.items()}
    assert P3109_SATURATION == {v: k for k, v in SATURATION_ALIASES.items()}
    assert set(P3109_ROUNDING.values()) <= set(fp8ref.policy.ROUNDING_MODES)


def test_digest_coverage():
    import json

    raw = json.loads(C.DATA.read_text())["sets"]
    assert len(_BY_OP["decode"]) == 47 and len(_BY_OP["from_f64"]) == 47 and len(_BY_OP["convert"]) == 339
    assert sum(s["cases"] for s in raw if s["op"] == "from_f64") > 1_500_000
    assert sum(s["cases"] for s in raw if s["op"] == "convert") > 2_500_000


@pytest.mark.parametrize("cs", _BY_OP["decode"], ids=lambda s: s.id)
def test_decode_every_code(cs):
    import hashlib

    fmt = fmt_of(cs.fmts[0])
    codes = C.operands(cs, 0)[0]
    got = fp8ref.decode(codes, fmt, dtype=np.float64)
    assert hashlib.sha256(value_records(got)).hexdigest() == cs.digest, cs.id
    # Format.exact_value (Fraction, from the code's fields) carries the same values
    pick = codes if fmt.bits <= 12 else codes[:: 1 << (fmt.bits - 12)]
    exact = [fmt.exact_value(int(c)) for c in pick]
    assert C.decode_records(exact).tobytes() == value_records(fp8ref.decode(pick, fmt, dtype=np.float64)), cs.id


def _outputs(cs, convert_input):
    outs = []
    for k, mode in enumerate(cs.modes):
        ops = C.operands(cs, k)
        rb = C.random_values(cs, k, len(ops[0]))
        outs.append(encode_mode(convert_input(ops[0]), fmt_of(cs.fmts[0]), mode, rb))
    return outs


@pytest.mark.parametrize("cs", _BY_OP["from_f64"], ids=lambda s: s.id)
def test_project_float64(cs):
    outs = _outputs(cs, lambda x: x)
    assert C.digest(cs.op, outs) == cs.digest, f"{cs.id}: see tests/p3109/test_live_driver.py for the cases"


def _convert_groups():
    groups = {}
    for cs in _BY_OP["convert"]:
        groups.setdefault(cs.fmts[0], []).append(cs)
    return sorted(groups.items())


@pytest.mark.parametrize("dst,sets", _convert_groups(), ids=lambda v: v if isinstance(v, str) else "")
def test_convert_between_formats(dst, sets):
    bad = []
    for cs in sets:
        src = fmt_of(cs.fmts[1])
        # the source codes' exact values (decode is exact in float64 for every compiled format)
        outs = _outputs(cs, lambda c, src=src: fp8ref.decode(c, src, dtype=np.float64))
        if C.digest(cs.op, outs) != cs.digest:
            bad.append(cs.id)
    assert not bad, bad
