"""Build the P3109 reference driver (driver.cpp + awf/p3109-cpp) into a cache outside the repo.

The reference implementation is found at ``$FP8REF_P3109_CPP`` or ``<repo>/../shared/third_party/
p3109-cpp`` and is only read (``-I``), never copied. The compiled driver is cached under
``$FP8REF_P3109_CACHE`` (default ``~/.cache/fp8ref/p3109-driver``) in a folder named by a hash of
everything that decides the binary: driver.cpp, the format/instantiation lists below, the
reference's sources, the compiler's version and the flags. Builds are atomic (a temporary
folder renamed into place) and serialised by a lock file, so concurrent test workers share one.

Run ``python -m tests.oracles.p3109.build`` to build (and time) it by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DRIVER_CPP = HERE / "driver.cpp"
PROVENANCE = "awf/p3109-cpp @ 9042910 (MIT)"

# --------------------------------------------------------------------------------------------
# What the driver instantiates. A format is (K, P, signed, extended); its name is the
# reference's own binary<K>p<P><s|u><e|f>. Every format gets every operation with operands of
# its own format; the lists below add mixed-format combinations.


def fmt_name(K, P, signed, extended):
    return f"binary{K}p{P}{'s' if signed else 'u'}{'e' if extended else 'f'}"


def _f(spec: str):
    """'8p3se' -> (8, 3, True, True)."""
    kp, s, d = spec[:-2], spec[-2], spec[-1]
    K, P = (int(v) for v in kp.split("p"))
    return (K, P, s == "s", d == "e")


#: the binary8 core: p1..p7 signed extended, p3/p4 in the other three variants
CORE8 = [f"8p{p}se" for p in range(1, 8)] + ["8p3ue", "8p4ue", "8p3sf", "8p4sf", "8p3uf", "8p4uf"]
#: every K from 3 to 16, both signednesses and both domains, several precisions (incl. the
#: edges P = K - 1 signed, P = K unsigned, P = 1) and the fp16-/bf16-like 16-bit ones
SPREAD = [
    "3p1se", "3p2se", "3p2uf", "3p3uf",
    "4p2ue", "4p1sf", "4p3se",
    "5p3se", "5p2uf", "5p4ue",
    "6p3se", "6p4sf", "6p2ue",
    "7p4se", "7p3uf", "7p6ue",
    "9p4ue", "9p1sf", "9p5se",
    "10p5se", "10p3uf",
    "11p6ue", "11p8sf",
    "12p7se", "12p4uf",
    "13p8ue", "13p10sf",
    "14p9se", "14p6uf",
    "15p10ue", "15p5sf",
    "16p11se", "16p8se", "16p12uf",
]
FORMATS = [_f(s) for s in CORE8 + SPREAD]
NAMES = [fmt_name(*f) for f in FORMATS]
INDEX = {n: i for i, n in enumerate(NAMES)}


def _i(spec):
    return INDEX[fmt_name(*_f(spec))]


#: convert (result <- source): all pairs within the binary8 core, and every other format to
#: and from binary8p3se / binary8p4se
CONVERTS = sorted(
    {(_i(r), _i(x)) for r in CORE8 for x in CORE8 if r != x}
    | {(_i(a), _i(b)) for s in SPREAD for h in ("8p3se", "8p4se") for a, b in ((s, h), (h, s))}
)
#: binary operations (add, sub, mul, div, copysign, min/max family): result <- x, y
MIXED_BINARY = [
    tuple(_i(s) for s in t)
    for t in (
        ("8p3se", "8p4se", "8p3se"), ("8p4se", "8p3se", "8p4se"), ("8p3se", "8p3se", "8p4se"),
        ("8p4se", "8p4se", "8p4ue"), ("8p3ue", "8p3se", "8p3se"), ("8p3sf", "8p3se", "8p3se"),
        ("8p4uf", "8p4se", "8p4se"), ("16p11se", "8p3se", "8p4se"), ("16p8se", "8p4se", "8p4se"),
        ("8p4se", "16p11se", "16p11se"),
    )
]
#: fma and clamp: result <- x, y, z
MIXED_TERNARY = [
    tuple(_i(s) for s in t)
    for t in (
        ("16p11se", "8p3se", "8p4se", "16p11se"), ("16p8se", "8p4se", "8p4se", "16p8se"),
        ("8p3se", "8p4se", "8p4se", "8p3se"), ("8p4ue", "8p4se", "8p4se", "8p4se"),
        ("8p4sf", "8p4se", "8p4se", "8p4se"),
    )
]
#: comparisons: x, y
MIXED_PREDICATES = [
    tuple(_i(s) for s in t)
    for t in (("8p3se", "8p4se"), ("8p4se", "8p3se"), ("8p3ue", "8p3se"), ("8p4sf", "8p4se"), ("8p4uf", "8p4ue"))
]
#: stochastic widths N compiled (StochasticA/B/C<N>); must match DRV_NBITS in driver.cpp
NBITS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32)

CXX = os.environ.get("CXX", "g++")
#: -O0 compiles in about a third of -O1's time; -O1 runs 2-3x faster (the offline digest
#: script asks for it): FP8REF_P3109_OPT=-O1
CXXFLAGS = ["-std=c++20", os.environ.get("FP8REF_P3109_OPT", "-O0"), "-w"]
LIBS = ["-lmpfr", "-lgmp"]
#: result formats per compiled object (the reference's headers take ~4 s to parse per object)
UNITS_PER_OBJECT = 6


class Unavailable(RuntimeError):
    """The driver cannot be built here (reference, compiler or libraries missing)."""


def reference_dir() -> Path:
    """The p3109-cpp checkout: $FP8REF_P3109_CPP, else <repo>/../shared/third_party/p3109-cpp."""
    env = os.environ.get("FP8REF_P3109_CPP")
    cands = [Path(env)] if env else []
    cands += [REPO.parent / "shared" / "third_party" / "p3109-cpp",
              REPO.parent.parent / "shared" / "third_party" / "p3109-cpp"]
    for c in cands:
        if (c / "p3109.h").is_file() and (c / "ops").is_dir():
            return c
    where = f"$FP8REF_P3109_CPP={env}" if env else f"{cands[0]}"
    raise Unavailable(f"P3109 reference implementation not found ({where}); set FP8REF_P3109_CPP")


def _formats_inc() -> str:
    sd = lambda f: ("Signed" if f[2] else "Unsigned", "Extended" if f[3] else "Finite")
    lines = ["// generated by tests/oracles/p3109/build.py", "#define P3109_FORMATS(X) \\"]
    lines += [f"  X({i}, {K}, {P}, {sd(f)[0]}, {sd(f)[1]}) \\" for i, f in enumerate(FORMATS) for K, P in [f[:2]]]
    lines.append("")
    for name, rows in (("P3109_CONVERTS", CONVERTS), ("P3109_MIXED_BINARY", MIXED_BINARY),
                       ("P3109_MIXED_TERNARY", MIXED_TERNARY), ("P3109_MIXED_PREDICATES", MIXED_PREDICATES)):
        lines.append(f"#define {name}(X) \\")
        lines += [f"  X({', '.join(map(str, r))}) \\" for r in rows]
        lines.append("")
    return "\n".join(lines) + "\n"


def _compiler_version() -> str:
    try:
        return subprocess.run([CXX, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise Unavailable(f"C++ compiler {CXX!r} not found ({e}); apt-get install g++") from e


def _build_key(ref: Path) -> str:
    h = hashlib.sha256()
    h.update(DRIVER_CPP.read_bytes())
    h.update(_formats_inc().encode())
    h.update(repr((CXX, CXXFLAGS, LIBS, UNITS_PER_OBJECT, NBITS)).encode())
    h.update(_compiler_version().encode())
    for p in sorted([ref / "p3109.h", *(ref / "ops").glob("*.h")]):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


def cache_root() -> Path:
    return Path(os.environ.get("FP8REF_P3109_CACHE", Path.home() / ".cache" / "fp8ref" / "p3109-driver"))


def _check_libraries(tmp: Path, ref: Path):
    probe = tmp / "probe.cpp"
    probe.write_text("#include <boost/multiprecision/mpfr.hpp>\nint main(){return 0;}\n")
    r = subprocess.run([CXX, *CXXFLAGS, "-I", str(ref), str(probe), "-o", str(tmp / "probe"), *LIBS],
                       capture_output=True, text=True)
    if r.returncode:
        msg = (r.stderr.strip().splitlines() or ["?"])[0]
        raise Unavailable(f"boost/mpfr/gmp development files missing ({msg}); "
                          "apt-get install -y libboost-dev libmpfr-dev libgmp-dev")


def build(verbose: bool = False, jobs: int | None = None) -> Path:
    """Return the path of the compiled driver, building it first if the cache has none."""
    ref = reference_dir()
    key = _build_key(ref)
    root = cache_root()
    exe = root / key / "p3109_driver"
    if exe.is_file():
        return exe
    root.mkdir(parents=True, exist_ok=True)
    import fcntl

    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if exe.is_file():
            return exe
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        os.chmod(tmp, 0o755)
        try:
            _check_libraries(tmp, ref)
            (tmp / "p3109_formats.inc").write_text(_formats_inc())
            base = [CXX, *CXXFLAGS, "-I", str(tmp), "-I", str(ref), "-c", str(DRIVER_CPP)]
            ids = list(range(len(FORMATS)))
            groups = [ids[i:i + UNITS_PER_OBJECT] for i in range(0, len(ids), UNITS_PER_OBJECT)]
            cmds = [base + ["-DP3109_MAIN", "-o", str(tmp / "main.o")]]
            for g, grp in enumerate(groups):
                units = " ".join(f"X({i})" for i in grp)
                cmds.append(base + [f"-DP3109_UNITS(X)={units}", "-o", str(tmp / f"unit{g}.o")])
            t0 = time.time()

            def compile_one(cmd):
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode:
                    raise RuntimeError(f"p3109 driver: compile failed: {' '.join(cmd)}\n{r.stderr[-4000:]}")

            with ThreadPoolExecutor(jobs or os.cpu_count() or 2) as ex:
                list(ex.map(compile_one, cmds))
            objs = [str(tmp / "main.o")] + [str(tmp / f"unit{g}.o") for g in range(len(groups))]
            out = tmp / "p3109_driver"
            r = subprocess.run([CXX, *objs, "-o", str(out), *LIBS], capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError(f"p3109 driver: link failed\n{r.stderr[-4000:]}")
            for o in objs:
                os.unlink(o)
            (tmp / "BUILD_INFO.txt").write_text(
                f"reference: {ref} ({PROVENANCE})\nkey: {key}\nbuild seconds: {time.time() - t0:.1f}\n")
            if verbose:
                print(f"p3109 driver built in {time.time() - t0:.1f} s: {exe}", file=sys.stderr)
            os.replace(tmp, root / key)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return exe


if __name__ == "__main__":
    t = time.time()
    path = build(verbose=True)
    print(path, f"({time.time() - t:.1f} s)")
