"""The one rounding primitive: shift an integer significand right, rounding by a named mode.

Every codec expresses its rounding as ``value = M * 2^E  ->  kept * 2^(E + s)``; this module
decides ``kept`` for all rounding modes, in exact int64 arithmetic, vectorised over arrays.

Stochastic rounding with ``n`` caller-supplied random bits ``r`` (``0 <= r < 2^n``), where
``d = rem / 2^s`` is the discarded fraction of one unit of the kept LSB:

* ``stochastic``       round up iff ``floor(d * 2^n) + r >= 2^n``
  (add the random bits below the kept precision and truncate; gfloat ``StochasticFastest``;
  P3109 ``StochasticA``)
* ``stochastic_fast``  round up iff ``floor(d * 2^(n+1)) + 2r + 1 >= 2^(n+1)`` (gfloat ``StochasticFast``;
  P3109 ``StochasticB``)
* ``stochastic_rne``   round up iff ``rne(d * 2^n) + r >= 2^n``  (gfloat ``Stochastic``; P3109 ``StochasticC``)
* ``stochastic_rno``   round up iff ``rno(d * 2^n) + r >= 2^n``  (ties to odd; gfloat ``StochasticOdd``)

The deterministic modes are P3109's ``RoundAway`` predicates (interim report, RoundToPrecision):
``rtz`` TowardZero, ``raz`` TowardMaxMagnitude, ``rup`` TowardPositive, ``rdn`` TowardNegative,
``rna`` NearestTiesToAway, ``rne`` NearestTiesToEven, ``rto`` ToOdd (``parity_offset`` makes
"even" the code's parity, P3109's CodeIsEven); ``rnz`` is IEEE 754's roundTiesTowardZero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["round_shift", "bit_length", "floor_log2", "MAX_SR_BITS"]

MAX_SR_BITS = 32
_MAX_SHIFT = 62  # significands are < 2^62, so a shift of 62 already discards everything


def bit_length(m: np.ndarray) -> np.ndarray:
    """Bit length of non-negative int64 values (0 for 0), exact for all values < 2^63."""
    m = np.asarray(m, dtype=np.int64)
    _, e = np.frexp(m.astype(np.float64))
    e = e.astype(np.int64)
    # float64 may round a value just below 2^k up to 2^k: correct by one where needed.
    too_big = (e > 0) & ((m >> np.clip(e - 1, 0, 62)) == 0)
    return e - too_big


def floor_log2(M, E) -> np.ndarray:
    """``floor(log2(M * 2^E))`` of exact values (int64 ``M > 0``; meaningless for ``M = 0``): the
    exponent of the leading bit, the binade ``[2^ev, 2^(ev+1))`` every codec rounds in."""
    return bit_length(M) - 1 + np.asarray(E, dtype=np.int64)


def _odd(v):
    return (v & 1).astype(bool)


def round_shift(M, s, negative, mode, *, rbits=None, nbits=0, parity_offset=0):
    """Return ``(kept, inexact)`` with ``kept ≈ M / 2^s`` rounded by ``mode``.

    M: int64 array, ``0 <= M < 2^62``. s: int64 array or int, any sign (``s <= 0`` is exact).
    negative: bool array, the sign of the value (directed modes). parity_offset: added to
    ``kept`` before testing evenness, so that ``rne``/``rto`` can mean "even/odd *code*" in
    formats whose code parity is not the significand's (precision 1, tapered formats).
    """
    M = np.asarray(M, dtype=np.int64)
    s = np.broadcast_to(np.asarray(s, dtype=np.int64), M.shape)
    negative = np.broadcast_to(np.asarray(negative, dtype=bool), M.shape)
    left = s <= 0
    # exact branch: shift left
    kept_left = M << np.clip(-s, 0, _MAX_SHIFT)
    # rounding branch: fold any shift beyond 62 into a sticky bit first
    sp = np.clip(s, 1, None)
    pre = np.clip(sp - _MAX_SHIFT, 0, _MAX_SHIFT)
    Mc = (M >> pre) | ((M & ((np.int64(1) << pre) - 1)) != 0).astype(np.int64)
    sc = np.minimum(sp, _MAX_SHIFT)
    kept = Mc >> sc
    rem = Mc & ((np.int64(1) << sc) - 1)
    half = np.int64(1) << (sc - 1)
    inexact = (rem != 0) & ~left
    parity = kept + parity_offset

    if mode == "rne":
        up = (rem > half) | ((rem == half) & _odd(parity))
    elif mode == "rna":
        up = rem >= half
    elif mode == "rnz":
        up = rem > half
    elif mode == "rtz":
        up = np.zeros(M.shape, dtype=bool)
    elif mode == "rup":
        up = (rem != 0) & ~negative
    elif mode == "rdn":
        up = (rem != 0) & negative
    elif mode == "rto":
        up = (rem != 0) & ~_odd(parity)
    elif mode == "raz":
        up = rem != 0
    elif mode.startswith("stochastic"):
        up = _stochastic_up(mode, rem, sc, rbits, nbits, M.shape)
    else:
        raise ValueError(f"unknown rounding mode {mode!r}")
    kept = kept + up
    return np.where(left, kept_left, kept), inexact


def _scaled_fraction(rem, sc, n):
    """floor(rem * 2^n / 2^sc) and the remainder below it, with its half, exactly."""
    down = sc >= n
    sh = np.clip(sc - n, 0, _MAX_SHIFT)
    d = np.where(down, rem >> sh, rem << np.clip(n - sc, 0, _MAX_SHIFT))
    drem = np.where(down, rem & ((np.int64(1) << sh) - 1), 0)
    dhalf = np.where(sh > 0, np.int64(1) << np.clip(sh - 1, 0, _MAX_SHIFT), 1 << 62)
    return d, drem, dhalf


def _stochastic_up(mode, rem, sc, rbits, nbits, shape):
    if rbits is None:
        raise ValueError(f"rounding {mode!r} needs rbits (caller-supplied random bits)")
    n = int(nbits)
    if not 1 <= n <= MAX_SR_BITS:
        raise ValueError(f"srbits must be in 1..{MAX_SR_BITS}, got {n}")
    r = np.broadcast_to(np.asarray(rbits, dtype=np.int64), shape)
    full = np.int64(1) << n
    if mode == "stochastic":
        d, _, _ = _scaled_fraction(rem, sc, n)
        return d + r >= full
    if mode == "stochastic_fast":
        d, _, _ = _scaled_fraction(rem, sc, n + 1)
        return d + 2 * r + 1 >= (full << 1)
    d, drem, dhalf = _scaled_fraction(rem, sc, n)
    if mode == "stochastic_rne":
        d = d + ((drem > dhalf) | ((drem == dhalf) & _odd(d)))
    elif mode == "stochastic_rno":
        d = d + ((drem > dhalf) | ((drem == dhalf) & ~_odd(d)))
    else:
        raise ValueError(f"unknown rounding mode {mode!r}")
    return d + r >= full
