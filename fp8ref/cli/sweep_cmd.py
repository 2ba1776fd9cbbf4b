"""``fp8ref sweep``: exhaustive digests of one format/policy, or a whole digest set.

    fp8ref sweep e4m3fn [--rounding R] [--overflow O] [--tininess T] [--source f32|f16|bf16]
                        [--jobs N] [--scheduler ADDR] [--json]
    fp8ref sweep --all --out golden_digests [--only GLOB] [--jobs N] [--scheduler ADDR] [--redo]
    fp8ref sweep --verify golden_digests [--only GLOB] [--jobs N] [--scheduler ADDR]

Exit status: 0 done / every entry identical, 1 an entry differs (--verify), 2 usage errors.
"""

from __future__ import annotations

import sys

from tabulate import tabulate

from . import CliError, add_command, print_json


def _configure(p):
    p.add_argument("format", nargs="?", metavar="FMT", help="format name (fp8ref formats lists them)")
    p.add_argument("--rounding", help="rounding mode (default: the format's, as encode)")
    p.add_argument("--overflow", help="ovf_inf (default), sat_finite or sat_propagate")
    p.add_argument("--tininess", help="after (default) or before")
    p.add_argument("--source", default="f32", help="input type swept: f32 (default, 2^32 inputs), f16 or bf16")
    p.add_argument("--jobs", type=int, default=None, help="chunks computed in parallel (default: the CPUs available)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask distributed scheduler (tcp://host:8786), or 'local' for a local cluster of --jobs "
                        "processes (pip install 'fp8ref[dask]')")
    p.add_argument("--json", action="store_true", help="machine-readable output (the entry with its chunk digests)")
    p.add_argument("--all", action="store_true", help="every standard entry (with --out): the digest set")
    p.add_argument("--out", metavar="DIR", help="digest set to write or extend (with --all)")
    p.add_argument("--only", action="append", default=[], metavar="GLOB",
                   help="entries whose name matches, e.g. 'float32/e4m3fn.*' (repeatable; --all, --verify)")
    p.add_argument("--redo", action="store_true", help="recompute entries already in --out")
    p.add_argument("--verify", metavar="DIR", help="recompute every entry of a digest set in full and compare")


def _progress(i, n, name):
    if sys.stderr.isatty():
        sys.stderr.write(f"\r[{i}/{n}] {name[:70]:<70}" + ("\n" if i == n else ""))
        sys.stderr.flush()


def _jobs(args):
    from ..sweep import default_jobs

    if args.jobs is not None and args.jobs < 1:
        raise CliError(f"--jobs must be at least 1, got {args.jobs}")
    return args.jobs or default_jobs()


def _run(args):
    from .. import sweep as S
    from ..golden import digest_set as D

    jobs = _jobs(args)
    if args.verify:
        if args.format or args.all or args.out:
            raise CliError("--verify DIR takes no FMT, --all or --out")
        if not D.is_digest_set(args.verify):
            raise CliError(f"{args.verify} is not a digest set (no MANIFEST.json with schema {D.SCHEMA})")
        rep = D.verify(args.verify, full=True, only=tuple(args.only), jobs=jobs, scheduler=args.scheduler,
                       progress=_progress)
        print(rep.text())
        print("OK" if rep.ok else "FAILED")
        return 0 if rep.ok else 1
    if args.all:
        if args.format or any(v is not None for v in (args.rounding, args.overflow, args.tininess)):
            raise CliError("--all sweeps the standard entries: give no FMT or policy options (use --only GLOB)")
        if not args.out:
            raise CliError("--all needs --out DIR (the digest set to write or extend)")
        specs = D.select(D.standard(), tuple(args.only))
        if not specs:
            raise CliError(f"no standard entry matches --only {' '.join(args.only)}")
        man = D.write(args.out, specs, jobs=jobs, scheduler=args.scheduler, redo=args.redo,
                      log=lambda t: print(t, file=sys.stderr, flush=True),
                      progress=lambda s: S.progress_bar(D.entry_name(s)))
        print(f"{args.out}: {len(man['entries'])} entries")
        return 0
    if not args.format:
        raise CliError("give a format (FMT), or --all --out DIR, or --verify DIR")
    if args.out or args.only or args.redo:
        raise CliError("--out, --only and --redo go with --all")
    spec = S.Sweep.of(args.format, rounding=args.rounding, overflow=args.overflow, tininess=args.tininess,
                      source=args.source)
    d = S.entry(spec, S.sweep_range(spec, jobs=jobs, scheduler=args.scheduler,
                                    progress=S.progress_bar(D.entry_name(spec))))
    if args.json:
        print_json(d)
        return 0
    step = spec.chunk
    w = (S.SOURCES[spec.source][1] + 3) // 4
    rows = [[j, f"{j * step:0{w}X}-{(j + 1) * step - 1:0{w}X}", c, f]
            for j, (c, f) in enumerate(zip(d["chunks"]["codes"], d["chunks"]["flags"]))]
    print(tabulate(rows, headers=["chunk", "inputs", "codes sha256", "flags sha256"], disable_numparse=True))
    print(f"{D.entry_name(spec)}: {spec.num_inputs} inputs, policy {spec.policy.as_dict()}")
    print(f"codes sha256 {d['codes_sha256']}")
    print(f"flags sha256 {d['flags_sha256']}")
    return 0


add_command("sweep", "exhaustive digests of a format/policy over every float32 (or float16/bfloat16) input",
            _configure, _run)
