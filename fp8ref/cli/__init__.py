"""The ``fp8ref`` command line: a thin layer over the library.

Each command lives in its own module of this package and registers itself with
``add_command(name, help, configure, run)``; ``main`` dispatches.

Exit status: a command's own (0, 1, 2 for errors), 130 on Ctrl-C, 128 + N on signal N
(SIGTERM 143, SIGHUP 129: cleanups run as for Ctrl-C), 141 when stdout is a closed pipe.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable

__all__ = ["main", "add_command", "CliError"]

_COMMANDS: list[tuple[str, str, Callable, Callable]] = []


class CliError(Exception):
    """A user error: printed as ``fp8ref: error: ...`` with exit status 2."""


def add_command(name: str, help: str, configure: Callable, run: Callable) -> None:
    """Register a sub-command: ``configure(parser)`` adds arguments, ``run(args) -> int``.
    Registering a name again replaces the earlier entry."""
    _COMMANDS[:] = [c for c in _COMMANDS if c[0] != name]
    _COMMANDS.append((name, help, configure, run))


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, allow_nan=True)
    sys.stdout.write("\n")


def _load_commands():
    """Import the command modules (each registers its commands on first import)."""
    from . import arith_cmd, export_cmd, formats_cmd, golden_cmd, inspect_cmd, sweep_cmd  # noqa: F401


_NUMBER = re.compile(r"-(\.?\d|inf|nan)", re.I)


class _Parser(argparse.ArgumentParser):
    """argparse reading every negative number spelling (``-1e-9``, ``-0x1p-3``, ``-inf``,
    ``-nan``) as an argument, never as an option (plain argparse knows only ``-1``, ``-1.5``)."""

    def _parse_optional(self, arg_string):
        return None if _NUMBER.match(arg_string) else super()._parse_optional(arg_string)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    _load_commands()
    p = _Parser(prog="fp8ref", description="Bit-exact reference for 8-bit and block-scaled number formats.")
    p.add_argument("--version", action="version", version=f"fp8ref {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_, configure, run in _COMMANDS:
        sp = sub.add_parser(name, help=help_, description=help_)
        configure(sp)
        sp.set_defaults(_run=run)
    return p


def _exit(signum, frame):
    raise SystemExit(128 + signum)


def _raised_by_exit(exc, tb) -> bool:
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return isinstance(exc, SystemExit) and tb is not None and tb.tb_frame.f_code is _exit.__code__


@contextlib.contextmanager
def _signals_exit():
    """SIGTERM and SIGHUP (where they exist and are not ignored) raise SystemExit(128 + N) for
    the duration, so that cleanups (``atomic_dir``) run as they do for Ctrl-C.

    A signal that lands while Python code runs inside a C callback (Numba compiling: llvmlite's
    object-cache hook is a ctypes callback) raises there, and ctypes swallows the exception
    ("Exception ignored ..."); the unraisable hook then has the signal sent again 50 ms later from
    another thread (sent at once, it would be handled inside the hook and lost again), so that it
    lands in ordinary Python code once the callback has returned."""
    old = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
                old[sig] = signal.signal(sig, _exit)
    previous_hook = sys.unraisablehook

    def redeliver(unraisable):
        if _raised_by_exit(unraisable.exc_value, unraisable.exc_traceback):
            signum = unraisable.exc_value.code - 128
            resend = threading.Timer(0.05, os.kill, (os.getpid(), signum))  # once the hook has returned
            resend.daemon = True
            resend.start()
        else:
            previous_hook(unraisable)

    if old:
        sys.unraisablehook = redeliver
    try:
        yield
    finally:
        if old:
            sys.unraisablehook = previous_hook
        for sig, handler in old.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    with _signals_exit():
        try:
            try:
                return _dispatch(argv)
            finally:
                sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
        except BrokenPipeError:
            with contextlib.suppress(OSError, ValueError):  # no "Exception ignored" at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141  # 128 + SIGPIPE, as the shell reports a command killed by it


def _dispatch(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except BrokenPipeError:
        raise
    except (CliError, ValueError, TypeError, OSError) as e:
        print(f"fp8ref: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fp8ref: interrupted", file=sys.stderr)
        return 130
