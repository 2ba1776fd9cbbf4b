"""Exhaustive digest sets: full-range sweep digests (:mod:`fp8ref.sweep`) as a directory of
their own, apart from the vector sets.

Layout (``golden_digests/`` in the repository)::

    MANIFEST.json                       schema, stream definitions, every entry's two digests
    SHA256SUMS                          sha256sum lines of every file below and MANIFEST.json
    float32/<fmt>.<rounding>.<overflow>.t<tininess>.json   one sweep each (chunk digests)
    float16/...  bfloat16/...           the same over every float16 / bfloat16 input

An entry file holds what :func:`fp8ref.sweep.sweep` returns. :func:`write` computes the entries
one at a time and replaces each file, then the manifest and SHA256SUMS, atomically, so an
interrupted run keeps every finished entry and a rerun resumes (entries already present with the
same format, policy and chunking are kept). The manifest is the index of the entry files
present: the same entries give the same bytes, whatever order or run produced them.

The standard set (:func:`standard`) is every registered format under every deterministic
rounding mode its codec defines (default overflow, tininess after), and every overflow mode
under RNE and the format's own default rounding (HiF8: TA), tininess after and before, each
from float32, float16 and bfloat16.
"""

from __future__ import annotations

import fnmatch
import os

from .. import __version__
from ..formats import get_format, list_formats
from ..policy import OVERFLOW_MODES, ROUNDING_MODES, STOCHASTIC_MODES, TININESS_MODES, Policy
from ..sweep import SOURCES, Sweep, entry, sweep_range
from .sets import MANIFEST, SUMS, read_json, read_sums, sums_bytes
from .writers import atomic_write, json_bytes, sha256

__all__ = ["SCHEMA", "standard", "select", "write", "verify", "is_digest_set", "entry_name", "load_entries"]

SCHEMA = "fp8ref-digests/1.0"
ENTRY_SCHEMA = "fp8ref-digest/1.0"
_SOURCES = tuple(SOURCES)
_DESCRIPTION = {
    "inputs": "every bit pattern of the source, ascending (float32: 0x00000000..0xFFFFFFFF; float16, "
              "bfloat16: 0x0000..0xFFFF)",
    "code_stream": "one byte per input for formats of <= 8 bits, little-endian uint16 up to 16 bits, "
                   "else little-endian uint32",
    "flag_stream": "one byte per input: bit0 NX, bit1 UF, bit2 OF, bit3 DZ, bit4 NV",
    "chunks": "SHA-256 of each 2^chunk_bits-input slice of the streams, in input order",
    "regenerate": "fp8ref sweep --all --out DIR [--only GLOB]",
}


def entry_name(spec: Sweep) -> str:
    """``<source>/<key>``: the entry's path in a set, without ``.json``."""
    return f"{spec.source}/{spec.key}"


def _modes(fmt):
    """The deterministic rounding modes ``fmt``'s codec defines, in ROUNDING_MODES order."""
    out = []
    for r in ROUNDING_MODES:
        if r in STOCHASTIC_MODES:
            continue
        try:
            Sweep.of(fmt, rounding=r)
        except ValueError:
            continue
        out.append(r)
    return out


def standard(sources=_SOURCES) -> list:
    """The standard entries (module docstring), as Sweep specs in a fixed order."""
    specs: dict[str, Sweep] = {}
    for name in list_formats():
        modes = _modes(name)
        base = Sweep.of(name).policy
        for src in sources:
            for r in modes:
                s = Sweep.of(name, rounding=r, source=src)
                specs.setdefault(entry_name(s), s)
            for r in dict.fromkeys(("rne", base.rounding)):
                if r not in modes:
                    continue
                for o in OVERFLOW_MODES:
                    for t in TININESS_MODES:
                        s = Sweep.of(name, rounding=r, overflow=o, tininess=t, source=src)
                        specs.setdefault(entry_name(s), s)
    return list(specs.values())


def select(specs, only=()) -> list:
    """The specs whose entry name matches one of the fnmatch patterns ``only`` (all when empty)."""
    if not only:
        return list(specs)
    return [s for s in specs if any(fnmatch.fnmatchcase(entry_name(s), p) for p in only)]


def is_digest_set(directory: str) -> bool:
    """True when ``directory`` holds a digest set (its MANIFEST.json has the digests schema)."""
    path = os.path.join(directory, MANIFEST)
    if not os.path.isfile(path):
        return False
    try:
        return str(read_json(path, "manifest").get("schema", "")).startswith("fp8ref-digests/")
    except ValueError:
        return False


def _spec_of(e: dict) -> Sweep:
    return Sweep(e["format"], Policy(**e["policy"]), e["source"], e["chunk_bits"])


def _entry_bytes(spec, digests) -> bytes:
    return json_bytes({"schema": ENTRY_SCHEMA, **entry(spec, digests)})


def _check_entry(name, data: dict):
    """Raise ValueError unless ``data`` is a well-formed entry stored under ``name``."""
    try:
        spec = _spec_of(data)
        n = spec.num_chunks
        ok = (data.get("schema") == ENTRY_SCHEMA and entry_name(spec) == name
              and all(isinstance(data[k], str) and len(data[k]) == 64 for k in ("codes_sha256", "flags_sha256"))
              and len(data["chunks"]["codes"]) == len(data["chunks"]["flags"]) == n)
    except (KeyError, TypeError, AttributeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name}.json: malformed digest entry; regenerate it (fp8ref sweep --all --only "
                         f"'{name}' --out DIR)")
    return spec


def load_entries(directory: str) -> dict:
    """{entry name: entry dict} of the entry files in ``directory`` (each checked)."""
    out = {}
    for src in _SOURCES:
        d = os.path.join(directory, src)
        if not os.path.isdir(d):
            continue
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".json") and not fn.startswith("."):
                name = f"{src}/{fn[:-5]}"
                data = read_json(os.path.join(d, fn), "digest entry")
                _check_entry(name, data)
                out[name] = data
    return out


def _index(directory: str):
    """Rewrite MANIFEST.json and SHA256SUMS from the entry files present (atomically)."""
    entries = load_entries(directory)
    sums = {}
    rec = {}
    for name, e in sorted(entries.items()):
        with open(os.path.join(directory, *f"{name}.json".split("/")), "rb") as f:
            sums[f"{name}.json"] = sha256(f.read())
        rec[name] = {"codes_sha256": e["codes_sha256"], "flags_sha256": e["flags_sha256"]}
    man = {"schema": SCHEMA, "tool": {"name": "fp8ref", "version": __version__}, **_DESCRIPTION,
           "totals": {src: sum(1 for n in rec if n.startswith(src + "/")) for src in _SOURCES},
           "entries": rec}
    mb = json_bytes(man)
    sums[MANIFEST] = sha256(mb)
    atomic_write(os.path.join(directory, MANIFEST), mb)
    atomic_write(os.path.join(directory, SUMS), sums_bytes(sums))
    return man


def write(directory: str, specs, *, jobs=1, scheduler=None, redo=False, log=None, progress=None) -> dict:
    """Add the sweeps ``specs`` to the digest set at ``directory`` (created if absent), one entry
    at a time; entries already present are kept unless ``redo``. log: ``f(text)`` per entry
    (its digests and time). progress: ``f(spec) -> callback`` for :func:`fp8ref.sweep.sweep`.
    Returns the manifest."""
    import time

    if os.path.exists(directory) and not os.path.isdir(directory):
        raise OSError(f"cannot write digests to {directory}: it is a file")
    if os.path.isdir(directory) and os.listdir(directory) and not is_digest_set(directory):
        raise OSError(f"{directory} is not empty and not a digest set (no {MANIFEST} with schema {SCHEMA})")
    os.makedirs(directory, exist_ok=True)
    have = load_entries(directory)
    if not os.path.isfile(os.path.join(directory, MANIFEST)):
        _index(directory)
    for spec in specs:
        name = entry_name(spec)
        if not redo and name in have and _spec_of(have[name]) == spec:
            continue
        t = time.perf_counter()
        d = sweep_range(spec, jobs=jobs, scheduler=scheduler, progress=progress(spec) if progress else None)
        os.makedirs(os.path.join(directory, spec.source), exist_ok=True)
        atomic_write(os.path.join(directory, spec.source, f"{spec.key}.json"), _entry_bytes(spec, d))
        _index(directory)
        if log is not None:
            log(f"{name}: codes {d['codes_sha256']} flags {d['flags_sha256']} ({time.perf_counter() - t:.1f} s)")
    return _index(directory)


def sample_chunks(spec: Sweep) -> list:
    """Chunks ``verify`` recomputes for a float32 entry: zero and the subnormals (0x00), 1.0
    (0x3F), Inf and NaN (0x7F), their negatives, and the chunks holding the format's smallest
    and largest finite magnitudes; every chunk of a 16-bit source."""
    n = spec.num_chunks
    if spec.source != "float32":
        return list(range(n))
    import numpy as np

    f = get_format(spec.fmt).figures()
    tops = {0x00, 0x3F, 0x7F}
    for k in ("min_subnormal", "max_finite"):
        v = np.float32(min(float(f[k]), float(np.finfo(np.float32).max)))
        tops.add(int(np.array([v], np.float32).view(np.uint32)[0]) >> 24)
    return sorted(tops | {t | 0x80 for t in tops})


def verify(directory: str, *, recompute=True, full=False, only=(), jobs=1, scheduler=None, progress=None):
    """Check a digest set: SHA256SUMS and the manifest against the entry files, every entry well
    formed; ``recompute``: the :func:`sample_chunks` of every entry recomputed (``full``: every
    chunk and the whole-stream digests). Returns a golden ``Report``."""
    from .verify import Report

    rep = Report()
    mpath, spath = os.path.join(directory, MANIFEST), os.path.join(directory, SUMS)
    man = read_json(mpath, "manifest")
    try:
        entries = load_entries(directory)
    except ValueError as e:
        rep.fail(str(e))
        return rep
    listed: dict = man["entries"] if isinstance(man.get("entries"), dict) else {}
    if not os.path.isfile(spath):
        rep.fail(f"missing {SUMS}")
        sums = {}
    else:
        sums = read_sums(spath)
    with open(mpath, "rb") as f:
        if sums and sums.get(MANIFEST) != sha256(f.read()):
            rep.fail(f"{MANIFEST}: SHA-256 differs from {SUMS} (manifest edited or corrupted)")
    for name in sorted(set(listed) | set(entries)):
        if name not in entries:
            rep.fail(f"missing file: {name}.json")
            continue
        if name not in listed:
            rep.fail(f"{name}.json is not recorded in {MANIFEST}")
        elif {k: listed[name].get(k) for k in ("codes_sha256", "flags_sha256")} != \
                {k: entries[name][k] for k in ("codes_sha256", "flags_sha256")}:
            rep.fail(f"{name}: digests differ between {MANIFEST} and {name}.json")
        with open(os.path.join(directory, *f"{name}.json".split("/")), "rb") as f:
            if sums.get(f"{name}.json") != sha256(f.read()):
                rep.fail(f"corrupted: {name}.json (SHA-256 differs from {SUMS})")
    for p in sums:
        if p != MANIFEST and p[:-5] not in entries:
            rep.fail(f"{SUMS} lists {p}, which is missing")
    rep.add(f"checked {len(entries)} digest entries against {MANIFEST} and {SUMS}")
    if not recompute:
        return rep
    names = [n for n in sorted(entries) if not only or any(fnmatch.fnmatchcase(n, p) for p in only)]
    bad = 0
    for i, name in enumerate(names, 1):
        if progress:
            progress(i, len(names), name)
        ent = entries[name]
        spec = _spec_of(ent)
        if full:
            got = sweep_range(spec, jobs=jobs, scheduler=scheduler)
            diff = [k for k in ("codes_sha256", "flags_sha256") if got[k] != ent[k]]
            diff += [f"chunk {j:#04x} {s}" for s in ("codes", "flags")
                     for j, (a, b) in enumerate(zip(got["chunks"][s], ent["chunks"][s])) if a != b][:8]
        else:
            diff = []
            for j in sample_chunks(spec):
                lo = j << spec.chunk_bits
                got = sweep_range(spec, lo, lo + spec.chunk, jobs=1)
                diff += [f"chunk {j:#04x} {s}" for s in ("codes", "flags") if got["chunks"][s][0] != ent["chunks"][s][j]]
        if diff:
            bad += 1
            rep.fail(f"differs from recomputation: {name}: {', '.join(diff)}")
    what = "every chunk" if full else "sample chunks"
    rep.add(f"recomputed {len(names)} entries ({what}): {len(names) - bad} identical, {bad} with problems")
    return rep
