"""File syntax: tv lines, memh header and body, sidecar schema, npz contents, manifest and
SHA256SUMS, checked with plain Python / numpy readers against docs/golden-vectors.md."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess

import numpy as np

from fp8ref.golden.writers import memh_layout
from fp8ref.golden.fields import Field

SIDE_KEYS = {"schema", "tool", "suite", "name", "op", "fields", "flag_order", "flags_mask", "generators", "seed",
             "count_option", "prng", "lines", "tier", "files"}


def _all_stems(man):
    return [e["stem"] for e in man["sets"]]


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_tv_syntax_every_file(default_set):
    d, man = default_set
    for stem in _all_stems(man):
        with open(os.path.join(d, stem + ".json")) as f:
            meta = json.load(f)
        widths = []
        for fd in meta["fields"]:
            widths += [fd["hex_digits"]] * fd.get("count", 1)
            assert fd["hex_digits"] == -(-fd["bits"] // 4)
        pat = re.compile(("^" + " ".join(f"[0-9A-F]{{{w}}}" for w in widths) + "\n$").encode())
        with open(os.path.join(d, stem + ".tv"), "rb") as f:
            lines = f.readlines()
        assert len(lines) == meta["lines"] > 0
        bad = [ln for ln in lines if not pat.match(ln)]
        assert not bad, f"{stem}.tv: {bad[0]!r}"
        # fields fit their bit width (e.g. FP4 codes < 16 in their one digit, flags < 0x20)
        roles = [fd for fd in meta["fields"] for _ in range(fd.get("count", 1))]
        for ln in lines[:: max(1, len(lines) // 50)]:
            for fd, tok in zip(roles, ln.split()):
                assert int(tok, 16) < (1 << fd["bits"]), (stem, ln)
                if fd["role"] == "flags":
                    assert int(tok, 16) & ~0x1F == 0


def test_memh_header_and_body(default_set):
    d, man = default_set
    for stem in _all_stems(man):
        with open(os.path.join(d, stem + ".memh"), "rb") as f:
            memh = f.read().decode()
        with open(os.path.join(d, stem + ".tv"), "rb") as f:
            tv = f.read()
        with open(os.path.join(d, stem + ".json")) as f:
            meta = json.load(f)
        head = [ln for ln in memh.splitlines() if ln.startswith("//")]
        body = [ln for ln in memh.splitlines() if not ln.startswith("//")]
        assert head[0].startswith("// fp8ref-vectors 1.0 op=")
        kv = dict(t.split("=", 1) for t in head[0].split()[3:])
        assert int(kv["n"]) == meta["lines"] == len(body)
        if "policy" in meta:
            assert kv["rm"] == meta["policy"]["rounding"] and kv["ovf"] == meta["policy"]["overflow"]
            assert kv["tininess"] == meta["policy"]["tininess"]
        has_flags = any(f["role"] == "flags" for f in meta["fields"])
        assert head[1].startswith("// fields: ")
        assert head[2].startswith("// flags: bit0 NX" if has_flags else "// flags: none")
        assert head[3] == f"// sha256(tv)={hashlib.sha256(tv).hexdigest()}"
        # body == tv with '_' separators; every line one $readmemh word
        assert "\n".join(body) + "\n" == tv.decode().replace(" ", "_")
        fields = [Field(f["name"], f["role"], f["type"], f.get("count", 1)) for f in meta["fields"]]
        lay, total = memh_layout(fields)
        assert total == 4 * len(body[0].replace("_", ""))
        if len(lay) <= 8:
            assert " ".join(f"{n}[{h}:{lo}]" for n, h, lo in lay) in head[1]
            # slicing the packed word as documented gives the tv fields back
            word = int(body[0].replace("_", ""), 16)
            toks = [int(t, 16) for t in tv.decode().splitlines()[0].split()]
            assert [(word >> lo) & ((1 << (h - lo + 1)) - 1) for _, h, lo in lay] == toks


def test_block_quantizer_memh_headers_name_the_element_conversion(default_set):
    """Like conversion headers (rm, ovf, tininess), minus tininess: it only decides a flag and
    block files have none."""
    d, man = default_set
    ops = {"mx_quantize", "nvfp4_quantize", "deepseek_quantize"}
    seen = set()
    for e in man["sets"]:
        if e["op"] not in ops:
            continue
        seen.add(e["op"])
        with open(os.path.join(d, e["stem"] + ".memh")) as f:
            kv = dict(t.split("=", 1) for t in f.readline().split()[3:])
        with open(os.path.join(d, e["stem"] + ".json")) as f:
            meta = json.load(f)
        assert kv["ovf"] == meta.get("element_overflow", "sat_finite"), e["stem"]
        assert kv["rm"] == meta.get("rounding", "rne"), e["stem"]
        assert not any(f["role"] == "flags" for f in meta["fields"])
    assert seen == ops


def test_sidecar_schema_and_hashes(default_set):
    d, man = default_set
    for stem in _all_stems(man):
        with open(os.path.join(d, stem + ".json")) as f:
            meta = json.load(f)
        assert SIDE_KEYS <= set(meta), SIDE_KEYS - set(meta)
        assert meta["schema"] == "fp8ref-vectors/1.0" and meta["prng"] == "splitmix64"
        assert meta["flag_order"] == ["NX", "UF", "OF", "DZ", "NV"] and meta["flags_mask"] == "0x1F"
        roles = [f["role"] for f in meta["fields"]]
        assert roles == sorted(roles, key=["input", "result", "flags"].index) and roles[0] == "input"
        # flags close every line, except for block quantizers, which define none (and say so)
        assert roles[-1] == "flags" or meta["flags"].startswith("none")
        if meta["op"] in ("convert", "mul"):
            pol = meta["policy"] if "policy" in meta else None
            if pol is not None:
                assert set(pol) == {"rounding", "overflow", "nan", "nan_to", "tininess", "below_range", "input_path"}
        # generators tile the file, in order
        line = 1
        for g in meta["generators"]:
            assert g["first_line"] == line and g["count"] > 0
            line += g["count"]
        assert line - 1 == meta["lines"]
        for ext, info in meta["files"].items():
            p = os.path.join(d, os.path.dirname(stem), info["file"])
            assert info["file"] == os.path.basename(stem) + "." + ext
            assert os.path.getsize(p) == info["bytes"] and _sha(p) == info["sha256"]


def test_npz_matches_tv(default_set):
    d, man = default_set
    for stem in _all_stems(man)[::3]:
        with open(os.path.join(d, stem + ".json")) as f:
            meta = json.load(f)
        with np.load(os.path.join(d, stem + ".npz")) as z:
            arrays = {k: z[k] for k in z.files}
        side = json.loads(str(arrays.pop("sidecar")))
        assert side == {k: v for k, v in meta.items() if k != "files"}
        with open(os.path.join(d, stem + ".tv")) as f:
            rows = [[int(t, 16) for t in ln.split()] for ln in f]
        col = 0
        for fd in meta["fields"]:
            a = arrays.pop(fd["name"])
            c = fd.get("count", 1)
            assert a.dtype.itemsize * 8 >= fd["bits"] and a.dtype.kind == "u"
            want = np.array([r[col : col + c] for r in rows], dtype=np.uint64)
            assert np.array_equal(a.reshape(len(rows), c).astype(np.uint64), want), (stem, fd["name"])
            col += c
        assert not arrays


def test_manifest_and_sha256sums(default_set):
    d, man = default_set
    assert man["schema"] == "fp8ref-vectors/1.0" and man["prng"] == "splitmix64"
    assert man["regenerate"] == "fp8ref golden generate --outputs tv,memh,npz,json --out DIR"
    listed = {f"{e['stem']}.{ext}": info for e in man["sets"] for ext, info in e["files"].items()}
    on_disk = {os.path.relpath(os.path.join(r, n), d).replace(os.sep, "/") for r, _, fs in os.walk(d) for n in fs}
    assert on_disk == set(listed) | {"MANIFEST.json", "SHA256SUMS"}
    for p, info in listed.items():
        assert _sha(os.path.join(d, p)) == info["sha256"]
    assert man["totals"]["vectors"] == sum(e["lines"] for e in man["sets"])
    with open(os.path.join(d, "SHA256SUMS")) as f:
        sums = [ln.rstrip("\n").split("  ", 1) for ln in f]
    assert {p for _, p in sums} == set(listed) | {"MANIFEST.json"}
    for h, p in sums:
        assert _sha(os.path.join(d, p)) == h
    if shutil.which("sha256sum"):
        r = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=d, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def test_no_environment_in_bytes(default_set):
    """No timestamps, paths, hostnames or library versions other than fp8ref's own."""
    d, man = default_set
    text = json.dumps(man)
    assert d not in text and "numpy" not in text.lower() and "python" not in text.lower()
    with open(os.path.join(d, man["sets"][0]["stem"] + ".npz"), "rb") as f:
        data = f.read()
    assert d.encode() not in data


def test_registering_the_suites_uses_no_deprecated_name():
    """Importing the suite families (gemm included) warns about nothing: a suite passing
    Suite(requires=..., note=...) leftovers, or calling a renamed name, fails here."""
    import sys

    code = "import fp8ref.golden, fp8ref.cli.golden_cmd; fp8ref.golden.list_suites()"
    r = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert r.returncode == 0, r.stderr[-2000:]
