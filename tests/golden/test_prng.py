"""The project PRNG against a pure-Python SplitMix64, and sub-seed independence."""

import hashlib

import numpy as np
import pytest

from fp8ref import get_format
from fp8ref.golden import Selection, select
from fp8ref.golden.fields import FLOAT_TYPES
from fp8ref.golden import generators as G
from fp8ref.golden.prng import SplitMix64, stream, subseed
from fp8ref.golden.suites import Context

from .oracle import splitmix64


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**64 - 1, 0x9E3779B97F4A7C15])
def test_splitmix64_matches_python_reference(seed):
    got = SplitMix64(seed).next_u64(1000)
    assert got.dtype == np.uint64
    assert [int(v) for v in got] == splitmix64(seed, 1000)


def test_published_outputs_seed0():
    # the reference outputs quoted in docs/golden-vectors.md
    assert [int(v) for v in SplitMix64(0).next_u64(3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def test_stream_is_continuous_across_calls():
    a = SplitMix64(7)
    parts = np.concatenate([a.next_u64(3), a.next_u64(0), a.next_u64(10)])
    assert [int(v) for v in parts] == splitmix64(7, 13)


def test_bits_and_below_definitions():
    ref = splitmix64(99, 200)
    s = SplitMix64(99)
    assert [int(v) for v in s.bits(100, 5)] == [u >> 59 for u in ref[:100]]
    assert [int(v) for v in s.below(100, 1000)] == [((u >> 32) * 1000) >> 32 for u in ref[100:]]
    b = SplitMix64(3).below(5000, 7)
    assert b.min() >= 0 and b.max() <= 6 and len(set(b.tolist())) == 7


def test_bad_arguments():
    with pytest.raises(ValueError, match="bound"):
        SplitMix64(1).below(3, 0)
    with pytest.raises(ValueError, match="k must be"):
        SplitMix64(1).bits(3, 65)
    with pytest.raises(TypeError):
        SplitMix64(1.5)


def test_subseed_is_sha256_of_names():
    want = int.from_bytes(hashlib.sha256(b"fp8ref-golden/1|1|convert_f32|f32|e4m3fn|random").digest()[:8], "little")
    assert subseed(1, "convert_f32", "f32", "e4m3fn", "random") == want
    assert subseed(1, "a") != subseed(2, "a") != subseed(1, "b")
    assert [int(v) for v in stream(5, "x").next_u64(4)] == splitmix64(subseed(5, "x"), 4)


def test_random_block_depends_only_on_its_own_stream():
    """The random lines of a file are exactly the draws of SplitMix64(subseed(...)): other
    generators, files or suites (added, removed, reordered) cannot shift them."""
    sel = Selection(suites=("convert_f32",), only=("convert_f32/f32_to_e4m3fn.rne.ovf_inf.tafter",))
    (spec,), _ = select(sel)
    table, gens = spec.build(Context(1, 64))
    g = [x for x in gens if x["id"] == "random"][0]
    names = ("convert_f32", "f32", "e4m3fn", "random")
    assert g["subseed"] == f"0x{subseed(1, *names):016X}" and g["count"] == 64
    rnd = table["a"][g["first_line"] - 1 : g["first_line"] - 1 + g["count"]]
    stream(1, "convert_f32", "f32", "e5m2", "random").next_u64(1000)  # other streams drawn first
    again = G.testfloat_random(FLOAT_TYPES["float32"], get_format("e4m3fn"), 64, SplitMix64(subseed(1, *names)))
    assert np.array_equal(rnd, again)
    # and the same lines appear whatever else is selected
    (spec2,), _ = select(Selection(only=("convert_f32/f32_to_e4m3fn.rne.ovf_inf.tafter",)))
    assert np.array_equal(spec2.build(Context(1, 64))[0]["a"], table["a"])


def test_generators_of_one_file_use_distinct_streams():
    sel = Selection(suites=("convert_stochastic",))
    specs, _ = select(sel)
    _, gens = specs[0].build(Context(1, 32))
    streams = [g["stream"] for g in gens if "stream" in g]
    assert len(streams) == len(set(streams)) >= 2
