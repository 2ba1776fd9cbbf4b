"""The linter (ruff) and the type checker (mypy) pass on fp8ref/, as configured in
pyproject.toml ([tool.ruff], [tool.mypy]). Each is skipped, saying so, only where it is not
installed (it is in the dev extra, so CI runs both)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(tool: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[dev]' installs it)")
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_ruff_check():
    r = _run("ruff", "check", "fp8ref", "--no-cache")
    assert r.returncode == 0, f"ruff check fp8ref found problems:\n{r.stdout}{r.stderr}"


def test_mypy():
    r = _run("mypy", "fp8ref")
    assert r.returncode == 0, f"mypy fp8ref found problems:\n{r.stdout}{r.stderr}"
