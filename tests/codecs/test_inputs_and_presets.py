"""Input handling, bad input, fast paths vs the generic path, and presets vs the peers'
measured behaviour (peers.md §3 divergence catalogue: ml_dtypes 0.7.0 / 0.6.0, torch 2.13.0, PTX)."""

import ml_dtypes
import numpy as np
import pytest

import fp8ref
from fp8ref import decode, encode, get_format
from fp8ref.codecs import _generic, codec_for
from fp8ref.core.unpack import as_source_array
from fp8ref.policy import Policy


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array([True]), np.array(["1.0"]), np.array([object()], dtype=object)])
def test_unsupported_inputs_raise_typeerror(bad):
    with pytest.raises(TypeError):
        encode(bad, "e4m3fn")


def test_shapes_scalars_lists_views_endianness():
    assert encode(1.0, "e4m3fn").shape == ()
    assert int(encode(1.0, "e4m3fn")) == 0x38
    assert encode([[1.0, 2.0]], "e4m3fn").tolist() == [[0x38, 0x40]]
    assert encode(np.zeros((0, 4), np.float32), "e5m2").shape == (0, 4)
    x = np.linspace(-500, 500, 101)
    assert np.array_equal(encode(x[::3], "e4m3fn"), encode(x[::3].copy(), "e4m3fn"))
    assert np.array_equal(encode(x.astype(">f8"), "e4m3fn"), encode(x, "e4m3fn"))
    assert np.array_equal(encode(x.astype(">f4"), "e4m3fn"), encode(x.astype(np.float32), "e4m3fn"))
    assert encode(np.array([3, -200, 1000], np.int64), "e4m3fn", overflow="sat_finite").tolist() == [0x44, 0xF4, 0x7E]  # -200 ties to even: -192
    assert encode(np.array([2**63 - 1], np.int64), "bf16").tolist() == [0x5F00]
    assert encode(np.array([255], np.uint8), "e5m2").tolist() == [0x5C]


def test_rbits_validation():
    x = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="rbits"):
        encode(x, "e4m3fn", rounding="stochastic")
    with pytest.raises(ValueError, match="shape"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="integer"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="srbits"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=np.zeros(4, np.uint8), srbits=0)
    with pytest.raises(ValueError, match=r"\[0, 2\^4\)"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=np.full(4, 16, np.uint8), srbits=4)
    with pytest.raises(ValueError, match="not a stochastic mode"):
        encode(x, "e4m3fn", rbits=np.zeros(4, np.uint8))


def test_policy_validation_names_valid_choices():
    with pytest.raises(ValueError, match="rne, rna"):
        encode(1.0, "e4m3fn", rounding="nearest")
    with pytest.raises(ValueError, match="sat_finite"):
        encode(1.0, "e4m3fn", overflow="saturate")
    with pytest.raises(ValueError, match="unknown preset"):
        encode(1.0, "e4m3fn", preset="tensorflow")
    with pytest.raises(ValueError, match="either policy"):
        encode(1.0, "e4m3fn", policy=Policy(), rounding="rtz")
    with pytest.raises(ValueError, match="no NaN"):
        encode(np.array([np.nan]), "e2m1fn")


@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "p3109_8p1", "e3m4", "bf16"])
@pytest.mark.parametrize("mode", ["rne", "rna", "rtz", "rup", "rdn", "rto"])
def test_table_paths_equal_generic_path(name, mode):
    fmt = get_format(name)
    rng = np.random.default_rng(7)
    pol = Policy(rounding=mode, nan_to="zero")
    for dt, bits in ((np.float32, np.uint32), (np.float64, np.uint64)):
        x = rng.integers(0, np.iinfo(bits).max, 20000, dtype=bits, endpoint=True).view(dt)
        arr, src = as_source_array(x)
        gc, gf = _generic(fmt, codec_for(fmt), pol, arr, src)
        c, f = encode(x, fmt, policy=pol, return_flags=True)
        assert np.array_equal(c, gc.astype(fmt.code_dtype)) and np.array_equal(f, gf)


@pytest.mark.parametrize("name, key_bits", [("fp16", 21), ("tf32", 22)])
@pytest.mark.parametrize("mode", ["rne", "rna", "rtz", "rup", "rdn", "rto"])
def test_wide_key_table_equals_generic_path(name, key_bits, mode):
    """float32 -> fp16 uses a 2^21-key table, tf32 (tininess 'after': one more bit, issue 15) a
    2^22-key one, once the input is large enough (>= 2^19, 2^20)."""
    from fp8ref.codecs import _key_table_pays, codec_for

    fmt = get_format(name)
    assert 2 + 8 + codec_for(fmt).key_lead_bits(fmt, -126, Policy(rounding=mode)) == key_bits
    rng = np.random.default_rng(8)
    n = 1 << (key_bits - 2)
    assert _key_table_pays(key_bits, n) and not _key_table_pays(key_bits, n - 1)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    near = (rng.integers(0x33000000, 0x47800000, n, dtype=np.uint64) | (rng.integers(0, 2, n, dtype=np.uint64) << 31))
    x = np.where(rng.integers(0, 4, n) == 0, bits, near.astype(np.uint32)).view(np.float32)  # 3/4 near fp16's range
    pol = Policy(rounding=mode)
    arr, src = as_source_array(x)
    gc, gf = _generic(fmt, codec_for(fmt), pol, arr, src)
    c, f = encode(x, fmt, policy=pol, return_flags=True)
    assert np.array_equal(c, gc.astype(fmt.code_dtype)) and np.array_equal(f, gf)
    if name == "fp16" and mode == "rne":  # and numpy's own cast (RNE, overflow to Inf, NaN kept)
        with np.errstate(over="ignore", invalid="ignore"):
            ref = x.astype(np.float16)
        ok = ~np.isnan(x)
        assert np.array_equal(c[ok], ref.view(np.uint16)[ok])


@pytest.mark.parametrize("preset", ["ml_dtypes", "ml_dtypes_0.6"])
def test_preset_ml_dtypes_divergences(preset):
    # peers.md §3, the same in ml_dtypes 0.6.0 and 0.7.0 (measured)
    x = np.array([465.0, np.inf, -np.nan], np.float32)
    assert encode(x, "e4m3fn", preset=preset).tolist() == [0x7F, 0x7F, 0xFF]
    assert encode(np.array([np.nan, -np.nan], np.float32), "e5m2", preset=preset).tolist() == [0x7E, 0xFE]
    assert encode(np.array([np.nan, -np.nan, np.inf]), "e2m1fn", preset=preset).tolist() == [0x8, 0x0, 0x7]


def test_every_preset_names_what_it_reproduces():
    for name, p in fp8ref.PRESETS.items():
        assert p.name == name and p.reproduces and p.source, name
        fp8ref.make_policy("e4m3fn", name)  # valid for every format
        fp8ref.make_policy("ue8m0", name)
    # the plain peer name follows the peer's newest measured release, older ones keep a version
    assert fp8ref.PRESETS["ml_dtypes"].reproduces == "ml_dtypes 0.7.0"
    assert fp8ref.PRESETS["ml_dtypes_0.6"].reproduces == "ml_dtypes 0.6.0"
    # 0.6's UE8M0 gap rule has a versioned name; the unversioned one is a deprecated alias that
    # says so (never a silent rename: tests/codecs/ue8m0 checks it means exactly ml_dtypes_0.6)
    with pytest.warns(DeprecationWarning, match="ml_dtypes_0.6"):
        encode(1.0, "ue8m0", below_range="ml_dtypes")


def test_docs_table_every_preset():
    """README's Presets bullet and docs/presets.md: one row per preset, its version as in PRESETS."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/presets.md"):
        text = (root / doc).read_text(encoding="utf-8")
        for name, p in fp8ref.PRESETS.items():
            assert f"| `{name}` | {p.reproduces} |" in text, (doc, name)


def test_preset_torch_divergences():
    # torch 2.13 (peers.md §3): E4M3FN saturates incl. Inf -> 448; E5M2 is non-saturating
    x = np.array([465.0, np.inf, -np.inf, 464.0], np.float32)
    assert encode(x, "e4m3fn", preset="torch").tolist() == [0x7E, 0x7E, 0xFE, 0x7E]
    assert encode(np.array([61440.0, np.inf]), "e5m2", preset="torch").tolist() == [0x7C, 0x7C]


def test_preset_ptx_satfinite():
    x = np.array([1e6, -np.inf, np.nan, 7.0])
    assert encode(x, "e2m1fn", preset="ptx_satfinite").tolist() == [0x7, 0xF, 0x7, 0x7]
    assert encode(x, "e4m3fn", preset="ptx_satfinite").tolist() == [0x7E, 0xFE, 0x7F, 0x4E]


def test_nan_modes():
    x = np.array([np.nan, -np.nan], np.float32)
    assert encode(x, "e5m2").tolist() == [0x7F, 0x7F]
    assert encode(x, "e5m2", nan="keep_sign").tolist() == [0x7F, 0xFF]
    assert encode(x, "e4m3fnuz", nan="keep_sign").tolist() == [0x80, 0x80]
    assert encode(x, "e2m3fn", nan_to="max").tolist() == [0x1F, 0x1F]
    assert encode(x, "e2m3fn", nan_to="zero").tolist() == [0, 0]


def test_quantize_dtype_follows_input():
    assert fp8ref.quantize(np.array([1.1]), "e4m3fn").dtype == np.float64
    assert fp8ref.quantize(np.array([1.1], np.float32), "e4m3fn").dtype == np.float32
    assert fp8ref.quantize(np.array([1.1], np.float32), "e4m3fn").tolist() == [1.125]
    assert decode(encode(np.array([1.0], ml_dtypes.bfloat16), "e5m2"), "e5m2").tolist() == [1.0]
