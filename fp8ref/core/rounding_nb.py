"""Numba twins of rounding decisions, for the codecs' serial Numba loops (one element at a time).

Each function here is the scalar twin of a numpy rule and is tested equal to it
(``tests/core/test_rounding_twins.py``):

* ``stochastic_up_twin`` — ``round_shift`` (this package's ``rounding.py``) under the four
  stochastic modes: whether it adds one to the kept significand of ``M / 2^s``.
* ``hybrid_ssr_up_twin`` — HiF8 ``hybrid``'s SSR decision (``codecs/tapered.py``, ``_hybrid``):
  whether the 24-bit significand ``S`` rounds up when its low ``s`` bits are discarded.

Rule numbers follow ``STOCHASTIC_RULES``. Arithmetic is exact int64, as in the numpy originals.
Numba's on-disk cache keys a kernel on its own file only: after editing a twin, delete the
``__pycache__/*.nbi`` / ``*.nbc`` files of the modules that call it (``codecs/_fast_modes.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["STOCHASTIC_RULES", "stochastic_up_twin", "hybrid_ssr_up_twin", "bit_length_twin"]

#: rounding mode name -> rule number taken by ``stochastic_up_twin``
STOCHASTIC_RULES = {"stochastic": 0, "stochastic_fast": 1, "stochastic_rne": 2, "stochastic_rno": 3}

_MAX_SHIFT = 62  # as round_shift: significands are < 2^62
_HR_BITS = 14  # as tapered: F14 / T14


@njit(cache=True)
def bit_length_twin(v):
    """Bit length of a non-negative int64 (0 for 0): twin of ``rounding.bit_length``."""
    b = np.int64(0)
    while v > 0:
        v >>= np.int64(1)
        b += np.int64(1)
    return b


@njit(cache=True)
def stochastic_up_twin(M, s, r, n, rule):
    """True where ``round_shift(M, s, mode, rbits=r, nbits=n)`` rounds ``M / 2^s`` up.

    M: 0 <= M < 2^62; s: any (s <= 0 is exact: False); r: 0 <= r < 2^n; n: 1..32;
    rule: ``STOCHASTIC_RULES[mode]``. Shifts beyond 62 fold into a sticky bit first, as there.
    The discarded fraction ``d = rem / 2^s`` is held as ``F = d * 2^62`` (exact), so each rule
    is a few shifts and compares (the branches on ``rule`` are loop-invariant in a kernel).
    """
    one = np.int64(1)
    if s > _MAX_SHIFT:  # fold the bits beyond 62 into a sticky bit (rare: far below the range)
        pre = min(s - _MAX_SHIFT, _MAX_SHIFT)
        M = (M >> pre) | np.int64((M & ((one << pre) - one)) != 0)
        s = np.int64(_MAX_SHIFT)
    sc = max(s, one)
    F = (M & ((one << sc) - one)) << (_MAX_SHIFT - sc)
    F = F if s > 0 else np.int64(0)  # s <= 0: exact
    full = one << n
    if rule == 1:  # stochastic_fast: floor(d * 2^(n+1)) + 2r + 1 >= 2^(n+1)
        return (F >> (_MAX_SHIFT - n - one)) + 2 * r + one >= (full << one)
    sh = _MAX_SHIFT - n  # >= 30
    if rule >= 2:  # d * 2^n rounded to nearest, ties to even (stochastic_rne) or odd (_rno):
        # add half - 1, plus 1 where a tie must go up (last kept bit odd for rne, even for rno)
        tie_up = ((F >> sh) & one) ^ np.int64(rule == 3)
        return ((F + (one << (sh - one)) - one + tie_up) >> sh) + r >= full
    return (F >> sh) + r >= full  # floor(d * 2^n) + r >= 2^n


@njit(cache=True)
def hybrid_ssr_up_twin(S, s):
    """True where HiF8 HR's SSR rounds the 24-bit significand ``S`` up when dropping its low
    ``s`` bits (s >= 14): the discarded part ``r`` rounds up iff ``r >> (s - 14) >= r & 0x3FFF``
    and ``r != 0``. (``s`` is clipped to 1..62 as there.)"""
    one = np.int64(1)
    sc = s if s > 1 else one
    if sc > _MAX_SHIFT:
        sc = np.int64(_MAX_SHIFT)
    rr = S & ((one << sc) - one)
    return (rr != 0) & ((rr >> (sc - _HR_BITS)) >= (rr & ((one << _HR_BITS) - one)))
