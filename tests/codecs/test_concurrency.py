"""The codecs work inside threads, forked workers and process pools (no parallel Numba in them)."""

import hashlib
import multiprocessing as mp
import threading

import numpy as np
import pytest

import fp8ref

N = 1 << 17  # above the size from which encode/decode take the fused Numba loops


def _data(seed):
    return np.random.default_rng(seed).standard_normal(N).astype(np.float32) * 100


def _encode_sum(seed):
    """Digest of encode then decode (both take the fused loops at this size)."""
    c = fp8ref.encode(_data(seed), "e4m3fn")
    return hashlib.sha256(c.tobytes() + fp8ref.decode(c, "e4m3fn").tobytes()).hexdigest()


def test_threads_encode_concurrently():
    want = {s: _encode_sum(s) for s in range(4)}
    got, errors = {}, []

    def work(s):
        try:
            for _ in range(5):
                got[s] = _encode_sum(s)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors and not any(t.is_alive() for t in ts)
    assert got == want


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="no fork on this platform")
def test_forked_workers_after_use_in_parent():
    want = [_encode_sum(s) for s in range(3)]  # the parent has run the fused loops
    with mp.get_context("fork").Pool(2) as pool:
        res = pool.map_async(_encode_sum, range(3))
        assert res.get(timeout=60) == want  # a deadlocked child would time out here
