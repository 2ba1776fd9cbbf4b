"""``fp8ref golden``: list, generate, verify, diff and check golden-vector sets.

Exit status: 0 success / everything matches; 1 mismatches found (verify, diff, check);
2 usage or input errors (unknown suite, unwritable directory, malformed file).
"""

from __future__ import annotations

import argparse

from tabulate import tabulate

from . import CliError, add_command, print_json

_SUBS = ("list", "generate", "verify", "diff", "check")


def _int(text):
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _sub(sub, name, text):
    return sub.add_parser(name, help=text, description=text)


def _configure(p):
    sub = p.add_subparsers(dest="golden_command", metavar="ACTION")
    sub.required = True

    s = _sub(sub, "list", "the suites and their file counts")
    s.add_argument("--files", action="store_true", help="list every file stem")
    s.add_argument("--full", action="store_true", help="count/list the full tier, not the default set")
    s.add_argument("--suite", action="append", default=[], help="only this suite (repeatable)")
    s.add_argument("--json", action="store_true", help="machine-readable output")

    s = _sub(sub, "generate", "write a vector set (atomically) to a directory")
    s.add_argument("--suite", action="append", default=[], metavar="SUITE",
                   help="suite to include (repeatable; default: every available suite)")
    s.add_argument("--out", default="golden_vectors", metavar="DIR", help="output directory (default: golden_vectors)")
    s.add_argument("--seed", type=_int, default=None, help="user seed (default 1)")
    s.add_argument("--count", type=_int, default=None, help="random cases per file (default 256)")
    s.add_argument("--full", action="store_true",
                   help="every format x rounding x overflow x tininess combination, not just the default set")
    s.add_argument("--only", action="append", default=[], metavar="GLOB",
                   help="keep only files whose stem matches (fnmatch, e.g. 'convert_f32/*e4m3fn*'; repeatable)")
    s.add_argument("--outputs", default=None, metavar="LIST",
                   help="comma-separated file kinds from tv,memh,npz,json, or 'all' (tv and json always; "
                        "default tv,memh,json)")
    s.add_argument("--force", action="store_true", help="replace a non-empty directory that is not a vector set")

    s = _sub(sub, "verify", "recompute every file of a set and compare (and check the manifest)")
    s.add_argument("dir", metavar="DIR")
    s.add_argument("--hashes-only", action="store_true", help="only check files against MANIFEST.json / SHA256SUMS")
    s.add_argument("--max-rows", type=_int, default=5, help="mismatching lines shown per file (default 5)")

    s = _sub(sub, "diff", "compare two sets (directories) or two vector files")
    s.add_argument("a", metavar="A")
    s.add_argument("b", metavar="B")
    s.add_argument("--max-rows", type=_int, default=5, help="differing lines shown per file (default 5)")

    s = _sub(sub, "check", "compare a DUT's output file with a vector file's expected results")
    s.add_argument("vectors", metavar="VECTORS", help="a .tv or .memh file (its .json sidecar must be beside it)")
    s.add_argument("dut_output", metavar="DUT_OUTPUT",
                   help="one line per vector: all fields, or results+flags, or results only (hex)")
    s.add_argument("--flags-mask", type=_int, default=0x1F,
                   help="flag bits compared (default 0x1F: NX UF OF DZ NV = bits 0..4)")
    s.add_argument("--no-flags", action="store_true", help="do not compare flags")
    s.add_argument("--check-nans", action="store_true",
                   help="NaN results must match bit for bit (default: any NaN matches any NaN)")
    s.add_argument("--max-rows", type=_int, default=20, help="mismatches shown (default 20)")


def _run(args):
    from .. import golden

    cmd = args.golden_command
    if cmd == "list":
        return _list(golden, args)
    if cmd == "generate":
        sel = _selection(golden, args)
        man = golden.generate(args.out, sel, force=args.force, progress=True)
        t = man["totals"]
        print(f"wrote {t['file_sets']} file sets, {t['vectors']:,} vectors, {t['bytes']:,} bytes to {args.out}")
        return 0
    if cmd == "verify":
        rep = golden.verify(args.dir, recompute=not args.hashes_only, max_rows=args.max_rows, progress=golden.show_progress)
        print(rep.text())
        print("OK" if rep.ok else "FAILED")
        return 0 if rep.ok else 1
    if cmd == "diff":
        rep = golden.diff(args.a, args.b, max_rows=args.max_rows)
        print(rep.text())
        return 0 if rep.ok else 1
    if cmd == "check":
        if not 0 <= args.flags_mask <= 0xFF:
            raise CliError(f"--flags-mask must be a byte, got {args.flags_mask:#x}")
        rep = golden.check(args.vectors, args.dut_output, flags_mask=args.flags_mask, check_flags=not args.no_flags,
                           check_nans=args.check_nans, max_rows=args.max_rows)
        print(rep.text())
        return 0 if rep.ok else 1
    raise CliError(f"unknown action {cmd!r}")


def _selection(golden, args):
    outputs = golden.DEFAULT_OUTPUTS
    if args.outputs:
        want = [o.strip() for o in args.outputs.split(",") if o.strip()]
        if want == ["all"]:
            want = list(golden.OUTPUTS)
        outputs = tuple(o for o in golden.OUTPUTS if o in want or o in ("tv", "json"))
        bad = [o for o in want if o not in golden.OUTPUTS]
        if bad:
            raise CliError(f"unknown output kind(s) {', '.join(bad)}; valid: {', '.join(golden.OUTPUTS)}")
    for s in args.suite:
        golden.get_suite(s)  # unknown suite: error listing the valid ones
    sel = golden.Selection(
        suites=tuple(args.suite),
        seed=golden.DEFAULT_SEED if args.seed is None else args.seed,
        count=golden.DEFAULT_COUNT if args.count is None else args.count,
        tier="full" if args.full else "default",
        only=tuple(args.only),
        outputs=outputs,
    )
    sel.validate()
    return sel


def _list(golden, args):
    tier = "full" if args.full else "default"
    names = args.suite or golden.list_suites()
    rows, out = [], []
    for n in names:
        suite = golden.get_suite(n)
        files = suite.files(tier)
        d = {"suite": n, "title": suite.title, "files": len(files)}
        if args.files:
            d["stems"] = [s.stem for s in files]
        out.append(d)
        rows.append([n, len(files), suite.title])
    if args.json:
        print_json(out)
        return 0
    print(tabulate(rows, headers=["suite", f"files ({tier})", "what"], maxcolwidths=[None, None, 80]))
    if args.files:
        for d in out:
            for s in d.get("stems", []):
                print(s)
    return 0


add_command("golden", "golden vectors: list | generate | verify | diff | check", _configure, _run)
