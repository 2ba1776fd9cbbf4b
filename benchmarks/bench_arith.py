"""fp8ref.arith vs APyTypes over every operand pair of an 8-bit format, ns/pair, same run.

Binary operations on all 65,536 (a, b) pairs of E4M3 (IEEE-style, with Inf: APyTypes' native
layout) and E5M2, RNE; fma on 65,536 triples (the pairs with a third operand per pair), sqrt on
65,536 operands (every code 256 times); maximum_number, copysign and lt as examples of the other
binary operations. APyTypes has no fma, sqrt or these: the goals compare them with its add (fma
<= 2x APyTypes' add, div/sqrt <= 10x, the others <= 1x). Both sides get their
operands prepared (uint8 codes; APyFloatArrays) outside the timed region; results are checked
equal first (NaN payloads aside).

"first call" is the cost of a call whose result table is not built yet (tables cleared, Numba
code already loaded): the table is built by the generic path. "generic" is the generic path on
the same operands (no tables), for scale; fp16 pairs always take it.

Usage: python benchmarks/bench_arith.py [repeats]   (default 7, best of)
"""

import sys
import time

import numpy as np

import fp8ref
import fp8ref.arith as A
from fp8ref.arith import tables
from fp8ref.arith.api import _generic, _policy


def best(fn, repeat):
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts)


def once(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    try:
        import apytypes as apy
    except ImportError:
        sys.exit("bench_arith: pip install apytypes==0.5.1 (the peer measured in the same run)")
    i = np.arange(65536)
    x, y = (i >> 8).astype(np.uint8), (i & 255).astype(np.uint8)
    z = ((i * 40503) >> 4 & 255).astype(np.uint8)  # a third operand per pair (fma)
    n = x.size
    A.add(x, y, "e5m2")  # load the Numba gather loops (cached on disk after the first run)
    A.fma(x, y, z, "e5m2")
    A.sqrt(x, "e5m2")
    print(f"{n:,} operand pairs per call, RNE, best of {repeat}; ns per pair (fp8ref / APyTypes {apy.__version__})")
    print(f"{'op':5s} {'format':7s} {'fp8ref':>8s} {'APyTypes':>9s} {'ratio':>7s} {'goal (x APy add)':>17s} "
          f"{'first call':>11s} {'generic':>9s}")
    for fmt in ("e4m3", "e5m2"):
        f = fp8ref.get_format(fmt)
        ax = apy.APyFloatArray.from_bits(x.tolist(), f.exp_bits, f.man_bits, f.bias)
        ay = apy.APyFloatArray.from_bits(y.tolist(), f.exp_bits, f.man_bits, f.bias)
        nan = np.isnan(fp8ref.decode_table(f))
        peer = {"add": lambda: ax + ay, "sub": lambda: ax - ay, "mul": lambda: ax * ay, "div": lambda: ax / ay}
        with apy.APyFloatQuantizationContext(apy.QuantizationMode.TIES_EVEN):
            t_add = best(peer["add"], repeat)
            for op in ("add", "sub", "mul", "div", "fma", "sqrt", "maximum_number", "copysign", "lt"):
                operands = {"fma": (x, y, z), "sqrt": (x,)}.get(op, (x, y))
                ours = lambda: A.apply(op, *operands, fmt=fmt)
                got = ours()
                if op in peer:
                    want = np.asarray(peer[op]().to_bits(), dtype=np.int64).reshape(-1)
                    ok = (got == want) | (nan[got] & nan[want])
                    assert ok.all(), f"{op} {fmt}: results differ from APyTypes"
                    t_peer = best(peer[op], repeat)
                    if op == "add":
                        t_add = min(t_add, t_peer)
                else:
                    t_peer = None
                t = best(ours, repeat)
                tables.clear()
                t_first = once(ours)
                fl = [f] * len(operands)
                res_fmt = None if op == "lt" else f
                pol = _policy(f, {}) if res_fmt else fp8ref.Policy()
                t_gen = once(lambda: _generic(op, fl, res_fmt, pol, [o.astype(np.int64) for o in operands], None, 0))
                ref = t_peer if t_peer is not None else t_add
                goal = {"fma": 2, "div": 10, "sqrt": 10}.get(op, 1)
                vs = "" if t_peer is not None else " (vs add)"
                met = "met" if t <= goal * t_add else "MISSED"
                print(f"{op:5s} {fmt:7s} {t / n * 1e9:8.2f} {ref / n * 1e9:9.2f} {t / ref:7.2f} "
                      f"{'<= ' + str(goal) + ' ' + met:>17s} {t_first * 1e3:8.1f} ms {t_gen / n * 1e9:7.0f}{vs}")
    # the generic path on a 16-bit format (no tables for pairs)
    r = np.random.default_rng(0)
    a16, b16 = r.integers(0, 1 << 16, n).astype(np.uint16), r.integers(0, 1 << 16, n).astype(np.uint16)
    f16 = fp8ref.get_format("fp16")
    af = apy.APyFloatArray.from_bits(a16.tolist(), 5, 10, 15)
    bf = apy.APyFloatArray.from_bits(b16.tolist(), 5, 10, 15)
    with apy.APyFloatQuantizationContext(apy.QuantizationMode.TIES_EVEN):
        for op, fn in (("add", lambda: af + bf), ("mul", lambda: af * bf), ("div", lambda: af / bf)):
            t = best(lambda: A.apply(op, a16, b16, fmt=f16), repeat)
            tp = best(fn, repeat)
            print(f"{op:5s} {'fp16':7s} {t / n * 1e9:8.2f} {tp / n * 1e9:9.2f} {t / tp:7.2f}   (random pairs, generic path)")


if __name__ == "__main__":
    main()
