"""``fp8ref export``: fp8ref's tables for other tools (``export dpi``: a SystemVerilog DPI-C model).

Exit status: 0 written; 2 usage or input errors (unknown format or policy, a model that cannot
be tabulated, an unwritable directory).
"""

from __future__ import annotations

from . import CliError, add_command


def _list(text):
    return [t.strip() for t in text.split(",") if t.strip()]


def _configure(p):
    sub = p.add_subparsers(dest="export_command", metavar="WHAT")
    sub.required = True
    text = ("a SystemVerilog DPI-C golden model: a self-contained C file (fp8ref's tables, no Python at "
            "simulation time), the SV package with the import \"DPI-C\" declarations, and a JSON index")
    s = sub.add_parser("dpi", help=text, description=text)
    s.add_argument("--formats", required=True, metavar="LIST", help="comma-separated formats (up to 8 bits): e4m3fn,e5m2")
    s.add_argument("--policies", default="ieee", metavar="LIST",
                   help="comma-separated policies, each [preset][:field=value]...: "
                        "'ocp_sat,ieee:overflow=sat_finite,rounding=rtz:tininess=before' (default: ieee); "
                        "one model per format and policy")
    s.add_argument("--sources", default="f32,f16,bf16", metavar="LIST",
                   help="encoders to generate, from f32 (key tables), f16, bf16 (65,536-entry tables); default all")
    s.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")


def _run(args):
    from ..export import export_dpi, models

    if args.export_command != "dpi":
        raise CliError(f"unknown export {args.export_command!r}")
    pairs = models(_list(args.formats), _list(args.policies))
    paths = export_dpi(args.out, pairs, _list(args.sources))
    for p in paths:
        print(p)
    return 0


add_command("export", "export fp8ref's tables for other tools: dpi (SystemVerilog DPI-C model)", _configure, _run)
