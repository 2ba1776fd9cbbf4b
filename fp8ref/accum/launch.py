"""Running the parallel GEMM kernels safely in threads and processes; saying when they compile.

Numba runs ``parallel=True`` code on a threading layer (``tbb``, ``omp`` or ``workqueue``,
whichever it finds first, or ``NUMBA_THREADING_LAYER``). Two of them are unsafe in ways a
Python user meets: GNU OpenMP terminates a fork child that enters a parallel region after its
parent did ("fork() called from a process already using GNU OpenMP"), and ``workqueue`` aborts
when two threads enter parallel regions at once. :func:`run` therefore calls

* in a fork child of a process that had started Numba's threads (any layer), the kernel's
  serial twin (:data:`.kernel.SERIAL`: same code without ``parallel=True``, same bits);
* with ``workqueue`` (or before any layer has started), the parallel kernel under a lock, so
  one thread at a time is inside it;
* otherwise the parallel kernel directly (``omp`` and ``tbb`` are thread-safe).

The first kernel compilation in a process (nothing in Numba's on-disk cache yet) prints one line
on stderr; loading from the cache prints nothing. docs/accumulation.md §5.
"""

from __future__ import annotations

import os
import sys
import threading

import numba
from numba.core import event

from .kernel import SERIAL

__all__ = ["run", "COMPILE_NOTICE"]

COMPILE_NOTICE = ("fp8ref: compiling the GEMM kernels with Numba (first use in this environment: "
                  "about 10-30 s per kernel, then cached on disk)")


class _State:
    forked = False                # a fork child of a process whose Numba threads had started
    lock = threading.Lock()       # one thread at a time in a workqueue kernel
    told = False                  # the compile notice has been printed


def _layer():
    """The running threading layer, or None before the first parallel call starts one."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None


def _after_fork_in_child():
    _State.lock = threading.Lock()  # another parent thread may have held it at the fork
    if _layer() is not None:
        _State.forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Notice(event.Listener):
    """Prints COMPILE_NOTICE when a kernel of this package starts compiling (not on cache loads)."""

    def on_start(self, ev):
        fn = getattr(ev.data.get("dispatcher"), "py_func", None)
        if not _State.told and getattr(fn, "__module__", "").startswith(__package__):
            _State.told = True
            print(COMPILE_NOTICE, file=sys.stderr, flush=True)

    def on_end(self, ev):
        pass


def _call(fn, args):
    if _State.told:
        return fn(*args)
    with event.install_listener("numba:compile", _Notice()):
        return fn(*args)


def run(kernel, *args):
    """``kernel(*args)`` for a parallel kernel of :mod:`.kernel`, run as the module docstring says."""
    if _State.forked:
        return _call(SERIAL[kernel], args)
    if _layer() in (None, "workqueue"):
        with _State.lock:
            return _call(kernel, args)
    return _call(kernel, args)
