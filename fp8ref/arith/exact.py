"""Exact results ``(-1)^neg * M * 2^E`` of + − × ÷ √ 1/√ in int64 numpy arithmetic.

The operations never round: they hand an exact value (or one that every rounding decision
reads as the exact value, see below) to the result format's codec, whose ``encode_exact``
rounds it once (``core.rounding.round_shift``). Operand significands have at most ``SIG_BITS``
bits (every registered format's precision is at most 24 bits).

Sticky representation. A rounding to a format of precision ``p <= SIG_BITS`` with up to
``MAX_SR_BITS`` stochastic bits reads, below the result's leading bit ``t``, the bits down to
``2^(t - p - MAX_SR_BITS - 1)`` and whether anything lies below them. Where the exact value has
more bits than int64 can hold, the operations keep ``FINE`` bits below the leading bit exactly
and replace everything below by one *sticky* bit (a value strictly between the two truncations):
the codec then takes every decision it takes on the exact value (round up or not, ties,
stochastic thresholds, tininess, the binade) and reports inexact alike.

* product: ``Ma * Mb`` (at most 48 bits), exact;
* sum (``add``, and ``fma`` on an exact product): both terms aligned at ``2^(G-1)``, where
  ``G = min(E_x, t_x - FINE)`` for the term ``x`` with the higher leading bit ``t_x``; the
  other term, if it has bits below ``2^G``, is truncated at ``2^G`` with a sticky bit at
  ``2^(G-1)``. ``x`` is a multiple of ``2^G``, so ``x ± y`` and ``x ± y'`` lie in the same open
  interval between multiples of ``2^G``; a truncated term lies ``>= FINE - 47`` bits below
  ``t_x``, so the sum's leading bit is ``t_x - 1`` or higher and every decision point is a
  multiple of ``2^G``. The aligned sum has at most ``FINE + 4`` bits (< 2^61);
* quotient and square roots: ``QBITS`` result bits by integer long division / digit-by-digit
  integer square root, then one sticky bit (remainder non-zero).
"""

from __future__ import annotations

import numpy as np

from ..core.rounding import MAX_SR_BITS, bit_length

__all__ = ["SIG_BITS", "FINE", "QBITS", "normalize", "mul", "add", "div", "sqrt", "rsqrt"]

SIG_BITS = 24  # widest operand significand
FINE = SIG_BITS + MAX_SR_BITS + 1  # 57: exact bits kept below a sum's leading bit
QBITS = FINE + 1  # 58: quotient / root bits before the sticky bit
_ZERO_TOP = -(1 << 40)  # "leading bit" of a zero term: below everything
_MAX_SHIFT = 62


def normalize(M, E):
    """(M, E) with trailing zero bits of M moved into E (M odd, or M = 0 with E = 0)."""
    M = np.asarray(M, dtype=np.int64)
    E = np.asarray(E, dtype=np.int64)
    tz = np.where(M != 0, bit_length(M & -M) - 1, 0)
    return M >> tz, np.where(M != 0, E + tz, 0)


def mul(Ma, Ea, Mb, Eb):
    """Exact product magnitude (significands up to 2^31 each)."""
    return Ma * Mb, Ea + Eb


def _top(M, E):
    return np.where(M != 0, bit_length(M) - 1 + E, _ZERO_TOP)


def add(na, Ma, Ea, nb, Mb, Eb):
    """``(-1)^na Ma 2^Ea + (-1)^nb Mb 2^Eb`` as ``(neg, M, E)`` (sticky where needed, see the
    module docstring); ``M == 0`` exactly when the sum is exactly zero. Significands up to 48
    bits (an exact product plus an operand)."""
    ta, tb = _top(Ma, Ea), _top(Mb, Eb)
    a_first = ta >= tb
    nx, Mx, Ex, tx = (np.where(a_first, p, q) for p, q in ((na, nb), (Ma, Mb), (Ea, Eb), (ta, tb)))
    ny, My, Ey = (np.where(a_first, q, p) for p, q in ((na, nb), (Ma, Mb), (Ea, Eb)))
    G = np.minimum(Ex, tx - FINE)
    G = np.where(Mx == 0, 0, G)  # both terms zero: any alignment
    X = Mx << np.clip(Ex - G + 1, 0, _MAX_SHIFT)
    exact_y = Ey >= G
    Y_exact = My << np.clip(Ey - G + 1, 0, _MAX_SHIFT)
    sh = np.clip(G - Ey, 0, _MAX_SHIFT)
    low = My & ((np.int64(1) << sh) - 1)
    Y_trunc = ((My >> sh) << 1) | (low != 0)
    Y = np.where(exact_y | (My == 0), Y_exact, Y_trunc)
    S = np.where(nx, -X, X) + np.where(ny, -Y, Y)
    return S < 0, np.abs(S), G - 1


def div(Ma, Ea, Mb, Eb):
    """``Ma 2^Ea / (Mb 2^Eb)`` for ``Ma, Mb > 0`` (up to SIG_BITS bits) as ``(M, E)``:
    ``QBITS`` quotient bits then a sticky bit."""
    Ma = np.asarray(Ma, dtype=np.int64)
    Mb = np.asarray(Mb, dtype=np.int64)
    s = QBITS + bit_length(Mb) - bit_length(Ma)  # q = floor(Ma 2^s / Mb) has QBITS or QBITS+1 bits
    q, r = Ma // Mb, Ma % Mb
    left = s.copy()
    step = _MAX_SHIFT - 1 - SIG_BITS  # r < Mb < 2^24: r << step stays below 2^61
    while (left > 0).any():
        k = np.clip(left, 0, step)
        r = r << k
        q = (q << k) | (r // Mb)
        r = r % Mb
        left = left - k
    return (q << 1) | (r != 0), Ea - Eb - s - 1


def _isqrt_pairs(digit, npairs):
    """Digit-by-digit integer square root: ``digit(i)`` gives the radicand's base-4 digit
    ``i`` (from ``npairs - 1`` down to 0), as an int64 array. Returns (root, remainder)."""
    root = rem = None
    for i in range(npairs - 1, -1, -1):
        d = digit(i)
        if root is None:
            root = np.zeros(d.shape, dtype=np.int64)
            rem = np.zeros(d.shape, dtype=np.int64)
        rem = (rem << 2) | d
        trial = (root << 2) | 1
        ge = rem >= trial
        rem = np.where(ge, rem - trial, rem)
        root = (root << 1) | ge
    return root, rem


def sqrt(M, E):
    """``sqrt(M 2^E)`` for ``M > 0`` (up to SIG_BITS bits) as ``(M, E)``: ``QBITS`` root bits
    then a sticky bit."""
    M = np.asarray(M, dtype=np.int64)
    E = np.asarray(E, dtype=np.int64)
    odd = (E & 1).astype(bool)
    M = np.where(odd, M << 1, M)
    E = E - odd
    # radicand N = M * 4^t with 2*QBITS - 1 or 2*QBITS bits: the root has QBITS bits
    t = QBITS - (bit_length(M) + 1) // 2

    def digit(i):
        p = 2 * i - 2 * t  # the digit's bit position in M
        return np.where(p >= 0, (M >> np.clip(p, 0, _MAX_SHIFT)) & 3, 0)

    root, rem = _isqrt_pairs(digit, QBITS)
    return (root << 1) | (rem != 0), (E >> 1) - t - 1


def rsqrt(M, E):
    """``1 / sqrt(M 2^E)`` for ``M > 0`` (up to SIG_BITS bits) as ``(M, E)``: ``QBITS`` root
    bits then a sticky bit. The radicand ``floor(4^u / M)`` is produced two bits at a time by
    long division, feeding the square root (``floor(sqrt(floor(y))) == floor(sqrt(y))``)."""
    M = np.asarray(M, dtype=np.int64)
    E = np.asarray(E, dtype=np.int64)
    odd = (E & 1).astype(bool)
    M = np.where(odd, M << 1, M)
    E = E - odd
    # root = floor(sqrt(4^u / M)) >= 2^(QBITS-1): 2u >= 2 (QBITS - 1) + bit_length(M)
    u = QBITS - 1 + (bit_length(M) + 1) // 2
    state = {"r": np.zeros(M.shape, dtype=np.int64)}

    def digit(i):
        r = state["r"]
        r = np.where(i == u, 1, r << 2)  # the dividend 4^u: a 1 at pair u, zeros below
        d = np.where(i <= u, r // M, 0)
        state["r"] = np.where(i <= u, r % M, 0)
        return d

    root, rem = _isqrt_pairs(digit, int(u.max()) + 1 if u.size else 1)
    sticky = (rem != 0) | (state["r"] != 0)
    return (root << 1) | sticky, -u - (E >> 1) - 1
