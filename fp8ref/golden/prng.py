"""The project's own PRNG: SplitMix64 in numpy uint64 arithmetic, with named sub-streams.

Golden-vector bytes must not depend on the numpy version or the C library, so no numpy
``Generator`` or libc ``rand()`` is used. SplitMix64 (Steele, Lea and Flood 2014; the seeding
generator of xoshiro) is defined on 64-bit integers only:

    state += 0x9E3779B97F4A7C15
    z = state
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    output z ^ (z >> 31)                      (all arithmetic mod 2^64)

The ``i``-th output (``i`` from 1) only needs ``seed + i * 0x9E3779B97F4A7C15``, so a whole
block is computed at once. Outputs for seed 0: 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, ...

Every (suite, file, generator) draws from its own stream whose seed is
``subseed(seed, name, ...)`` = the first 8 bytes (little-endian) of
``SHA-256("fp8ref-golden/1|<seed>|<name>|...")``: adding or changing one generator never
shifts another's stream.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["SplitMix64", "subseed", "stream", "GAMMA", "MASK64", "PRNG_NAME"]

PRNG_NAME = "splitmix64"
MASK64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


class SplitMix64:
    """A SplitMix64 stream. All draws are numpy uint64 / int64 arrays, bit-for-bit portable."""

    def __init__(self, seed: int):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
        self.state = int(seed) & MASK64

    def next_u64(self, n: int) -> np.ndarray:
        """The next ``n`` 64-bit outputs (uint64)."""
        n = int(n)
        if n < 0:
            raise ValueError(f"count must be >= 0, got {n}")
        idx = np.arange(1, n + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            z = np.uint64(self.state) + idx * np.uint64(GAMMA)
        self.state = (self.state + n * GAMMA) & MASK64
        return _mix(z)

    def bits(self, n: int, k: int) -> np.ndarray:
        """``n`` values of ``k`` random bits (the top ``k`` bits of each output), uint64."""
        if not 1 <= k <= 64:
            raise ValueError(f"k must be in 1..64, got {k}")
        return self.next_u64(n) >> np.uint64(64 - k)

    def below(self, n: int, bound) -> np.ndarray:
        """``n`` integers in ``[0, bound)`` (int64): ``((u >> 32) * bound) >> 32``.

        ``bound`` (an int or an int array broadcast against n, each 1..2^32) scales the top 32
        bits of each output; the bias is at most 2^-32 relative and the rule is exact integer
        arithmetic, so it is part of the stream definition.
        """
        b = np.asarray(bound, dtype=np.uint64)
        if b.size and (int(b.min()) < 1 or int(b.max()) > (1 << 32)):
            raise ValueError("bound must be in 1..2^32")
        hi = self.next_u64(n) >> np.uint64(32)
        with np.errstate(over="ignore"):
            return ((hi * b) >> np.uint64(32)).astype(np.int64)

    def choice(self, n: int, options) -> np.ndarray:
        """``n`` elements drawn uniformly (with replacement) from the 1-D array ``options``."""
        opts = np.asarray(options)
        if opts.size == 0:
            raise ValueError("choice from an empty set")
        return opts[self.below(n, opts.size)]


def subseed(seed: int, *names) -> int:
    """64-bit seed of the stream named ``names`` under the user seed ``seed`` (SHA-256)."""
    text = "|".join(["fp8ref-golden/1", str(int(seed)), *map(str, names)])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def stream(seed: int, *names) -> SplitMix64:
    """The SplitMix64 stream for ``names`` under ``seed``."""
    return SplitMix64(subseed(seed, *names))
