"""Case generators: source bit patterns chosen to exercise a conversion into a target format.

Every generator returns a uint64 array of source bit patterns (sign in the MSB), in a fixed
order; random ones draw from a :class:`~fp8ref.golden.prng.SplitMix64` stream. The target
format is read only through ``fp8ref.decode_table`` (its representable values); no generator
rounds anything.

Generator ids (written into every sidecar):

* ``exhaustive``   every bit pattern of a 16-bit (or narrower) source, in order;
* ``specials``     ±0, ±Inf, quiet and signalling NaNs with several payloads, the source's
  ±min subnormal, ±max subnormal, ±min normal, ±1, ±max finite (IBM FPgen B1, B27);
* ``boundary``     for every pair of adjacent target values ``a < b`` (0 and the overflow
  threshold's virtual next value included): ``a`` and the midpoint, each exact and at ±1, ±2
  source ulps, both signs. That is every {sign, last bit, guard, sticky} combination on every
  rounding boundary, the overflow threshold and tie (E4M3FN 464|480, E5M2 61440) and every
  underflow/tininess boundary (IBM B2-B6, B29). Targets wider than 8 bits are sampled: five
  pairs per binade (first, second, middle, last two) in a subset of binades;
* ``tininess``     in the two binades below min normal, the top points of the *unbounded*
  p-bit grid and the midpoints below them (ties with an unbounded exponent that are not ties
  on the subnormal grid), ±1, ±2 source ulps, both signs;
* ``binade_sweep`` one value per source exponent (every exponent in the target's range ±8,
  every 2nd/16th beyond for f32/f64) with a rotating significand, both signs: the overflow
  path from max to Inf and the underflow path down to the smallest source subnormal;
* ``structured``   TestFloat-style: target-aware exponent table × P1 significand patterns
  (0, 1, all ones, all ones - 1), both signs;
* ``random``       TestFloat-style weighted random: exponent from the target-aware table or
  the whole source range, significand a P3 pattern (two P2 patterns ORed) or fully random,
  random sign (the 8-way split of TestFloat's ``f16Random``);
* ``srbits_sweep`` (stochastic rounding) a few inputs at known fractions of an ulp, each with
  every random-bit value (up to 256 of them).

Block generators return rows of float32 patterns (one block per row): ``block_specials``,
``amax_edge_blocks``, ``element_boundary_blocks``, ``random_blocks`` (see their docstrings).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..codecs import decode_table
from ..core.rounding import bit_length
from ..core.floats import F32, F64, FloatType
from .prng import SplitMix64

__all__ = [
    "exhaustive",
    "specials",
    "boundary",
    "boundary_pairs",
    "tininess",
    "binade_sweep",
    "structured",
    "testfloat_random",
    "srbits_sweep",
    "p1_patterns",
    "p2_patterns",
    "positive_values",
    "is_signed",
    "with_signs",
    "dedup",
    "to_bits",
]

_U = np.uint64


def exhaustive(nbits: int) -> np.ndarray:
    """Every pattern of an ``nbits``-bit source, ascending (``nbits`` <= 16)."""
    if not 1 <= nbits <= 16:
        raise ValueError(f"exhaustive generation is limited to 16-bit sources, got {nbits} bits")
    return np.arange(1 << nbits, dtype=np.uint64)


def dedup(u: np.ndarray) -> np.ndarray:
    """Drop repeated patterns, keeping the first occurrence and the order."""
    _, first = np.unique(u, return_index=True)
    return u[np.sort(first)]


def with_signs(pos: np.ndarray, src: FloatType) -> np.ndarray:
    """Each positive pattern followed by its negation."""
    pos = np.asarray(pos, dtype=np.uint64)
    return np.stack([pos, pos | _U(src.sign_mask)], axis=1).reshape(-1)


def p1_patterns(m: int) -> np.ndarray:
    """TestFloat P1 significand patterns: 0, 1, all ones - 1, all ones."""
    full = (1 << m) - 1
    return dedup(np.array([0, 1, full - 1, full], dtype=np.uint64))


def p2_patterns(m: int) -> np.ndarray:
    """TestFloat P2: walking one, leading-ones runs, trailing-ones runs, all ones with one 0."""
    full = (1 << m) - 1
    pats = [0, full]
    pats += [1 << i for i in range(m)]
    pats += [full ^ (full >> k) for k in range(1, m)]  # leading runs of ones
    pats += [(1 << k) - 1 for k in range(1, m)]  # trailing runs of ones
    pats += [full ^ (1 << i) for i in range(m)]
    return dedup(np.array(pats, dtype=np.uint64))


def to_bits(vals: np.ndarray, src: FloatType) -> tuple[np.ndarray, np.ndarray]:
    """float64 values -> (bit patterns of ``src``, mask of values that ``src`` holds exactly)."""
    vals = np.asarray(vals, dtype=np.float64)
    if src.name == "bfloat16":
        raise ValueError("bfloat16 sources are generated exhaustively, not from values")
    with np.errstate(over="ignore", invalid="ignore"):
        conv = vals.astype(src.dtype)
        exact = np.isfinite(conv) & (conv.astype(np.float64) == vals)
    return src.to_bits(conv).astype(np.uint64), exact


@lru_cache(maxsize=None)
def positive_values(fmt) -> np.ndarray:
    """Sorted distinct finite values >= 0 of ``fmt`` (float64), from its decode table."""
    t = decode_table(fmt)
    v = np.unique(np.abs(t[np.isfinite(t)]))  # abs: -0 -> +0
    v.setflags(write=False)
    return v


def _virtual_next(v: np.ndarray) -> float:
    """The value after max finite if the range went on: the overflow threshold's other end."""
    top, prev = float(v[-1]), float(v[-2])
    return 2.0 * top if top == 2.0 * prev else 2.0 * top - prev


def boundary_pairs(fmt) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(a, b)`` of adjacent target magnitudes whose boundaries are swept (float64).

    Every pair for formats of at most 512 codes; otherwise (fp16, bf16, tf32) the pairs at
    positions 0, 1, half, last-1, last of each kept binade (all binades when there are at most
    40, else the lowest 4, highest 5, those within ±4 of 1.0 and every 16th).
    """
    v = positive_values(fmt)
    w = np.append(v, _virtual_next(v))
    a, b = w[:-1], w[1:]
    if fmt.num_codes <= 512:
        return a, b
    m = fmt.man_bits
    idx = np.arange(a.size)  # code order == value order for IEEE-like formats
    binade, pos = idx >> m, idx & ((1 << m) - 1)
    period = 1 << m
    keep_pos = np.isin(pos, [0, 1, period // 2, period - 2, period - 1])
    nb = int(binade.max()) + 1
    if nb > 40:
        bias = fmt.bias
        keep_bin = (binade < 4) | (binade >= nb - 5) | (np.abs(binade - bias) <= 4) | (binade % 16 == 0)
    else:
        keep_bin = np.ones(a.size, dtype=bool)
    sel = (keep_pos & keep_bin) | (idx >= a.size - 2)
    return a[sel], b[sel]


def boundary(src: FloatType, fmt, ulps=(1, 2)) -> np.ndarray:
    """Rounding-boundary sweep of ``fmt`` in ``src`` (float32/float64): see module doc."""
    a, b = boundary_pairs(fmt)
    mid = (a + b) / 2  # exact: <= 24-bit significands in float64
    base = np.stack([a, mid], axis=1).reshape(-1)
    base = np.append(base, b[-1])
    bits, exact = to_bits(base, src)
    bits = bits[exact]
    cols = [bits]
    for u in ulps:
        cols.append(bits + _U(u))
        cols.append(np.where(bits >= _U(u), bits, _U(src.inf_bits + u)) - _U(u))  # below 0: dropped
    grid = np.stack(cols, axis=1)
    grid = np.sort(grid, axis=1).reshape(-1)  # per point: ascending source values
    grid = grid[grid < _U(src.inf_bits)]
    if not is_signed(fmt):  # unsigned targets (UE8M0): negatives all take the below-range path
        return dedup(grid)
    return dedup(with_signs(grid, src))


def is_signed(fmt) -> bool:
    """Whether the format has negative values (or -0): read from its decode table."""
    return bool(np.signbit(decode_table(fmt)).any())


def tininess(src: FloatType, fmt) -> np.ndarray:
    """Tininess-after-rounding edges of an IEEE-like target: in the two binades below min
    normal, the top two points of the *unbounded* p-bit grid and the midpoints below them and
    below the next power of two (e.g. E4M3FN ``1.1111b·2^-7``, a tie that rounds to min normal
    with an unbounded exponent but is not a tie on the subnormal grid), each exact and at ±1, ±2
    source ulps, both signs. Empty for other kinds of format."""
    if getattr(fmt, "kind", None) != "ieee" or fmt.man_bits < 1:
        return np.zeros(0, dtype=np.uint64)
    vals = []
    for e in (fmt.emin - 1, fmt.emin - 2):
        q = 2.0 ** (e - fmt.man_bits)
        top = 2.0 ** (e + 1)
        vals += [top - q / 2, top - q, top - 3 * q / 2, top - 2 * q]
    bits, exact = to_bits(np.array(vals), src)
    bits = bits[exact]
    grid = np.concatenate([bits - _U(2), bits - _U(1), bits, bits + _U(1), bits + _U(2)])  # all > 2 ulps from 0
    return dedup(with_signs(np.sort(grid), src))


def specials(src: FloatType) -> np.ndarray:
    """Zeros, infinities, NaNs (quiet and signalling, several payloads) and source extremes."""
    m, q = src.man_bits, src.quiet_bit
    one = src.bias << m
    pos = [
        0,
        src.inf_bits,
        src.inf_bits | q,  # default quiet NaN
        src.inf_bits | q | 1,
        src.inf_bits | src.man_mask,  # quiet NaN, all-ones payload
        src.inf_bits | 1,  # signalling NaN, smallest payload
        src.inf_bits | (q >> 1),  # signalling NaN, top payload bit
        src.inf_bits | (src.man_mask ^ q),  # signalling NaN, all-ones payload
        1,  # min subnormal
        src.man_mask,  # max subnormal
        1 << m,  # min normal
        one,  # 1.0
        src.inf_bits - 1,  # max finite
    ]
    return with_signs(np.array(pos, dtype=np.uint64), src)


def _target_exponents(fmt) -> tuple[int, int]:
    """Unbiased exponents of the smallest nonzero and the largest finite target value."""
    v = positive_values(fmt)
    lo, hi = F64.floor_log2(F64.to_bits(v[v > 0][[0, -1]]))
    return int(lo), int(hi)


def _exp_table(src: FloatType, fmt, margin=3) -> np.ndarray:
    """Biased source exponents: the target's range ±margin plus the source's extremes."""
    lo, hi = _target_exponents(fmt)
    e = np.arange(lo - margin, hi + margin + 1) + src.bias
    e = e[(e >= 1) & (e <= src.exp_max - 1)]
    extremes = np.array([0, 1, 2, src.bias, src.exp_max - 2, src.exp_max - 1])
    return dedup(np.concatenate([e, extremes]).astype(np.uint64))


def binade_sweep(src: FloatType, fmt) -> np.ndarray:
    """One value per source exponent: dense in the target range, strided beyond it."""
    lo, hi = _target_exponents(fmt)
    stride = 2 if src.bits <= 32 else 16
    e = np.arange(0, src.exp_max, dtype=np.int64)  # biased, 0 = subnormal binade
    unb = e - src.bias
    keep = ((unb >= lo - 8) & (unb <= hi + 8)) | (e % stride == 0) | (e <= 1) | (e >= src.exp_max - 2)
    e = e[keep].astype(np.uint64)
    rot = np.array([0, src.man_mask, 1, src.quiet_bit], dtype=np.uint64)
    sig = rot[np.arange(e.size) % 4]
    sig = np.where((e == 0) & (sig == 0), _U(src.quiet_bit), sig)  # a nonzero subnormal
    return with_signs((e << _U(src.man_bits)) | sig, src)


def structured(src: FloatType, fmt) -> np.ndarray:
    """Target-aware exponent table × P1 significand patterns, both signs."""
    e = _exp_table(src, fmt)
    p = p1_patterns(src.man_bits)
    pos = ((e[:, None] << _U(src.man_bits)) | p[None, :]).reshape(-1)
    return with_signs(pos, src)


def testfloat_random(src: FloatType, fmt, n: int, rng: SplitMix64) -> np.ndarray:
    """``n`` TestFloat-style weighted random patterns (see module doc)."""
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    m = src.man_bits
    kind = rng.below(n, 8)
    sign = rng.bits(n, 1)
    table = _exp_table(src, fmt)
    e_table = rng.choice(n, table)
    e_any = rng.below(n, src.exp_max).astype(np.uint64)  # 0 .. exp_max-1: finite binades
    p2 = p2_patterns(m)
    p3 = rng.choice(n, p2) | rng.choice(n, p2)
    rnd = rng.bits(n, m)
    use_table = kind < 4
    use_p3 = (kind % 4) != 3
    e = np.where(use_table, e_table, e_any)
    sig = np.where(use_p3, p3, rnd)
    return (sign << _U(src.bits - 1)) | (e << _U(m)) | sig


def srbits_sweep(src: FloatType, fmt, srbits: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, rbits): positive inputs at 3/16 and 1/2 of the gap above the smallest value,
    the value nearest 1.0 and max finite (the overflow gap), each repeated with every
    random-bit value (at most 256 of them, evenly spaced, 0 and 2^srbits - 1 included)."""
    a, b = boundary_pairs(fmt)
    near_one = min(int(np.searchsorted(a, 1.0)), a.size - 2)
    xs = []
    for i in sorted({0, near_one, a.size - 1}):
        xs.extend((a[i] + (b[i] - a[i]) * np.array([3 / 16, 1 / 2])).tolist())
    bits, exact = to_bits(np.array(xs), src)
    bits = dedup(bits[exact])
    nr = 1 << srbits
    r = np.arange(nr, dtype=np.uint64) if nr <= 256 else (np.arange(256, dtype=np.uint64) * _U(nr - 1)) // _U(255)
    return np.repeat(bits, r.size), np.tile(r, bits.size)


# ---- blocks (MX, NVFP4, DeepSeek tiles): rows of float32 bit patterns -------------------------
def _f32_bits(vals) -> np.ndarray:
    """float32 patterns (uint64) of float64 values, rounded RNE by numpy (overflow: Inf)."""
    with np.errstate(over="ignore"):
        return F32.to_bits(np.asarray(vals, dtype=np.float64)).astype(np.uint64)


def block_specials(bs: int) -> np.ndarray:
    """Blocks (rows of ``bs`` float32 patterns): all +0; ±0 mixed; all equal; alternating
    signs; a single outlier over tiny values; float32 max; a float32-subnormal amax; a block of
    subnormals; NaN first / last; +Inf; -Inf; NaN with Inf; the largest |x| negative."""
    i = np.arange(bs)
    rows = [
        np.zeros(bs),
        np.where(i % 2, -0.0, 0.0),
        np.ones(bs),
        np.where(i % 2, -1.5, 1.5) * 2.0 ** (i % 5),
        np.where(i == bs // 2, 2.0**20, 2.0**-20 * (1 + i / bs)),
        np.where(i == 0, np.finfo(np.float32).max, 1.0),
        np.where(i == 1, 2.0**-140, 0.0),
        2.0**-149 * (i + 1),
        np.where(i == 0, np.nan, 1.0),
        np.where(i == bs - 1, np.nan, -3.0),
        np.where(i == 2, np.inf, 0.5),
        np.where(i == 3, -np.inf, 0.5),
        np.where(i == 0, np.inf, np.where(i == 1, np.nan, 2.0)),
        np.where(i == bs - 1, -1000.0, 999.0 * (i % 2 * 2 - 1) / (i + 1)),
    ]
    out = np.stack([_f32_bits(r) for r in rows])
    # the NaN rows: use the float32 default quiet NaN pattern exactly
    out[np.isnan(np.stack(rows))] = F32.canonical_nan
    return out


def element_boundary_blocks(fmt, bs: int, scales=(0, 64)) -> np.ndarray:
    """Element-format rounding boundaries (``boundary`` in float32) packed ``bs - 1`` per block
    with an anchor ``2^emax`` of the element format (which fixes the OCP scale at ``2^0``),
    repeated at each ``2^k`` of ``scales`` (exact: only upward scaling of small values)."""
    if not scales:
        return np.zeros((0, bs), dtype=np.uint64)
    pts = boundary(F32, fmt)
    emax = _target_exponents(fmt)[1]
    per = bs - 1
    n = -(-pts.size // per)
    pts = np.concatenate([pts, np.zeros(n * per - pts.size, dtype=np.uint64)])
    anchor = _f32_bits([2.0**emax])[0]
    base = np.concatenate([np.full((n, 1), anchor, dtype=np.uint64), pts.reshape(n, per)], axis=1)
    out = []
    for k in scales:
        v = base.astype(np.uint32).view(np.float32).astype(np.float64) * 2.0**k
        out.append(_f32_bits(v))
    return np.concatenate(out)


def amax_edge_blocks(fmt, bs: int, rng: SplitMix64, exps=(-150, -127, -126, -20, -1, 0, 1, 20, 100, 126)) -> np.ndarray:
    """Blocks whose amax sits on a scale-rule edge: ``2^e`` and its neighbours, just below
    ``2^(e+1)``, and ``max_elem·2^(e-emax)`` with neighbours (where ``ceil``/``rceil`` step),
    at several binades e; the other elements are random fractions of amax, random signs."""
    emax = _target_exponents(fmt)[1]
    v = positive_values(fmt)
    top = float(v[-1]) / 2.0**emax  # max_elem's significand, e.g. 1.75 for E4M3FN
    amaxes = []
    for e in exps:
        for m in (1.0, top, 2.0 - 2.0**-23):
            amaxes.append(m * 2.0**e)
    a = _f32_bits(amaxes)
    a = a[(a > 0) & (a < F32.inf_bits)]
    a = dedup(np.concatenate([a, a - _U(1), a + _U(1)]))
    a = a[(a > 0) & (a < F32.inf_bits)]
    n = a.size
    frac = rng.bits(n * bs, 24).astype(np.float64) / 2.0**24
    vals = a.astype(np.uint32).view(np.float32).astype(np.float64)[:, None] * frac.reshape(n, bs)
    sign = rng.bits(n * bs, 1).reshape(n, bs).astype(bool)
    out = _f32_bits(np.where(sign, -vals, vals))
    pos = rng.below(n, bs)
    out[np.arange(n), pos] = a | (rng.bits(n, 1) << _U(31))
    return out


def random_blocks(n: int, bs: int, rng: SplitMix64, spread=(-30, 30)) -> np.ndarray:
    """``n`` blocks: a random block exponent k in ``spread``, elements ``±2^(k-g)·(1+m)`` with
    g twice the count of leading zeros of 16 random bits (log-spread magnitudes: half the
    elements in the top binade, a quarter two binades lower, ...), m 23 random bits; 16
    leading zeros give an exact zero."""
    if n <= 0:
        return np.zeros((0, bs), dtype=np.uint64)
    lo, hi = spread
    k = rng.below(n, hi - lo + 1) + lo
    r16 = rng.bits(n * bs, 16).reshape(n, bs)
    g = 2 * (16 - bit_length(r16.astype(np.int64)))
    m = rng.bits(n * bs, 23).reshape(n, bs)
    sign = rng.bits(n * bs, 1).reshape(n, bs)
    e = (k[:, None] - g + 127).astype(np.int64)
    bits = (sign << _U(31)) | (e.astype(np.uint64) << _U(23)) | m
    return np.where(r16 == 0, sign << _U(31), bits)
