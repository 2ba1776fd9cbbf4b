"""Exhaustive sweeps: every input of a source type through one format and policy, hashed.

The inputs are every bit pattern of the source type in ascending order (float32: 0x00000000 ..
0xFFFFFFFF; float16 / bfloat16: 0x0000 .. 0xFFFF). Two streams are hashed with SHA-256, whole
and per chunk of ``2^chunk_bits`` inputs (float32: 2^24, so 256 chunks; 16-bit sources: 2^12):

* the code stream: one byte per input for formats of at most 8 bits, little-endian uint16 up
  to 16 bits, little-endian uint32 above (tf32);
* the flag stream: one byte per input (inexact 0x01, underflow 0x02, overflow 0x04, invalid
  0x10; TestFloat order).

These are the definitions of fp8ref 0.1's ``float32_digests.json``, so its entries stay valid.
A hardware team dumps its converter's outputs in the same order and compares one hash; the
chunk digests localise a mismatch.

The codes come from the codecs' own tables: for float32 the key table that ``encode`` uses
(``codecs._key_table``: one entry per sign, exponent, leading significand bits and sticky bit),
for 16-bit sources the full table of every input. A chunk whose key range maps to one code and
one flag byte is constant and never materialised; other chunks run the codecs' key-and-lookup
loop (``codecs._gather.key_gather``) into reused buffers, without holding the GIL. Formats and
policies without a key table (HiF8 ``hybrid``) go through ``encode`` chunk by chunk.

Chunks run in parallel (``jobs`` threads, or the workers of a Dask cluster with
``scheduler=``); the whole-stream hashes are fed strictly in input order by two hashing threads
(codes, flags), so the digests never depend on the scheduler, the worker count or the order in
which chunks finish. A Dask worker that dies mid-sweep loses only its unfinished chunks, which
the scheduler recomputes.
"""

from __future__ import annotations

import collections
import hashlib
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from .codecs import codec_for, encode
from .codecs import _full_table, _key_table, _MAX_KEY_BITS  # the tables encode itself uses
from .codecs._gather import key_gather
from .codecs import resolve_policy
from .core.floats import FLOAT_TYPES
from .core.unpack import Source
from .formats import get_format
from .policy import Policy

if TYPE_CHECKING:
    from . import _dask

__all__ = ["SOURCES", "Sweep", "sweep", "sweep_range", "sweep_policy", "source_name", "progress_bar"]

#: source name -> (numpy dtype name of the bit patterns, bits, default chunk_bits)
SOURCES = {"float32": ("uint32", 32, 24), "float16": ("uint16", 16, 12), "bfloat16": ("uint16", 16, 12)}
_SOURCE_ALIASES = {"f32": "float32", "fp32": "float32", "binary32": "float32",
                   "f16": "float16", "fp16": "float16", "half": "float16", "binary16": "float16",
                   "bf16": "bfloat16"}
_SRC = {name: Source("float", FLOAT_TYPES[name].bits, FLOAT_TYPES[name]) for name in SOURCES}
_BLOCK = 1 << 14  # inputs per pass of the gather loop (its key scratch stays in L1/L2)


def source_name(source) -> str:
    """``float32`` / ``float16`` / ``bfloat16`` for a source name or alias (f32, f16, bf16)."""
    s = str(source).lower()
    s = _SOURCE_ALIASES.get(s, s)
    if s not in SOURCES:
        raise ValueError(f"unknown sweep source {source!r}; valid: float32 (f32), float16 (f16), bfloat16 (bf16)")
    return s


def sweep_policy(fmt, rounding=None, overflow=None, tininess=None) -> Policy:
    """The policy of a sweep entry: ``encode``'s defaults for ``fmt`` (its own default
    rounding, e.g. HiF8's TA) with the given fields, and NaN inputs of formats without NaN
    encoded as +max (``nan_to="max"``) so that every input has a result."""
    fmt = get_format(fmt)
    extra = {} if getattr(fmt, "has_nan", True) else {"nan_to": "max"}
    pol = resolve_policy(fmt, rounding=rounding, overflow=overflow, tininess=tininess, **extra)
    _check_policy(fmt, pol)
    return pol


def _check_policy(fmt, pol):
    if pol.is_stochastic:
        raise ValueError(f"rounding {pol.rounding!r} needs random bits: a sweep takes deterministic modes only")
    if pol.below_range == "error" or (pol.nan_to == "error" and not getattr(fmt, "has_nan", True)):
        raise ValueError("a sweep covers every input: below_range='error' / nan_to='error' would stop at the "
                         "first input without a value")
    encode(np.zeros(1, np.float32), fmt, policy=pol)  # a rounding the codec does not define raises here


@dataclass(frozen=True)
class Sweep:
    """One sweep: a format, a policy and a source type (its chunking included)."""

    fmt: str
    policy: Policy
    source: str = "float32"
    chunk_bits: int | None = None

    def __post_init__(self):
        fmt = get_format(self.fmt)
        object.__setattr__(self, "fmt", fmt.name)
        object.__setattr__(self, "source", source_name(self.source))
        bits = SOURCES[self.source][1]
        cb = SOURCES[self.source][2] if self.chunk_bits is None else self.chunk_bits
        if not isinstance(cb, int) or isinstance(cb, bool) or not 0 <= cb <= bits:
            raise ValueError(f"chunk_bits must be an integer in 0..{bits}, got {cb!r}")
        object.__setattr__(self, "chunk_bits", cb)
        if not isinstance(self.policy, Policy):
            raise TypeError("policy must be an fp8ref.Policy")
        _check_policy(fmt, self.policy)

    @classmethod
    def of(cls, fmt, *, rounding=None, overflow=None, tininess=None, source="float32", chunk_bits=None):
        return cls(get_format(fmt).name, sweep_policy(fmt, rounding, overflow, tininess), source, chunk_bits)

    @property
    def key(self) -> str:
        """``<format>.<rounding>.<overflow>.t<tininess>`` (the entry name of float32_digests.json)."""
        p = self.policy
        return f"{self.fmt}.{p.rounding}.{p.overflow}.t{p.tininess}"

    @property
    def num_inputs(self) -> int:
        return 1 << SOURCES[self.source][1]

    @property
    def chunk(self) -> int:
        return 1 << int(self.chunk_bits or 0)  # (always an int after __post_init__)

    @property
    def num_chunks(self) -> int:
        return self.num_inputs // self.chunk

    @property
    def code_dtype(self) -> np.dtype:
        """The code stream's element type: u1, <u2 or <u4."""
        bits = get_format(self.fmt).bits
        return np.dtype("u1" if bits <= 8 else "<u2" if bits <= 16 else "<u4")


# ---- one chunk --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Const:
    """A chunk stream that is one value repeated (``count`` elements of ``dtype``)."""

    value: int
    dtype: str
    count: int

    def array(self):
        return _const_array(self.value, self.dtype, self.count)


@lru_cache(maxsize=16)
def _const_array(value, dtype, count):
    a = np.full(count, value, dtype=np.dtype(dtype))
    a.setflags(write=False)
    return a


@lru_cache(maxsize=64)
def _const_sha(value, dtype, count):
    return hashlib.sha256(_const_array(value, dtype, count)).hexdigest()


def _sha(payload) -> str:
    if isinstance(payload, Const):
        return _const_sha(payload.value, payload.dtype, payload.count)
    return hashlib.sha256(payload).hexdigest()


def _view(payload):
    return payload.array() if isinstance(payload, Const) else payload


@dataclass
class ChunkResult:
    """The digests of one chunk and its two streams (arrays, or Const)."""

    codes_sha256: str
    flags_sha256: str
    codes: object
    flags: object
    release: object = field(default=None, repr=False)  # returns pooled buffers (local runs)


@njit(cache=True, nogil=True)
def _sweep_gather(lo, sh, tc, tf, out_c, out_f, u):
    """out[i] = table[key(lo + i)] via the codecs' key_gather, in blocks of len(u) inputs
    generated here (no input array); runs without the GIL."""
    n = out_c.shape[0]
    b = u.shape[0]
    for b0 in range(0, n, b):
        m = min(b, n - b0)
        for i in range(m):
            u[i] = lo + b0 + i
        key_gather(u[:m], sh, tc, tf, out_c[b0:b0 + m], out_f[b0:b0 + m], True)


@lru_cache(maxsize=64)
def _plan(spec: Sweep):
    """("key", shift, codes table, flags table) for a float32 sweep with a key table,
    ("full", codes, flags) for a 16-bit source, ("encode",) otherwise. The tables are the ones
    ``encode`` builds and uses (built by the generic codec path)."""
    fmt, pol, src = get_format(spec.fmt), spec.policy, _SRC[spec.source]
    if src.bits <= 16:
        tc, tf = _full_table(fmt, pol, src)
        return ("full", tc.astype(spec.code_dtype), tf.astype(np.uint8))
    t = codec_for(fmt).key_lead_bits(fmt, src.emin, pol)
    if t is None or t > src.man_bits or 2 + src.exp_bits + t > _MAX_KEY_BITS:
        return ("encode",)
    tc, tf = _key_table(fmt, pol, src, t)
    return ("key", src.man_bits - t, np.ascontiguousarray(tc.astype(spec.code_dtype.newbyteorder("="))),
            np.ascontiguousarray(tf.astype(np.uint8)))


def _constant(a):
    return a.size and (a == a[0]).all()


def chunk_streams(spec: Sweep, lo: int, hi: int, buffers=None, scratch=None):
    """(codes, flags) of inputs lo .. hi-1: Const for a constant stream, else arrays (written
    into ``buffers`` = (codes, flags) arrays of at least hi - lo elements when given)."""
    n = hi - lo
    plan = _plan(spec)
    cdt = spec.code_dtype
    if plan[0] == "key":
        _, sh, tc, tf = plan
        k0, k1 = (lo >> sh) << 1, (((hi - 1) >> sh) << 1) | 1
        if _constant(tc[k0:k1 + 1]) and _constant(tf[k0:k1 + 1]):
            return Const(int(tc[k0]), cdt.str, n), Const(int(tf[k0]), "u1", n)
    if buffers is None:
        oc, of = np.empty(n, cdt.newbyteorder("=")), np.empty(n, np.uint8)
    else:
        oc, of = buffers[0][:n], buffers[1][:n]
    if plan[0] == "key":
        u = np.empty(_BLOCK, np.uint32) if scratch is None else scratch
        _sweep_gather(lo, sh, tc, tf, oc, of, u)
    elif plan[0] == "full":
        oc[:], of[:] = plan[1][lo:hi], plan[2][lo:hi]
    else:
        step = 1 << 20
        for a in range(lo, hi, step):
            b = min(a + step, hi)
            x = np.arange(a, b, dtype=np.uint64).astype(np.uint32).view(np.float32)
            c, f = encode(x, spec.fmt, policy=spec.policy, return_flags=True)
            oc[a - lo:b - lo], of[a - lo:b - lo] = c, f
    if not cdt.isnative:  # big-endian hosts: the stream is little-endian
        oc = oc.byteswap().view(cdt)
    return oc, of


def chunk_result(spec: Sweep, lo: int, hi: int, buffers=None, scratch=None, release=None) -> ChunkResult:
    """One chunk's streams and their SHA-256 digests (the task a worker runs)."""
    c, f = chunk_streams(spec, lo, hi, buffers, scratch)
    return ChunkResult(_sha(c), _sha(f), c, f, release)


# ---- the sweep ----------------------------------------------------------------------------------
class _StreamHasher:
    """A thread feeding one SHA-256 in the order items are queued (hashlib releases the GIL)."""

    def __init__(self):
        self.h = hashlib.sha256()
        self.q = queue.Queue(maxsize=4)  # bounded: a slow hash holds the driver back, not memory
        self.error = None
        self.t = threading.Thread(target=self._run, daemon=True, name="fp8ref-sweep-hash")
        self.t.start()

    def _run(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            data, done = item
            try:
                if self.error is None:
                    self.h.update(_view(data))
            except BaseException as e:  # reported by finish()
                self.error = e
            finally:
                if done is not None:
                    done()

    def put(self, data, done=None):
        self.q.put((data, done))

    def finish(self) -> str:
        self.q.put(None)
        self.t.join()
        if self.error is not None:
            raise self.error
        return self.h.hexdigest()


class _Countdown:
    """Calls ``fn`` after ``n`` calls (a chunk's buffers go back once both streams are hashed)."""

    def __init__(self, n, fn):
        self.n, self.fn, self.lock = n, fn, threading.Lock()

    def __call__(self):
        with self.lock:
            self.n -= 1
            last = self.n == 0
        if last and self.fn is not None:
            self.fn()


class _LocalPool:
    """``jobs`` threads computing chunks into a fixed set of reused buffers."""

    def __init__(self, spec, jobs):
        from concurrent.futures import ThreadPoolExecutor

        self.spec, self.jobs = spec, jobs
        self.ex = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="fp8ref-sweep")
        self.window = 2 * jobs + 1
        n = spec.chunk
        self.free = queue.Queue()
        self.scratch = queue.Queue()
        for _ in range(self.window + 1):
            self.free.put((np.empty(n, spec.code_dtype.newbyteorder("=")), np.empty(n, np.uint8)))
        for _ in range(jobs):
            self.scratch.put(np.empty(_BLOCK, np.uint32))

    def _task(self, lo, hi):
        bufs = self.free.get()
        u = self.scratch.get()
        try:
            return chunk_result(self.spec, lo, hi, bufs, u, release=lambda: self.free.put(bufs))
        except BaseException:
            self.free.put(bufs)
            raise
        finally:
            self.scratch.put(u)

    def submit(self, lo, hi):
        return self.ex.submit(self._task, lo, hi)

    def result(self, fut):
        return fut.result()

    def close(self):
        self.ex.shutdown(wait=True, cancel_futures=True)


def sweep_range(spec: Sweep, start: int = 0, stop: int | None = None, *, jobs: int = 1, scheduler=None,
                progress=None) -> dict:
    """Digests of inputs start .. stop-1 (multiples of the chunk size): ``{codes_sha256,
    flags_sha256, chunks: {codes: [...], flags: [...]}}``. See :func:`sweep`."""
    stop = spec.num_inputs if stop is None else stop
    step = spec.chunk
    if not (isinstance(start, int) and isinstance(stop, int)) or start % step or stop % step \
            or not 0 <= start < stop <= spec.num_inputs:
        raise ValueError(f"range must be chunk-aligned (2^{spec.chunk_bits}) within [0, 2^{SOURCES[spec.source][1]}]")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    _plan(spec)  # tables built once, here, before any thread or worker asks for them
    bounds = [(lo, lo + step) for lo in range(start, stop, step)]
    pool: _LocalPool | _dask.SweepPool
    if scheduler is not None:
        from . import _dask

        pool = _dask.SweepPool(spec, scheduler, jobs)
    else:
        pool = _LocalPool(spec, jobs)
    hc, hf = _StreamHasher(), _StreamHasher()
    chunks_c, chunks_f = [], []
    pending: collections.deque = collections.deque()
    try:
        it = iter(bounds)
        for b in it:
            pending.append(pool.submit(*b))
            if len(pending) >= pool.window:
                break
        done = 0
        while pending:
            r = pool.result(pending.popleft())
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(*nxt))
            rel = _Countdown(2, r.release)
            hc.put(r.codes, rel)
            hf.put(r.flags, rel)
            chunks_c.append(r.codes_sha256)
            chunks_f.append(r.flags_sha256)
            done += 1
            if progress is not None:
                progress(done, len(bounds))
    finally:
        for f in pending:
            f.cancel()
        codes_sha, flags_sha = hc.finish(), hf.finish()
        pool.close()
    return {"codes_sha256": codes_sha, "flags_sha256": flags_sha, "chunks": {"codes": chunks_c, "flags": chunks_f}}


def sweep(fmt, *, rounding=None, overflow=None, tininess=None, source="float32", jobs=1, scheduler=None,
          chunk_bits=None, progress=None) -> dict:
    """Encode every input of ``source`` (float32, float16, bfloat16) to ``fmt`` and hash the
    code and flag streams, whole and per chunk (the module docstring has the definitions).

    rounding/overflow/tininess: policy fields (defaults as :func:`fp8ref.encode`; formats
    without NaN take NaN inputs to +max). jobs: chunks computed in parallel (threads). scheduler:
    a Dask distributed scheduler address (``"tcp://host:8786"``), a ``distributed.Client``, or
    ``"local"`` for a local cluster of ``jobs`` worker processes; needs ``pip install
    fp8ref[dask]``. progress: ``f(chunks_done, chunks_total)`` after each chunk.

    Returns the entry ``{source, format, policy, chunk_bits, codes_sha256, flags_sha256, chunks:
    {codes, flags}}``; the same bytes whatever ``jobs`` or ``scheduler``.
    """
    spec = Sweep.of(fmt, rounding=rounding, overflow=overflow, tininess=tininess, source=source,
                    chunk_bits=chunk_bits)
    return entry(spec, sweep_range(spec, jobs=jobs, scheduler=scheduler, progress=progress))


def entry(spec: Sweep, digests: dict) -> dict:
    """A sweep's record: what was swept and its digests (the digest set's entry layout)."""
    return {"source": spec.source, "format": spec.fmt, "policy": spec.policy.as_dict(),
            "chunk_bits": spec.chunk_bits, **digests}


def progress_bar(label: str, stream=None):
    """A progress callback drawing ``label [#####     ] 37% 12 s`` on ``stream`` (stderr) when it
    is a terminal; None otherwise."""
    stream = sys.stderr if stream is None else stream
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    t0 = time.perf_counter()
    width = 30

    def show(done, total):
        k = done * width // max(total, 1)
        stream.write(f"\r{label[:40]:<40} [{'#' * k}{' ' * (width - k)}] {100 * done // max(total, 1):3d}% "
                     f"{time.perf_counter() - t0:6.1f} s")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _source_array(source, lo, hi):
    """Inputs lo .. hi-1 of ``source`` as an array encode accepts (tests and tools)."""
    if source_name(source) == "float32":
        return np.arange(lo, hi, dtype=np.uint64).astype(np.uint32).view(np.float32)
    u = np.arange(lo, hi, dtype=np.uint32).astype(np.uint16)
    if source_name(source) == "float16":
        return u.view(np.float16)
    import ml_dtypes

    return u.view(ml_dtypes.bfloat16)

