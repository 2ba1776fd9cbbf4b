"""What a user installing fp8ref gets (issue 15 §5.1, §5.16): torch in its own extra (the dev
install stays small; torch-based tests skip cleanly without it), py.typed and LICENSE in the
built wheel, the docs the README names in the sdist, a README that reads well on a package
index (no relative links, Python versions, suite duration, the CPU torch wheel)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def _pyproject():
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def _name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower()


# ---- torch in its own extra -----------------------------------------------------------------
def test_torch_is_its_own_extra_and_not_in_dev():
    extras = _pyproject()["project"]["optional-dependencies"]
    assert not {"torch", "torchao"} & {_name(r) for r in extras["dev"]}
    assert extras["torch"] == ["torch==2.13.0", "torchao==0.18.0"]
    assert "torch" not in {_name(r) for r in _pyproject()["project"]["dependencies"]}


_NO_TORCH = textwrap.dedent('''
    """pytest with torch absent: importing torch (or torch.*) fails as for an uninstalled package."""
    import sys


    class _NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, _NoTorch())
    import pytest

    sys.exit(pytest.main(sys.argv[1:]))
''')


def _torch_test_files():
    """Test modules that import torch (directly or via importorskip)."""
    pat = re.compile(r"^\s*(import torch\b|from torch\b)|importorskip\(\s*['\"]torch['\"]", re.M)
    out = []
    for root, _, files in os.walk(os.path.join(ROOT, "tests")):
        for n in sorted(files):
            if n.startswith("test_") and n.endswith(".py") and n != "test_packaging.py":
                p = os.path.join(root, n)
                with open(p, encoding="utf-8") as f:
                    if pat.search(f.read()):
                        out.append(os.path.relpath(p, ROOT))
    return sorted(out)


def _pytest_without_torch(tmp_path, *args):
    runner = tmp_path / "no_torch_pytest.py"
    runner.write_text(_NO_TORCH)
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, str(runner), "-p", "no:cacheprovider", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_torch_tests_skip_cleanly_without_torch(tmp_path):
    """Without torch every test module that imports it (found by scanning tests/) is skipped,
    naming the extra and the CPU wheel; nothing errors (fp8ref itself imports without torch)."""
    from tests._deps import TORCH_REASON

    files = _torch_test_files()
    assert len(files) >= 2, files
    r = _pytest_without_torch(tmp_path, "-q", "-rs", *files)
    out = r.stdout + r.stderr
    assert r.returncode in (0, 5), out  # 5: every module skipped at import, nothing ran
    assert re.search(r"\b\d+ skipped\b", out) and not re.search(r"\b(failed|errors?)\b", out), out
    skipped = [ln for ln in out.splitlines() if ln.startswith("SKIPPED")]
    for f in files:
        line = [ln for ln in skipped if f in ln]
        assert any(TORCH_REASON in ln for ln in line), (f, out)
    assert '.[torch]' in TORCH_REASON and "download.pytorch.org/whl/cpu" in TORCH_REASON


# ---- the built wheel and sdist ----------------------------------------------------------------
@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """A wheel and an sdist built from a copy of the source tree (setuptools' own backend,
    no network)."""
    import setuptools

    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} predates PEP 639 licence metadata (the dev extra has >=77)")
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for p in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy(os.path.join(ROOT, p), src / p)
    for d in ("fp8ref", "docs", "examples"):
        shutil.copytree(os.path.join(ROOT, d), src / d, ignore=ignore)
    out = src / "dist"
    built = []
    for hook in ("build_wheel", "build_sdist"):  # one process each, as a build frontend does
        code = f"import sys; from setuptools import build_meta as b; print('BUILT', b.{hook}(sys.argv[1]))"
        r = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        built.append(out / r.stdout.rsplit("BUILT ", 1)[1].strip())
    return tuple(built)


def test_wheel_has_py_typed_license_and_metadata(dists):
    wheel, _ = dists
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        lic = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert lic and z.read(lic[0]).decode() == _read("LICENSE")
    assert "fp8ref/py.typed" in names
    head = meta.split("\n\n", 1)[0]
    assert "License-Expression: MIT" in head and "License-File: LICENSE" in head
    assert f"Requires-Python: {_pyproject()['project']['requires-python']}" in head
    assert "Provides-Extra: torch" in head
    reqs = [ln for ln in head.splitlines() if ln.startswith("Requires-Dist: torch")]
    assert reqs == ['Requires-Dist: torch==2.13.0; extra == "torch"',
                    'Requires-Dist: torchao==0.18.0; extra == "torch"'], reqs
    assert "Description-Content-Type: text/markdown" in head


def test_sdist_ships_the_docs_the_readme_names(dists):
    _, sdist = dists
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    named = set(re.findall(r"\b((?:docs|examples)/[\w./-]*\w)", _read("README.md")))
    assert "docs/golden-vectors.md" in named and "examples/rtl/run_rtl.py" in named
    for p in named:
        assert p in names or any(n.startswith(p.rstrip("/") + "/") for n in names), p
    assert {"LICENSE", "fp8ref/py.typed", "README.md", "pyproject.toml"} <= names


def test_license_file_is_mit():
    text = _read("LICENSE")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the fp8ref authors\n")
    assert "Permission is hereby granted, free of charge" in text and 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    proj = _pyproject()["project"]
    assert proj["license"] == "MIT" and proj["license-files"] == ["LICENSE"]
    assert os.path.isfile(os.path.join(ROOT, "fp8ref", "py.typed"))


# ---- the README on a package index --------------------------------------------------------------
def test_readme_has_no_relative_links():
    """A package index shows the README alone: links must be absolute (there is no public
    repository URL, so documents are named by path in plain text)."""
    text = _read("README.md")
    rel = [m for m in re.findall(r"\]\(([^)]*)\)", text) if not re.match(r"[a-z][a-z0-9+.-]*:", m)]
    assert rel == [], rel
    assert not re.search(r"<img [^>]*src=\"(?!https?:)", text)


def test_readme_states_python_versions_duration_and_cpu_torch():
    text = _read("README.md")
    setup = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    req = _pyproject()["project"]["requires-python"]
    assert req == ">=3.10" and "Python 3.10 or newer" in setup and "3.11" in setup
    assert re.search(r"about \d+ min\w* on a 2-core machine", setup), setup
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in setup
    assert 'pip install -e ".[torch]"' in setup and "skip" in setup
