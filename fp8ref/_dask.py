"""Dask adapters (optional: ``pip install 'fp8ref[dask]'``).

* :class:`SweepPool`: the chunks of :func:`fp8ref.sweep.sweep` as tasks on a Dask distributed
  cluster. Each task returns its chunk's digests and streams (constant streams as a value and a
  count); the client feeds the whole-stream hashes in input order. A worker that dies loses its
  unfinished tasks and unfetched results; the scheduler recomputes them elsewhere, and since
  every task is a pure function of (sweep, range) the digests are unchanged.
* ``encode`` / ``decode`` / ``mx_quantize`` / ``gemm``: the library functions on dask arrays,
  block by block, returning dask arrays bit-identical to the numpy results. ``fp8ref.encode``,
  ``decode``, ``quantize`` (through those two), ``fp8ref.mx.quantize`` and ``fp8ref.gemm`` call
  them when given a dask array.
"""

from __future__ import annotations

import functools
import hashlib
import operator

import numpy as np

__all__ = ["is_dask_array", "is_dask", "SweepPool", "encode", "decode", "mx_quantize", "DaskMXTensor", "gemm"]


def is_dask_array(x) -> bool:
    """True for a ``dask.array.Array`` (checked without importing dask)."""
    return type(x).__module__.startswith("dask.") and hasattr(x, "__dask_graph__") and hasattr(x, "chunks")


def is_dask(x) -> bool:
    """True for a dask array or a :class:`DaskMXTensor`."""
    return is_dask_array(x) or isinstance(x, DaskMXTensor)


def _need(what):
    try:
        import dask
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
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0")
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
def _meta(ndim, dtype):
    return np.empty((0,) * ndim, dtype=dtype)


def _tuple_parts(fn, args, outputs, name):
    """Run ``fn`` on aligned blocks of the dask arrays ``args``; fn returns a tuple. outputs:
    [(dtype, chunks)] of its items. Returns one dask array per item (the blocks computed once
    when the items are computed together)."""
    import dask.array as da
    from dask.base import tokenize

    tup = da.map_blocks(fn, *args, dtype=object, meta=_meta(args[0].ndim, object),
                        name=f"{name}-{tokenize(name, *args)}")
    return tuple(tup.map_blocks(operator.getitem, i, dtype=dt, chunks=ch, meta=_meta(len(ch), dt))
                 for i, (dt, ch) in enumerate(outputs))


def _aligned(x, other, what):
    """``other`` (numpy or dask, of x's shape) as a dask array chunked like x."""
    import dask.array as da

    o = other if is_dask_array(other) else np.asarray(other)
    if o.shape != x.shape:
        raise ValueError(f"{what} has shape {o.shape}, expected x's shape {x.shape}")
    return o.rechunk(x.chunks) if is_dask_array(o) else da.from_array(o, chunks=x.chunks)


def encode(x, fmt, policy, return_flags=False, rbits=None, srbits=None):
    """``fp8ref.encode`` of a dask array, block by block, under the resolved ``policy``."""
    _need("a dask array input")
    from .codecs import encode as enc

    code_dt = np.dtype(fmt.code_dtype)
    args = (x,) if rbits is None else (x, _aligned(x, rbits, "rbits"))
    if rbits is None and policy.is_stochastic:
        raise ValueError("stochastic rounding needs rbits: an unsigned integer array of x's shape")

    def run(xb, rb=None):
        return enc(xb, fmt, policy=policy, rbits=rb, srbits=srbits, return_flags=True)

    if not return_flags:
        return args[0].map_blocks(lambda *b: run(*b)[0], *args[1:], dtype=code_dt, meta=_meta(x.ndim, code_dt))
    return _tuple_parts(run, args, [(code_dt, x.chunks), (np.dtype(np.uint8), x.chunks)], "fp8ref-encode")


def decode(codes, fmt, dtype):
    """``fp8ref.decode`` of a dask array, block by block."""
    _need("a dask array input")
    from .codecs import decode as dec

    if codes.dtype.kind not in "iu":
        raise TypeError(f"codes must be an integer array, got dtype {codes.dtype.name!r}")
    dt = np.dtype(_dtype(dtype))
    return codes.map_blocks(functools.partial(dec, fmt=fmt, dtype=dtype), dtype=dt, meta=_meta(codes.ndim, dt))


def _dtype(dtype):
    if isinstance(dtype, str) and dtype == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return dtype


# ---- MX blocks ------------------------------------------------------------------------------------
class DaskMXTensor:
    """An MX quantization of a dask array: ``codes`` and ``scales`` are dask arrays laid out as
    :class:`fp8ref.mx.MXTensor`'s; ``compute()`` returns that MXTensor."""

    def __init__(self, codes, scales, elem, block_size, axis, scale_rule, rounding):
        self.codes, self.scales = codes, scales
        self.elem, self.block_size, self.axis = elem, block_size, axis
        self.scale_rule, self.rounding = scale_rule, rounding

    @property
    def shape(self):
        return self.codes.shape

    def compute(self, **kwargs):
        import dask

        from .blocks.mx import MXTensor

        codes, scales = dask.compute(self.codes, self.scales, **kwargs)
        return MXTensor(codes, scales, self.elem, self.block_size, self.axis, self.scale_rule, self.rounding)

    def __repr__(self):
        return (f"DaskMXTensor(elem={self.elem.name!r}, shape={self.shape}, block_size={self.block_size}, "
                f"axis={self.axis}, chunks={self.codes.chunks})")


def _block_chunks(chunks, bs, n):
    """Chunk sizes along the block axis with every boundary on a block boundary: each chunk
    rounded to a multiple of bs (at least bs), the last one taking the rest."""
    want = max(bs, round(chunks[0] / bs) * bs)
    out = [want] * (n // want)
    if n % want:
        out.append(n % want)
    return tuple(out) or (0,)


def mx_quantize(x, elem, *, block_size=32, axis=-1, pad=False, rbits=None, **kw):
    """``fp8ref.mx.quantize`` of a dask array: chunks along ``axis`` are realigned to whole
    blocks (no block straddles two chunks), then each chunk is quantized on its own."""
    _need("a dask array input")
    import warnings

    from .blocks import mx

    probe_shape = tuple(1 if d != (axis % x.ndim if x.ndim else 0) else n for d, n in enumerate(x.shape))
    probe_r = None if rbits is None else np.zeros(probe_shape, rbits.dtype)
    t = mx.quantize(np.zeros(probe_shape, x.dtype), elem, block_size=block_size, axis=axis, pad=pad, rbits=probe_r,
                    **kw)
    ax, bs = t.axis, t.block_size  # every argument validated (and a non-spec element warned about) here
    chunks = list(x.chunks)
    chunks[ax] = _block_chunks(x.chunks[ax], bs, x.shape[ax])
    if tuple(chunks) != x.chunks:
        x = x.rechunk(tuple(chunks))
    args = (x,) if rbits is None else (x, _aligned(x, rbits, "rbits"))

    def run(xb, rb=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # warned once above
            q = mx.quantize(xb, elem, block_size=bs, axis=ax, pad=pad, rbits=rb, **kw)
        return q.codes, q.scales

    sch = list(x.chunks)
    sch[ax] = tuple(-(-c // bs) for c in x.chunks[ax])
    codes, scales = _tuple_parts(run, args, [(np.dtype(np.uint8), x.chunks), (np.dtype(np.uint8), tuple(sch))],
                                 "fp8ref-mx")
    return DaskMXTensor(codes, scales, t.elem, bs, ax, t.scale_rule, t.rounding)


# ---- GEMM -----------------------------------------------------------------------------------------
def _k_step(m):
    """The K granularity a chained GEMM must respect: the promotion interval, else n."""
    return m.promote or m.n


def _check_k_chunks(m, kchunks):
    step = _k_step(m)
    if len(kchunks) == 1:
        return
    if step is None:
        raise ValueError(f"model {m.name!r} sums all of K in one block (n=None): K must be one chunk, got "
                         f"chunks {kchunks}; rechunk K, e.g. a.rechunk({{1: -1}}) and b.rechunk({{0: -1}})")
    bad = [c for c in kchunks[:-1] if c % step]
    if bad:
        what = "promotion interval" if m.promote else "block size n"
        raise ValueError(f"K chunks {kchunks}: every chunk but the last must be a multiple of {step}, the "
                         f"{what} of model {m.name!r}, so that chaining them gives one call's bits; rechunk "
                         f"K to a multiple of {step}")


def _gemm_tile(a, b, c, model, in_fmt, out):
    from .accum.api import gemm as g

    return g(a, b, c, model=model, fmt=in_fmt, out=out)


def _mx_tile(codes, scales, elem, block_size, axis, scale_rule, rounding):
    from .blocks.mx import MXTensor

    return MXTensor(codes, scales, elem, block_size, axis, scale_rule, rounding)


def _plain_operands(a, b):
    """Delayed blocks of a (M tiles x K chunks) and b (K chunks x N tiles), K chunked alike."""
    import dask.array as da

    ad = a if is_dask_array(a) else None
    bd = b if is_dask_array(b) else None
    if np.ndim(a) != 2 or np.ndim(b) != 2:
        raise ValueError(f"a and b must be 2-D, got shapes {np.shape(a)} and {np.shape(b)}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {a.shape}, b is {b.shape}")
    kch = ad.chunks[1] if ad is not None else bd.chunks[0]
    if ad is None:
        ad = da.from_array(np.asarray(a), chunks=(a.shape[0], kch))
    if bd is None:
        bd = da.from_array(np.asarray(b), chunks=(kch, b.shape[1]))
    bd = bd.rechunk((kch, bd.chunks[1]))
    return ad.to_delayed(), bd.to_delayed(), ad.chunks[0], kch, bd.chunks[1]


def _mx_operands(a, b):
    """Delayed MXTensor tiles of two DaskMXTensors (a blocks along K = axis 1, b along axis 0)."""
    from dask import delayed

    if not (isinstance(a, DaskMXTensor) and isinstance(b, DaskMXTensor)):
        raise TypeError(f"MX gemm: a and b must both be MX tensors, got {type(a).__name__} and {type(b).__name__}")
    if len(a.shape) != 2 or len(b.shape) != 2 or a.axis != 1 or b.axis != 0:
        raise ValueError("MX gemm needs a (M,K) with blocks along axis 1 and b (K,N) with blocks along axis 0")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {a.shape}, b is {b.shape}")
    kch = a.codes.chunks[1]
    if any(k % b.block_size for k in kch[:-1]):
        raise ValueError(f"K chunks {kch} split b's MX blocks of {b.block_size}")
    bc = b.codes.rechunk((kch, b.codes.chunks[1]))
    bs = b.scales.rechunk((tuple(-(-k // b.block_size) for k in kch), b.codes.chunks[1]))
    mx = delayed(_mx_tile, pure=True)
    meta = [(t.elem, t.block_size, t.axis, t.scale_rule, t.rounding) for t in (a, b)]
    ac, asc, bcd, bsd = a.codes.to_delayed(), a.scales.to_delayed(), bc.to_delayed(), bs.to_delayed()
    A = np.empty(ac.shape, object)
    B = np.empty(bcd.shape, object)
    for idx in np.ndindex(ac.shape):
        A[idx] = mx(ac[idx], asc[idx], *meta[0])
    for idx in np.ndindex(bcd.shape):
        B[idx] = mx(bcd[idx], bsd[idx], *meta[1])
    return A, B, a.codes.chunks[0], kch, bc.chunks[1]


def gemm(a, b, c=None, *, model="h100_fp8", in_fmt=None, out="fp32"):
    """``fp8ref.gemm`` on dask arrays (or two :class:`DaskMXTensor`): one task per (M tile,
    N tile, K chunk); the K chunks of a tile run in order, each taking the previous one's D as
    its C (boundaries on the model's block or promotion interval), so every element gets one
    local call's bits."""
    _need("a dask array input")
    import dask.array as da
    from dask import delayed

    from .accum.api import OUTPUTS, _formats, _out_params
    from .accum.model import get_model

    m = get_model(model)
    _formats(m, in_fmt, None, None)
    _out_params(m, out)
    if isinstance(a, DaskMXTensor) or isinstance(b, DaskMXTensor):
        A, B, mch, kch, nch = _mx_operands(a, b)
    else:
        A, B, mch, kch, nch = _plain_operands(a, b)
    _check_k_chunks(m, kch)
    M, N = sum(mch), sum(nch)
    cd = None
    if c is not None:
        cd = c if is_dask_array(c) else da.from_array(np.asarray(c), chunks=np.shape(c) or ())
        try:
            cd = da.broadcast_to(cd, (M, N))
        except ValueError:
            raise ValueError(f"c must broadcast to {(M, N)}, got shape {cd.shape}") from None
        cd = cd.rechunk((mch, nch)).to_delayed()
    dtype = OUTPUTS[out][3]
    tile = delayed(_gemm_tile, pure=True)
    rows = []
    for i, mi in enumerate(mch):
        row = []
        for j, nj in enumerate(nch):
            d = None if cd is None else cd[i, j]
            for k in range(len(kch)):
                d = tile(A[i, k], B[k, j], d, m, in_fmt, out)
            row.append(da.from_delayed(d, shape=(mi, nj), dtype=dtype, meta=_meta(2, dtype)))
        rows.append(row)
    return da.block(rows)
