"""Dask adapters (optional: ``pip install 'fp8ref[dask]'``).

* :class:`SweepPool`: the chunks of :func:`fp8ref.sweep.sweep` as tasks on a Dask distributed
  cluster. Each task returns its chunk's digests and streams (constant streams as a value and a
  count); the client feeds the whole-stream hashes in input order. A worker that dies loses its
  unfinished tasks and unfetched results; the scheduler recomputes them elsewhere, and since
  every task is a pure function of (sweep, range) the digests are unchanged.
* ``encode`` / ``decode`` / ``quantize`` / ``mx_quantize`` / ``gemm``: the library functions on
  dask arrays, block by block, returning dask arrays bit-identical to the numpy results.
  ``fp8ref.encode`` and friends call these when given a dask array.
"""

from __future__ import annotations

import hashlib
import operator

import numpy as np

__all__ = ["is_dask_array", "SweepPool", "encode", "decode", "quantize", "mx_quantize", "gemm"]


def is_dask_array(x) -> bool:
    """True for a ``dask.array.Array`` (checked without importing dask)."""
    return type(x).__module__.startswith("dask.") and hasattr(x, "__dask_graph__") and hasattr(x, "chunks")


def _need(what):
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
    except ImportError:
        raise ImportError(f"{what} needs dask: pip install 'fp8ref[dask]'") from None
    if what == "scheduler=":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ImportError("scheduler= needs dask.distributed: pip install 'fp8ref[dask]'") from None


# ---- sweeps -------------------------------------------------------------------------------------
class SweepPool:
    """Chunk tasks of one sweep on a Dask cluster: ``scheduler`` is an address, a
    ``distributed.Client``, or ``"local"`` (a LocalCluster of ``jobs`` single-threaded
    worker processes, closed with the pool)."""

    def __init__(self, spec, scheduler, jobs=1):
        _need("scheduler=")
        from distributed import Client, LocalCluster

        self.spec = spec
        self._own = []
        if isinstance(scheduler, Client):
            self.client = scheduler
        elif scheduler == "local":
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
            self.client = Client(cluster)
            self._own = [self.client, cluster]
        elif isinstance(scheduler, str):
            try:
                self.client = Client(scheduler, timeout="30s")
            except OSError as e:
                raise OSError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
            self._own = [self.client]
        else:
            raise TypeError("scheduler must be an address ('tcp://host:8786'), 'local' or a distributed.Client")
        threads = sum(self.client.nthreads().values()) or jobs
        self.window = 2 * threads + 2
        self._tag = hashlib.sha256(repr(spec).encode()).hexdigest()[:16]

    def submit(self, lo, hi):
        from .sweep import chunk_result

        return self.client.submit(chunk_result, self.spec, lo, hi, key=f"fp8ref-sweep-{self._tag}-{lo:x}-{hi:x}",
                                  pure=False, retries=0)

    def result(self, fut):
        r = fut.result()
        fut.release()
        return r

    def close(self):
        for obj in self._own:
            obj.close()


# ---- arrays -------------------------------------------------------------------------------------
def _tuple_parts(fn, args, outputs, name):
    """Run ``fn`` on aligned blocks of the dask arrays in ``args`` (non-arrays passed as they
    are); fn returns a tuple. outputs: [(dtype, chunks)] of each tuple item. Returns dask arrays."""
    import dask.array as da

    first = next(a for a in args if is_dask_array(a))
    meta = np.empty((0,) * first.ndim, dtype=object)
    tup = da.map_blocks(fn, *args, dtype=object, meta=meta, name=f"{name}-{da.core.tokenize(fn, *args)}")
    return [tup.map_blocks(operator.getitem, i, dtype=dt, chunks=ch, meta=np.empty((0,) * len(ch), dt))
            for i, (dt, ch) in enumerate(outputs)]


def _aligned(x, other, what):
    """``other`` (numpy or dask, x's shape) as a dask array chunked like x."""
    import dask.array as da

    o = other if is_dask_array(other) else da.from_array(np.asarray(other), chunks=x.chunks)
    if o.shape != x.shape:
        raise ValueError(f"{what} has shape {o.shape}, expected x's shape {x.shape}")
    return o.rechunk(x.chunks)


def encode(x, fmt, return_flags=False, rbits=None, **kw):
    """``fp8ref.encode`` block by block (the same keywords)."""
    _need("a dask array input")
    from .codecs import encode as enc
    from .formats import get_format

    f = get_format(fmt)
    code_dt = np.dtype(f.code_dtype)
    if rbits is not None:
        args = (x, _aligned(x, rbits, "rbits"))

        def run(xb, rb):
            return enc(xb, f, rbits=rb, return_flags=True, **kw)
    else:
        args = (x,)

        def run(xb):
            return enc(xb, f, return_flags=True, **kw)
    if not return_flags:
        return x.map_blocks(lambda *b: run(*b)[0], *args[1:], dtype=code_dt,
                            meta=np.empty((0,) * x.ndim, code_dt))
    codes, flags = _tuple_parts(run, args, [(code_dt, x.chunks), (np.dtype(np.uint8), x.chunks)], "fp8ref-encode")
    return codes, flags


def decode(codes, fmt, dtype=np.float32):
    """``fp8ref.decode`` block by block."""
    _need("a dask array input")
    from .codecs import decode as dec

    dt = np.dtype(_dtype(dtype))
    return codes.map_blocks(dec, fmt, dtype=dtype, meta=np.empty((0,) * codes.ndim, dt))


def _dtype(dtype):
    if isinstance(dtype, str) and dtype == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return dtype


def quantize(x, fmt, dtype=None, **policy):
    """``fp8ref.quantize`` block by block."""
    from .codecs import quantize as q

    _need("a dask array input")
    if dtype is None:
        dtype = np.float64 if x.dtype == np.float64 else np.float32
    dt = np.dtype(_dtype(dtype))
    if policy.get("rbits") is not None:
        r = _aligned(x, policy.pop("rbits"), "rbits")
        return x.map_blocks(lambda xb, rb: q(xb, fmt, dtype=dtype, rbits=rb, **policy), r, dtype=dt,
                            meta=np.empty((0,) * x.ndim, dt))
    return x.map_blocks(lambda xb: q(xb, fmt, dtype=dtype, **policy), dtype=dt, meta=np.empty((0,) * x.ndim, dt))
