"""RISC-V Bulk Normalization Algorithm (RVBNA), restated with exact rationals (test oracle).

Source: "Zvdota and Zvbdota Families of Dot-Product Extensions, Version 0.2", section "RISC-V
Bulk Normalization Algorithm" (repository aswaterman/riscv-misc, file isa/ldot-bdot/ldot-bdot.adoc,
commit b38069a73bbd03d72e2c2d063856fee9256f9afc, 2026-01-28). Used by vfwdota/vfwbdota (BF16 ->
FP32) and vfqwdota/vfqwbdota (OCP E4M3/E5M2, either operand, -> FP32). tests/oracles/RVBNA.md
states the reading and every point where the text is ambiguous or its pseudocode is inconsistent.

``rvbna`` is written from the prose rules, in values, independently of the spec's integer
pseudocode; ``rvbna_pseudocode`` transliterates that pseudocode line by line (symmetric IEEE-encoded
formats only, as the pseudocode assumes), ``as_written=True`` keeping its two defects and
``as_written=False`` correcting them; the tests compare the two.

RVBNA over n products (n a power of two; shorter vectors are padded with +0, the spec's
"substitute the bit pattern of all zeros"), FP32 output (q = 24):

* g = o = ceil(log2 n) guard and overflow bits;
* reference exponent of a product = sum of its factors' exponents, a subnormal factor counting as
  emin (biased exponent 1); zero products never set the maximum E;
* every product magnitude is rounded to odd (truncated, the discarded bits OR-ed into the last
  bit) on the grid 2^(E - (q - 1) - g), signs applied, the rounded products summed exactly;
* the sum is rounded to odd to FP32 (denormalised first when below 2^-126); |sum| >= 2^128 gives
  +-Inf and the overflow flag; an exact zero sum gives +0;
* NaN operand, Inf x 0 or Inf - Inf: canonical quiet NaN 0x7FC00000; the invalid flag for a
  signalling NaN operand (NaN with the mantissa's top bit clear), Inf x 0 or Inf - Inf;
* only the invalid and overflow flags exist.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, log2

__all__ = ["FORMATS", "decode", "rvbna", "rvbna_pseudocode", "dot_instruction", "fp32_bits_value"]

Q = 24          # FP32 significand bits
F_EXP = 8       # FP32 exponent bits
OUT_BIAS = 127
NAN32 = 0x7FC00000
INF32 = 0x7F800000

#: name -> (exponent bits, mantissa bits, bias, encoding). "ieee": all-ones exponent is Inf/NaN;
#: "ofp_e4m3": OCP E4M3, no Inf, NaN only S.1111.111.
FORMATS = {"bf16": (8, 7, 127, "ieee"), "e5m2": (5, 2, 15, "ieee"), "e4m3": (4, 3, 7, "ofp_e4m3")}


def decode(code, fmt):
    """(kind, sign, ref_exp, significand) of a code: kind in zero/finite/inf/qnan/snan; for a
    finite nonzero value it is (-1)^sign * significand * 2^(ref_exp - mbits), ref_exp the unbiased
    reference exponent (emin for subnormals)."""
    e, m, bias, enc = FORMATS[fmt]
    sign = (code >> (e + m)) & 1
    ex, mant = (code >> m) & ((1 << e) - 1), code & ((1 << m) - 1)
    top = (1 << e) - 1
    if enc == "ieee" and ex == top:
        if mant == 0:
            return "inf", sign, None, None
        return ("snan" if not mant >> (m - 1) & 1 else "qnan"), sign, None, None
    if enc == "ofp_e4m3" and ex == top and mant == (1 << m) - 1:
        return "qnan", sign, None, None
    if ex == 0 and mant == 0:
        return "zero", sign, None, None
    sig = mant | ((ex != 0) << m)
    return "finite", sign, (ex if ex else 1) - bias, sig


def value(code, fmt):
    """Exact value of a finite code (Fraction)."""
    kind, s, r, sig = decode(code, fmt)
    if kind == "zero":
        return Fraction(0)
    assert kind == "finite", kind
    return (-1) ** s * Fraction(sig) * Fraction(2) ** (r - FORMATS[fmt][1])


def _pow2(k):
    """The smallest power of two >= k (at least 1): the default n."""
    return 1 << max(0, k - 1).bit_length()


def _rto(x):
    """Round a non-negative rational to an odd-LSB integer: floor, last bit set when inexact."""
    t = x.numerator // x.denominator
    return t | 1 if t != x else t


def _floor_log2(x):
    """floor(log2 x) of a positive Fraction."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    return e if x >= Fraction(2) ** e else e - 1


def round_to_odd_fp32(s):
    """(FP32 bits, overflow) of a rational under RVBNA's rounding: round to odd, denormalising below
    2^-126, +-Inf when |s| >= 2^128, +0 for 0."""
    if s == 0:
        return 0, False
    sign, a = (1 << 31) if s < 0 else 0, abs(s)
    e = _floor_log2(a)
    if e >= 128:
        return sign | INF32, True
    if e < -126:  # subnormal: the grid is 2^-149
        return sign | _rto(a * Fraction(2) ** 149), False
    t = _rto(a / Fraction(2) ** (e - (Q - 1)))  # 24-bit significand, odd-forcing never carries
    return sign | ((e + OUT_BIAS) << (Q - 1)) | (t - (1 << (Q - 1))), False


def fp32_bits_value(bits):
    """Exact value of finite FP32 bits (Fraction)."""
    s, ex, man = bits >> 31, (bits >> 23) & 0xFF, bits & 0x7FFFFF
    assert ex != 0xFF
    v = Fraction(man, 1 << 23) * Fraction(2) ** -126 if ex == 0 else \
        Fraction((1 << 23) | man, 1 << 23) * Fraction(2) ** (ex - 127)
    return -v if s else v


def _specials(kinds):
    """(result bits or None, invalid) from the products' special cases, in the spec's order."""
    nan = invalid = inf_seen = False
    inf_sign = 0
    for (ka, sa), (kb, sb) in kinds:
        psign = sa ^ sb
        invalid_prod = (ka == "inf" and kb == "zero") or (kb == "inf" and ka == "zero")
        inf_prod = (ka == "inf" and kb not in ("qnan", "snan", "zero")) or \
                   (kb == "inf" and ka not in ("qnan", "snan", "zero"))
        invalid_sum = inf_seen and inf_prod and inf_sign != psign
        inf_seen |= inf_prod
        invalid |= invalid_prod or invalid_sum or ka == "snan" or kb == "snan"
        inf_sign = psign if inf_prod else inf_sign
        nan |= ka in ("qnan", "snan") or kb in ("qnan", "snan") or invalid_prod or invalid_sum
    if nan:
        return NAN32, invalid
    if inf_seen:
        return (inf_sign << 31) | INF32, invalid
    return None, invalid


def rvbna(a, b, fa, fb=None, n=None):
    """RVBNA of codes a[i] (format fa) and b[i] (format fb) over n products (default: len(a)
    rounded up to a power of two) -> (FP32 bits, set of flags)."""
    fb = fb or fa
    n = n or _pow2(len(a))
    if len(a) != len(b) or len(a) > n or n & (n - 1):
        raise ValueError("need len(a) == len(b) <= n, n a power of two")
    a, b = list(a) + [0] * (n - len(a)), list(b) + [0] * (n - len(b))
    g = ceil(log2(n))
    da, db = [decode(x, fa) for x in a], [decode(x, fb) for x in b]
    special, invalid = _specials([((x[0], x[1]), (y[0], y[1])) for x, y in zip(da, db)])
    flags = {"invalid"} if invalid else set()
    if special is not None:
        return special, flags
    prods = []  # (sign, reference exponent, exact magnitude)
    for (ka, sa, ra, ga), (kb, sb, rb, gb), x, y in zip(da, db, a, b):
        if ka == "finite" and kb == "finite":
            prods.append((sa ^ sb, ra + rb, abs(value(x, fa) * value(y, fb))))
    if not prods:
        return 0, flags
    emax = max(r for _, r, _ in prods)
    grid = Fraction(2) ** (emax - (Q - 1) - g)
    total = sum((-1) ** s * _rto(m / grid) for s, _, m in prods) * grid
    bits, ovf = round_to_odd_fp32(total)
    return bits, flags | ({"overflow"} if ovf else set())


def rvbna_pseudocode(A, B, fmt, n=None, as_written=True):
    """The spec's BulkNormalizedDotProduct, transliterated (symmetric IEEE-encoded formats).

    ``prodOpBias`` (used, never defined) is taken as 2*bias - 127, the value that makes resExp the
    FP32 biased exponent. as_written=False corrects the two lines RVBNA.md discusses: the final
    jam mask, and the denormalisation shift."""
    e, m, bias, enc = FORMATS[fmt]
    assert enc == "ieee", "the pseudocode decodes IEEE encodings only"
    n = n or _pow2(len(A))
    A, B = list(A) + [0] * (n - len(A)), list(B) + [0] * (n - len(B))
    p, q, f = m + 1, Q, F_EXP
    g = o = ceil(log2(n))
    prod_op_bias = 2 * bias - OUT_BIAS
    max_exp = 0
    mask_exp, mask_mant = (1 << e) - 1, (1 << m) - 1
    ref, signs, sigs = [0] * n, [0] * n, [0] * n
    overflow_exp = (1 << f) - 1
    nan_result = infinite_result = invalid = False
    infinite_sign = 0
    for i in range(n):
        ae, be = (A[i] >> m) & mask_exp, (B[i] >> m) & mask_exp
        am, bm = A[i] & mask_mant, B[i] & mask_mant
        signs[i] = ((A[i] >> (e + m)) & 1) ^ ((B[i] >> (e + m)) & 1)
        a_sub, b_sub = ae == 0, be == 0
        a_zero, b_zero = a_sub and am == 0, b_sub and bm == 0
        prod_zero = a_zero or b_zero
        a_inf, b_inf = ae == mask_exp and am == 0, be == mask_exp and bm == 0
        a_nan, b_nan = ae == mask_exp and am != 0, be == mask_exp and bm != 0
        a_snan, b_snan = a_nan and (am & (1 << (m - 1))) == 0, b_nan and (bm & (1 << (m - 1))) == 0
        invalid_prod = (a_inf and b_zero) or (b_inf and a_zero)
        inf_prod = (a_inf and not b_nan and not b_zero) or (b_inf and not a_nan and not a_zero)
        invalid_sum = infinite_result and inf_prod and (infinite_sign != signs[i])
        infinite_result = infinite_result or inf_prod
        invalid = invalid or invalid_prod or invalid_sum or a_snan or b_snan
        infinite_sign = signs[i] if inf_prod else infinite_sign
        nan_result = nan_result or a_nan or b_nan or invalid_prod or invalid_sum
        sigs[i] = (((not a_sub) << (p - 1)) | am) * (((not b_sub) << (p - 1)) | bm)
        ref[i] = 0 if prod_zero else (1 if a_sub else ae) + (1 if b_sub else be)
        max_exp = max(max_exp, ref[i])
    flags = {"invalid"} if invalid else set()
    if nan_result:
        return (overflow_exp << (q - 1)) | (1 << (q - 2)), flags
    if infinite_result:
        return (infinite_sign << (q + f - 1)) | (overflow_exp << (q - 1)), flags
    acc = 0
    for i in range(n):
        shift = max_exp - ref[i]
        pad = q + 1 + g - 2 * p
        aligned = (sigs[i] << pad) >> shift
        discarded = sigs[i] & (((1 << (2 * p)) - 1) >> (q + 1 + g - shift) if q + 1 + g - shift >= 0 else -1)
        jam = (sigs[i] if shift >= q + 1 + g else discarded) != 0
        acc += -(aligned | jam) if signs[i] else (aligned | jam)
    sign = acc < 0
    acc_abs = -acc if sign else acc
    width = g + q + 1 + o
    lzc = width - acc_abs.bit_length()
    res_exp = 0 if acc == 0 else (max_exp + o + 1 - lzc) - prod_op_bias
    norm = acc_abs << lzc
    unrounded = norm >> (g + o + 1)
    raw_jam = (1 << (g + o + 1)) - 1
    if as_written:
        jam_mask = raw_jam >> (0 if lzc > g + o + 1 else g + o + 1 - lzc)
    else:
        jam_mask = raw_jam
    rounded = unrounded | ((norm & jam_mask) != 0)
    if acc_abs == 0:
        return 0, flags
    if res_exp >= overflow_exp:
        return (sign << (q + f - 1)) | (overflow_exp << (q - 1)), flags | {"overflow"}
    if res_exp >= 1:
        return (sign << (q + f - 1)) | (res_exp << (q - 1)) | (rounded & ((1 << (q - 1)) - 1)), flags
    if res_exp < -(q - 1):
        return (sign << (q + f - 1)) | (acc_abs != 0), flags
    if as_written:
        den = acc_abs >> (q - 1 + res_exp)
        dmask = ((1 << (q - 1)) - 1) >> (q - 1 + res_exp)
        force = (acc_abs & dmask) != 0
    else:  # shift the normalised significand to the subnormal grid, jam what falls off
        k = g + o + 1 + 1 - res_exp
        den, force = norm >> k, (norm & ((1 << k) - 1)) != 0
    return (sign << (q + f - 1)) | den | force, flags


def dot_instruction(a, b, c_bits, fa, fb=None, n=32):
    """One permitted reading of vf[q]wdota at the instruction level ("Bulk Normalization of Dot
    Products"): the products in consecutive sets of n, each set by ``rvbna``, then the FP32 set
    results and the FP32 accumulator c summed exactly and rounded to odd once (an exact-sum
    instance of the vfredusum.vs-consistent sum), RVBNA's Inf/+0 rules. The spec leaves the
    partition, n and the summation tree to the implementation (RVBNA.md)."""
    fb = fb or fa
    if len(a) % n:
        pad = n - len(a) % n
        a, b = list(a) + [0] * pad, list(b) + [0] * pad
    results, flags = [], set()
    for j in range(0, len(a), n):
        r, fl = rvbna(a[j:j + n], b[j:j + n], fa, fb, n)
        results.append(r)
        flags |= fl
    terms = results + [c_bits]
    if any((t >> 23) & 0xFF == 0xFF and t & 0x7FFFFF for t in terms):
        if (c_bits >> 23) & 0xFF == 0xFF and c_bits & 0x7FFFFF and not c_bits & 0x400000:
            flags.add("invalid")  # signalling NaN accumulator
        return NAN32, flags
    infs = {t >> 31 for t in terms if (t & 0x7FFFFFFF) == INF32}
    if len(infs) == 2:
        return NAN32, flags | {"invalid"}
    if infs:
        return (infs.pop() << 31) | INF32, flags
    bits, ovf = round_to_odd_fp32(sum(fp32_bits_value(t) for t in terms))
    return bits, flags | ({"overflow"} if ovf else set())
