"""File writers: ``tv``, ``memh``, JSON sidecar, ``.npz``, ``MANIFEST.json``, ``SHA256SUMS``.

Every byte is a function of the arguments only: no timestamps, no absolute paths, no
environment versions (only fp8ref's own version and the schema). Files are written atomically
(a temporary file in the same directory, then ``os.replace``); a whole set is built in a
temporary directory next to the destination and renamed into place (:func:`atomic_dir`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile

import numpy as np

from .fields import FLAG_ORDER, FLAGS_MASK

__all__ = [
    "SCHEMA",
    "SCHEMA_MAJOR",
    "render_lines",
    "tv_bytes",
    "memh_bytes",
    "memh_layout",
    "npz_bytes",
    "json_bytes",
    "sha256",
    "atomic_write",
    "atomic_dir",
    "parse_lines",
]

SCHEMA = "fp8ref-vectors/1.0"
SCHEMA_MAJOR = 1
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_XZ = re.compile(r"[0-9a-fxz]+", re.I)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _columns(fields, table):
    """(column arrays, hex digits) in line order; block fields expand to ``count`` columns."""
    cols, digits = [], []
    for f in fields:
        a = np.asarray(table[f.name], dtype=np.uint64)
        if f.count == 1:
            cols.append(a.reshape(-1))
            digits.append(f.digits)
        else:
            a = a.reshape(-1, f.count)
            for j in range(f.count):
                cols.append(a[:, j])
                digits.append(f.digits)
    return cols, digits


def render_lines(fields, table, sep: str = " ") -> bytes:
    """Fixed-width uppercase hex lines, fields joined by ``sep``, each line ended by ``\\n``."""
    cols, digits = _columns(fields, table)
    n = cols[0].size if cols else 0
    for c, f in zip(cols, digits):
        if c.size != n:
            raise ValueError("all columns of a vector table must have the same length")
        if n and int(c.max()) >> (4 * f):
            raise ValueError(f"value {int(c.max()):#x} does not fit in {f} hex digits")
    width = sum(digits) + len(sep) * (len(digits) - 1) + 1
    buf = np.empty((n, width), dtype=np.uint8)
    pos = 0
    for i, (c, d) in enumerate(zip(cols, digits)):
        for k in range(d):
            buf[:, pos + k] = _HEX[((c >> np.uint64(4 * (d - 1 - k))) & np.uint64(15)).astype(np.intp)]
        pos += d
        if i < len(cols) - 1:
            buf[:, pos : pos + len(sep)] = np.frombuffer(sep.encode(), dtype=np.uint8)
            pos += len(sep)
    buf[:, pos] = ord("\n")
    return buf.tobytes()


def tv_bytes(fields, table) -> bytes:
    """Berkeley TestFloat line syntax: no header, fields separated by one space."""
    return render_lines(fields, table, " ")


def memh_layout(fields) -> tuple[list[tuple[str, int, int]], int]:
    """[(field label, msb, lsb)] of the packed ``$readmemh`` word, and its width in bits.

    Each hex digit is 4 bits of the word, so a field occupies ``4 * hex_digits`` bits (an FP4
    or FP6 value sits in the low bits of its 1 or 2 digits). Block fields list element 0 first
    (leftmost, most significant).
    """
    labels = []
    for f in fields:
        if f.count == 1:
            labels.append((f.name, f.digits))
        else:
            labels += [(f"{f.name}{j}", f.digits) for j in range(f.count)]
    total = 4 * sum(d for _, d in labels)
    out, hi = [], total - 1
    for name, d in labels:
        out.append((name, hi, hi - 4 * d + 1))
        hi -= 4 * d
    return out, total


def _layout_text(fields) -> str:
    lay, total = memh_layout(fields)
    if len(lay) > 8:  # blocks: say it per field
        parts = []
        for f in fields:
            w = 4 * f.digits
            parts.append(f"{f.name}[{f.count}x{w}]" if f.count > 1 else f"{f.name}[{w}]")
        return f"{' '.join(parts)}  (packed word {{{', '.join(f.name for f in fields)}}}, {total} bits, element 0 leftmost)"
    return f"{' '.join(f'{n}[{h}:{lo}]' for n, h, lo in lay)}  (packed word {{{', '.join(n for n, _, _ in lay)}}}, {total} bits)"


def memh_bytes(fields, table, header: dict, tv_sha: str) -> bytes:
    """``$readmemh`` form: ``//`` header (op, formats, policy, layout, flags), then one
    ``_``-joined hex word per line."""
    kv = " ".join(f"{k}={v}" for k, v in header.items())
    lines = [
        f"// {SCHEMA.replace('/', ' ')} {kv}",
        f"// fields: {_layout_text(fields)}",
        "// flags: bit0 NX inexact, bit1 UF underflow, bit2 OF overflow, bit3 DZ infinite, bit4 NV invalid"
        if any(f.role == "flags" for f in fields) else "// flags: none (this operation defines no exception flags)",
        f"// sha256(tv)={tv_sha}",
    ]
    return ("\n".join(lines) + "\n").encode() + render_lines(fields, table, "_")


def json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=True, allow_nan=False) + "\n").encode()


def _npy(arr: np.ndarray) -> bytes:
    """A .npy (format 1.0) file, header written here so the bytes never depend on numpy."""
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")  # (ascontiguousarray would make a 0-d array 1-d)
    descr = arr.dtype.str
    shape = repr(tuple(int(d) for d in arr.shape))
    head = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    pad = 64 - (10 + len(head) + 1) % 64
    head = head + " " * (pad % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(head).to_bytes(2, "little") + head.encode("latin1") + arr.tobytes()


def _zip_stored(members) -> bytes:
    """A deterministic uncompressed zip: fixed timestamps, attributes and member order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def npz_bytes(fields, table, meta: dict) -> bytes:
    """``np.load``-able archive: one array per field (uint8/16/32/64 by width; block fields
    have shape (n, count)), plus ``sidecar``: the sidecar JSON without its file hashes."""
    members = []
    for f in fields:
        dt = np.uint8 if f.bits <= 8 else np.uint16 if f.bits <= 16 else np.uint32 if f.bits <= 32 else np.uint64
        a = np.asarray(table[f.name], dtype=np.uint64).astype(np.dtype(dt).newbyteorder("<"))
        if f.count != 1:
            a = a.reshape(-1, f.count)
        members.append((f"{f.name}.npy", _npy(a)))
    text = json.dumps(meta, sort_keys=True, allow_nan=False)
    members.append(("sidecar.npy", _npy(np.array(text, dtype=f"<U{max(len(text), 1)}"))))
    return _zip_stored(members)


def flag_meta() -> dict:
    return {"flag_order": list(FLAG_ORDER), "flags_mask": f"0x{FLAGS_MASK:02X}"}


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and os.replace."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(out: str):
    """Yield a temporary directory beside ``out``; on success it replaces ``out`` as a whole.

    On any exception (KeyboardInterrupt included) the temporary directory is removed and
    ``out`` is left untouched.
    """
    out = os.path.abspath(out)
    parent = os.path.dirname(out)
    if not os.path.isdir(parent):
        raise OSError(f"cannot write {out}: parent directory {parent} does not exist")
    try:
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.tmp-", dir=parent)
    except OSError as e:
        raise OSError(f"cannot write vectors under {parent}: {e.strerror or e}") from None
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if os.path.exists(out):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.old-", dir=parent)
            os.rmdir(old)
            os.replace(out, old)
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old, out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def parse_lines(data: bytes, n_fields: int | None = None, strict: bool = False) -> list[tuple[int, list[int | None], str]]:
    """Split ``tv`` or ``memh`` text into lists of int fields (``//``/``#`` comments, blank
    lines skipped). Returns [(line number, [ints], raw text)]; a field that is not hex is None,
    or with ``strict`` a ValueError unless its digits are hex or ``x``/``z`` (a simulator's
    unknowns)."""
    out = []
    for no, raw in enumerate(data.decode("ascii", errors="replace").splitlines(), 1):
        text = raw.split("//", 1)[0].split("#", 1)[0].strip()
        if not text:
            continue
        toks = text.replace("_", " ").split()
        if n_fields is not None and len(toks) != n_fields:
            raise ValueError(f"line {no}: expected {n_fields} fields, got {len(toks)}: {raw.strip()!r}")
        vals: list[int | None] = []
        for t in toks:
            t2 = t[2:] if t[:2].lower() == "0x" else t
            if strict and not _XZ.fullmatch(t2):
                raise ValueError(f"line {no}: not a hex field: {t!r} in {raw.strip()!r}")
            try:
                vals.append(int(t2, 16))
            except ValueError:
                vals.append(None)  # X/Z from a simulator (or, not strict, garbage): a mismatch
        out.append((no, vals, raw.rstrip("\n")))
    return out
