"""Which SASS each modelled instruction becomes (tests/data/sass, README.md there).

The committed disassemblies must contain what tests/data/sass/README.md claims: the tensor-core
opcodes per kernel and architecture, and, for the FP8 ``mma.sync`` on sm_90/sm_100, the ptxas
emulation (two chained FP16 HMMA.16816 over the register-byte halves with C = 0, then C added by
HADD2/FADD). With nvcc, ptxas and cuobjdump/nvdisasm available, the kernels are recompiled: with
the recorded tool versions the disassembly must be identical, with others the claims must still
hold. Regenerate the files with ``python -m tests.accum.test_sass_evidence --write``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

SASS = Path(__file__).resolve().parent.parent / "data" / "sass"
K_ARCHS = ("sm_89", "sm_90", "sm_100", "sm_120")

#: nvcc arch -> kernels of presets.cu compiled for it (one cubin per arch)
PRESET_UNITS = {
    "sm_75": ("mma_m8n8k4_f32_f16", "mma_m16n8k8_f32_f16"),
    "sm_80": ("mma_m8n8k4_f32_f16", "mma_m16n8k8_f32_f16", "mma_m16n8k16_f32_f16", "mma_m16n8k16_f16_f16",
              "mma_m16n8k16_f32_bf16", "mma_m16n8k8_f32_tf32", "mma_m16n8k4_f32_tf32"),
    "sm_89": ("mma_m16n8k16_f32_f16", "mma_m16n8k16_f16_f16", "mma_m16n8k16_f32_bf16", "mma_m16n8k8_f32_tf32",
              "mma_m16n8k16_f32_e4m3"),
    "sm_90": ("mma_m8n8k4_f32_f16", "mma_m16n8k16_f32_f16", "mma_m16n8k16_f16_f16", "mma_m16n8k16_f32_bf16",
              "mma_m16n8k8_f32_tf32", "mma_m16n8k16_f32_e4m3"),
    "sm_90a": ("wgmma_m64n8k16_f32_f16", "wgmma_m64n8k16_f16_f16", "wgmma_m64n8k16_f32_bf16",
               "wgmma_m64n8k8_f32_tf32", "wgmma_m64n8k32_f32_e4m3", "wgmma_m64n8k32_f16_e4m3"),
    "sm_100": ("mma_m16n8k16_f32_f16", "mma_m16n8k16_f16_f16", "mma_m16n8k16_f32_bf16", "mma_m16n8k8_f32_tf32",
               "mma_m16n8k16_f32_e4m3"),
    "sm_100a": ("tcgen05_kind_f16", "tcgen05_kind_tf32", "tcgen05_kind_f8f6f4", "tcgen05_kind_mxf8f6f4_block32",
                "tcgen05_kind_mxf4nvf4_block16", "tcgen05_kind_mxf4nvf4_block32", "mma_m16n8k32_f32_f8f6f4_e4m3"),
    "sm_120": ("mma_m16n8k16_f32_f16", "mma_m16n8k16_f32_bf16", "mma_m16n8k8_f32_tf32", "mma_m16n8k16_f32_e4m3"),
    "sm_120a": ("mma_m16n8k32_f32_f8f6f4_e4m3", "mma_m16n8k32_f32_f8f6f4_e2m1", "mma_m16n8k32_mxf8f6f4_ue8m0",
                "mma_m16n8k64_mxf4nvf4_ue4m3", "mma_m16n8k64_mxf4nvf4_ue8m0"),
}
#: (kernel, arch) pairs the tools refuse: the refusal is evidence too (presets_rejected.txt)
REJECTED = (("mma_m8n8k4_f32_f16", "sm_70"), ("wgmma_m64n8k32_f32_e4m3", "sm_90"),
            ("wgmma_m64n8k32_f32_e4m3", "sm_100a"), ("mma_m16n8k32_f32_f8f6f4_e2m1", "sm_100a"),
            ("mma_m16n8k32_mxf8f6f4_ue8m0", "sm_100a"), ("tcgen05_kind_f16", "sm_120a"))

_EMU16 = {"HMMA.16816.F16": 2, "HADD2": 2}
_EMU32 = {"HMMA.16816.F32": 2, "FADD": 4}
#: (file, function) -> the tensor-core-relevant opcodes it contains, with multiplicity
CLAIMS = {
    **{(f"k_{a}.sass", f"{o}_{t}"): {f"QMMA.16832.F{o[2:]}.{t.upper()}.{t.upper()}": 1}
       for a in ("sm_89", "sm_120") for o in ("fp16", "fp32") for t in ("e4m3", "e5m2")},
    **{(f"k_{a}.sass", "fp16_chain"): {"QMMA.16832.F16.E4M3.E4M3": 2} for a in ("sm_89", "sm_120")},
    **{(f"k_{a}.sass", f"fp16_{t}"): {f"F2FP.F16.{t.upper()}.UNPACK_B": 12, **_EMU16}
       for a in ("sm_90", "sm_100") for t in ("e4m3", "e5m2")},
    **{(f"k_{a}.sass", f"fp32_{t}"): {f"F2FP.F16.{t.upper()}.UNPACK_B": 12, **_EMU32}
       for a in ("sm_90", "sm_100") for t in ("e4m3", "e5m2")},
    **{(f"k_{a}.sass", "fp16_chain"): {"F2FP.F16.E4M3.UNPACK_B": 24, "HMMA.16816.F16": 4, "HADD2": 4}
       for a in ("sm_90", "sm_100")},
    ("presets_sm_75.sass", "mma_m8n8k4_f32_f16"): {f"HMMA.884.F32.F32.STEP{i}": 1 for i in range(4)},
    ("presets_sm_75.sass", "mma_m16n8k8_f32_f16"): {"HMMA.1688.F32": 1},
    **{(f"presets_{a}.sass", "mma_m8n8k4_f32_f16"): {"SHFL.IDX": 12, "HADD2.F32": 24, "FFMA": 32, "FADD": 8}
       for a in ("sm_80", "sm_90")},
    ("presets_sm_80.sass", "mma_m16n8k8_f32_f16"): {"HMMA.1688.F32": 1},
    ("presets_sm_80.sass", "mma_m16n8k4_f32_tf32"): {"HMMA.1684.F32.TF32": 1},
    **{(f"presets_{a}.sass", "mma_m16n8k16_f32_f16"): {"HMMA.16816.F32": 1}
       for a in ("sm_80", "sm_89", "sm_90", "sm_100", "sm_120")},
    **{(f"presets_{a}.sass", "mma_m16n8k16_f16_f16"): {"HMMA.16816.F16": 1}
       for a in ("sm_80", "sm_89", "sm_90", "sm_100")},
    **{(f"presets_{a}.sass", "mma_m16n8k16_f32_bf16"): {"HMMA.16816.F32.BF16": 1}
       for a in ("sm_80", "sm_89", "sm_90", "sm_100", "sm_120")},
    **{(f"presets_{a}.sass", "mma_m16n8k8_f32_tf32"): {"HMMA.1688.F32.TF32": 1}
       for a in ("sm_80", "sm_89", "sm_90", "sm_100", "sm_120")},
    **{(f"presets_{a}.sass", "mma_m16n8k16_f32_e4m3"): {"QMMA.16816.F32.E4M3.E4M3": 1} for a in ("sm_89", "sm_120")},
    **{(f"presets_{a}.sass", "mma_m16n8k16_f32_e4m3"): {"F2FP.F16.E4M3.UNPACK_B": 6, "HMMA.1688.F32": 2, "FADD": 4}
       for a in ("sm_90", "sm_100")},
    ("presets_sm_90a.sass", "wgmma_m64n8k16_f32_f16"): {"HGMMA.64x8x16.F32": 1},
    ("presets_sm_90a.sass", "wgmma_m64n8k16_f16_f16"): {"HGMMA.64x8x16.F16": 1},
    ("presets_sm_90a.sass", "wgmma_m64n8k16_f32_bf16"): {"HGMMA.64x8x16.F32.BF16": 1},
    ("presets_sm_90a.sass", "wgmma_m64n8k8_f32_tf32"): {"HGMMA.64x8x8.F32.TF32": 1},
    ("presets_sm_90a.sass", "wgmma_m64n8k32_f32_e4m3"): {"QGMMA.64x8x32.F32.E4M3.E4M3": 1},
    ("presets_sm_90a.sass", "wgmma_m64n8k32_f16_e4m3"): {"QGMMA.64x8x32.F16.E4M3.E4M3": 1},
    ("presets_sm_100a.sass", "tcgen05_kind_f16"): {"UTCHMMA": 1},
    ("presets_sm_100a.sass", "tcgen05_kind_tf32"): {"UTCHMMA": 1},
    ("presets_sm_100a.sass", "tcgen05_kind_f8f6f4"): {"UTCQMMA": 1},
    ("presets_sm_100a.sass", "tcgen05_kind_mxf8f6f4_block32"): {"UTCQMMA": 1},
    ("presets_sm_100a.sass", "tcgen05_kind_mxf4nvf4_block16"): {"UTCOMMA.4X": 1},
    ("presets_sm_100a.sass", "tcgen05_kind_mxf4nvf4_block32"): {"UTCOMMA": 1},
    ("presets_sm_100a.sass", "mma_m16n8k32_f32_f8f6f4_e4m3"): {"F2FP.F16.E4M3.UNPACK_B": 12, **_EMU32},
    ("presets_sm_120a.sass", "mma_m16n8k32_f32_f8f6f4_e4m3"): {"QMMA.16832.F32.E4M3.E4M3": 1},
    ("presets_sm_120a.sass", "mma_m16n8k32_f32_f8f6f4_e2m1"): {"QMMA.16832.F32.E2M1.E2M1": 1},
    ("presets_sm_120a.sass", "mma_m16n8k32_mxf8f6f4_ue8m0"): {"QMMA.SF.16832.F32.E4M3.E4M3.E8": 1},
    ("presets_sm_120a.sass", "mma_m16n8k64_mxf4nvf4_ue4m3"): {"OMMA.SF.16864.F32.E2M1.E2M1.UE4M3.4X": 1},
    ("presets_sm_120a.sass", "mma_m16n8k64_mxf4nvf4_ue8m0"): {"OMMA.SF.16864.F32.E2M1.E2M1.E8": 1},
}
#: fragments of the tools' refusal messages (presets_rejected.txt)
REJECTION_CLAIMS = {
    ("mma_m8n8k4_f32_f16", "sm_70"): "Unsupported gpu architecture 'sm_70'",
    ("wgmma_m64n8k32_f32_e4m3", "sm_90"): "not supported on .target 'sm_90'",
    ("wgmma_m64n8k32_f32_e4m3", "sm_100a"): "not supported on .target 'sm_100a'",
    ("mma_m16n8k32_f32_f8f6f4_e2m1", "sm_100a"): "FP6/FP4 floating point type' not supported on .target 'sm_100a'",
    ("mma_m16n8k32_mxf8f6f4_ue8m0", "sm_100a"): "'mma with block scale' not supported on .target 'sm_100a'",
    ("tcgen05_kind_f16", "sm_120a"): "'tcgen05.mma' not supported on .target 'sm_120a'",
}

_RELEVANT = re.compile(r"MMA|GMMA|UTC|^F2FP|^HADD2|^FADD|^FFMA|^SHFL")
_INSN = re.compile(r"^\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")


# ---- parsing ---------------------------------------------------------------------------------

def functions(text):
    """{function name: [instruction text without predicate]} of a cleaned or raw cuobjdump listing."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.search(r"Function : (\S+)", line)
        if m:
            cur = out.setdefault(m.group(1), [])
            continue
        m = _INSN.match(line)
        if m and cur is not None:
            ins = re.sub(r"^@!?U?P\w+\s+", "", m.group(2).strip())
            cur.append(re.sub(r"\s+", " ", ins))
    return out


def opcode(ins):
    return ins.split(" ", 1)[0]


def relevant_opcodes(insns):
    return Counter(o for o in map(opcode, insns) if _RELEVANT.search(o) and o != "HFMA2.MMA")


def _operands(ins):
    parts = ins.split(" ", 1)
    return [p.strip() for p in parts[1].split(",")] if len(parts) > 1 else []


def _reg(op):
    m = re.match(r"-?\|?(R\d+|RZ)", op)
    return m.group(1) if m else None


def _rn(r, i):
    return f"R{int(r[1:]) + i}"


def emulation_dataflow(insns, acc):
    """Check the two-HMMA lowering of one FP8 mma.sync: returns a list of violated statements."""
    problems, writer = [], {}
    hmmas = []
    for ins in insns:
        op, ops = opcode(ins), _operands(ins)
        if op.startswith("HMMA.16816"):
            d, a, b, c = (_reg(x) for x in ops[:4])
            srcs = [writer.get(_rn(a, i)) for i in range(4)] + [writer.get(_rn(b, i)) for i in range(2)]
            hmmas.append({"d": d, "c": c, "srcs": srcs})
        if op in ("HADD2", "FADD") and hmmas:
            hmmas[-1].setdefault("adds", []).append([_reg(x) for x in ops[1:3]])
        if ops and _reg(ops[0]):
            n = 4 if op.startswith("HMMA.16816.F32") else (2 if op.startswith("HMMA.16816.F16") else 1)
            for i in range(n):
                writer[_rn(_reg(ops[0]), i) if _reg(ops[0]) != "RZ" else "RZ"] = (op, ops[1] if len(ops) > 1 else "")
    if len(hmmas) != 2:
        return [f"expected 2 HMMA.16816, found {len(hmmas)}"]
    h1, h2 = hmmas
    if h1["c"] != "RZ":
        problems.append(f"first HMMA's C is {h1['c']}, not RZ (C = 0)")
    if h2["c"] != h1["d"]:
        problems.append(f"second HMMA's C {h2['c']} is not the first HMMA's D {h1['d']}")
    for name, h, want_h1 in (("first", h1, False), ("second", h2, True)):
        for s in h["srcs"]:
            if s is None or not s[0].startswith("F2FP.F16.") or s[1].endswith(".H1") != want_h1:
                problems.append(f"{name} HMMA operand not an F2FP unpack of the {'high' if want_h1 else 'low'} "
                                f"16 bits: {s}")
    d_regs = {_rn(h2["d"], i) for i in range(acc)}
    adds = h2.get("adds", [])
    if len(adds) != acc or not all(d_regs & set(a) for a in adds):
        problems.append(f"C is not added to the second HMMA's D by {acc} final adds: {adds}")
    return problems


# ---- the committed files ---------------------------------------------------------------------

def _read(name):
    return (SASS / name).read_text()


@pytest.mark.parametrize("key", sorted(CLAIMS), ids=lambda k: f"{k[0]}:{k[1]}")
def test_committed_sass_has_the_claimed_opcodes(key):
    fname, func = key
    funcs = functions(_read(fname))
    assert func in funcs, f"{func} missing from {fname}"
    assert relevant_opcodes(funcs[func]) == Counter(CLAIMS[key])


@pytest.mark.parametrize("arch", ["sm_90", "sm_100"])
@pytest.mark.parametrize("func,acc", [("fp16_e4m3", 2), ("fp16_e5m2", 2), ("fp32_e4m3", 4), ("fp32_e5m2", 4)])
def test_committed_emulation_dataflow(arch, func, acc):
    """HMMA #1 takes the low halves with C = RZ, HMMA #2 the high halves with C = HMMA #1's D, and
    C is added last (HADD2 per f16x2 register, FADD per f32 register)."""
    assert emulation_dataflow(functions(_read(f"k_{arch}.sass"))[func], acc) == []


def test_dataflow_check_can_fail():
    """The dataflow check rejects a lowering with C inside the first HMMA (not what ptxas emits)."""
    insns = functions(_read("k_sm_90.sass"))["fp16_e4m3"]
    i = next(j for j, s in enumerate(insns) if s.startswith("HMMA"))
    bad = insns[:i] + [insns[i].replace(", RZ", ", R2")] + insns[i + 1:]
    assert any("RZ" in p for p in emulation_dataflow(bad, 2))


def test_committed_rejections():
    text = _read("presets_rejected.txt")
    for (kern, arch), frag in REJECTION_CLAIMS.items():
        block = re.search(rf"^## {kern} {arch}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        assert block and frag in block.group(1), (kern, arch)


def test_readme_table_names_every_claim():
    """Every (kernel, arch) with its SASS opcode appears in README.md's table."""
    rows = [r for r in _read("README.md").splitlines() if r.startswith("|")]
    for (fname, func), ops in CLAIMS.items():
        if not fname.startswith("presets_"):
            continue
        arch = fname[len("presets_"):-len(".sass")]
        top = max(ops, key=lambda o: ("MMA" in o, ops[o]))
        assert any(f"`{func}`" in r and arch in r and top in r for r in rows), (func, arch, top)


# ---- recompiling -----------------------------------------------------------------------------

def _tools():
    """(nvcc, cuobjdump, env) or None; cuobjdump/nvdisasm also from the nvidia-cuda-* wheels."""
    env = dict(os.environ)
    try:
        import nvidia  # noqa: F401  (namespace package of the nvidia-cuda-cuobjdump/-nvdisasm wheels)
        for p in nvidia.__path__:
            for b in Path(p).glob("cu*/bin"):
                env["PATH"] = f"{b}{os.pathsep}{env['PATH']}"
    except ImportError:
        pass
    nvcc = shutil.which("nvcc", path=env["PATH"])
    cuobj = shutil.which("cuobjdump", path=env["PATH"])
    if not (nvcc and cuobj and shutil.which("nvdisasm", path=env["PATH"])):
        return None
    return nvcc, cuobj, env


def versions(tools):
    nvcc, cuobj, env = tools
    def v(*cmd):
        lines = subprocess.run(cmd, capture_output=True, text=True, env=env).stdout.strip().splitlines()
        return next((x.strip() for x in lines if "release" in x), lines[-1].strip())

    return {"nvcc": v(nvcc, "--version"), "ptxas": v("ptxas", "--version"), "cuobjdump": v(cuobj, "--version")}


def compile_sass(tools, src, arch, kernels=()):
    """Cleaned SASS listing, or ('rejected', message) when the tools refuse."""
    nvcc, cuobj, env = tools
    with tempfile.TemporaryDirectory() as tmp:
        cubin = os.path.join(tmp, "k.cubin")
        cmd = [nvcc, "-w", f"-arch={arch}", "-cubin", "-o", cubin, str(SASS / src)] + [f"-DK_{k}" for k in kernels]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode:
            msg = [re.sub(r"\S*tmpxft_\S*?\.ptx", "<ptx>", x.replace(str(SASS) + os.sep, "")).strip()
                   for x in (r.stdout + r.stderr).splitlines() if "error" in x or "fatal" in x]
            return ("rejected", "\n".join(msg))
        dump = subprocess.run([cuobj, "-sass", cubin], capture_output=True, text=True, env=env, check=True).stdout
    lines = []
    for line in dump.splitlines():
        if "Function :" in line or line.strip().startswith(".target"):
            lines.append(line.strip())
        m = _INSN.match(line)
        if m:
            ins = re.sub(r"\s+", " ", m.group(2))
            lines.append(f"/*{m.group(1)}*/ {ins} ;")
    return "\n".join(lines) + "\n"


def _header(tools, src, arch, kernels):
    v = versions(tools)
    ks = " ".join(f"-DK_{k}" for k in kernels)
    return (f"# nvcc -arch={arch} -cubin {src} {ks}".rstrip() + f" ; cuobjdump -sass (hex encodings removed)\n"
            f"# {v['nvcc']} | ptxas {v['ptxas']} | cuobjdump {v['cuobjdump']}\n")


def generate(tools):
    """{file name: text} of every committed SASS file."""
    jobs = [(f"k_{a}.sass", "k.cu", a, ()) for a in K_ARCHS]
    jobs += [(f"presets_{a}.sass", "presets.cu", a, ks) for a, ks in PRESET_UNITS.items()]
    with ThreadPoolExecutor(max_workers=2) as ex:
        res = list(ex.map(lambda j: compile_sass(tools, j[1], j[2], j[3]), jobs))
        rej = list(ex.map(lambda kv: compile_sass(tools, "presets.cu", kv[1], (kv[0],)), REJECTED))
    out = {}
    for (fname, src, arch, ks), text in zip(jobs, res):
        assert not isinstance(text, tuple), (fname, text)
        out[fname] = _header(tools, src, arch, ks) + text
    lines = ["# nvcc refusals (presets.cu, one kernel each); the tools' messages, paths removed"]
    for (kern, arch), r in zip(REJECTED, rej):
        assert isinstance(r, tuple), (kern, arch, "unexpectedly compiled")
        lines += [f"## {kern} {arch}", r[1]]
    out["presets_rejected.txt"] = "\n".join(lines) + "\n"
    return out


def _same_versions(tools):
    head = _read("k_sm_90.sass").splitlines()[1]
    v = versions(tools)
    return head == f"# {v['nvcc']} | ptxas {v['ptxas']} | cuobjdump {v['cuobjdump']}"


@pytest.fixture(scope="module")
def fresh():
    tools = _tools()
    if tools is None:
        pytest.skip("recompiling needs nvcc (CUDA 13) and cuobjdump + nvdisasm (pip install nvidia-cuda-cuobjdump "
                    "nvidia-cuda-nvdisasm) on PATH; the committed SASS is checked without them")
    return tools, generate(tools)


@pytest.mark.slow
def test_recompiled_sass_matches(fresh):
    tools, files = fresh
    if _same_versions(tools):
        for name, text in files.items():
            assert text == _read(name), f"{name} differs from a fresh compile with the recorded tool versions"
    else:  # other ptxas versions may schedule differently: the claims must still hold
        for (fname, func), ops in CLAIMS.items():
            assert relevant_opcodes(functions(files[fname])[func]) == Counter(ops), (fname, func)
        for a in ("sm_90", "sm_100"):
            for func, acc in (("fp16_e4m3", 2), ("fp32_e4m3", 4)):
                assert emulation_dataflow(functions(files[f"k_{a}.sass"])[func], acc) == []


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.accum.test_sass_evidence --write")
    tools = _tools()
    if tools is None:
        sys.exit("needs nvcc, cuobjdump and nvdisasm on PATH")
    for name, text in generate(tools).items():
        tmp = SASS / (name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, SASS / name)
        print("wrote", SASS / name)
