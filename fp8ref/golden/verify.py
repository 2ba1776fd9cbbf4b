"""Checking vector sets and DUT results: ``verify`` (recompute a set), ``diff`` (two sets or
files), ``check`` (a hardware simulation's output against the expected results).

All three return a :class:`Report` (``ok``, text lines, mismatch rows) and never raise for a
*mismatch*; they raise ValueError/OSError for unusable input (missing manifest, bad syntax).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from tabulate import tabulate

from .fields import FLAGS_MASK, Field, describe, flag_diff, nan_mask
from .sets import MANIFEST, SUMS, Selection, read_json, read_sums, render, select
from .writers import SCHEMA_MAJOR, parse_lines, sha256

__all__ = ["Report", "verify", "diff", "check", "load_sidecar", "read_vectors", "load_vectors", "columns",
           "compare_line", "mismatch_row", "mismatch_table", "MISMATCH_HEADERS"]


@dataclass
class Report:
    ok: bool = True
    lines: list = field(default_factory=list)  # free text, in order
    mismatches: int = 0

    def add(self, text: str):
        self.lines.append(text)

    def fail(self, text: str):
        self.ok = False
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines)


# ---- reading ------------------------------------------------------------------------------
def _malformed(path, e) -> ValueError:
    """The error for a JSON file of the right syntax but the wrong structure."""
    what = f"no {e.args[0]!r} entry" if isinstance(e, KeyError) else f"{type(e).__name__}: {e}"
    return ValueError(f"{path}: malformed ({what}); regenerate or restore it")


def _schema_ok(obj, what):
    schema = obj.get("schema", "")
    if not isinstance(schema, str) or not schema.startswith("fp8ref-vectors/"):
        raise ValueError(f"{what}: not an fp8ref vector file (schema {schema!r})")
    try:
        major = int(schema.split("/", 1)[1].split(".")[0])
    except ValueError:
        raise ValueError(f"{what}: bad schema {schema!r}") from None
    if major != SCHEMA_MAJOR:
        raise ValueError(f"{what}: schema {schema} is not supported (this fp8ref reads {SCHEMA_MAJOR}.x)")


def load_sidecar(path: str) -> tuple[dict, str]:
    """(sidecar dict, stem path) for a ``.tv``/``.memh``/``.npz``/``.json`` path or a stem."""
    stem = path
    for ext in (".tv", ".memh", ".npz", ".json"):
        if path.endswith(ext):
            stem = path[: -len(ext)]
            break
    side = stem + ".json"
    if not os.path.isfile(side):
        raise ValueError(f"no sidecar {side} next to {path}: the sidecar says what each field means")
    meta = read_json(side, "sidecar")
    _schema_ok(meta, side)
    try:
        _fields(meta)
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise _malformed(side, e) from None
    return meta, stem


def _fields(meta):
    return [Field(f["name"], f["role"], f["type"], f.get("count", 1)) for f in meta["fields"]]


def _columns_of(fields):
    """[(field, element index or None)] per column of a line."""
    cols = []
    for f in fields:
        cols += [(f, None)] if f.count == 1 else [(f, j) for j in range(f.count)]
    return cols


def read_vectors(path: str, meta: dict | None = None) -> list[tuple[int, list[int | None], str]]:
    """Parsed lines [(file line number, [ints], raw)] of a ``.tv`` or ``.memh`` file."""
    if meta is None:
        meta, _ = load_sidecar(path)
    with open(path, "rb") as f:
        return _parse_vectors(path, f.read(), meta)


def _parse_vectors(path, data: bytes, meta):
    ncol = len(_columns_of(_fields(meta)))
    try:
        rows = parse_lines(data, ncol)
    except ValueError as e:
        raise ValueError(f"{path} {e}") from None
    for no, vals, raw in rows:
        if any(v is None for v in vals):
            raise ValueError(f"{path} line {no}: not hex: {raw!r}")
    return rows


def _vector_file_identity(vectors: str, data: bytes, meta) -> str | None:
    """Check that the sidecar describes ``vectors`` (its ``.tv`` or ``.memh`` bytes ``data``):
    recorded name, size and SHA-256 (the line count is checked once parsed). Raises ValueError
    with the reason; returns a note when the file was renamed (same bytes)."""
    ext = os.path.splitext(vectors)[1].lstrip(".")
    side = vectors[: -len(ext)] + "json"
    rec = meta.get("files", {}).get(ext) if isinstance(meta.get("files"), dict) else None
    if not isinstance(rec, dict) or not {"file", "bytes", "sha256"} <= set(rec):
        raise ValueError(f"{side} records no .{ext} file, so it cannot vouch for {vectors}")
    digest = sha256(data)
    if rec["file"] != os.path.basename(vectors) and digest != rec["sha256"]:
        raise ValueError(f"{vectors}: its sidecar {side} describes another file ({rec['file']}): "
                         "refusing to decode the vectors with it")
    if len(data) < rec["bytes"]:
        raise ValueError(f"{vectors}: {len(data)} bytes where its sidecar {side} records {rec['bytes']} "
                         "(truncated?): regenerate or restore it")
    if len(data) != rec["bytes"] or digest != rec["sha256"]:
        raise ValueError(f"{vectors}: SHA-256 differs from the one its sidecar {side} records (the file "
                         "was edited or replaced): regenerate or restore it")
    if rec["file"] != os.path.basename(vectors):
        return f"note: {vectors} is recorded in its sidecar as {rec['file']} (renamed; its bytes match)"
    return None


def _show(f: Field, v) -> str:
    if v is None:
        return "X"
    return f"{v:0{f.digits}X} ({describe(f.type, v)})" if f.type != "flags" else f"{v:02X} ({describe('flags', v)})"


def _label(f: Field, j):
    return f.name if j is None else f"{f.name}{j}"


def _short(cols, vals, roles, limit=6):
    """Compact 'hex (value)' text of the columns with the given roles (block fields are cut
    after ``limit`` columns)."""
    parts = []
    for (f, j), v in zip(cols, vals):
        if f.role in roles:
            parts.append(_show(f, v) if j is None else f"{_label(f, j)}={_show(f, v)}")
    if len(parts) > limit:
        parts = parts[: limit - 1] + [f"... ({len(parts) - limit + 1} more)"]
    return " ".join(parts)


def _pair(cols, e, g, roles, limit=6):
    """(expected text, got text) of the given roles; with many columns only the differing ones
    (named, e.g. ``z17=38 (1.0)``) are shown."""
    sel = [(c, ev, gv) for c, ev, gv in zip(cols, e, g) if c[0].role in roles]
    if len(sel) > limit:
        diff = [(c, ev, gv) for c, ev, gv in sel if ev != gv]
        sel = diff[:limit] if diff else sel[:limit]
    cs = [c for c, _, _ in sel]
    return _short(cs, [ev for _, ev, _ in sel], roles, limit + 1), _short(cs, [gv for _, _, gv in sel], roles, limit + 1)


# ---- verify -------------------------------------------------------------------------------
def _line_diff_rows(meta, exp_bytes: bytes, got_bytes: bytes, max_rows: int, other: str):
    """Rows (line, inputs, expected, found, what differs) of the first differing lines of two tv
    texts; differing inputs are shown on both sides (``inputs (<other>: ...)``)."""
    fields = _fields(meta)
    cols = _columns_of(fields)
    exp = parse_lines(exp_bytes)
    got = parse_lines(got_bytes)
    rows: list[list] = []
    n = 0
    for i in range(max(len(exp), len(got))):
        e = exp[i][1] if i < len(exp) else None
        g = got[i][1] if i < len(got) else None
        if e == g:
            continue
        n += 1
        if len(rows) < max_rows:
            if e is not None and g is not None and len(e) == len(g) == len(cols):
                differs = {f.role for (f, _), ev, gv in zip(cols, e, g) if ev != gv}
                what = [r for r in ("result", "flags") if r in differs]
                ins = _short(cols, e, ("input",))
                if "input" in differs:
                    ins, g_in = _pair(cols, e, g, ("input",))
                    what.insert(0, f"inputs ({other}: {g_in})")
                rows.append([i + 1, ins, *_pair(cols, e, g, ("result", "flags")), ", ".join(what)])
            else:
                rows.append([i + 1, "", exp[i][2] if e is not None else "(missing)",
                             got[i][2] if g is not None else "(missing)", "line"])
    return rows, n


def verify(directory: str, *, recompute: bool = True, max_rows: int = 5,
           progress: Callable[[int, int, str], None] | None = None) -> Report:
    """Check a set against its manifest: every file present with its SHA-256, SHA256SUMS
    consistent, and (``recompute``) every file's bytes regenerated from the recorded selection."""
    rep = Report()
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise ValueError(f"{directory} is a file, not a directory: verify takes a vector set's directory "
                             "(golden check or diff take files)")
        raise ValueError(f"{directory}: no such directory")
    from .digest_set import is_digest_set, verify as verify_digests

    if is_digest_set(directory):  # an exhaustive digest set (fp8ref sweep --all): its own checks
        return verify_digests(directory, recompute=recompute, progress=progress)
    mpath = os.path.join(directory, MANIFEST)
    if not os.path.isfile(mpath):
        raise ValueError(f"{directory} is not a vector set: no {MANIFEST}")
    with open(mpath, "rb") as f:
        mbytes = f.read()
    man = read_json(mpath, "manifest")
    _schema_ok(man, mpath)
    listed = {}
    try:
        for e in man["sets"]:
            for ext, info in e["files"].items():
                listed[f"{e['stem']}.{ext}"] = {**info, "sha256": info["sha256"]}  # (KeyError if absent)
    except (KeyError, TypeError, AttributeError) as e:
        raise _malformed(mpath, e) from None
    # SHA256SUMS
    spath = os.path.join(directory, SUMS)
    if not os.path.isfile(spath):
        rep.fail(f"missing {SUMS}")
    else:
        sums = read_sums(spath)
        if sums.get(MANIFEST) != sha256(mbytes):
            rep.fail(f"{MANIFEST}: SHA-256 differs from {SUMS} (manifest edited or corrupted)")
        for p, h in sums.items():
            if p != MANIFEST and listed.get(p, {}).get("sha256") != h:
                rep.fail(f"{SUMS} lists {p} with a hash the manifest does not have")
        for p in listed:
            if p not in sums:
                rep.fail(f"{SUMS} does not list {p}")
    # files on disk
    on_disk = set()
    for root, _, names in os.walk(directory):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), directory).replace(os.sep, "/")
            on_disk.add(rel)
    missing = sorted(set(listed) - on_disk)
    for p in missing:
        rep.fail(f"missing file: {p}")
    extra = sorted(on_disk - set(listed) - {MANIFEST, SUMS})
    for p in extra:
        rep.add(f"note: {p} is not part of the set (ignored)")
    corrupt = []
    for p, info in sorted(listed.items()):
        if p in missing:
            continue
        with open(os.path.join(directory, *p.split("/")), "rb") as f:
            data = f.read()
        if sha256(data) != info["sha256"] or len(data) != info.get("bytes", len(data)):
            corrupt.append(p)
            rep.fail(f"corrupted: {p} (SHA-256 differs from the manifest)")
    if not recompute:
        rep.add(f"checked {len(listed)} files against the manifest")
        return rep
    # recompute
    try:
        sel = Selection.from_dict(man["selection"])
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise _malformed(mpath, e) from None
    specs, _ = select(sel)
    by_stem = {s.stem: s for s in specs}
    stems = [e["stem"] for e in man["sets"]]
    for s in stems:
        if s not in by_stem:
            rep.fail(f"{s}: this fp8ref does not generate it for the recorded selection")
    for s in by_stem:
        if s not in stems:
            rep.fail(f"{s}: missing from the manifest (this fp8ref generates it for the recorded selection)")
    n_ok = 0
    for i, s in enumerate(stems, 1):
        if progress:
            progress(i, len(stems), s)
        spec = by_stem.get(s)
        if spec is None:
            continue
        files, side = render(spec, sel)
        bad = False
        for ext, data in files.items():
            p = f"{s}.{ext}"
            if p not in listed:
                continue
            if p in missing:
                bad = True
                continue
            with open(os.path.join(directory, *p.split("/")), "rb") as f:
                disk = f.read()
            if disk == data:
                continue
            bad = True
            if p not in corrupt:
                rep.fail(f"differs from recomputation: {p}")
            if ext in ("tv", "memh"):
                rows, n = _line_diff_rows(side, data, disk, max_rows, "in file")
                rep.add(f"  {n} line(s) differ in {p}; first {len(rows)}:")
                rep.add(_indent(tabulate(rows, headers=["line", "inputs", "expected (recomputed)", "in file", "differs"])))
                rep.mismatches += n
        n_ok += not bad
    rep.add(f"recomputed {len(stems)} file sets: {n_ok} identical, {len(stems) - n_ok} with problems")
    return rep


def _indent(text, pad="    "):
    return "\n".join(pad + t for t in text.splitlines())


# ---- diff ---------------------------------------------------------------------------------
def diff(a: str, b: str, *, max_rows: int = 5) -> Report:
    """Compare two sets (directories) or two vector files."""
    rep = Report()
    if os.path.isdir(a) and os.path.isdir(b):
        fa, fb = _listing(a), _listing(b)
        for p in sorted(set(fa) - set(fb)):
            rep.fail(f"only in {a}: {p}")
        for p in sorted(set(fb) - set(fa)):
            rep.fail(f"only in {b}: {p}")
        same = 0
        for p in sorted(set(fa) & set(fb)):
            if fa[p] == fb[p]:
                same += 1
                continue
            rep.fail(f"differs: {p}")
            if p.endswith((".tv", ".memh")):
                _diff_files(os.path.join(a, p), os.path.join(b, p), rep, max_rows)
        rep.add(f"{same} identical file(s), {len(set(fa) & set(fb)) - same} differing, "
                f"{len(set(fa) ^ set(fb))} in one set only")
        return rep
    if os.path.isfile(a) and os.path.isfile(b):
        with open(a, "rb") as f1, open(b, "rb") as f2:
            if f1.read() == f2.read():
                rep.add("files are identical")
                return rep
        rep.fail(f"differs: {a} {b}")
        _diff_files(a, b, rep, max_rows)
        return rep
    for p in (a, b):
        if not os.path.exists(p):
            raise ValueError(f"{p}: no such file or directory")
    raise ValueError(f"diff compares two directories or two files, not a directory and a file ({a}, {b})")


def _listing(d):
    out = {}
    for root, _, files in os.walk(d):
        for n in files:
            full = os.path.join(root, n)
            with open(full, "rb") as f:
                out[os.path.relpath(full, d).replace(os.sep, "/")] = sha256(f.read())
    return out


def _diff_files(pa, pb, rep, max_rows):
    try:
        meta, _ = load_sidecar(pa)
    except ValueError as e:
        rep.add(f"  (no line diff: {e})")
        return
    with open(pa, "rb") as f1, open(pb, "rb") as f2:
        rows, n = _line_diff_rows(meta, f1.read(), f2.read(), max_rows, "B")
    rep.mismatches += n
    rep.add(f"  {n} line(s) differ; first {len(rows)}:")
    rep.add(_indent(tabulate(rows, headers=["line", "inputs", "A", "B", "differs"])))


# ---- check (DUT output) ---------------------------------------------------------------------
def check(vectors: str, dut_output: str, *, flags_mask: int = FLAGS_MASK, check_flags: bool = True,
          check_nans: bool = False, max_rows: int = 20) -> Report:
    """Compare a DUT's output with the expected results of a vector file.

    DUT output: one line per vector, in the vectors' order; hex fields separated by spaces or
    ``_`` (``0x`` optional, any case; ``//`` and ``#`` start comments; blank lines skipped).
    Each line holds either every field of the vector line (inputs, results, flags: inputs are
    compared too, which catches misaligned output), or the results and flags, or the results
    only (flags not checked). ``x``/``z`` digits are mismatches, other non-hex fields errors.
    NaN results match any NaN of the result's format unless ``check_nans``; flags are compared
    under ``flags_mask``.
    """
    if not vectors.endswith((".tv", ".memh")):
        raise ValueError(f"{vectors}: check reads a .tv or .memh vector file (with its .json sidecar beside it)")
    meta, exp_rows, note = load_vectors(vectors)
    cols = columns(meta)
    n_in = sum(1 for f, _ in cols if f.role == "input")
    n_res = sum(1 for f, _ in cols if f.role == "result")
    n_fl = sum(1 for f, _ in cols if f.role == "flags")
    shapes = {len(cols): "full", n_res + n_fl: "results+flags", n_res: "results"}
    rep = Report()
    if note:
        rep.add(note)
    with open(dut_output, "rb") as f:
        dut_bytes = f.read()
    try:
        dut_rows = parse_lines(dut_bytes, strict=True)
    except ValueError as err:
        raise ValueError(f"{dut_output} {err}") from None
    _dut_rows_whole(dut_output, dut_bytes, dut_rows, cols, n_in, n_res, n_fl)
    if len(dut_rows) > len(exp_rows):
        raise ValueError(f"{dut_output} has {len(dut_rows)} result lines but {vectors} has only {len(exp_rows)} vectors")
    table: list[list] = []
    n_bad = n_missing = 0
    shapes_seen = set()
    for i, (_, e, _) in enumerate(exp_rows):
        if i >= len(dut_rows):
            n_missing += 1
            n_bad += 1
            if len(table) < max_rows:
                table.append([i + 1, _short(cols, e, ("input",)), _short(cols, e, ("result",)), "(missing)", "", ""])
            continue
        dno, g, raw = dut_rows[i]
        shape = shapes.get(len(g))
        if shape is None:
            raise ValueError(
                f"{dut_output} line {dno}: {len(g)} fields; expected {len(cols)} (inputs, results, flags), "
                f"{n_res + n_fl} (results, flags) or {n_res} (results): {raw!r}"
            )
        shapes_seen.add(shape)
        g_in: list[int | None] | None
        g_fl: list[int | None] | None
        if shape == "full":
            g_in, g_res, g_fl = g[:n_in], g[n_in:n_in + n_res], g[n_in + n_res:]
        else:
            g_in, g_res = None, g[:n_res]
            g_fl = g[n_res:] if shape == "results+flags" else None
        why, fdiff = compare_line(cols, e, g_in, g_res, g_fl, flags_mask=flags_mask, check_flags=check_flags,
                                  check_nans=check_nans)
        if why:
            n_bad += 1
            if len(table) < max_rows:
                table.append([i + 1, *mismatch_row(cols, e, g_res, g_fl, fdiff, why)])
    rep.mismatches = n_bad
    flags_checked = check_flags and n_fl and shapes_seen & {"full", "results+flags"}
    checked = "results" + (f" and flags (mask 0x{flags_mask:02X})" if flags_checked else "")
    if "results" in shapes_seen and check_flags and n_fl:
        rep.add("note: the DUT lines carry no flags; flags were not checked")
    if n_bad:
        rep.fail(f"{n_bad} of {len(exp_rows)} vectors mismatch"
                 + (f" ({n_missing} missing from the DUT output)" if n_missing else "")
                 + f"; first {len(table)}:")
        rep.add(mismatch_table(table))
    else:
        rep.add(f"all {len(exp_rows)} vectors match ({checked}; NaN {'exact' if check_nans else 'any NaN matches'})")
    return rep


# ---- one vector line against a DUT's line (shared with fp8ref.cocotb) -------------------------
MISMATCH_HEADERS = ("line", "inputs", "expected", "got", "flag diff", "mismatch")


def load_vectors(path: str):
    """(sidecar, parsed lines [(line number, [ints], raw)], note or None) of a ``.tv``/``.memh``
    file, after checking that its sidecar vouches for it (recorded name, size, SHA-256, line
    count); raises ValueError with the reason otherwise."""
    meta, _ = load_sidecar(path)
    with open(path, "rb") as f:
        data = f.read()
    note = _vector_file_identity(path, data, meta)
    rows = _parse_vectors(path, data, meta)
    if len(rows) != meta.get("lines"):
        raise ValueError(f"{path}: {len(rows)} vector lines where its sidecar records {meta.get('lines')}")
    return meta, rows, note


def columns(meta):
    """[(Field, element index or None)] per column of a line of the sidecar ``meta``."""
    return _columns_of(_fields(meta))


def compare_line(cols, expected, got_inputs, got_results, got_flags, *, flags_mask: int = FLAGS_MASK,
                 check_flags=True, check_nans=False):
    """(reasons, flag diff) of one line: ``expected`` is the whole vector line; ``got_inputs``
    (or None: not compared), ``got_results`` and ``got_flags`` (or None: not compared) the
    DUT's, ``None`` for an unresolved (X/Z) value. Reasons: ``inputs differ (misaligned?)``,
    ``result``, ``flags``; none when the line matches."""
    n_in = sum(1 for f, _ in cols if f.role == "input")
    res_cols = [c for c in cols if c[0].role == "result"]
    n_res, n_fl = len(res_cols), sum(1 for f, _ in cols if f.role == "flags")
    e_in, e_res, e_fl = expected[:n_in], expected[n_in:n_in + n_res], expected[n_in + n_res:]
    why = []
    if got_inputs is not None and list(got_inputs) != list(e_in):
        why.append("inputs differ (misaligned?)")
    res_ok = True
    for (f, _), ev, gv in zip(res_cols, e_res, got_results):
        if gv is None or gv >> (4 * f.digits):
            res_ok = False
        elif ev != gv and not (not check_nans and nan_mask(f.type, [ev])[0] and nan_mask(f.type, [gv])[0]):
            res_ok = False
    if not res_ok:
        why.append("result")
    fdiff = ""
    if check_flags and got_flags is not None and n_fl:
        ef, gf = e_fl[0], got_flags[0]
        if gf is None:
            fdiff = "X"
            why.append("flags")
        elif (ef ^ gf) & flags_mask:
            fdiff = flag_diff(ef, gf, flags_mask)
            why.append("flags")
    return why, fdiff


def mismatch_row(cols, expected, got_results, got_flags, fdiff, why) -> list:
    """The decoded ``[inputs, expected, got, flag diff, mismatch]`` cells of a mismatching line
    (``golden check``'s table, less the line number)."""
    n_in = sum(1 for f, _ in cols if f.role == "input")
    res_cols = [c for c in cols if c[0].role == "result"]
    e_res, e_fl = expected[n_in:n_in + len(res_cols)], expected[n_in + len(res_cols):]
    fl_cols = [c for c in cols if c[0].role == "flags"] if got_flags is not None else []
    e_sel = list(e_res) + (list(e_fl) if got_flags is not None else [])
    exp_txt, got_txt = _pair(res_cols + fl_cols, e_sel, list(got_results) + list(got_flags or []), ("result", "flags"))
    return [_short(cols, expected, ("input",), 4), exp_txt, got_txt, fdiff, ", ".join(why)]


def mismatch_table(rows, index: str = "line") -> str:
    """``golden check``'s table of ``[number, *mismatch_row(...)]`` rows (``index`` names the first column)."""
    return tabulate(rows, headers=[index, *MISMATCH_HEADERS[1:]])


def _dut_rows_whole(path, data: bytes, rows, cols, n_in, n_res, n_fl):
    """A DUT line cut short is malformed, not a shorter line shape: every line has the first
    line's field count, and a file that ends inside its last line must not end inside a field
    (its last field as many hex digits as the field has)."""
    if not rows:
        return
    no0, g0, _ = rows[0]
    counts = (len(cols), n_res + n_fl, n_res)  # the three shapes (wrong counts: check's own error)
    for no, g, raw in rows:
        if len(g) != len(g0) and len(g) in counts and len(g0) in counts:
            raise ValueError(f"{path} line {no}: {len(g)} fields where line {no0} has {len(g0)}: a cut or "
                             f"garbled line? (every line has one shape): {raw!r}")
    no, g, raw = rows[-1]
    if data.endswith(b"\n") or no != data.count(b"\n") + 1:
        return
    shape_cols = cols if len(g) == len(cols) else cols[n_in:] if len(g) == n_res + n_fl else cols[n_in:n_in + n_res]
    if len(shape_cols) != len(g):
        return  # a wrong field count: reported with the expected shapes
    tok = raw.split("//", 1)[0].split("#", 1)[0].replace("_", " ").split()[-1]
    digits = len(tok) - 2 if tok[:2].lower() == "0x" else len(tok)
    f = shape_cols[-1][0]
    if digits < f.digits:
        raise ValueError(f"{path} line {no}: the file ends inside this line, in field {f.name} ({tok!r}, "
                         f"{f.digits} hex digits): cut mid-field? (end the file with a newline if the line is whole)")
