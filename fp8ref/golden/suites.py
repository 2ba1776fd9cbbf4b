"""The suite registry: what vector files exist, how each is computed, which are in the default set.

A :class:`Suite` lists :class:`FileSpec` s; a FileSpec names one file set (``<stem>.tv``,
``.memh``, ``.json``, ``.npz``), its fields, its metadata and a ``build(ctx)`` that returns the
columns and the generator entries of the sidecar (:func:`gen_entry`). Suites only *choose
inputs* (``generators``) and call the library (``fp8ref.encode``, ``fp8ref.decode``, block
quantizers, GEMM models) for the results.

Each FileSpec has a tier: ``default`` files form the committed set (``golden_vectors/``);
``full`` adds every remaining (format × rounding × overflow × tininess) combination.

The suites themselves live in one module per family, registered in this order when
``fp8ref.golden`` is imported: :mod:`.convert_suites` (``convert_f32/f64/f16/bf16``),
:mod:`.stochastic_suite`, :mod:`.decode_suite`, :mod:`.mul_suite`, :mod:`.kind_suites`
(``ue8m0``, ``hif8``, ``posit8``), :mod:`.block_suites` (``mx``, ``nvfp4``, ``deepseek``),
:mod:`.gemm_suite`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .prng import subseed

__all__ = [
    "Context",
    "FileSpec",
    "Suite",
    "SUITES",
    "register_suite",
    "get_suite",
    "list_suites",
    "gen_entry",
    "concat_parts",
    "frozen",
    "DEFAULT_SEED",
    "DEFAULT_COUNT",
    "TIERS",
]

DEFAULT_SEED = 1  # TestFloat's default seed
DEFAULT_COUNT = 256  # random cases per file
TIERS = ("default", "full")


@dataclass(frozen=True)
class Context:
    seed: int = DEFAULT_SEED
    count: int = DEFAULT_COUNT


@dataclass(frozen=True, eq=False)
class FileSpec:
    """One vector file set. ``stem`` is its path (``/``-separated) without extension."""

    suite: str
    stem: str
    op: str
    fields: tuple
    meta: dict
    header: dict  # short key=value pairs for the memh comment header
    build: Callable = field(repr=False)  # ctx -> (table: dict[field -> uint64 array], generators: list[dict])
    tier: str = "default"

    @property
    def name(self) -> str:
        return self.stem.rsplit("/", 1)[-1]


class Suite:
    """A named family of vector files: ``files(tier)`` returns the FileSpecs of that tier and
    below (``files`` is called with ``"full"`` and filtered here). A suite that cannot list its
    files raises: nothing is skipped quietly."""

    def __init__(self, name: str, title: str, files: Callable[[str], list], *, requires=None, note=None):
        if requires is not None or note is not None:
            warnings.warn(f"Suite({name!r}, requires=..., note=...): both are deprecated and ignored (every "
                          "library layer is always present)", DeprecationWarning, stacklevel=2)
        self.name, self.title, self._files = name, title, files

    def files(self, tier: str = "default") -> list[FileSpec]:
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; valid: {', '.join(TIERS)}")
        keep = TIERS[: TIERS.index(tier) + 1]
        return [s for s in self._files(tier) if s.tier in keep]


SUITES: dict[str, Suite] = {}


def register_suite(suite: Suite) -> Suite:
    SUITES[suite.name] = suite
    return suite


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; valid suites: {', '.join(SUITES)}") from None


def list_suites() -> list[str]:
    return list(SUITES)


# ---- what builders return: generator entries (the sidecar's "generators") ------------------
def gen_entry(gid: str, n: int, seed_names=None, seed=None, first: int = 1) -> dict:
    """The sidecar entry of ``n`` lines from generator ``gid`` starting at line ``first``; with
    ``seed_names`` (a random generator) also its stream name and sub-seed under ``seed``."""
    d = {"id": gid, "count": int(n), "first_line": int(first)}
    if seed_names is not None:
        d["stream"] = "/".join(map(str, seed_names))
        d["subseed"] = f"0x{subseed(seed, *seed_names):016X}"
    return d


def concat_parts(parts) -> tuple[np.ndarray, list[dict]]:
    """``[(id, array, seed names or None, seed)]`` -> (the arrays' rows in order, their generator
    entries); empty parts are left out."""
    arrays, gens, line = [], [], 1
    for gid, a, names, seed in parts:
        if a.shape[0] == 0:
            continue
        arrays.append(a)
        gens.append(gen_entry(gid, a.shape[0], names, seed, line))
        line += a.shape[0]
    return np.concatenate(arrays), gens


def frozen(a: np.ndarray, gens) -> tuple[np.ndarray, tuple]:
    """``(a, gens)`` made read-only (they are cached and shared between files)."""
    a.setflags(write=False)
    return a, tuple(gens)


#: names that lived here before the suites moved into one module per family (deprecated here)
_MOVED = {**dict.fromkeys(("ROUNDINGS", "OVERFLOWS", "STOCHASTIC", "MAIN_FORMATS", "IEEE_FORMATS", "OTHER_FORMATS",
                           "IEEE_AXES"), "convert_suites"),
          "SRBITS": "stochastic_suite", "MUL_FORMATS": "mul_suite", "UE8M0_ROUNDINGS": "kind_suites",
          "POSIT_FORMATS": "kind_suites"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib

        mod = f"{__package__}.{_MOVED[name]}"
        warnings.warn(f"fp8ref.golden.suites.{name} is deprecated: it is {mod}.{name}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(mod), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
