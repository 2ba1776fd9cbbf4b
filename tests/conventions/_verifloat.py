"""VeriFloat (cp312-only) run in its own interpreter: the recorded fixture and a live check.

The live check needs a Python with ``verifloat`` 0.2.0 and numpy: ``$FP8REF_VERIFLOAT_PYTHON``
or ``/work/venv312/bin/python`` (make it with ``python3.12 -m venv /work/venv312 &&
/work/venv312/bin/pip install verifloat==0.2.0 numpy``); without one the live tests skip and the
recorded outputs (``tests/data/verifloat/conventions.npz``, made by
``scripts/verifloat_conventions.py``) are still checked.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verifloat_conventions.py"
FIXTURE = ROOT / "tests" / "data" / "verifloat" / "conventions.npz"


def python312() -> str:
    py = os.environ.get("FP8REF_VERIFLOAT_PYTHON", "/work/venv312/bin/python")
    if not Path(py).exists():
        pytest.skip(f"VeriFloat live check: no interpreter at {py} (VeriFloat 0.2.0 is cp312-only; "
                    "create it with python3.12 -m venv /work/venv312 && /work/venv312/bin/pip install "
                    "verifloat==0.2.0 numpy, or set FP8REF_VERIFLOAT_PYTHON)")
    probe = subprocess.run([py, "-c", "import verifloat, numpy"], capture_output=True, text=True)
    if probe.returncode:
        pytest.skip(f"VeriFloat live check: {py} cannot import verifloat and numpy: "
                    f"{probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else 'unknown error'}")
    return py


def run(fmt: str, config: str, raw, src: str = "f32") -> tuple[np.ndarray, np.ndarray]:
    """VeriFloat's codes (-1: it raised) and flags for bit patterns ``raw`` of ``src`` (float32,
    or a format named in the script's FORMATS)."""
    req = json.dumps({"fmt": fmt, "config": config, "raw": [int(r) for r in raw], "src": src})
    out = subprocess.run([python312(), str(SCRIPT), "--serve"], input=req, capture_output=True, text=True,
                         timeout=300, check=True)
    res = json.loads(out.stdout)
    return np.array(res["code"], dtype=np.int64), np.array(res["flags"], dtype=np.uint8)


def fixture():
    return np.load(FIXTURE)
