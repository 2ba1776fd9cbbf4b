"""Sweeps on a real Dask cluster: a scheduler and two workers started here as separate processes
on 127.0.0.1 (random free ports), one worker killed (SIGKILL) while it holds chunks of a sweep.
The sweep finishes with the digests of a local run: the lost chunks were recomputed.

Every process runs in its own session and is killed at the end; each step has a hard timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("distributed", reason="dask extra not installed: pip install -e '.[dask]'")

from fp8ref import sweep as S  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT = 90  # s: scheduler and workers up (imports take a while on a loaded machine)
SWEEP_TIMEOUT = 240  # s: the whole sweep


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds):
    """Raise _Timeout in this (the main) thread if the block runs longer than ``seconds``."""
    def fire(signum, frame):
        raise _Timeout(f"no result within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _client(sf):
    """A client of the test cluster, once both workers are up."""
    from distributed import Client

    with _deadline(START_TIMEOUT):
        client = Client(scheduler_file=sf, timeout="60s")
        client.wait_for_workers(2, timeout=START_TIMEOUT)
    return client


def _spawn(args, log):
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture
def cluster(tmp_path):
    """(scheduler file, worker processes): a scheduler and two single-threaded workers
    (no nanny, so a killed worker stays dead)."""
    sf = str(tmp_path / "scheduler.json")
    log = open(tmp_path / "cluster.log", "wb")
    procs = [_spawn(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", sf],
                    log)]
    try:
        t0 = time.monotonic()
        while not os.path.isfile(sf):
            if time.monotonic() - t0 > START_TIMEOUT or procs[0].poll() is not None:
                pytest.fail("dask scheduler did not start: " + (tmp_path / "cluster.log").read_text()[-2000:])
            time.sleep(0.2)
        for name in ("wA", "wB"):
            procs.append(_spawn(["worker", "--scheduler-file", sf, "--nthreads", "1", "--no-nanny",
                                 "--host", "127.0.0.1", "--no-dashboard", "--name", name], log))
        yield sf, procs
    finally:
        _stop(procs)
        log.close()


def test_worker_killed_mid_sweep_keeps_the_digests(cluster):
    sf, procs = cluster
    # HiF8 'hybrid' takes the generic path: about 0.1-0.5 s per 2^20-input chunk, so the kill
    # lands while both workers hold running tasks or unfetched results
    spec = S.Sweep.of("hif8", rounding="hybrid", chunk_bits=20)
    lo, hi = 0x3F000000, 0x3F000000 + 12 * (1 << 20)
    want = S.sweep_range(spec, lo, hi, jobs=1)
    killed = {}
    client = _client(sf)
    try:
        pids = client.run(os.getpid)  # worker address -> process id

        def kill_one(done, total):
            if done != 1 or killed:
                return
            busy = {a: len(t) for a, t in client.processing().items()}
            held = {a: len(k) for a, k in client.has_what().items()}
            addr = max(pids, key=lambda a: busy.get(a, 0) + held.get(a, 0))
            killed.update(addr=addr, pid=pids[addr], busy=busy.get(addr, 0), held=held.get(addr, 0))
            os.kill(pids[addr], signal.SIGKILL)

        with _deadline(SWEEP_TIMEOUT):
            got = S.sweep_range(spec, lo, hi, scheduler=client, progress=kill_one)
        print(f"killed worker {killed} after 1 of 12 chunks; digests equal the local run's: {got == want}")
        assert killed and killed["busy"] + killed["held"] >= 1, killed  # it had work when it died
        assert killed["pid"] in [p.pid for p in procs[1:]]
        assert [p.pid for p in procs[1:] if p.poll() is not None] == [killed["pid"]]
        assert got == want
        assert len(client.scheduler_info()["workers"]) == 1  # the survivor did the rest
    finally:
        client.close()


def test_the_same_digests_on_the_cluster_and_a_local_cluster(cluster):
    """Two workers on the external cluster, and scheduler='local', give the local run's digests."""
    sf, _ = cluster
    spec = S.Sweep.of("e5m2", overflow="sat_finite", chunk_bits=18)
    lo, hi = 0x37000000, 0x37000000 + 8 * (1 << 18)
    want = S.sweep_range(spec, lo, hi, jobs=1)
    client = _client(sf)
    try:
        with _deadline(SWEEP_TIMEOUT):
            assert S.sweep_range(spec, lo, hi, scheduler=client) == want
            assert S.sweep_range(spec, lo, hi, jobs=2, scheduler="local") == want
    finally:
        client.close()
