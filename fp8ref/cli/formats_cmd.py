"""``fp8ref formats``: every registered format with its key figures."""

from __future__ import annotations

from tabulate import tabulate

from ..formats import get_format, list_formats
from ..formats.registry import FAMILY_NOTE
from . import add_command, print_json

_COLUMNS = ("name", "kind", "bits", "max_finite", "min_normal", "min_subnormal", "emax", "emin", "num_finite")


def _configure(p):
    p.add_argument("--kind", help="only formats of this kind (ieee, ue8m0, tapered, posit)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _run(args):
    rows = [get_format(n).figures() for n in list_formats(args.kind)]
    if args.json:
        print_json(rows)
    else:
        print(tabulate([[r.get(c, "") for c in _COLUMNS] for r in rows], headers=_COLUMNS, floatfmt="g"))
        if args.kind in (None, "ieee"):
            print(f"\n... {FAMILY_NOTE}")
    return 0


add_command("formats", "list the formats with their key figures", _configure, _run)
