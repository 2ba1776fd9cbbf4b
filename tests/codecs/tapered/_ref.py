"""Exact HiF8-style references for the tests, written from ../shared/specs/formats.md §1.5/§1.6
(decode pseudo-code, value-set rounding, the CANN HR/SSR rule). Shares no code with fp8ref."""

from bisect import bisect_left
from fractions import Fraction
import struct

TWO = Fraction(2)
INEXACT, UNDERFLOW, OVERFLOW, INVALID = 0x01, 0x02, 0x04, 0x10
NAN, INF = "nan", "inf"

# dot table: (prefix, D) for normal classes, (prefix, "dml", bias), (prefix, "nan")
HIF8_SPEC = dict(bits=8, dots=[("11", 4), ("10", 3), ("01", 2), ("001", 1), ("0001", 0), ("0000", "dml", 23)], inf=0x6F)


def ref_decode(c, spec=HIF8_SPEC):
    """Fraction, or 'nan', or ('inf', sign) for one code."""
    n = spec["bits"]
    s, p = c >> (n - 1), c & ((1 << (n - 1)) - 1)
    if p == spec["inf"]:
        return (INF, s)
    bits = format(p, f"0{n - 1}b")
    for d in spec["dots"]:
        if bits.startswith(d[0]):
            rest = bits[len(d[0]):]
            break
    if len(d) == 2 and d[1] != "nan":
        D = d[1]
        em, mant = rest[:D], rest[D:]
        E = 0
        if D:
            E = (1 << (D - 1)) + (int(em[1:], 2) if D > 1 else 0)
            E = -E if em[0] == "1" else E
        v = TWO**E * (1 + Fraction(int(mant, 2) if mant else 0, 1 << len(mant)))
    else:
        M = int(rest, 2)
        if M == 0 or d[1] == "nan":
            return Fraction(0) if (p == 0 and s == 0) else NAN
        v = TWO ** (M - d[2])
    return -v if s else v


_VS = {}


def value_set(spec=HIF8_SPEC):
    """Sorted [(value, code)] of the positive finite codes, and the Inf slot's would-be value."""
    key = repr(sorted(spec.items()))
    if key not in _VS:
        _VS[key] = _value_set(spec)
    return _VS[key]


def _value_set(spec):
    n = spec["bits"]
    vals = []
    for c in range(1 << (n - 1)):
        v = ref_decode(c, spec)
        if isinstance(v, Fraction) and v > 0:
            vals.append((v, c))
    vals.sort()
    # would-be value of the Inf pattern: decode it as a normal code
    saved = dict(spec, inf=-1)
    slot = ref_decode(spec["inf"], saved)
    return vals, slot


def ref_encode(x, mode="rna", overflow="ovf_inf", spec=HIF8_SPEC, rbits=None, nbits=0, tininess="after"):
    """(code, flags) for x: Fraction, float inf/-inf/nan. Value-set rounding per §1.6."""
    n = spec["bits"]
    sign = 1 << (n - 1)
    vals, slot = value_set(spec)
    vmax, cmax = vals[-1]
    has_inf = spec["inf"] is not None and spec["inf"] >= 0
    if isinstance(x, float):
        if x != x:
            return sign, 0
        neg = x < 0
        if overflow == "sat_finite" or not has_inf:
            return cmax | (sign if neg else 0), 0
        return spec["inf"] | (sign if neg else 0), 0
    if x == 0:
        return 0, 0
    neg, a = x < 0, abs(x)
    values = [Fraction(0)] + [v for v, _ in vals] + [slot]
    codes = [0] + [c for _, c in vals] + [None]
    to_max = overflow in ("sat_finite", "sat_propagate") or mode == "rtz" or (mode == "rdn" and not neg) or (mode == "rup" and neg)
    i = bisect_left(values, a)
    exact = i < len(values) and values[i] == a
    if a >= slot:
        pick = None
    elif exact:
        pick = i
    else:
        lo_i, hi_i = i - 1, i
        d = (a - values[lo_i]) / (values[hi_i] - values[lo_i])
        up = {
            "rna": lambda: d >= Fraction(1, 2),
            "rne": lambda: d > Fraction(1, 2) or (d == Fraction(1, 2) and _even_code(codes, hi_i, lo_i)),
            "rtz": lambda: False,
            "rup": lambda: not neg,
            "rdn": lambda: neg,
            "stochastic": lambda: int(d * (1 << nbits)) + rbits >= (1 << nbits),
        }[mode]()
        pick = hi_i if up else lo_i
    if pick is None or codes[pick] is None:
        if to_max:
            code = cmax
        elif has_inf:
            code = spec["inf"]
        else:
            return sign, INEXACT | OVERFLOW
        return code | (sign if neg else 0), INEXACT | OVERFLOW
    code = codes[pick]
    flags = 0 if exact else INEXACT
    if not exact:
        emin, m = _normal_min(spec)
        tiny = a < emin if tininess == "before" else _tiny_after(a, emin, m, mode, neg)
        if tiny:
            flags |= UNDERFLOW
    if code == 0:
        return 0, flags
    return code | (sign if neg else 0), flags


def _has_mantissa(c, spec):
    n = spec["bits"]
    bits = format(c, f"0{n - 1}b")
    for d in spec["dots"]:
        if bits.startswith(d[0]):
            return len(d) == 2 and d[1] != "nan"


def _normal_min(spec):
    """(smallest value of a class with a mantissa field, log2 of its binade's value count)."""
    key = ("nm", repr(sorted(spec.items())))
    if key not in _VS:
        vals, _ = value_set(spec)
        emin = min(v for v, c in vals if _has_mantissa(c, spec))
        _VS[key] = emin, sum(1 for v, c in vals if emin <= v < 2 * emin).bit_length() - 1
    return _VS[key]


def _tiny_after(a, emin, m, mode, neg):
    # rounded with the precision of the smallest normal binade, exponent unbounded
    e = 0
    while TWO**e > a:
        e -= 1
    while TWO ** (e + 1) <= a:
        e += 1
    q = TWO ** (e - m)
    k, r = divmod(a, q)
    half = Fraction(1, 2)
    up = {"rne": r / q > half or (r / q == half and k % 2 == 1), "rtz": False,
          "rup": r != 0 and not neg, "rdn": r != 0 and neg}.get(mode, r / q >= half)
    return (k + up) * q < emin


def _even_code(codes, hi_i, lo_i):
    c_hi = codes[hi_i]
    if c_hi is None:  # tie with the Inf slot: the slot's code is odd for HiF8
        return False
    return c_hi % 2 == 0


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def ref_hybrid(x32):
    """HR as the CANN simulator's CAST_HYBRID (spec §1.6), on one float32 (Python float exactly
    representable in float32). Returns the code."""
    if x32 != x32:
        return 0x80
    a = abs(x32)
    neg = x32 < 0
    if a == 0:
        return 0
    if a == float("inf") or a >= 40960:
        return ref_encode(Fraction(x32) if a != float("inf") else x32)[0]
    u = f32_bits(a)
    ef = (u >> 23) & 0xFF
    f = u & 0x7FFFFF
    if ef == 0:  # float32 subnormal: e <= -127
        return 0
    e = ef - 127
    if abs(e) < 4:
        return ref_encode(Fraction(x32))[0]
    if e <= -24:
        return 0
    if e == -23:
        F14, T14 = (f >> 10) + (1 << 13), f & 0x3FFF
        up = F14 >= T14
        v = TWO**-22 if up else Fraction(0)
    else:
        frac_bits = 0 if e <= -16 else (2 if abs(e) <= 7 else 1)
        shift = 23 - frac_bits
        r = f & ((1 << shift) - 1)
        F14, T14 = r >> (shift - 14), r & 0x3FFF
        keep = f >> shift
        if r != 0 and F14 >= T14:
            keep += 1
        v = TWO**e * (1 + Fraction(keep, 1 << frac_bits))
    if v == 0:
        return 0
    code = ref_encode(v)[0]  # v is representable (or the Inf slot, which encodes as overflow)
    return code | (0x80 if neg else 0)
