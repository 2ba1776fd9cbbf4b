"""Run in a subprocess by test_processes_threads.py: gemm / dot / error_study in this process,
then in fork, spawn and forkserver pool workers and in several threads at once; prints one JSON
line {"layer": ..., "<mode>": [digest, ...]} with the SHA-256 of every result's bits.

Usage: python -m tests.accum.proc_check MODE [MODE ...]   (MODE: fork spawn forkserver threads)
The parent computes first, so Numba's threads are running when it forks.
"""

import hashlib
import json
import multiprocessing
import sys
import threading

import numpy as np


def operands():
    import fp8ref

    rng = np.random.default_rng(15)
    a = fp8ref.quantize(rng.standard_normal((130, 256)).astype(np.float32) * 8, "e4m3fn")
    b = fp8ref.quantize(rng.standard_normal((256, 70)).astype(np.float32) * 8, "e4m3fn")
    return a, b


def digest(_=None):
    """SHA-256 over the bits of: gemm (vectorised kernel, and the per-element kernel via the
    exact model), dot (row kernel), the error study's counts."""
    import fp8ref

    a, b = operands()
    h = hashlib.sha256()
    h.update(fp8ref.gemm(a, b, model="h100_fp8").tobytes())
    h.update(fp8ref.gemm(a[:20], b, model="exact").tobytes())
    h.update(fp8ref.dot(a[:64], b[:, :64].T, model="ada_fp8").tobytes())
    s = fp8ref.error_study(a[:20], b[:, :30], ("h100_fp8", "h100_fp8_promote128"))
    h.update(repr([(r[0], r[4]) for r in s.rows]).encode())
    return h.hexdigest()


def _threads(n=4, rounds=3):
    out, errors = [], []

    def work():
        try:
            for _ in range(rounds):
                out.append(digest())
        except BaseException as e:  # reported, never swallowed
            errors.append(repr(e))

    ts = [threading.Thread(target=work) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return out


def main(modes):
    import numba

    res = {"parent": [digest()], "layer": numba.threading_layer()}
    for mode in modes:
        print(f"{mode}: start", file=sys.stderr, flush=True)  # the last one started is the one that hung
        if mode == "threads":
            res[mode] = _threads()
        else:
            with multiprocessing.get_context(mode).Pool(2) as pool:
                res[mode] = pool.map(digest, range(4))
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
