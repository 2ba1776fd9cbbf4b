"""Numba twins of rounding decisions, for the codecs' serial Numba loops (one element at a time).

Each function here is the scalar twin of a numpy rule and is tested equal to it
(``tests/core/test_rounding_twins.py``):

* ``stochastic_up_twin`` — ``round_shift`` (this package's ``rounding.py``) under the four
  stochastic modes: whether it adds one to the kept significand of ``M / 2^s``; a carry out of
  ``stochastic_fraction_twin(M, s) + stochastic_addend_twin(r, n, rule)`` (the codecs' loops
  form the fraction from the source bits themselves where they can).
* ``hybrid_ssr_up_twin`` — HiF8 ``hybrid``'s SSR decision (``codecs/tapered.py``, ``_hybrid``):
  whether the 24-bit significand ``S`` rounds up when its low ``s`` bits are discarded.

Rule numbers follow ``STOCHASTIC_RULES``. Arithmetic is exact int64, as in the numpy originals.
Numba's on-disk cache keys a kernel on its own file only: after editing a twin, delete the
``__pycache__/*.nbi`` / ``*.nbc`` files of the modules that call it (``codecs/_fast_modes.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "STOCHASTIC_RULES", "stochastic_up_twin", "stochastic_fraction_twin", "stochastic_addend_twin",
    "hybrid_ssr_up_twin", "bit_length_twin",
]

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
def stochastic_fraction_twin(M, s):
    """The discarded fraction ``d = (M mod 2^s) / 2^s`` of ``M / 2^s`` as ``F = d * 2^64``
    (uint64, exact; 0 for s <= 0). M: 0 <= M < 2^62. Past s = 62 the low s - 62 bits (at most
    62) first fold into a sticky bit, as in ``round_shift`` (rare: far below the range)."""
    one = np.int64(1)
    if s > _MAX_SHIFT:
        pre = min(s - _MAX_SHIFT, _MAX_SHIFT)
        M = (M >> pre) | np.int64((M & ((one << pre) - one)) != 0)
        s = np.int64(_MAX_SHIFT)
    sc = max(s, one)
    F = np.uint64(M & ((one << sc) - one)) << np.uint64(64 - sc)
    return F if s > 0 else np.uint64(0)


@njit(cache=True)
def stochastic_addend_twin(r, n, rule):
    """The uint64 ``C`` with: the rule rounds up iff ``F + C >= 2^64`` (a carry out of the
    uint64 sum), F as ``stochastic_fraction_twin``. r: 0 <= r < 2^n (uint64); n: 1..32. With
    ``c = 64 - n`` and ``h = 2^(63 - n)`` (half a unit of the random bits):

    * stochastic: floor(d 2^n) + r >= 2^n, i.e. ``C = r << c``;
    * stochastic_fast: floor(d 2^(n+1)) + 2r + 1 >= 2^(n+1): ``C = (r << c) + h``;
    * stochastic_rne / _rno: d 2^n rounded to nearest, plus r, >= 2^n: ``C = (r << c) + h - 1``
      plus 1 where a tie must go up; at a tie the integer below is ``2^n - r - 1``, odd iff r
      is even: ``+ 1 - (r & 1)`` (rne), ``+ (r & 1)`` (rno).

    (In a kernel built for one rule the branches fold away.)"""
    one = np.uint64(1)
    C = r << np.uint64(64 - n)
    if rule == 0:
        return C
    h = one << np.uint64(63 - n)
    if rule == 1:
        return C + h
    if rule == 2:
        return C + h - (r & one)
    return C + h - one + (r & one)


@njit(cache=True)
def stochastic_up_twin(M, s, r, n, rule):
    """True where ``round_shift(M, s, mode, rbits=r, nbits=n)`` rounds ``M / 2^s`` up.

    M: 0 <= M < 2^62; s: any (s <= 0 is exact: False); r: 0 <= r < 2^n; n: 1..32;
    rule: ``STOCHASTIC_RULES[mode]``."""
    F = stochastic_fraction_twin(M, s)
    return F + stochastic_addend_twin(np.uint64(r), n, rule) < F


@njit(cache=True)
def hybrid_ssr_up_twin(S, s):
    """True where HiF8 HR's SSR rounds the 24-bit significand ``S`` up when dropping its low
    ``s`` bits: the discarded part ``r`` rounds up iff ``r >> (s - 14) >= r & 0x3FFF`` and
    ``r != 0``. s: 14..62 (``_hybrid`` clips it to 1..62 and refuses s < 14). Held as
    ``G = r * 2^(64 - s)`` (uint64: the bits of S above r leave the word), so
    ``r >> (s - 14) = G >> 50`` and ``r & 0x3FFF = S & 0x3FFF``."""
    G = np.uint64(S) << np.uint64(64 - s)
    return (G != np.uint64(0)) & ((G >> np.uint64(64 - _HR_BITS)) >= np.uint64(S & ((1 << _HR_BITS) - 1)))
