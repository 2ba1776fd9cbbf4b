"""The ``fp8ref`` command line: a thin layer over the library.

Each command lives in its own module of this package and registers itself with
``add_command(name, help, configure, run)``; ``main`` dispatches.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["main", "add_command", "CliError"]

_COMMANDS: list = []


class CliError(Exception):
    """A user error: printed as ``fp8ref: error: ...`` with exit status 2."""


def add_command(name, help, configure, run):
    """Register a sub-command: ``configure(parser)`` adds arguments, ``run(args) -> int``.
    Registering a name again replaces the earlier entry."""
    _COMMANDS[:] = [c for c in _COMMANDS if c[0] != name]
    _COMMANDS.append((name, help, configure, run))


def print_json(obj):
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, allow_nan=True)
    sys.stdout.write("\n")


def _load_commands():
    from . import formats_cmd  # noqa: F401
    for mod in ("inspect_cmd", "golden_cmd"):
        try:
            __import__(f"{__name__}.{mod}")
        except ModuleNotFoundError as e:  # optional modules land with their issues
            if e.name != f"{__name__}.{mod}":
                raise


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    _load_commands()
    p = argparse.ArgumentParser(prog="fp8ref", description="Bit-exact reference for 8-bit and block-scaled number formats.")
    p.add_argument("--version", action="version", version=f"fp8ref {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_, configure, run in _COMMANDS:
        sp = sub.add_parser(name, help=help_, description=help_)
        configure(sp)
        sp.set_defaults(_run=run)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (CliError, ValueError, TypeError, OSError) as e:
        print(f"fp8ref: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fp8ref: interrupted", file=sys.stderr)
        return 130
