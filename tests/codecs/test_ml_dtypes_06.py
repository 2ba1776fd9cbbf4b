"""The ``ml_dtypes_0.6`` preset against ml_dtypes 0.6.0 itself.

The test dependency is ml_dtypes 0.7.0, so 0.6.0 runs in a temporary virtual environment
(``python -m venv``; ``pip install ml_dtypes==0.6.0 numpy``): a fixed case set of bit patterns
goes in, the codes 0.6.0's ``astype`` gives come back, and fp8ref's ``ml_dtypes_0.6`` preset must
give the same. The case set holds every class where 0.6.0 and 0.7.0 differ (float64 and
32/64-bit integer inputs rounded through float32, the UE8M0 (2^-127, 2^-126) rule, no casts
between float8 types and float8_e8m0fnu) and the rules they share. Skipped, with pip's reason,
only when pip cannot reach a package index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import ml_dtypes
import numpy as np
import pytest

from fp8ref import encode, get_format

from .edge_cases import edge_values, integer_traps
from ..oracles.shared import ML_CASTS

TARGETS = [n for n in ML_CASTS if n != "fp16"]  # fp16 is numpy's cast, not ml_dtypes'
ML_NAME = {n: np.dtype(ML_CASTS[n]).name for n in TARGETS}

# runs inside the 0.6.0 environment: every input set cast to every target, codes (or the error) saved
SCRIPT = textwrap.dedent("""
    import sys, warnings
    import numpy as np, ml_dtypes
    warnings.simplefilter("ignore")
    assert ml_dtypes.__version__ == "0.6.0", ml_dtypes.__version__
    inp = np.load(sys.argv[1])
    out = {}
    for key in inp.files:
        src, _, raw = key.partition(":")
        x = inp[key].view(getattr(ml_dtypes, src, None) or np.dtype(src))
        for t in sys.argv[3:]:
            try:
                with np.errstate(all="ignore"):
                    y = x.astype(getattr(ml_dtypes, t))
                out[key + ">" + t] = y.view(np.uint16 if y.itemsize == 2 else np.uint8)
            except TypeError:
                out[key + ">" + t] = np.array([], np.uint8)  # cast not defined
    np.savez(sys.argv[2], **out)
""")


def _cases():
    """{'<dtype>:<what>': array}: the fixed case set (deterministic)."""
    rng = np.random.default_rng(6)
    f64 = [edge_values(get_format(n), np.float64) for n in TARGETS if n not in ("bf16", "ue8m0")]
    gap = np.array([2.0**-127 * (1 + 2.0**-30), 1.25 * 2.0**-127, 1.5 * 2.0**-127, 2.0**-126 * (1 - 2.0**-40),
                    1.5 * 2.0**127 * (1 - 2.0**-30), 1e-300, 5e-324, 1e39, 2.0**-150])
    f64 += [gap, -gap, rng.integers(0, 2**64, 20000, dtype=np.uint64).view(np.float64),
            rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32).astype(np.float64)
            * (1 + 2.0**-35)]  # between float32 values
    f32 = np.concatenate([rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32),
                          gap.astype(np.float32), np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32),
                          np.array([0x7F800001, 0xFFA00000, 0x7FFFFFFF], np.uint32).view(np.float32)])
    ints = integer_traps()
    cases = {
        "float64:cases": np.concatenate(f64),
        "float32:cases": f32,
        "float16:every": np.arange(1 << 16, dtype=np.uint16).view(np.float16),
        "bfloat16:every": np.arange(1 << 16, dtype=np.uint16).view(ml_dtypes.bfloat16),
        "int16:every": np.arange(-(1 << 15), 1 << 15, dtype=np.int16),
        "int64:traps": np.concatenate([ints[ints < 2**63].astype(np.int64), -ints[ints < 2**63].astype(np.int64)]),
        "uint64:traps": ints,
        "int32:traps": ints[ints < 2**31].astype(np.int32),
        "uint32:traps": ints[ints < 2**32].astype(np.uint32),
    }
    for n in TARGETS:
        if n != "bf16":
            count = {"e2m3fn": 64, "e3m2fn": 64, "e2m1fn": 16}.get(n, 256)
            cases[f"{ML_NAME[n]}:every"] = np.arange(count, dtype=np.uint8).view(ML_CASTS[n])
    return cases


def _run_ml_dtypes_06(tmp_path, cases):
    venv = tmp_path / "venv06"
    py = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    r = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"python -m venv is not available here: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "ml_dtypes==0.6.0", f"numpy=={np.__version__}"], capture_output=True, text=True, timeout=600)
    if r.returncode:
        msg = r.stderr + r.stdout
        unreachable = ("No matching distribution", "Could not find a version", "Failed to establish",
                       "Temporary failure in name resolution", "Network is unreachable", "ProxyError",
                       "ConnectTimeout", "ConnectionError", "Max retries exceeded")
        if any(s in msg for s in unreachable):
            pytest.skip("pip cannot reach a package index to install ml_dtypes 0.6.0: "
                        + msg.strip().splitlines()[-1])
        raise AssertionError(f"pip install ml_dtypes==0.6.0 failed:\n{msg}")
    np.savez(tmp_path / "in.npz", **{k: np.ascontiguousarray(v).view(f"u{v.dtype.itemsize}") for k, v in cases.items()})
    (tmp_path / "cast06.py").write_text(SCRIPT)
    r = subprocess.run([str(py), str(tmp_path / "cast06.py"), str(tmp_path / "in.npz"), str(tmp_path / "out.npz"),
                        *ML_NAME.values()], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return np.load(tmp_path / "out.npz")


def test_ml_dtypes_06_preset_is_ml_dtypes_06(tmp_path):
    with np.errstate(over="ignore", invalid="ignore"):
        cases = _cases()
    out = _run_ml_dtypes_06(tmp_path, cases)
    refused, differs_from_07 = [], {}
    for key, x in cases.items():
        for n in TARGETS:
            want = out[f"{key}>{ML_NAME[n]}"]
            if want.size == 0:  # 0.6.0 has no such cast (0.7.0 has)
                refused.append((key, n))
                continue
            got = encode(x, n, preset="ml_dtypes_0.6")
            if key.split(":")[0] == ML_NAME[n]:  # identity cast: ml_dtypes copies NaN payloads
                ok = ~np.isnan(x.astype(np.float32))
                got, want = got[ok], want[ok]
            bad = np.flatnonzero(got != want)
            assert bad.size == 0, (f"{key} -> {n}: {bad.size} of {x.size} differ, first x={x[bad[0]]!r}: "
                                   f"fp8ref {int(got[bad[0]]):#x}, ml_dtypes 0.6.0 {int(want[bad[0]]):#x}")
            d = int(np.sum(encode(x, n, preset="ml_dtypes") != got)) if key.split(":")[0] != ML_NAME[n] else 0
            differs_from_07[key] = differs_from_07.get(key, 0) + d
    # the case set reaches every class where 0.6.0 and 0.7.0 differ ...
    for key in ("float64:cases", "bfloat16:every", "float32:cases", "int64:traps", "uint64:traps", "int32:traps",
                "uint32:traps"):
        assert differs_from_07[key] > 0, key
    # ... and 0.6.0 refused casts between its float8 types and float8_e8m0fnu, both ways
    assert ("float8_e4m3fn:every", "ue8m0") in refused and ("float8_e8m0fnu:every", "e4m3fn") in refused
