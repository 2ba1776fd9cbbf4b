"""fp8ref.cocotb without a simulator: bus packing against bit arithmetic written here, block
buses against the tensors' own codes and scales, the scoreboard against ml_dtypes / gfloat and
against ``fp8ref golden check`` (same verdicts, same decoded table), the live models against
every committed conversion, decode and MX file, and the driver's refusal of a tampered file."""

import asyncio
import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fp8ref
from fp8ref import cocotb as fc
from fp8ref.golden import check
from fp8ref.golden.verify import load_vectors, mismatch_table

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GV = os.path.join(ROOT, "golden_vectors")
F32_SAT = os.path.join(GV, "convert_f32", "f32_to_e4m3fn.rne.sat_finite.tafter.tv")


def test_importing_does_not_import_cocotb():
    code = ("import sys, fp8ref; assert 'fp8ref.cocotb' not in sys.modules; "
            "import fp8ref.cocotb; assert 'cocotb' not in sys.modules, 'cocotb imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": ROOT})
    assert r.returncode == 0, r.stderr


# ---- lanes ------------------------------------------------------------------------------------
def _reference_bus(codes, bits):
    return sum(int(c) << (bits * i) for i, c in enumerate(codes))


@pytest.mark.parametrize("bits", [4, 6, 8, 16, 32, 64])
def test_lanes_are_lsb_first(bits):
    rng = np.random.default_rng(bits)
    for count in (1, 2, 3, 4, 5, 7, 16, 32, 33, 128):
        codes = rng.integers(0, 1 << bits, count, dtype=np.uint64)
        v = fc.pack_lanes(codes, bits)
        assert v == _reference_bus(codes, bits)
        back = fc.unpack_lanes(v, bits, count)
        assert back.dtype.itemsize * 8 == max(8, bits) and np.array_equal(back.astype(np.uint64), codes)


def test_fp4_lanes_follow_the_ptx_pair_order():
    # cvt.rn.satfinite.e2m1x2.f32 d, a, b: b (element 0) in the low nibble -- the packing rule
    assert fc.pack_lanes([0x3, 0xC], 4) == 0xC3
    assert fc.pack_lanes(fp8ref.blocks.packing.unpack(np.array([0xC3, 0x5A], np.uint8), 4), 4) == 0x5AC3


def test_lane_errors():
    with pytest.raises(ValueError, match="0..15"):
        fc.pack_lanes([16], 4)
    with pytest.raises(ValueError, match="0..65535"):
        fc.pack_lanes([1 << 16], 16)
    with pytest.raises(ValueError, match="does not fit in 2 lanes of 6 bits"):
        fc.unpack_lanes(1 << 12, 6, 2)
    with pytest.raises(ValueError, match="bits must be"):
        fc.unpack_lanes(1, 5, 2)


def test_the_documented_examples():  # docs/hardware-verification.md section 3
    codes = np.arange(32) % 16
    assert fc.pack_lanes(codes, 4).bit_length() <= 128 and fc.unpack_lanes(fc.pack_lanes(codes, 6), 6, 32).tolist() == codes.tolist()
    words = fc.block_words(fp8ref.mx.quantize(np.linspace(-4, 4, 64, dtype=np.float32), "e4m3fn"))
    assert len(words) == 2 and fc.mx_bus("e4m3fn").width == 264
    c, s = fc.mx_bus("e4m3fn").unpack(words[0])
    assert s == words[0] >> 256 and c.tolist() == [(words[0] >> (8 * i)) & 0xFF for i in range(32)]


# ---- block buses --------------------------------------------------------------------------------
def _reference_block(codes, scale, bits):
    return _reference_bus(codes, bits) | int(scale) << (len(codes) * bits)


@pytest.mark.parametrize("elem", ["e4m3fn", "e2m1fn", "e3m2fn", "int8"])
def test_mx_block_words(elem):
    x = np.random.default_rng(1).standard_normal((3, 70)).astype(np.float32) * 100
    t = fp8ref.mx.quantize(x, elem, pad=True)
    words = fc.block_words(t)
    bits = fp8ref.blocks.element(elem).bits
    bus = fc.mx_bus(elem)
    assert bus.width == 32 * bits + 8 and len(words) == 9
    codes, scales = t.block_codes().reshape(-1, 32), t.block_scales().reshape(-1)
    for w, c, s in zip(words, codes, scales):
        assert w == _reference_block(c, s, bits)
        c2, s2 = bus.unpack(w)
        assert np.array_equal(c2, c) and s2 == s
    # the padded tail of each row's last block holds code 0
    assert np.all(codes[2::3, 70 - 64:] == 0)


def test_nvfp4_block_words():
    x = np.random.default_rng(2).standard_normal((2, 40)).astype(np.float32)
    t = fp8ref.nvfp4.quantize(x, pad=True)
    words = fc.block_words(t)
    assert len(words) == 6 and fc.NVFP4_BUS.width == 72
    for i, w in enumerate(words):
        r, j = divmod(i, 3)
        c = np.zeros(16, np.uint8)
        seg = t.codes[r, 16 * j:16 * (j + 1)]
        c[:seg.size] = seg
        assert w == _reference_block(c, t.block_scales[r, j], 4)


@pytest.mark.parametrize("scale_fmt", ["ue8m0", "fp32"])
def test_deepseek_tile_words(scale_fmt):
    x = np.random.default_rng(3).standard_normal((3, 200)).astype(np.float32)
    t = fp8ref.deepseek.quantize(x, scale_fmt=scale_fmt)
    words = fc.block_words(t)
    bus = fc.deepseek_bus(scale_fmt)
    assert len(words) == 6 and bus.width == 128 * 8 + (8 if scale_fmt == "ue8m0" else 32)
    for i, w in enumerate(words):
        r, j = divmod(i, 2)
        c = np.zeros(128, np.uint8)
        seg = t.codes[r, 128 * j:128 * (j + 1)]
        c[:seg.size] = seg
        s = t.scales[r, j].view(np.uint32)
        assert w == _reference_block(c, s >> 23 if scale_fmt == "ue8m0" else s, 8)
    # 128x128 weight tiles: the tile's codes row-major
    t2 = fp8ref.deepseek.quantize(np.random.default_rng(4).standard_normal((130, 128)).astype(np.float32),
                                  tile="per_block")
    w2 = fc.block_words(t2)
    assert len(w2) == 2
    codes, scale = fc.deepseek_bus("ue8m0", tile=(128, 128)).unpack(w2[1])
    assert np.array_equal(codes[:256], t2.codes[128:].reshape(-1)) and not codes[256:].any()
    assert scale == t2.scale_bytes[1, 0]


# ---- the scoreboard ----------------------------------------------------------------------------
def test_scoreboard_agrees_with_ml_dtypes_on_every_bf16_input():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bits = np.arange(1 << 16, dtype=np.uint16)
    for fmt, dt in (("e4m3fn", ml_dtypes.float8_e4m3fn), ("e5m2", ml_dtypes.float8_e5m2)):
        ref = bits.view(ml_dtypes.bfloat16).astype(dt).view(np.uint8)  # the DUT: ml_dtypes' casts
        sb = fc.Scoreboard.convert("bfloat16", fmt, preset="ml_dtypes", batch=8192)
        for a, z in zip(bits, ref):
            sb.add(int(a), int(z))  # no flags from this DUT: not compared
        assert sb.finish().startswith(f"scoreboard bfloat16 -> {fmt}: all 65536 transactions match (results; NaN exact)")


def test_scoreboard_counts_reports_and_fails():
    sb = fc.Scoreboard.convert("float32", "e4m3fn", overflow="sat_finite", batch=3, log=None)
    x = np.array([1.0, 1.0625, 500.0, np.nan, 1e-9, -3.3, 0.0], np.float32)
    z, f = fp8ref.encode(x, "e4m3fn", overflow="sat_finite", return_flags=True)
    for i, (a, c, fl) in enumerate(zip(x.view(np.uint32), z, f)):
        c, fl = int(c), int(fl)
        if i == 2:
            c ^= 1  # 7E -> 7F: NaN instead of 448
        if i == 4:
            fl = fc.X
        if i == 6:
            c = fc.X
        sb.add(int(a), c, fl)
    assert sb.summary() == {"name": "float32 -> e4m3fn", "transactions": 7, "passed": 4, "failed": 3}
    with pytest.raises(AssertionError) as e:
        sb.finish()
    text = str(e.value)
    assert text.startswith("scoreboard float32 -> e4m3fn: 3 of 7 transactions mismatch (4 pass); first 3:")
    assert "43FA0000 (500.0)" in text and "7E (448.0) 05 (NX|OF)" in text and "7F (nan)" in text
    assert "-UF" not in text and " X " in text
    with pytest.raises(RuntimeError, match="already finished"):
        sb.add(0, 0, 0)
    with pytest.raises(AssertionError, match="no transactions"):
        fc.Scoreboard.decode("e4m3fn").finish()


def test_scoreboard_reads_cocotb_values():
    types = pytest.importorskip("cocotb.types")
    sb = fc.Scoreboard.decode("e4m3fn")
    sb.add(0x38, types.LogicArray.from_unsigned(0x3F800000, 32))
    sb.add(0x39, types.LogicArray("X" * 32))
    assert (sb.passed, sb.failed) == (1, 1)
    assert "X" in sb.rows[0][3] and sb.rows[0][0] == 2


def test_scoreboard_inputs_by_field_and_errors():
    sb = fc.Scoreboard.mx_scale("e4m3fn")
    row = np.full(32, np.float32(3.0).view(np.uint32), dtype=np.uint64)
    sb.add({"x": row}, {"scale": 127 + 1 - 8})  # amax 3: floor(log2) 1, minus emax 8
    assert sb.failed == 0 and sb.passed == 1
    with pytest.raises(ValueError, match="31 values where the transaction has 32"):
        sb.add(row[:31], 0)
    with pytest.raises(ValueError, match="unknown field"):
        sb.add({"x": row, "y": 1}, 0)
    with pytest.raises(ValueError, match="X/Z bits in a stimulus"):
        sb.add([fc.X] * 32, 0)


def test_scoreboard_mx_scale_agrees_with_gfloat():
    gf = pytest.importorskip("gfloat")
    from gfloat import formats as gff

    from fp8ref.golden import generators
    from fp8ref.golden.prng import SplitMix64

    rng = SplitMix64(5)
    blocks = np.concatenate([generators.amax_edge_blocks(fp8ref.get_format("e5m2"), 32, rng),
                             generators.random_blocks(200, 32, rng, spread=(-96, 126))])
    sb = fc.Scoreboard.mx_scale("e5m2")
    for b in blocks:
        s = gf.compute_scale_amax(gff.format_info_ocp_e5m2.emax, b.astype(np.uint32).view(np.float32).astype(np.float64))
        sb.add(b, int(np.log2(s)) + 127 if s > 0 else 0)
    assert sb.finish().endswith("(results; NaN exact)")


def test_policy_reaches_encode_unchanged():
    pol = fp8ref.Policy(rounding="rtz", overflow="sat_propagate", nan="keep_sign", tininess="before")
    sb = fc.Scoreboard.convert("float32", "e5m2", policy=pol)
    assert sb.policy is pol
    assert fc.Scoreboard.convert("float32", "e4m3fn", preset="torch").policy == fp8ref.make_policy("e4m3fn", "torch")
    with pytest.raises(TypeError, match="unknown policy field"):
        fc.Scoreboard.convert("float32", "e4m3fn", bogus="x")
    with pytest.raises(ValueError, match="either policy"):
        fc.Scoreboard.convert("float32", "e4m3fn", policy=pol, rounding="rne")


# ---- the same table as golden check ---------------------------------------------------------------
def test_scoreboard_table_is_golden_checks(tmp_path):
    meta, rows, _ = load_vectors(F32_SAT)
    dut = [list(r) for _, r, _ in rows]
    dut[10][1] ^= 0x01  # result
    dut[2600][2] ^= 0x02  # flags
    dut[3000][1] = 0x7F  # NaN instead of a number
    out = tmp_path / "dut.tv"
    out.write_text("".join(f"{a:08X} {z:02X} {f:02X}\n" for a, z, f in dut))
    rep = check(F32_SAT, str(out), check_nans=True)
    assert not rep.ok and rep.mismatches == 3
    table_cli = rep.text().split("\n", 1)[1]
    for live in (False, True):
        sb = fc.Scoreboard.for_vectors(meta, live=live)
        for (no, exp, _), d in zip(rows, dut):
            sb.add(d[0], d[1], d[2], expected=None if live else exp[1:], number=no)
        assert sb.failed == 3
        assert mismatch_table(sb.rows) == table_cli  # the same rows, rendered by the same code
        assert sb.report().endswith(mismatch_table(sb.rows, "transaction"))


# ---- the live models reproduce every committed file they cover -----------------------------------
def _files():
    out = []
    for side in sorted(glob.glob(os.path.join(GV, "*", "*.json"))):
        with open(side) as f:
            meta = json.load(f)
        if meta.get("schema", "").startswith("fp8ref-vectors/") and fc.model_for(meta) is not None:
            out.append(os.path.relpath(side, GV)[:-5])
    return out


def test_live_models_cover_the_committed_files():
    files = _files()
    kinds = {f.split("/")[0] for f in files}
    assert {"convert_f32", "convert_f64", "convert_bf16", "decode", "mx", "ue8m0", "hif8", "posit8"} <= kinds
    assert len(files) >= 130


@pytest.mark.parametrize("stem", _files())
def test_live_model_reproduces_the_file(stem):
    meta, rows, _ = load_vectors(os.path.join(GV, stem + ".tv"))
    n_in = sum(f.get("count", 1) for f in meta["fields"] if f["role"] == "input")
    data = np.array([r for _, r, _ in rows], dtype=np.uint64)
    live = fc.model_for(meta)(data[:, :n_in])
    assert np.array_equal(live, data[:, n_in:])


# ---- the driver refuses files their sidecar does not vouch for --------------------------------
def test_driver_refuses_a_tampered_file(tmp_path):
    pytest.importorskip("cocotb")
    for ext in ("tv", "json"):
        shutil.copy(F32_SAT[:-2] + ext, tmp_path / f"v.{ext}")
    side = json.loads((tmp_path / "v.json").read_text())
    side["files"]["tv"]["file"] = "v.tv"
    (tmp_path / "v.json").write_text(json.dumps(side))
    with open(tmp_path / "v.tv", "r+") as f:
        text = f.read()
        f.seek(0)
        f.write(text.replace("7F800000 7E 00", "7F800000 7F 00", 1))
    with pytest.raises(ValueError, match="SHA-256 differs"):
        asyncio.run(fc.drive_vectors(str(tmp_path / "v.tv"), {}, {}))
