"""``fp8ref arith OP OPERAND...``: one arithmetic operation, with codes, values and flags.

    fp8ref arith add 1.5 2.25 --fmt e4m3fn
    fp8ref arith mul 0x7E 0x40 --codes --fmt e4m3fn --overflow sat_finite
    fp8ref arith fma 3 5 -15 --fmt p3109_8p3 --rounding rto
    fp8ref arith lt 1 nan --fmt e5m2 --json

Operands are numbers (rounded into their format by its default rounding; the output says when
one was not representable) or, with ``--codes``, codes. A thin layer over
``fp8ref.arith.evaluate``.
"""

from __future__ import annotations

from ..arith import OPERATIONS, evaluate
from ..policy import (
    NAN_MODES,
    NAN_TO_MODES,
    OVERFLOW_MODES,
    PRESETS,
    ROUNDING_MODES,
    TININESS_MODES,
)
from . import CliError, add_command, print_json


def _configure(p):
    p.add_argument("op", metavar="OP", choices=list(OPERATIONS), help=f"operation: {', '.join(OPERATIONS)}")
    p.add_argument("operands", metavar="OPERAND", nargs="+", help="numbers (1.5, -0x1.8p3, inf, nan) or, with --codes, codes")
    p.add_argument("--fmt", required=True, help="operand format (and result format unless --out-fmt)")
    p.add_argument("--out-fmt", dest="out_fmt", help="result format")
    p.add_argument("--fmts", help="comma-separated operand formats, one per operand")
    p.add_argument("--codes", action="store_true", help="operands are codes (0x3C or 60), not numbers")
    p.add_argument("--rounding", choices=ROUNDING_MODES)
    p.add_argument("--overflow", choices=OVERFLOW_MODES)
    p.add_argument("--tininess", choices=TININESS_MODES)
    p.add_argument("--nan", choices=NAN_MODES, help="which NaN code a NaN result gets")
    p.add_argument("--nan-to", dest="nan_to", choices=NAN_TO_MODES, help="NaN result in a format without NaN")
    p.add_argument("--preset", choices=list(PRESETS))
    p.add_argument("--rbits", type=int, metavar="R", help="random bits for stochastic rounding")
    p.add_argument("--srbits", type=int, metavar="N", help="how many random bits R holds")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _run(args):
    fmts = args.fmts.split(",") if args.fmts else None
    if OPERATIONS[args.op] != len(args.operands):
        raise CliError(f"{args.op} takes {OPERATIONS[args.op]} operand(s), got {len(args.operands)}")
    policy = {k: getattr(args, k) for k in ("rounding", "overflow", "tininess", "nan", "nan_to", "preset", "rbits", "srbits")
              if getattr(args, k) is not None}
    if args.op in ("eq", "lt", "le", "gt", "ge", "unordered", "total_order") and (policy or args.out_fmt):
        raise CliError(f"{args.op} is a comparison: no --out-fmt or policy options")
    ev = evaluate(args.op, *args.operands, fmt=args.fmt, out_fmt=args.out_fmt, fmts=fmts, codes=args.codes, **policy)
    if args.json:
        print_json(ev.as_dict())
    else:
        print(ev)
    return 0


add_command("arith", "one arithmetic operation on two or three numbers or codes: code, value, flags", _configure, _run)
