"""Render vector files and whole vector sets (``generate``), with the manifest and checksums."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import sys
from dataclasses import dataclass

import numpy as np

from .. import __version__
from .fields import FLAG_ORDER, FLAGS_MASK
from .prng import PRNG_NAME
from .suites import DEFAULT_COUNT, DEFAULT_SEED, SUITES, TIERS, Context, FileSpec, get_suite
from .writers import (
    SCHEMA,
    atomic_dir,
    json_bytes,
    memh_bytes,
    npz_bytes,
    sha256,
    tv_bytes,
)

__all__ = ["OUTPUTS", "DEFAULT_OUTPUTS", "Selection", "render", "select", "generate", "manifest_name",
           "read_json", "read_sums", "sums_bytes"]

#: output kinds, in write order; ``tv`` and ``json`` (the sidecar) are always written
OUTPUTS = ("tv", "memh", "npz", "json")
#: written unless ``outputs`` says otherwise (``.npz`` is opt-in: Python users can regenerate)
DEFAULT_OUTPUTS = ("tv", "memh", "json")
MANIFEST = "MANIFEST.json"
SUMS = "SHA256SUMS"
manifest_name = MANIFEST


@dataclass(frozen=True)
class Selection:
    """What a set contains: the arguments of ``fp8ref golden generate`` that shape the bytes."""

    suites: tuple = ()  # () = every available suite
    seed: int = DEFAULT_SEED
    count: int = DEFAULT_COUNT
    tier: str = "default"
    only: tuple = ()  # fnmatch patterns on stems; () = all
    outputs: tuple = DEFAULT_OUTPUTS

    def as_dict(self) -> dict:
        return {"suites": list(self.suites), "seed": self.seed, "count": self.count, "tier": self.tier,
                "only": list(self.only), "outputs": list(self.outputs)}

    @classmethod
    def from_dict(cls, d: dict) -> Selection:
        return cls(tuple(d.get("suites", ())), int(d.get("seed", DEFAULT_SEED)), int(d.get("count", DEFAULT_COUNT)),
                   d.get("tier", "default"), tuple(d.get("only", ())), tuple(d.get("outputs", DEFAULT_OUTPUTS)))

    def command(self) -> str:
        """The CLI invocation that regenerates this set (``--out`` aside)."""
        parts = ["fp8ref golden generate"]
        for s in self.suites:
            parts.append(f"--suite {s}")
        if self.tier != "default":
            parts.append("--full")
        for p in self.only:
            parts.append(f"--only '{p}'")
        if self.seed != DEFAULT_SEED:
            parts.append(f"--seed {self.seed}")
        if self.count != DEFAULT_COUNT:
            parts.append(f"--count {self.count}")
        if tuple(self.outputs) != DEFAULT_OUTPUTS:
            parts.append(f"--outputs {','.join(self.outputs)}")
        parts.append("--out DIR")
        return " ".join(parts)

    def validate(self):
        if self.tier not in TIERS:
            raise ValueError(f"unknown tier {self.tier!r}; valid: {', '.join(TIERS)}")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**64:
            raise ValueError(f"seed must be an integer in [0, 2^64), got {self.seed!r}")
        if not isinstance(self.count, int) or not 0 <= self.count <= 1_000_000:
            raise ValueError(f"count must be an integer in 0..1000000, got {self.count!r}")
        bad = [o for o in self.outputs if o not in OUTPUTS]
        if bad:
            raise ValueError(f"unknown output kind(s) {', '.join(bad)}; valid: {', '.join(OUTPUTS)}")
        if "json" not in self.outputs or "tv" not in self.outputs:
            raise ValueError("outputs must include tv and json (the sidecar describes every file)")
        for s in self.suites:
            get_suite(s)


def select(sel: Selection) -> tuple[list[FileSpec], list]:
    """(FileSpecs in set order, skipped suites). Every suite is available, so the second item is
    always ``[]`` (kept for the 1.x API and the manifest's ``skipped_suites``)."""
    sel.validate()
    names = list(sel.suites) or list(SUITES)
    specs: list = []
    for n in names:
        for s in get_suite(n).files(sel.tier):
            if sel.only and not any(fnmatch.fnmatchcase(s.stem, p) for p in sel.only):
                continue
            specs.append(s)
    if not specs:
        hint = f" (--only {' '.join(sel.only)} matched nothing)" if sel.only else ""
        if sel.tier == "default" and not hint:
            hint = " in the default tier; add --full for every combination"
        raise ValueError("the selection contains no files" + hint)
    return specs, []


def sidecar_core(spec, table, gens, n: int, sel: Selection) -> dict:
    """Everything about a file but its own hashes (also embedded in the .npz)."""
    return {
        "schema": SCHEMA,
        "tool": {"name": "fp8ref", "version": __version__},
        "suite": spec.suite,
        "name": spec.name,
        "op": spec.op,
        **spec.meta,
        "fields": [f.as_dict() for f in spec.fields],
        "flag_order": list(FLAG_ORDER),
        "flags_mask": f"0x{FLAGS_MASK:02X}",
        "generators": gens,
        "seed": sel.seed,
        "count_option": sel.count,
        "prng": PRNG_NAME,
        "lines": n,
        "tier": spec.tier,
    }


def render(spec: FileSpec, sel: Selection) -> tuple[dict[str, bytes], dict]:
    """{extension: bytes} for one FileSpec, and its sidecar dict."""
    table, gens = spec.build(Context(sel.seed, sel.count))
    n = int(np.asarray(table[spec.fields[0].name]).shape[0])
    core = sidecar_core(spec, table, gens, n, sel)
    out = {}
    tv = tv_bytes(spec.fields, table)
    out["tv"] = tv
    tv_sha = sha256(tv)
    if "memh" in sel.outputs:
        out["memh"] = memh_bytes(spec.fields, table, {**spec.header, "n": n}, tv_sha)
    if "npz" in sel.outputs:
        out["npz"] = npz_bytes(spec.fields, table, core)
    files = {k: {"file": f"{spec.name}.{k}", "bytes": len(v), "sha256": sha256(v)} for k, v in out.items()}
    side = {**core, "files": files}
    out["json"] = json_bytes(side)
    return out, side


def show_progress(i: int, n: int, stem: str) -> None:
    """``[i/n] stem`` on one rewritten stderr line, when stderr is a terminal."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r[{i}/{n}] {stem[:70]:<70}")
        if i == n:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _check_out(out: str, force: bool):
    out = os.path.abspath(out)
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise ValueError(f"--out {out} exists and is not a directory")
        entries = [e for e in os.listdir(out) if not e.startswith(".")]
        if entries and not os.path.isfile(os.path.join(out, MANIFEST)) and not force:
            raise ValueError(
                f"--out {out} is a non-empty directory without {MANIFEST}; refusing to replace it "
                "(choose an empty or new directory, or pass --force)"
            )
        if not os.access(out, os.W_OK) or not os.access(os.path.dirname(out), os.W_OK):
            raise OSError(f"cannot write to {out}: permission denied")
    else:
        parent = os.path.dirname(out)
        if not os.path.isdir(parent):
            up = parent
            while not os.path.exists(up) and os.path.dirname(up) != up:
                up = os.path.dirname(up)
            if os.path.exists(up) and not os.path.isdir(up):
                raise OSError(f"cannot write to {out}: {up} is a file, not a directory")
            raise OSError(f"cannot write to {out}: directory {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise OSError(f"cannot write to {out}: {parent} is not writable")
    return out


def generate(out: str, sel: Selection = Selection(), *, force: bool = False, progress: bool = True) -> dict:
    """Write the selected vector set to ``out`` as a whole (atomically) and return its manifest.

    An existing set at ``out`` is replaced. (Exhaustive sweep digests are a set of their own:
    ``fp8ref sweep --all --out DIR``, :mod:`fp8ref.golden.digest_set`.)
    """
    out = _check_out(out, force)
    specs, skipped = select(sel)
    entries, sums = [], []
    with atomic_dir(out) as tmp:
        made = set()
        for i, spec in enumerate(specs, 1):
            files, side = render(spec, sel)
            d = os.path.join(tmp, *spec.stem.split("/")[:-1])
            if d not in made:
                os.makedirs(d, exist_ok=True)
                made.add(d)
            for ext in sel.outputs:
                if ext in files:
                    rel = f"{spec.stem}.{ext}"
                    with open(os.path.join(tmp, *rel.split("/")), "wb") as f:
                        f.write(files[ext])
                    sums.append((rel, sha256(files[ext])))
            entries.append(_manifest_entry(spec, side))
            if progress:
                show_progress(i, len(specs), spec.stem)
        man = _manifest(sel, entries, skipped)
        mb = json_bytes(man)
        with open(os.path.join(tmp, MANIFEST), "wb") as f:
            f.write(mb)
        sums.append((MANIFEST, sha256(mb)))
        with open(os.path.join(tmp, SUMS), "wb") as f:
            f.write(sums_bytes(dict(sums)))
    return man


def _manifest_entry(spec, side) -> dict:
    e = {"stem": spec.stem, "suite": spec.suite, "op": spec.op, "tier": spec.tier, "lines": side["lines"]}
    for k in ("src", "dst", "policy", "srbits"):
        if k in side:
            e[k] = side[k]
    e["files"] = {k: {"bytes": v["bytes"], "sha256": v["sha256"]} for k, v in side["files"].items()}
    js = json_bytes(side)
    e["files"]["json"] = {"bytes": len(js), "sha256": sha256(js)}
    return e


_SUM_LINE = re.compile(r"([0-9a-f]{64})  (\S.*)")


def read_sums(path: str) -> dict:
    """``SHA256SUMS`` as {path: sha256}; a line that is not ``<sha256>  <path>`` is an error
    naming the file and line."""
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            m = _SUM_LINE.fullmatch(line.rstrip("\r\n"))
            if m is None:
                raise ValueError(f"{path} line {no}: not a '<sha256>  <path>' line: {line.strip()[:80]!r}")
            out[m.group(2)] = m.group(1)
    return out


def read_json(path: str, what: str = "JSON") -> dict:
    """A JSON object read from ``path``; invalid JSON or another type is a ValueError naming the
    file (and the line and column)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        obj = json.loads(data)
    except ValueError as e:
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        msg = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
        raise ValueError(f"{path}: not valid JSON ({msg}{where}); regenerate or restore it") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: not a {what} (a JSON {type(obj).__name__}, not an object)")
    return obj


def sums_bytes(sums: dict) -> bytes:
    """``SHA256SUMS`` text for {path: sha256}: ``sha256sum`` lines, sorted by path."""
    return "".join(f"{h}  {p}\n" for p, h in sorted(sums.items())).encode()


def _manifest(sel, entries, skipped) -> dict:
    return {
        "schema": SCHEMA,
        "tool": {"name": "fp8ref", "version": __version__},
        "selection": sel.as_dict(),
        "regenerate": sel.command(),
        "prng": PRNG_NAME,
        "flag_order": list(FLAG_ORDER),
        "flags_mask": f"0x{FLAGS_MASK:02X}",
        "skipped_suites": skipped,
        "totals": {
            "file_sets": len(entries),
            "vectors": sum(e["lines"] for e in entries),
            "bytes": sum(f["bytes"] for e in entries for f in e["files"].values()),
        },
        "sets": entries,
    }
