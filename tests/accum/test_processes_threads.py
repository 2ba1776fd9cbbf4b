"""gemm / dot / error_study in fork, spawn and forkserver children and from concurrent threads,
under every Numba threading layer available here, and the first-compile notice. Each case runs
in a subprocess (its own process group) with a hard timeout: a hang fails instead of hanging."""

import importlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fp8ref.accum.launch import COMPILE_NOTICE

from . import proc_check

ROOT = Path(__file__).resolve().parents[2]
MODES = ("threads", "fork", "spawn", "forkserver")
_POOLS = {"omp": "numba.np.ufunc.omppool", "tbb": "numba.np.ufunc.tbbpool",
          "workqueue": "numba.np.ufunc.workqueue"}


def _available(layer):
    """Whether Numba could load this threading layer (the check Numba itself makes)."""
    try:
        if layer == "tbb":
            from numba.np.ufunc.parallel import _check_tbb_version_compatible

            _check_tbb_version_compatible()
        importlib.import_module(_POOLS[layer])
    except ImportError:
        return False
    return True


def _run(args, timeout, **env):
    """(stdout, stderr) of ``python args`` in the repository root; fails on a non-zero exit and,
    after killing the whole process group, on a timeout (a hung pool never hangs the suite)."""
    e = dict(os.environ, **env)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")])
    p = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=e, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"no result after {timeout} s (hang); stdout: {out[-1000:]!r}; stderr: {err[-2000:]!r}")
    assert p.returncode == 0, f"exit status {p.returncode}; stderr: {err[-2000:]}"
    return out, err


@pytest.mark.parametrize("layer", sorted(_POOLS))
def test_same_bits_in_children_and_threads(layer):
    """The parent calls gemm first (Numba's threads are running), then 4 threads call it at once
    and fork / spawn / forkserver pools call it: every digest equals this process's."""
    if not _available(layer):
        pytest.skip(f"Numba's {layer!r} threading layer cannot load here (tbb: pip install tbb)")
    out, _ = _run(["-m", "tests.accum.proc_check", *MODES], 420, NUMBA_THREADING_LAYER=layer)
    res = json.loads(out.strip().splitlines()[-1])
    assert res.pop("layer") == layer
    want = proc_check.digest()
    assert {k: set(v) for k, v in res.items()} == {k: {want} for k in ("parent", *MODES)}


def test_compile_notice_only_when_compiling(tmp_path):
    """A fresh Numba cache: one line on stderr, however many calls; the same cache again
    (kernels loaded, not compiled): nothing."""
    code = ("import numpy as np, fp8ref\n"
            "x = np.ones((2, 4))\n"
            "fp8ref.dot(x, x, model='h100_fp8'); fp8ref.dot(x, x, model='exact')\n")
    _, err = _run(["-c", code], 420, NUMBA_CACHE_DIR=str(tmp_path))
    assert err.count(COMPILE_NOTICE) == 1, err
    _, err = _run(["-c", code], 420, NUMBA_CACHE_DIR=str(tmp_path))
    assert COMPILE_NOTICE not in err, err
    assert "The first `gemm` in a new environment compiles" in (ROOT / "README.md").read_text(encoding="utf-8")
