"""Run the IEEE P3109 reference implementation over every case set and commit its digests.

Writes tests/data/p3109/digests.json: for each case set (operation, formats, projection modes,
operand rule -- see tests/oracles/p3109/cases.py) the SHA-256 of the reference's outputs. The
outputs are produced by awf/p3109-cpp @ 9042910 (MIT; Copyright (c) 2026 Andrew Fitzgibbon)
through tests/oracles/p3109/driver.cpp; only these digests are committed, not its code.

What is covered:
* exhaustive (all 65,536 operand pairs, one set per mode): every binary operation the
  reference has (add, sub, mul, div, copysign and the ten min/max operations) x every rounding
  x every saturation the result format allows, for binary8p3se, binary8p4se, binary8p4ue,
  binary8p4sf, binary8p3uf; the five comparisons over all pairs.
* sampled (every mode inside one set, >= 21,000 cases per format and operation incl. all
  special pairs): the same operations for every other compiled format (K = 3..16); fma and
  clamp for every format; neg/abs/sqrt/recip/rsqrt/convert on every code (K <= 10, else 1,024
  codes); convert between the listed format pairs; mixed-format operations; decode of every
  code; ConvertFromIEEE754 (float64 probes) in every mode.

Usage:  FP8REF_P3109_OPT=-O1 python scripts/p3109_reference_digests.py [--jobs 2] [--only REGEX]
        [--check N]   (recompute N evenly spread committed sets and compare; no write)
Took 31 minutes with 2 processes (142 M cases); progress is kept in <cache>/digests-progress.jsonl, so an
interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("FP8REF_P3109_OPT", "-O1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.oracles import p3109 as P  # noqa: E402
from tests.oracles.p3109 import build as B  # noqa: E402
from tests.oracles.p3109 import cases as C  # noqa: E402

EXHAUSTIVE = ["binary8p3se", "binary8p4se", "binary8p4ue", "binary8p4sf", "binary8p3uf"]
SATS = ("SatFinite", "SatPropagate", "OvfInf")
#: stochastic widths in exhaustive sets, by saturation mode
EXHAUSTIVE_NBITS = {"SatFinite": 3, "SatPropagate": 5, "OvfInf": 8}
UNARY_N = 1024
TERNARY_EXHAUSTIVE_N = 4096
SAMPLED_TOTAL = 21000  # cases per format and operation, over all modes


def modes_for(result: str, set_id: str | None = None):
    """Every (rounding, saturation, nbits) the reference accepts for a result format. Stochastic
    widths: EXHAUSTIVE_NBITS (set_id None) or rotating through the compiled widths."""
    sats = SATS if C.parse(result).extended else ("SatFinite",)
    det = [(r, s, None) for s in sats for r in C.DETERMINISTIC]
    off = C._seed(set_id) % len(P.NBITS) if set_id else 0
    sto = [(r, s, EXHAUSTIVE_NBITS[s] if set_id is None else P.NBITS[(off + j) % len(P.NBITS)])
           for j, (s, r) in enumerate((s, r) for s in sats for r in C.STOCHASTIC)]
    return det + sto


def all_sets() -> list[C.CaseSet]:
    sets = []
    names = B.NAMES
    for f in EXHAUSTIVE:
        for op in P.BINARY:
            for m in modes_for(f):
                sets.append(C.CaseSet(f"x/{op}/{f}/{C.mode_code(m)}", op, (f, f, f, None), "exhaustive", 0, (m,)))
        for op in P.PREDICATES:
            sets.append(C.CaseSet(f"x/{op}/{f}", op, (f, f, f, None), "exhaustive", 0, (None,)))

    def sampled(op, fmts, n=None):
        sid = f"s/{op}/{'/'.join(x for x in fmts if x)}"
        modes = (None,) if op in P.PREDICATES or op == "decode" else tuple(modes_for(fmts[0], sid))
        if n is None:
            n = max(800, math.ceil(SAMPLED_TOTAL / len(modes)))
        return C.CaseSet(sid, op, tuple(fmts) + (None,) * (4 - len(fmts)), "sampled", n, modes)

    for f in names:
        ex = f in EXHAUSTIVE
        sets.append(C.CaseSet(f"a/decode/{f}", "decode", (f, f, None, None), "all_codes", 0, (None,)))
        sets.append(sampled("from_f64", (f,), n=0))
        for op in P.UNARY:
            sets.append(sampled(op, (f, f), n=UNARY_N))
        if not ex:
            for op in P.BINARY:
                sets.append(sampled(op, (f, f, f)))
            for op in P.PREDICATES:
                sets.append(sampled(op, (f, f, f), n=SAMPLED_TOTAL))
        for op in P.TERNARY:
            if ex:
                sets.append(sampled(op, (f, f, f, f), n=TERNARY_EXHAUSTIVE_N))
            else:
                sets.append(sampled(op, (f, f, f, f)))
    for r, x in B.CONVERTS:
        sets.append(sampled("convert", (names[r], names[x]), n=UNARY_N))
    for r, x, y in B.MIXED_BINARY:
        for op in P.BINARY:
            sets.append(sampled(op, (names[r], names[x], names[y])))
    for r, x, y, z in B.MIXED_TERNARY:
        for op in P.TERNARY:
            sets.append(sampled(op, (names[r], names[x], names[y], names[z])))
    for x, y in B.MIXED_PREDICATES:
        for op in P.PREDICATES:
            sets.append(C.CaseSet(f"s/{op}/{names[x]}/{names[y]}", op, (names[x], names[x], names[y], None),
                                  "sampled", SAMPLED_TOTAL, (None,)))
    return sets


def _work(d):
    cs = C.CaseSet.from_json(d)
    t = time.time()
    outs = P.reference_outputs(cs)
    return cs.id, C.digest(cs.op, outs), sum(len(o) for o in outs), time.time() - t


def write_digests(dest: Path, header: dict):
    """Atomically write the digests file: header fields, then one case set per line."""
    head = {k: v for k, v in header.items() if k != "sets"}
    text = "{\n" + "".join(f"{json.dumps(k)}: {json.dumps(v)},\n" for k, v in head.items())
    text += '"sets": [\n' + ",\n".join(json.dumps(s, separators=(",", ":")) for s in header["sets"]) + "\n]}\n"
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".digests-")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="regex on case-set ids (testing the script)")
    ap.add_argument("--out", default=str(C.DATA))
    ap.add_argument("--check", type=int, default=0, help="recompute N committed sets and compare")
    args = ap.parse_args(argv)

    exe = B.build(verbose=True)
    if args.check:
        _, sets = C.load(Path(args.out))
        pick = sets[:: max(1, len(sets) // args.check)][: args.check]
        bad = 0
        for cs in pick:
            got = C.digest(cs.op, P.reference_outputs(cs))
            ok = got == cs.digest
            bad += not ok
            print(("ok  " if ok else "DIFF") + f" {cs.id}")
        print(f"{len(pick) - bad}/{len(pick)} match")
        return 1 if bad else 0

    sets = all_sets()
    if args.only:
        sets = [s for s in sets if re.search(args.only, s.id)]
    ids = [s.id for s in sets]
    assert len(set(ids)) == len(ids), "duplicate case-set ids"
    progress = exe.parent / "digests-progress.jsonl"
    done = {}
    if progress.exists():
        for line in progress.read_text().splitlines():
            r = json.loads(line)
            done[r["id"]] = r
    todo = [s.as_json() for s in sets if s.id not in done]
    print(f"{len(sets)} case sets, {len(todo)} to run ({len(done)} from {progress})", file=sys.stderr)
    t0 = time.time()
    cases = 0
    with open(progress, "a") as prog, Pool(args.jobs) as pool:
        for i, (sid, dg, n, dt) in enumerate(pool.imap_unordered(_work, todo, chunksize=1)):
            done[sid] = {"id": sid, "digest": dg, "cases": n}
            prog.write(json.dumps(done[sid]) + "\n")
            prog.flush()
            cases += n
            if i % 50 == 0:
                el = time.time() - t0
                print(f"{i + 1}/{len(todo)} sets, {cases} cases, {el:.0f} s ({cases / max(el, 1e-9):.0f} cases/s)",
                      file=sys.stderr)
    out_sets = []
    total = 0
    for s in sets:
        r = done[s.id]
        out_sets.append({**s.as_json(), "digest": r["digest"], "cases": r["cases"]})
        total += r["cases"]
    header = {
        "provenance": f"outputs of the IEEE P3109 reference implementation {B.PROVENANCE}, run through "
                      "tests/oracles/p3109/driver.cpp by scripts/p3109_reference_digests.py",
        "licence": "The reference implementation is MIT-licensed, Copyright (c) 2026 Andrew Fitzgibbon "
                   "(github.com/awf/p3109-cpp); only digests of its outputs are stored here.",
        "definitions": "tests/oracles/p3109/cases.py (operands, random values, output bytes, digest)",
        "mpfr_bits": C.MPFR_BITS,
        "case_sets": len(out_sets),
        "cases": total,
        "sets": out_sets,
    }
    if args.only:
        print(json.dumps({k: v for k, v in header.items() if k != "sets"}, indent=1))
        return 0
    dest = Path(args.out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_digests(dest, header)
    print(f"wrote {dest}: {len(out_sets)} sets, {total} cases, {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
