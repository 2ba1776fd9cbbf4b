"""Run the IEEE P3109 reference's Project over the projection case sets and commit their digests.

Writes tests/data/p3109/projection_digests.json: for each set of tests/p3109/projection_cases.py
(every float16 / bfloat16 input into the 13 binary8 formats the driver compiles; float32 probes
and exact dyadic values into all 47; every rounding x saturation mode) the SHA-256 of the
reference's result codes. The outputs are produced by awf/p3109-cpp @ 9042910 (MIT; Copyright (c)
2026 Andrew Fitzgibbon) through tests/oracles/p3109/driver.cpp (ConvertFromIEEE754<double> for
the float sources, Project for exact values); only digests are committed, not its code.

Usage:  python scripts/p3109_projection_digests.py [--jobs 2] [--only REGEX] [--check N]
Progress is kept in <driver cache>/projection-progress.jsonl, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("FP8REF_P3109_OPT", "-O1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.oracles.p3109 import build as B  # noqa: E402
from tests.p3109 import family_driver as FD  # noqa: E402
from tests.p3109 import projection_cases as PC  # noqa: E402


def _work(d):
    ps = PC.ProjSet.from_json(d)
    t = time.time()
    outs = PC.reference_outputs(ps)
    return ps.id, PC.digest(outs), PC.n_inputs(ps) * len(ps.modes), time.time() - t


def write(dest: Path, header: dict, sets: list):
    text = "{\n" + "".join(f"{json.dumps(k)}: {json.dumps(v)},\n" for k, v in header.items())
    text += '"sets": [\n' + ",\n".join(json.dumps(s, separators=(",", ":")) for s in sets) + "\n]}\n"
    tmp = dest.with_name("." + dest.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, dest)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="regex on set ids: run (and record progress for) these only; the data file "
                                   "is written by a run without --only")
    ap.add_argument("--check", type=int, default=0, help="recompute N committed sets with the driver and compare")
    args = ap.parse_args(argv)
    exe = B.build(verbose=True)
    if not args.check and (not args.only or re.search(args.only, "family/ decode/")):
        FD.build(verbose=True)  # the family driver (every supported member)
    if args.check:
        _, sets = PC.load()
        pick = sets[:: max(1, len(sets) // args.check)][: args.check]
        bad = 0
        for ps in pick:
            ok = PC.digest(PC.reference_outputs(ps)) == ps.digest
            bad += not ok
            print(("ok  " if ok else "DIFF") + f" {ps.id}")
        print(f"{len(pick) - bad}/{len(pick)} match")
        return 1 if bad else 0
    sets = PC.all_sets()
    if args.only:
        sets = [s for s in sets if re.search(args.only, s.id)]
    progress = exe.parent / "projection-progress.jsonl"
    done = {}
    if progress.exists():
        for line in progress.read_text().splitlines():
            r = json.loads(line)
            done[r["id"]] = r
    todo = [s.as_json() for s in sets if s.id not in done]
    print(f"{len(sets)} sets, {len(todo)} to run", file=sys.stderr)
    t0 = time.time()
    with open(progress, "a") as prog, Pool(args.jobs) as pool:
        for i, (sid, dg, n, dt) in enumerate(pool.imap_unordered(_work, todo, chunksize=1)):
            done[sid] = {"id": sid, "digest": dg, "cases": n}
            prog.write(json.dumps(done[sid]) + "\n")  # one short append per set: runs may share the file
            prog.flush()
            print(f"{i + 1}/{len(todo)} {sid}: {n} cases in {dt:.0f} s ({time.time() - t0:.0f} s)", file=sys.stderr)
    out = [{**s.as_json(), "digest": done[s.id]["digest"], "cases": PC.n_inputs(s) * len(s.modes)} for s in sets]
    header = {
        "provenance": f"outputs of the IEEE P3109 reference implementation {B.PROVENANCE}, run through "
                      "tests/oracles/p3109/driver.cpp by scripts/p3109_projection_digests.py",
        "licence": "The reference implementation is MIT-licensed, Copyright (c) 2026 Andrew Fitzgibbon "
                   "(github.com/awf/p3109-cpp); only digests of its outputs are stored here.",
        "definitions": "tests/p3109/projection_cases.py (inputs, modes, random values, digest)",
        "sets_count": len(out),
        "cases": sum(s["cases"] for s in out),
    }
    if args.only:
        print(json.dumps(header, indent=1))
        return 0
    write(PC.DATA, header, out)
    print(f"wrote {PC.DATA}: {header['sets_count']} sets, {header['cases']} cases in {time.time() - t0:.0f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
