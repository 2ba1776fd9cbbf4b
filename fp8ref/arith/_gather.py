"""Result-table lookups as one serial Numba pass (imported on first large call).

The tables are built by the generic path (:mod:`.tables`); these loops only index them:
``key = (a << bits_b) | b`` for a pair, ``t1[(a << bits_b) | b] * n_c + c`` for an fma. Serial
on purpose, as the codecs' loops: thread- and fork-safe.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _one(a, tc, tf, oc, of, want_flags):
    for i in range(a.shape[0]):
        k = np.int64(a[i])
        oc[i] = tc[k]
        if want_flags:
            of[i] = tf[k]


@njit(cache=True)
def _pair(a, b, shift, tc, tf, oc, of, want_flags):
    for i in range(a.shape[0]):
        k = (np.int64(a[i]) << shift) | np.int64(b[i])
        oc[i] = tc[k]
        if want_flags:
            of[i] = tf[k]


@njit(cache=True)
def _triple(a, b, c, shift, nc, t1, tc, tf, oc, of, want_flags):
    for i in range(a.shape[0]):
        k = np.int64(t1[(np.int64(a[i]) << shift) | np.int64(b[i])]) * nc + np.int64(c[i])
        oc[i] = tc[k]
        if want_flags:
            of[i] = tf[k]


def gather(operands, shift, nc, t1, tc, tf, want_flags):
    """Flat operand arrays (1, 2 or 3) -> (codes, flags or None)."""
    n = operands[0].shape[0]
    oc = np.empty(n, tc.dtype)
    of = np.empty(n if want_flags else 0, tf.dtype)
    if len(operands) == 1:
        _one(operands[0], tc, tf, oc, of, want_flags)
    elif len(operands) == 2:
        _pair(operands[0], operands[1], shift, tc, tf, oc, of, want_flags)
    else:
        _triple(operands[0], operands[1], operands[2], shift, nc, t1, tc, tf, oc, of, want_flags)
    return oc, (of if want_flags else None)
