"""No fp8ref module imports a layer above its own (docs/ARCHITECTURE.md).

Every ``import`` of every module under ``fp8ref/`` is read from the source (``ast``; imports
inside functions count: a lazy import is still a dependency), resolved to the fp8ref module it
names, and both ends are given their layer. An import of a higher layer fails the test unless
it is listed in ``EXCEPTIONS`` with its reason. A module no layer claims fails too: new
modules must be placed.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PKG = ROOT / "fp8ref"

#: layer order, lowest first (docs/ARCHITECTURE.md); ``arith`` sits above the codecs
LAYERS = ("formats", "policy", "core", "codecs", "arith", "blocks", "accum", "golden", "surfaces")

#: module prefix -> layer (the longest matching prefix wins)
PLACES = {
    "fp8ref._deprecation": "formats",  # deprecated-name helpers: import nothing, usable by every layer
    "fp8ref.formats": "formats",
    "fp8ref.policy": "policy",
    "fp8ref.core": "core",
    "fp8ref.codecs": "codecs",
    "fp8ref.arith": "arith",
    "fp8ref.blocks": "blocks",
    "fp8ref.mx": "blocks",  # fp8ref.mx / nvfp4 / deepseek: the block modules under a short path
    "fp8ref.nvfp4": "blocks",
    "fp8ref.deepseek": "blocks",
    "fp8ref.accum": "accum",
    "fp8ref.golden": "golden",
    "fp8ref.cli": "surfaces",
    "fp8ref.testing": "surfaces",
    "fp8ref.strategies": "surfaces",
    "fp8ref.cocotb": "surfaces",
    "fp8ref.export": "surfaces",
    "fp8ref.sweep": "golden",  # exhaustive sweeps: a library over the codecs, read by golden.digest_set
    "fp8ref._dask": "surfaces",
    "fp8ref.__main__": "surfaces",
    "fp8ref": "surfaces",  # the package itself: the public façade over every layer
}

#: (importer, imported) pairs allowed to go up, each with its reason
EXCEPTIONS = {
    ("fp8ref.codecs", "fp8ref._dask"): "a dask array is handed to fp8ref._dask, which maps this same "
    "function over the chunks (a one-line hook; _dask imports the layer back inside functions)",
    ("fp8ref.blocks.mx", "fp8ref._dask"): "the same dask hook for mx.encode",
    ("fp8ref.accum.api", "fp8ref._dask"): "the same dask hook for gemm",
    ("fp8ref.golden.sets", "fp8ref"): "reads the package's __version__ (written into manifests), "
    "nothing else",
    ("fp8ref.golden.digest_set", "fp8ref"): "the same: __version__ for the digest set's manifest",
    ("fp8ref.sweep", "fp8ref._dask"): "the --scheduler path hands chunks to fp8ref._dask (imported "
    "inside the function that uses it)",
}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _resolve(base: str, level: int, is_package: bool) -> str:
    """The absolute package a relative import of ``level`` dots starts from."""
    parts = base.split(".")
    if not is_package:
        parts.pop()
    return ".".join(parts[: len(parts) - (level - 1)])


def _imports(name: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """The fp8ref modules ``name`` imports (``from pkg import sub`` counts as ``pkg.sub`` when
    ``sub`` is a module, else as ``pkg``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                start = _resolve(name, node.level, path.name == "__init__.py")
                mod = f"{start}.{node.module}" if node.module else start
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.add(sub if sub in known else mod)
    return {m for m in out if m == "fp8ref" or m.startswith("fp8ref.")}


def _layer(module: str) -> str | None:
    best = max((p for p in PLACES if module == p or module.startswith(p + ".")), key=len, default=None)
    return None if best is None else PLACES[best]


def _allowed(importer: str, imported: str) -> bool:
    return any((importer == a or importer.startswith(a + ".")) and (imported == b or imported.startswith(b + "."))
               for a, b in EXCEPTIONS)


def test_every_module_has_a_layer():
    unplaced = [m for m in _modules() if _layer(m) is None]
    assert not unplaced, f"modules no layer claims (add them to PLACES): {unplaced}"


def test_no_module_imports_a_layer_above_it():
    mods = _modules()
    known = set(mods)
    bad = []
    for name, path in mods.items():
        lo = LAYERS.index(_layer(name) or "surfaces")
        for dep in sorted(_imports(name, path, known)):
            layer = _layer(dep)
            if layer is not None and LAYERS.index(layer) > lo and not _allowed(name, dep):
                bad.append(f"{name} ({LAYERS[lo]}) imports {dep} ({layer})")
    assert not bad, "imports of a higher layer:\n" + "\n".join(bad)


@pytest.mark.parametrize("importer,imported,layers", [
    ("fp8ref.core.unpack", "fp8ref.codecs", ("core", "codecs")),
    ("fp8ref.blocks.mx", "fp8ref.accum.api", ("blocks", "accum")),
    ("fp8ref.formats.registry", "fp8ref.policy", ("formats", "policy")),
])
def test_the_check_sees_an_upward_import(importer, imported, layers):
    """The checker's own pieces: both ends placed, the order right, no exception covering it."""
    assert (_layer(importer), _layer(imported)) == layers
    assert LAYERS.index(layers[1]) > LAYERS.index(layers[0]) and not _allowed(importer, imported)


def test_relative_imports_resolve(tmp_path):
    src = "from ..codecs import decode\nfrom . import rounding\nimport fp8ref.policy\n\ndef f():\n    from .. import blocks\n"
    p = tmp_path / "unpack.py"
    p.write_text(src)
    known = {"fp8ref.core.rounding", "fp8ref.blocks", "fp8ref.codecs", "fp8ref.policy"}
    assert _imports("fp8ref.core.unpack", p, known) == {"fp8ref.codecs", "fp8ref.core.rounding",
                                                         "fp8ref.policy", "fp8ref.blocks"}
