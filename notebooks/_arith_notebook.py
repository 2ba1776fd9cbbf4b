"""Cell sources of 05_arithmetic_in_8_bits.ipynb (built by _build.py, like the others; the set-up
cell is _build.py's, with ``fp8ref.arith`` imported as ``A``)."""


def cells(setup):
    """The notebook's cells, ``setup`` being the shared set-up cell."""
    return [
        ("md", """\
# Arithmetic in 8 bits

`fp8ref.arith` adds, multiplies, divides, ... arrays of **codes** of any format: each result is
computed exactly (integer arithmetic on the significands), then rounded **once** into the result
format by the same codec that `fp8ref.encode` uses, with the per-element IEEE flags. Which rules
apply to the special cases depends on the result format's *family*: IEEE 754 for IEEE-like
formats (OCP FP8, FNUZ, FP6/FP4, fp16, ...), the P3109 interim report for P3109 formats, the 2022
standard for posits (docs/arithmetic.md has the table).

This notebook looks at three things: that 8-bit addition is not associative (and how often),
how large the error of one `a + b` or `a × b` is in each format, and how P3109 and OCP FP8
differ when a result overflows."""),
        ("code", setup + "import fp8ref.arith as A\n"),
        ("md", """\
## One operation, spelled out

`A.evaluate` takes numbers, encodes them into the operand format and shows codes, values and
flags (the command line does the same: `fp8ref arith add 1.5 2.25 --fmt e4m3fn`)."""),
        ("code", """\
display(A.evaluate("add", 1.5, 2.25, fmt="e4m3fn"))
display(A.evaluate("mul", 0.1, 10, fmt="e4m3fn"))     # 0.1 is not an E4M3FN value: it is rounded first
display(A.evaluate("div", 1, 3, fmt="p3109_8p4", rounding="rto"))"""),
        ("md", """\
## (a + b) + c is not a + (b + c)

Every result is rounded, so the order of two additions matters. Over 200,000 random triples of
finite codes, how often do the two orders differ? (`A.add` works on whole arrays of codes.)"""),
        ("code", """\
FORMATS = ["e4m3fn", "e5m2", "p3109_8p3", "p3109_8p4", "posit8_es2", "e2m1fn"]
rng = np.random.default_rng(0)

def finite_codes(fmt, n):
    t = fp8ref.decode_table(fp8ref.get_format(fmt))
    pool = np.flatnonzero(np.isfinite(t)).astype(np.uint8)
    return pool[rng.integers(0, pool.size, n)]

rows = []
for fmt in FORMATS:
    a, b, c = (finite_codes(fmt, 200_000) for _ in range(3))
    kw = {"nan_to": "zero"} if fmt == "e2m1fn" else {}
    left = A.add(A.add(a, b, fmt, **kw), c, fmt, **kw)
    right = A.add(a, A.add(b, c, fmt, **kw), fmt, **kw)
    vl = fp8ref.decode(left, fmt, dtype=np.float64)
    vr = fp8ref.decode(right, fmt, dtype=np.float64)
    differ = ~((vl == vr) | (np.isnan(vl) & np.isnan(vr)))
    i = int(np.flatnonzero(differ)[0])
    va, vb, vc = (float(fp8ref.decode(x[i], fmt, dtype=np.float64)) for x in (a, b, c))
    rows.append([fmt, f"{differ.mean():.1%}", f"({va:g} + {vb:g}) + {vc:g} = {vl[i]:g}",
                 f"{va:g} + ({vb:g} + {vc:g}) = {vr[i]:g}"])
print(tabulate(rows, headers=["format", "triples where the orders differ", "example: left", "right"]))"""),
        ("md", """\
The classic case is a large value absorbing small ones: in E4M3FN, 256 + 8 rounds back to 256
(the spacing there is 32), so adding 8 three times leaves 256, while adding 24 first gives 288."""),
        ("code", """\
x = fp8ref.encode(np.array([256.0, 8.0, 8.0, 8.0]), "e4m3fn")
left_to_right = x[0]
for v in x[1:]:
    left_to_right = A.add(left_to_right, v, "e4m3fn")
small_first = A.add(x[0], A.add(A.add(x[1], x[2], "e4m3fn"), x[3], "e4m3fn"), "e4m3fn")
print("256 + 8 + 8 + 8, left to right :", fp8ref.decode(left_to_right, "e4m3fn"))
print("256 + ((8 + 8) + 8)            :", fp8ref.decode(small_first, "e4m3fn"))"""),
        ("md", """\
## The error of one a + b and one a × b

Every pair of finite codes (65,536 pairs per 8-bit format): the exact sum or product (float64
holds every sum and product of two 8-bit values exactly) against the rounded result. The table
gives the share of exact results, the largest and median relative error of the inexact results
that neither overflow nor underflow, and how many pairs overflow or underflow (the flags; a
product that underflows loses up to all of its digits, and a posit product below minpos is
delivered as minpos)."""),
        ("code", """\
def error_table(op, formats):
    rows, errs = [], {}
    for fmt in formats:
        f = fp8ref.get_format(fmt)
        t = fp8ref.decode_table(f)
        i = np.arange(f.num_codes ** 2)
        a, b = i // f.num_codes, i % f.num_codes
        ok = np.isfinite(t[a]) & np.isfinite(t[b])
        a, b = a[ok], b[ok]
        z, flags = A.apply(op, a, b, fmt=fmt, return_flags=True, **({"nan_to": "zero"} if not f.has_nan else {}))
        exact = t[a] + t[b] if op == "add" else t[a] * t[b]
        got = t[z.astype(np.int64)]
        fin = np.isfinite(got) & (exact != 0) & ((flags & (fp8ref.FLAG_OVERFLOW | fp8ref.FLAG_UNDERFLOW)) == 0)
        rel = np.abs(got[fin] - exact[fin]) / np.abs(exact[fin])
        inexact = rel[rel > 0]
        errs[fmt] = inexact
        rows.append([fmt, a.size, f"{(flags & fp8ref.FLAG_INEXACT == 0).mean():.1%}",
                     f"{inexact.max():.3g}" if inexact.size else "-", f"{np.median(inexact):.3g}" if inexact.size else "-",
                     int((flags & fp8ref.FLAG_OVERFLOW != 0).sum()), int((flags & fp8ref.FLAG_UNDERFLOW != 0).sum())])
    print(tabulate(rows, headers=[f"{op}", "finite pairs", "exact", "max rel. error", "median rel. error",
                                  "overflow", "underflow"]))
    return errs

FMTS = ["e4m3fn", "e5m2", "e4m3fnuz", "p3109_8p3", "p3109_8p4", "hif8", "posit8_es2", "e2m1fn"]
add_errs = error_table("add", FMTS)
print()
mul_errs = error_table("mul", FMTS)"""),
        ("md", """\
For IEEE-like formats the largest relative error of a normal result is half an ulp relative to
the smallest significand, 2^-p (E4M3FN: 2^-4 ≈ 0.0588 at 1.0625 → 1); posits and HiF8 lose
precision where they taper, so their largest errors are those of their coarsest binades (posit8
with es = 2 has the neighbouring values 2^-24, 2^-20, 2^-16 at the bottom: 2^-24 × 4 = 2^-22
rounds to 2^-20 — the standard rounds the encoding, whose tie between those two is 2^-22 itself,
and ties go to the even pattern — an error of 3).
The distribution of log2 of the relative error of a × b:"""),
        ("code", """\
if HAVE_MPL:
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for fmt in ["e4m3fn", "e5m2", "p3109_8p4", "posit8_es2", "hif8"]:
        e = mul_errs[fmt]
        ax.hist(np.log2(e), bins=np.arange(-12, 1, 0.25), histtype="step", label=fmt, density=True)
    ax.set_xlabel("log2 relative error of a × b (inexact products)")
    ax.set_ylabel("density")
    ax.legend()
    plt.show()"""),
        ("md", """\
## P3109 and OCP FP8 at overflow

The same overflowing product, 2 × max finite, in each format and policy. OCP FP8 follows IEEE
754: E4M3FN has no Inf, so an overflow is NaN unless the unit saturates; E5M2 overflows to Inf.
P3109 formats have ±Inf (Extended) and three saturation modes; its *ToOdd* rounding overflows to
Inf, where IEEE-like formats (SoftFloat's round-to-odd) saturate. And the special cases of the
operation tables are not projected in P3109: Inf + 1 stays Inf even under SatFinite."""),
        ("code", """\
def show(op, fmt, *values, **policy):
    e = A.evaluate(op, *values, fmt=fmt, **policy)
    return f"0x{e.code:02X} ({e.value:g}) {' '.join(e.flag_names) or '-'}"

rows = []
for fmt in ["e4m3fn", "e5m2", "p3109_8p3", "p3109_k8p3uf"]:
    mx = fp8ref.get_format(fmt).max_finite
    for ovf in ["ovf_inf", "sat_finite", "sat_propagate"]:
        if fmt == "p3109_k8p3uf" and ovf != "sat_finite":
            continue  # a P3109 Finite format has SatFinite only
        rows.append([fmt, ovf, show("mul", fmt, mx, 2, overflow=ovf), show("mul", fmt, mx, 2, overflow=ovf, rounding="rto"),
                     show("add", fmt, float("inf"), 1, overflow=ovf) if fp8ref.get_format(fmt).has_infinity else "(no Inf)"])
print(tabulate(rows, headers=["format", "overflow", "max × 2, RNE", "max × 2, to odd", "Inf + 1"]))"""),
        ("md", """\
Division by zero shows the families' rules side by side: IEEE 754 gives ±Inf and raises the
divide-by-zero flag (0x08); P3109 defines Divide(X, 0) = NaN for every X; a posit gives NaR."""),
        ("code", """\
for fmt in ["e5m2", "e4m3fn", "p3109_8p3", "posit8_es2"]:
    print(f"{fmt:12s} family {A.family(fmt):6s}  1 / 0 = {show('div', fmt, 1, 0)}")"""),
    ]
