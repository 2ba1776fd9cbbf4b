"""The Numba fast path for stochastic rounding, HiF8 ``hybrid`` and round-to-odd equals the
generic path, codes and flags: float16/bfloat16 exhaustively, float32/float64 on each format's
edge set (every value, midpoint, +-1/2 ulp, specials) plus random bit patterns, random bits of
every accepted width and dtype, each overflow and tininess rule; and equals gfloat (stochastic)
and the HR reference (hybrid) where those apply."""

import gfloat
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fp8ref import Policy, decode, encode, get_format
from fp8ref.codecs import _FUSED_MIN, _check_rbits, _generic, codec_for
from fp8ref.codecs._fast_modes import encode_fast
from fp8ref.core.unpack import as_source_array

from .tapered._ref import ref_hybrid
from .tapered.test_hif8 import f32_edges
from .edge_cases import edge_values
from ..oracles.shared import GF_ROUND, finite_values, gfloat_format

RULES = ["stochastic", "stochastic_fast", "stochastic_rne", "stochastic_rno"]
FORMATS = ["e4m3fn", "e5m2", "e2m1fn", "p3109_8p1", "e3m4", "e4m3fnuz", "bf16", "hif8"]
SOURCES = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32, "float64": np.float64}
# (srbits, rbits dtype, policy fields): every rule meets each width class, dtype and rule
VARIANTS = [
    (8, np.uint8, {}),
    (13, np.uint16, {"overflow": "sat_finite"}),
    (32, np.uint32, {"tininess": "before"}),
    (1, np.int64, {"overflow": "sat_finite", "tininess": "before"}),
]


def _inputs(fmt, dtype, seed):
    """Exhaustive for 16-bit sources; else the format's edge set and random bit patterns, at
    least 2^16 elements (the fast path's size)."""
    bits = np.dtype(dtype).itemsize * 8
    ut = {16: np.uint16, 32: np.uint32, 64: np.uint64}[bits]
    if bits == 16:
        return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(dtype)
    if fmt.kind == "tapered":
        edges = f32_edges().astype(dtype)
    else:
        edges = edge_values(fmt, dtype)
    rnd = np.random.default_rng(seed).integers(0, np.iinfo(ut).max, 1 << 16, dtype=ut, endpoint=True).view(dtype)
    return np.concatenate([edges, rnd])


def _check(fmt, x, pol, rbits=None, srbits=None, fast=True):
    """encode() (fast path at this size, unless not ``fast``) == the generic path, codes and flags."""
    arr, src = as_source_array(x)
    took = encode_fast(fmt, codec_for(fmt), pol, arr, src, rbits, srbits) is not None
    assert took == fast, "fast path taken" if took else "fast path not taken"
    r, n = _check_rbits(rbits, srbits, x.shape) if pol.is_stochastic else (None, 0)
    gc, gf = _generic(fmt, codec_for(fmt), pol, arr, src, r, n)
    c, f = encode(x, fmt, policy=pol, rbits=rbits, srbits=srbits, return_flags=True)
    bad = np.flatnonzero((c != gc.astype(fmt.code_dtype)) | (f != gf))
    assert bad.size == 0, (
        f"{fmt.name} {pol}: {bad.size} differ, x={x[bad[:3]]!r} r={None if rbits is None else rbits[bad[:3]]} "
        f"fast {c[bad[:3]]} {f[bad[:3]]} generic {gc[bad[:3]]} {gf[bad[:3]]}"
    )


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("name", FORMATS)
def test_stochastic_fast_path_equals_generic(name, source):
    fmt = get_format(name)
    x = _inputs(fmt, SOURCES[source], seed=len(name))
    rng = np.random.default_rng(7)
    for rule, (n, dt, fields) in zip(RULES, VARIANTS[len(name) % 4:] + VARIANTS[:len(name) % 4]):
        r = rng.integers(0, 1 << n, x.size, dtype=np.uint64).astype(dt)
        _check(fmt, x, Policy(rounding=rule, nan_to="zero", **fields), r, n if dt == np.int64 or n < 8 * np.dtype(dt).itemsize else None)


@pytest.mark.parametrize("source", ["float32", "float64"])
@pytest.mark.parametrize("fields", [{}, {"overflow": "sat_finite"}, {"tininess": "before"}])
def test_hybrid_fast_path_equals_generic(source, fields):
    fmt = get_format("hif8")
    x = _inputs(fmt, SOURCES[source], seed=3)
    if source == "float64":  # HR reads float32 significands
        x = x[np.isnan(x) | (x.astype(np.float32).astype(np.float64) == x)]
        x = np.concatenate([x, np.random.default_rng(5).standard_normal(1 << 16).astype(np.float32).astype(np.float64)])
    _check(fmt, x, Policy(rounding="hybrid", **fields))


def test_hybrid_fast_path_vs_reference():
    x = f32_edges()
    x = x[~np.isnan(x)]
    x = np.concatenate([x, np.random.default_rng(9).standard_normal(_FUSED_MIN).astype(np.float32) * 1e3])
    got = encode(x, "hif8", rounding="hybrid")
    sample = np.random.default_rng(10).choice(x.size, 6000, replace=False)
    sample = np.union1d(sample, np.arange(f32_edges().size - 2))
    assert got[sample].tolist() == [ref_hybrid(float(v)) for v in x[sample]]


def test_hybrid_float64_wide_significand_raises_as_generic():
    x = np.full(_FUSED_MIN, 17.0)
    x[-1] = 17.0 + 2.0**-30
    with pytest.raises(ValueError, match="24"):
        encode(x, "hif8", rounding="hybrid")
    x[-1] = 1.0 + 2.0**-30  # |e| < 4: TA reads it, no error: the generic path takes these
    _check(get_format("hif8"), x, Policy(rounding="hybrid"), fast=False)


@pytest.mark.parametrize("mode", RULES)
@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "p3109_8p4"])
def test_stochastic_fast_path_vs_gfloat(name, mode):
    """As test_encode_gfloat's stochastic test (grid values plus k/64 of the local spacing,
    where gfloat's float64 arithmetic is exact), repeated to the fast path's size."""
    fmt = get_format(name)
    vals = np.array([float(v) for v in finite_values(fmt)])
    x = (vals[:-1, None] + np.diff(vals)[:, None] * (np.arange(64) / 64.0)[None, :]).ravel()
    x = np.tile(x, -(-_FUSED_MIN // x.size))
    for nbits in (3, 16):
        r = (np.arange(x.size, dtype=np.int64) * 2654435761 + 12345) % (1 << nbits)
        ref = gfloat.round_ndarray(gfloat_format(fmt), x, GF_ROUND[mode], True, r, nbits)
        got = decode(encode(x, fmt, rounding=mode, overflow="sat_finite", rbits=r.astype(np.uint32), srbits=nbits), fmt, dtype=np.float64)
        assert np.array_equal(got, ref, equal_nan=True)


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("name", ["e4m3fn", "e5m2", "e2m1fn", "p3109_8p1", "hif8"])
def test_round_to_odd_numba_path_equals_generic(name, source):
    """rto is deterministic: float32/float64 take the key table in the Numba loop at this size,
    16-bit sources the full table."""
    fmt = get_format(name)
    x = _inputs(fmt, SOURCES[source], seed=11)
    pol = Policy(rounding="rto", nan_to="zero")
    arr, src = as_source_array(x)
    gc, gf = _generic(fmt, codec_for(fmt), pol, arr, src)
    c, f = encode(x, fmt, policy=pol, return_flags=True)
    assert np.array_equal(c, gc.astype(fmt.code_dtype)) and np.array_equal(f, gf)


def test_bad_rbits_raise_as_generic():
    x = np.ones(_FUSED_MIN, np.float32)
    r = np.zeros(_FUSED_MIN, np.int32)
    r[-1] = 256
    with pytest.raises(ValueError, match=r"\[0, 2\^8\)"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=r, srbits=8)
    r[-1] = -1
    with pytest.raises(ValueError, match=r"\[0, 2\^32\)"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=r, srbits=32)
    with pytest.raises(ValueError, match="shape"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=r[:-1])
    with pytest.raises(ValueError, match="srbits"):
        encode(x, "e4m3fn", rounding="stochastic", rbits=r.astype(np.uint64))
    x[-1] = np.nan
    with pytest.raises(ValueError, match="no NaN"):
        encode(x, "e2m1fn", rounding="stochastic", rbits=np.zeros(_FUSED_MIN, np.uint8))


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.uint32, st.integers(1, 64)), st.sampled_from(RULES), st.integers(1, 32),
    st.sampled_from(["e4m3fn", "e5m2", "e2m1fn", "hif8", "p3109_8p1"]), st.sampled_from(["ovf_inf", "sat_finite"]),
    st.sampled_from(["after", "before"]), st.integers(0, 2**32 - 1),
)
def test_hypothesis_stochastic_fast_equals_generic(pats, rule, n, name, overflow, tininess, seed):
    """Random float32 inputs (any bit pattern) and random bits, repeated to the fast path's size
    with fresh bits for every copy."""
    fmt = get_format(name)
    x = np.tile(pats.view(np.float32), -(-_FUSED_MIN // pats.size))
    r = np.random.default_rng(seed).integers(0, 1 << n, x.size, dtype=np.uint64).astype(np.uint32)
    _check(fmt, x, Policy(rounding=rule, overflow=overflow, tininess=tininess, nan_to="zero"), r, n)


def test_fast_path_in_threads():
    """Serial Numba loops: concurrent calls give the single-thread result."""
    import threading

    x = np.random.default_rng(1).standard_normal(1 << 17).astype(np.float32) * 100
    r = np.random.default_rng(2).integers(0, 1 << 32, x.size, dtype=np.uint64).astype(np.uint32)
    want = encode(x, "e4m3fn", rounding="stochastic_rne", rbits=r), encode(x, "hif8", rounding="hybrid")
    got, errors = [], []

    def work():
        try:
            for _ in range(3):
                got.append((encode(x, "e4m3fn", rounding="stochastic_rne", rbits=r), encode(x, "hif8", rounding="hybrid")))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors and len(got) == 9
    assert all(np.array_equal(a, want[0]) and np.array_equal(b, want[1]) for a, b in got)



@pytest.mark.parametrize("fields", [{"ftz": True}, {"daz": True}, {"ftz": True, "daz": True}])
@pytest.mark.parametrize("rule", ["stochastic", "hybrid"])
def test_conventions_take_the_generic_rules(rule, fields):
    """ftz/daz (codecs/conventions.py) hold for stochastic and hybrid rounding at fast-path
    sizes: encode() equals the generic path, which applies them (the fast loops step aside)."""
    name, dtype = ("hif8", np.float32) if rule == "hybrid" else ("e4m3fn", np.float32)
    fmt = get_format(name)
    if rule == "hybrid" and "ftz" in fields:
        pytest.skip("ftz is defined for IEEE-like formats only (HiF8 refuses it)")
    rng = np.random.default_rng(19)
    tiny = (rng.standard_normal(1 << 16) * 2.0**-8).astype(dtype)  # around e4m3fn's subnormals
    sub = rng.integers(1, 1 << 23, 1 << 12, dtype=np.uint32).view(np.float32).astype(dtype)  # f32 subnormals
    x = np.concatenate([tiny, sub])
    pol = Policy(rounding=rule, **fields)
    r = rng.integers(0, 1 << 32, x.size, dtype=np.uint64).astype(np.uint32) if pol.is_stochastic else None
    arr, src = as_source_array(x)
    rr, n = _check_rbits(r, None, x.shape) if pol.is_stochastic else (None, 0)
    gc, gf = _generic(fmt, codec_for(fmt), pol, arr, src, rr, n)
    c, f = encode(x, fmt, policy=pol, rbits=r, return_flags=True)
    assert np.array_equal(c, gc.astype(fmt.code_dtype)) and np.array_equal(f, gf)
    if "daz" in fields:  # the float32 subnormals read as zero: zero codes, no flags
        assert not c[tiny.size:].any() or fmt.has_negative_zero and not (c[tiny.size:] & 0x7F).any()
        assert not f[tiny.size:].any()
