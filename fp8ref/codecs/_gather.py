"""One fused pass for the key-table path: key from the source bits, then the table lookup.

``key = ((u >> sh) << 1) | (u & (2^sh - 1) != 0)`` (sign, exponent, the leading significand
bits, one sticky bit) indexes the codec-built tables. numpy needs four passes over the data for
this; the Numba loop reads each input once. Same tables, same keys: identical results.

The loops are serial on purpose: Numba's default (workqueue) threading layer is neither
thread-safe nor fork-safe, and a codec must work inside threads, forked workers and process
pools. (The GEMM kernel is the one parallel part; docs/accumulation.md says how to use it there.)
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def key_gather(u, sh, tc, tf, out_c, out_f, want_flags):
    mask = (u.dtype.type(1) << u.dtype.type(sh)) - u.dtype.type(1)
    s = u.dtype.type(sh)
    for i in range(u.shape[0]):
        x = u[i]
        key = ((x >> s) << u.dtype.type(1)) | u.dtype.type((x & mask) != 0)
        out_c[i] = tc[key]
        if want_flags:
            out_f[i] = tf[key]


def gather(u, sh, tc, tf, want_flags):
    out_c = np.empty(u.shape[0], tc.dtype)
    out_f = np.empty(u.shape[0] if want_flags else 0, tf.dtype)
    key_gather(u, sh, tc, tf, out_c, out_f, want_flags)
    return out_c, (out_f if want_flags else None)


@njit(cache=True)
def table_gather(idx, table, out):
    for i in range(idx.shape[0]):
        out[i] = table[idx[i]]


def lookup(codes, table):
    """table[codes] for any integer array shape, in one pass."""
    flat = np.ascontiguousarray(codes).reshape(-1)
    out = np.empty(flat.shape[0], table.dtype)
    table_gather(flat, table, out)
    return out.reshape(np.shape(codes))
