"""fp8ref in cocotb testbenches: bus packing, a scoreboard, and a golden-vector driver.

Optional: the driver needs cocotb >= 2 (``pip install cocotb``, in the ``dev`` extra); packing
and the scoreboard are plain Python and work in any testbench. ``import fp8ref`` never imports
this module, and this module imports cocotb only when the driver runs.

* **Bus packing** -- lane ``i`` of a bus of ``bits``-wide lanes occupies bits
  ``[bits*i, bits*i + bits)`` (element 0 at the LSB): the little-endian bit stream of
  :mod:`fp8ref.blocks.packing` (FP4 two per byte, FP6 four per three bytes) read as one
  integer; 16/32/64-bit lanes are little-endian words. :func:`pack_lanes`,
  :func:`unpack_lanes`. A block bus (:class:`BlockBus`) holds the block's element codes in its
  low bits and the scale above them: MX (32 elements + E8M0), NVFP4 (16 E2M1 + E4M3),
  DeepSeek tiles (128 E4M3 + UE8M0 byte or float32 ``sf``).
* **Scoreboard** -- takes DUT transactions (inputs, results, flags) and checks them against
  fp8ref under a given policy (or against a vector file's expected columns), reporting each
  mismatch with ``fp8ref golden check``'s decoded table and a pass/fail summary at the end
  (:meth:`Scoreboard.finish` raises AssertionError when any transaction failed, which fails the
  cocotb test).
* **Driver** -- :func:`drive_vectors` streams a golden-vector file (``.tv``/``.memh``, its
  sidecar's SHA-256 checked as ``golden check`` does) into a DUT and scores every line.

Policies are never interpreted here: a Policy, a preset name or policy fields go to
:func:`fp8ref.codecs.resolve_policy` and :func:`fp8ref.encode` unchanged.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from .blocks import packing
from .golden.fields import FLAGS_MASK, Field, encode_input, type_bits
from .golden.writers import atomic_write
from .golden.verify import columns, compare_line, load_vectors, mismatch_row, mismatch_table

__all__ = [
    "X", "pack_lanes", "unpack_lanes", "BlockBus", "mx_bus", "NVFP4_BUS", "deepseek_bus", "block_words",
    "Scoreboard", "model_for", "drive_vectors",
]


class _Unknown:
    """An unresolved DUT value (X/Z bits): always a mismatch."""

    def __repr__(self):
        return "X"


#: Pass as a result or flags value the DUT left unresolved (cocotb values with X/Z bits become it).
X = _Unknown()


# ---- bus packing ------------------------------------------------------------------------------
_WORDS = {16: "<u2", 32: "<u4", 64: "<u8"}


def _lane_bytes(bits: int, count: int) -> int:
    """Bytes :func:`fp8ref.blocks.packing.pack` writes for ``count`` codes (whole groups)."""
    if bits in _WORDS:
        return count * bits // 8
    group = math.lcm(bits, 8)  # bits of one packing group: FP4 8, FP6 24, 8-bit 8
    return -(-count * bits // group) * group // 8


def pack_lanes(codes, bits: int) -> int:
    """One bus value holding ``codes`` (integers, flattened) as ``bits``-wide lanes, lane ``i``
    in bits ``[bits*i, bits*i + bits)``. bits: 4, 6, 8 (:mod:`fp8ref.blocks.packing`) or 16, 32, 64."""
    a = np.asarray(codes).reshape(-1)
    if bits in _WORDS:
        if a.dtype.kind not in "iu":
            raise TypeError(f"codes must be an integer array, got dtype {a.dtype.name!r}")
        if a.size and (int(a.min()) < 0 or int(a.max()) >> bits):
            raise ValueError(f"codes must lie in 0..{(1 << bits) - 1} for {bits}-bit lanes")
        data = a.astype(_WORDS[bits]).tobytes()
    else:
        data = packing.pack(a, bits, pad=0).tobytes()
    return int.from_bytes(data, "little")


def unpack_lanes(value, bits: int, count: int) -> np.ndarray:
    """Inverse of :func:`pack_lanes`: ``count`` lanes of a bus value (uint8 codes for up to 8
    bits, else uint16/32/64). The value must fit in ``bits * count`` bits."""
    v = _as_int(value)
    if v is X:
        raise ValueError("the bus value has X/Z bits")
    if v < 0 or v >> (bits * count):
        raise ValueError(f"bus value {v:#x} does not fit in {count} lanes of {bits} bits")
    if bits not in _WORDS and bits not in (4, 6, 8):
        raise ValueError(f"bits must be 4, 6, 8, 16, 32 or 64, got {bits!r}")
    data = np.frombuffer(v.to_bytes(_lane_bytes(bits, count), "little"), dtype=_WORDS.get(bits, np.uint8))
    if bits in _WORDS:
        return data.astype(data.dtype.newbyteorder("="))
    return packing.unpack(data, bits, count=count)


@dataclass(frozen=True)
class BlockBus:
    """A block on one bus: ``count`` element codes of ``elem_bits`` each (element 0 at bit 0),
    then the scale code (``scale_bits``) in the bits above them."""

    count: int
    elem_bits: int
    scale_bits: int = 8

    @property
    def width(self) -> int:
        return self.count * self.elem_bits + self.scale_bits

    def pack(self, codes, scale) -> int:
        codes = np.asarray(codes).reshape(-1)
        if codes.size != self.count:
            raise ValueError(f"a block holds {self.count} elements, got {codes.size}")
        s = int(scale)
        if not 0 <= s < 1 << self.scale_bits:
            raise ValueError(f"scale {s:#x} does not fit in {self.scale_bits} bits")
        return pack_lanes(codes, self.elem_bits) | s << (self.count * self.elem_bits)

    def unpack(self, value):
        """(element codes, scale code) of a bus value."""
        v = _as_int(value)
        if v is X:
            raise ValueError("the bus value has X/Z bits")
        if v < 0 or v >> self.width:
            raise ValueError(f"bus value {v:#x} is wider than the block's {self.width} bits")
        lo = self.count * self.elem_bits
        return unpack_lanes(v & ((1 << lo) - 1), self.elem_bits, self.count), v >> lo


def mx_bus(elem, block_size: int = 32) -> BlockBus:
    """OCP MX: ``block_size`` element codes + the E8M0 scale byte."""
    from .blocks import element

    return BlockBus(block_size, element(elem).bits, 8)


#: NVFP4: 16 E2M1 codes + the E4M3 block scale.
NVFP4_BUS = BlockBus(16, 4, 8)


def deepseek_bus(scale_fmt="ue8m0", elem="e4m3fn", tile=(1, 128)) -> BlockBus:
    """A DeepSeek / DeepGEMM tile: its codes row-major + the scale (UE8M0 byte, or the float32
    bits of ``sf`` for ``scale_fmt='fp32'``)."""
    from .formats import get_format

    return BlockBus(int(tile[0]) * int(tile[1]), get_format(elem).bits, 8 if scale_fmt == "ue8m0" else 32)


def block_words(t) -> list:
    """Every block of an :class:`~fp8ref.blocks.MXTensor`, :class:`~fp8ref.blocks.NVFP4Tensor`
    or :class:`~fp8ref.blocks.DeepSeekTensor` as a bus value (in block order, rows first; a
    partial last block padded with code 0), with the layout :func:`mx_bus`, :data:`NVFP4_BUS`
    or :func:`deepseek_bus` give."""
    from .blocks import DeepSeekTensor, MXTensor, NVFP4Tensor

    if isinstance(t, MXTensor):
        bus = mx_bus(t.elem, t.block_size)
        codes, scales = t.block_codes().reshape(-1, t.block_size), t.block_scales().reshape(-1)
    elif isinstance(t, NVFP4Tensor):
        bus = NVFP4_BUS
        c = t.codes.reshape(-1, t.shape[-1])
        c = np.pad(c, ((0, 0), (0, (-c.shape[1]) % bus.count)))
        codes, scales = c.reshape(-1, bus.count), t.block_scales.reshape(-1)
    elif isinstance(t, DeepSeekTensor):
        bus = deepseek_bus(t.scale_fmt, t.elem, t.tile)
        (tr, tc), (m, n) = t.tile, t.shape
        c = np.pad(t.codes, ((0, (-m) % tr), (0, (-n) % tc)))
        c = c.reshape(c.shape[0] // tr, tr, c.shape[1] // tc, tc).transpose(0, 2, 1, 3)
        codes = c.reshape(-1, tr * tc)
        scales = (t.scale_bytes if t.scale_fmt == "ue8m0" else t.scales.view(np.uint32)).reshape(-1)
    else:
        raise TypeError(f"block_words takes an MXTensor, NVFP4Tensor or DeepSeekTensor, not {type(t).__name__}")
    return [bus.pack(c, s) for c, s in zip(codes, scales)]


# ---- values from cocotb -------------------------------------------------------------------------
def _as_int(v):
    """int of an int, numpy integer or cocotb value; :data:`X` for a value with X/Z bits."""
    if v is X or v is None:
        return X
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = getattr(v, "value", v)  # a cocotb handle
    if getattr(v, "is_resolvable", True) is False:
        return X
    return int(v.to_unsigned()) if hasattr(v, "to_unsigned") else int(v)


def _flat(values, fields, role, what):
    """The column values of one role from an int, a sequence, or a dict by field name."""
    want = [f for f in fields if f.role == role]
    if isinstance(values, dict):
        extra = set(values) - {f.name for f in want}
        missing = [f.name for f in want if f.name not in values]
        if extra or missing:
            raise ValueError(f"{what}: " + "; ".join(
                ([f"unknown field(s) {', '.join(sorted(extra))}"] if extra else [])
                + ([f"no value for field(s) {', '.join(missing)}"] if missing else [])))
        out = []
        for f in want:
            v = values[f.name]
            out += [v] if f.count == 1 else list(np.asarray(v).reshape(-1)) if isinstance(v, np.ndarray) else list(v)
    elif isinstance(values, np.ndarray):
        out = values.reshape(-1).tolist()
    elif isinstance(values, (list, tuple)):
        out = list(values)
    else:
        out = [values]
    n = sum(f.count for f in want)
    if len(out) != n:
        raise ValueError(f"{what}: {len(out)} values where the transaction has {n} "
                         f"({', '.join(f'{f.name}' + (f' x{f.count}' if f.count > 1 else '') for f in want)})")
    return [_as_int(v) for v in out]


# ---- models: expected results from fp8ref ------------------------------------------------------
def _convert_model(src, dst, policy):
    from .codecs import encode

    def model(inputs):
        z, fl = encode(encode_input(src, inputs[:, 0]), dst, policy=policy, return_flags=True)
        return np.stack([z.astype(np.uint64), fl.astype(np.uint64)], axis=1)

    return model


def _decode_model(fmt):
    from .export.dpi import f32_bits_of  # the decode vectors' rule: NaN -> sign | 0x7FC00000
    from .formats import get_format

    def model(inputs):
        u = f32_bits_of(get_format(fmt), inputs[:, 0])
        return np.stack([u, np.zeros_like(u)], axis=1)

    return model


def _mx_model(elem, block_size, scale_rule, rounding, with_codes, with_flags):
    from .blocks import mx

    def model(inputs):
        x = inputs[:, :block_size].astype(np.uint32).view(np.float32)
        t = mx.quantize(x, elem, block_size=block_size, scale_rule=scale_rule, rounding=rounding)
        out = [t.scales.reshape(-1, 1).astype(np.uint64)]
        if with_codes:
            out.append(t.codes.astype(np.uint64))
        if with_flags:
            out.append(np.zeros((x.shape[0], 1), np.uint64))
        return np.concatenate(out, axis=1)

    return model


def _elem_type(elem) -> str:
    from .blocks import element

    el = element(elem)
    return "mxint8" if el.is_int else el.fmt.name


def model_for(meta: dict):
    """A live fp8ref model of a vector file (its sidecar ``meta``): conversions (under the
    sidecar's policy, every field passed on), decodes and MX scale / quantize files; None for
    the other operations."""
    from .policy import Policy

    names = [(f["name"], f["type"]) for f in meta["fields"]]
    op = meta.get("op")
    if op == "convert" and len(names) == 3:
        return _convert_model(meta["src"], meta["dst"], Policy(**meta["policy"]))
    if op == "decode" and len(names) == 3:
        return _decode_model(meta["src"])
    if op in ("mx_scale", "mx_quantize"):
        elem = meta.get("elem") or meta["dst"]
        return _mx_model(elem if op == "mx_scale" else _elem_name(elem), meta["block_size"], meta["scale_rule"],
                         meta.get("rounding", "rne"), op == "mx_quantize", names[-1][1] == "flags")
    return None


def _elem_name(t: str) -> str:
    return "int8" if t == "mxint8" else t


# ---- the scoreboard ---------------------------------------------------------------------------
_OPTIONS = ("name", "check_flags", "flags_mask", "check_nans", "max_rows", "batch", "log")


class Scoreboard:
    """Checks DUT transactions against fp8ref (or against given expected values).

    ``fields``: the transaction layout, a list of :class:`fp8ref.golden.fields.Field` (inputs,
    then results, then an optional ``flags`` field) or a vector file's sidecar dict.
    ``model``: ``f(inputs) -> expected``, an ``(n, input columns)`` uint64 array to an
    ``(n, result + flags columns)`` one; the constructors :meth:`convert`, :meth:`decode`,
    :meth:`mx_scale`, :meth:`mx_quantize` and :meth:`for_vectors` supply it.

    Options: ``check_flags`` (compare flags when the DUT gives them), ``flags_mask`` (flag bits
    compared, TestFloat order NX UF OF DZ NV = bits 0..4), ``check_nans`` (NaN results must
    match bit for bit; default True: the policy fixes the NaN codes), ``max_rows`` (mismatches
    kept for the table), ``batch`` (transactions the model evaluates at once: mismatches are
    logged when a batch is scored), ``log`` (a ``logging.Logger``; default ``cocotb.fp8ref``),
    ``name`` (used in the report).
    """

    def __init__(self, fields, model=None, *, name="fp8ref", check_flags=True, flags_mask=FLAGS_MASK,
                 check_nans=True, max_rows=20, batch=64, log=None):
        meta = fields if isinstance(fields, dict) else {"fields": [f.as_dict() for f in fields]}
        self.cols = columns(meta)
        self.fields = [Field(f["name"], f["role"], f["type"], f.get("count", 1)) for f in meta["fields"]]
        self.n_in = sum(1 for f, _ in self.cols if f.role == "input")
        self.has_flags = any(f.role == "flags" for f, _ in self.cols)
        self.model = model
        self.name = name
        self.check_flags, self.flags_mask, self.check_nans = check_flags, flags_mask, check_nans
        self.max_rows, self.batch = max_rows, max(1, int(batch))
        self.log = log or logging.getLogger("cocotb.fp8ref")
        self.transactions = self._failed = self.with_flags = 0
        self.rows = []  # [number, inputs, expected, got, flag diff, mismatch] of the first max_rows
        self._pending = []  # (number, inputs, results, flags, expected or None)
        self._finished = False

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def convert(cls, src, dst, *, policy=None, preset=None, **fields):
        """``src`` bit patterns (``float32``, ``float16``, ``bfloat16``, ``float64``) to ``dst``
        codes with flags, by ``fp8ref.encode`` under ``policy`` (a Policy) or ``preset`` and
        policy ``fields`` (any Policy field, passed on as ``fp8ref.encode`` takes them).
        Scoreboard options (``check_nans=``, ``batch=``, ...) may be mixed in."""
        from .codecs import resolve_policy
        from .formats import get_format
        from .policy import Policy

        options = {k: fields.pop(k) for k in list(fields) if k in _OPTIONS}
        fmt = get_format(dst)
        if policy is not None:
            if not isinstance(policy, Policy):
                raise TypeError("policy must be an fp8ref.Policy")
            if preset is not None or fields:
                raise ValueError("pass either policy= or preset=/policy fields, not both")
            pol = policy
        else:
            pol = resolve_policy(fmt, preset, **fields)
        f = [Field("a", "input", src), Field("z", "result", fmt.name), Field("flags", "flags", "flags")]
        sb = cls(f, _convert_model(src, fmt.name, pol), **{"name": f"{src} -> {fmt.name}", **options})
        sb.policy = pol
        return sb

    @classmethod
    def decode(cls, fmt, **options):
        """``fmt`` codes to binary32 bits (NaN: ``sign | 0x7FC00000``, as the decode vectors;
        pass ``check_nans=False`` to accept any NaN), flags 00."""
        from .formats import get_format

        fmt = get_format(fmt)
        f = [Field("a", "input", fmt.name), Field("z", "result", "float32"), Field("flags", "flags", "flags")]
        return cls(f, _decode_model(fmt.name), **{"name": f"{fmt.name} -> float32", **options})

    @classmethod
    def mx_scale(cls, elem, *, scale_rule="floor", block_size=32, **options):
        """A block of ``block_size`` binary32 elements to its E8M0 scale (``fp8ref.mx``)."""
        f = [Field("x", "input", "float32", block_size), Field("scale", "result", "ue8m0")]
        return cls(f, _mx_model(elem, block_size, scale_rule, "rne", False, False),
                   **{"name": f"mx scale {elem} {scale_rule}", **options})

    @classmethod
    def mx_quantize(cls, elem, *, scale_rule="floor", rounding="rne", block_size=32, **options):
        """A block of binary32 elements to its E8M0 scale and element codes (``fp8ref.mx``)."""
        f = [Field("x", "input", "float32", block_size), Field("scale", "result", "ue8m0"),
             Field("z", "result", _elem_type(elem), block_size)]
        return cls(f, _mx_model(elem, block_size, scale_rule, rounding, True, False),
                   **{"name": f"mx {elem} {scale_rule} {rounding}", **options})

    @classmethod
    def for_vectors(cls, meta: dict, *, live=False, **options):
        """The layout of a vector file (its sidecar ``meta``); expected values come with each
        transaction (:func:`drive_vectors` passes the file's), or, with ``live``, from
        :func:`model_for` (ValueError where fp8ref has no live model of the file's operation)."""
        model = model_for(meta) if live else None
        if live and model is None:
            raise ValueError(f"no live fp8ref model for op {meta.get('op')!r}")
        return cls(meta, model, **{"name": meta.get("name", "vectors"), **options})

    # -- transactions ---------------------------------------------------------------------------
    def add(self, inputs, results, flags=None, *, expected=None, number=None):
        """Score one transaction. ``inputs``/``results``: an int (one column), a sequence of
        column values (block fields flattened) or a dict by field name; values are ints, numpy
        integers, cocotb values or handles (X/Z bits: :data:`X`). ``flags``: the DUT's flag
        byte (None: the DUT has none, not compared). ``expected``: the result and flag columns
        to compare with (default: the model's). ``number``: the transaction's number in the
        report (default: a running count from 1; the driver passes the vector file's line)."""
        if self._finished:
            raise RuntimeError(f"scoreboard {self.name!r} already finished")
        ins = _flat(inputs, self.fields, "input", "inputs")
        if any(v is X for v in ins):
            raise ValueError("inputs: X/Z bits in a stimulus value")
        res = _flat(results, self.fields, "result", "results")
        fl = None if flags is None or not self.has_flags else [_as_int(flags)]
        self.with_flags += fl is not None
        if expected is None and self.model is None:
            raise ValueError(f"scoreboard {self.name!r} has no model: pass expected=")
        self.transactions += 1
        self._pending.append((self.transactions if number is None else number, ins, res, fl,
                              None if expected is None else [int(v) for v in expected]))
        if len(self._pending) >= self.batch:
            self.flush()

    def flush(self):
        """Score the pending transactions (the model runs once on all of them)."""
        pend, self._pending = self._pending, []
        if not pend:
            return
        need = [i for i, p in enumerate(pend) if p[4] is None]
        model_out = {}
        if need:
            ins = np.array([pend[i][1] for i in need], dtype=np.uint64)
            for i, row in zip(need, self.model(ins)):
                model_out[i] = [int(v) for v in row]
        new = []
        for i, (num, ins, res, fl, exp) in enumerate(pend):
            e = ins + (model_out[i] if exp is None else exp)
            why, fdiff = compare_line(self.cols, e, None, [None if v is X else v for v in res],
                                      None if fl is None else [None if fl[0] is X else fl[0]],
                                      flags_mask=self.flags_mask, check_flags=self.check_flags,
                                      check_nans=self.check_nans)
            if why:
                self._failed += 1
                if len(self.rows) < self.max_rows:
                    row = [num, *mismatch_row(self.cols, e, [None if v is X else v for v in res],
                                              None if fl is None else [None if fl[0] is X else fl[0]], fdiff, why)]
                    self.rows.append(row)
                    new.append(row)
        if new:
            self.log.error("scoreboard %s: mismatch\n%s", self.name, mismatch_table(new, "transaction"))

    # -- the end ----------------------------------------------------------------------------------
    @property
    def failed(self) -> int:
        """Transactions that mismatched (pending ones scored first)."""
        self.flush()
        return self._failed

    @property
    def passed(self) -> int:
        return self.transactions - self.failed

    def report(self) -> str:
        """The summary (and the table of the first mismatches), as ``golden check`` words it."""
        self.flush()
        flags = self.with_flags and self.check_flags
        what = "results" + (f" and flags (mask 0x{self.flags_mask:02X})" if flags else "")
        if flags and self.with_flags < self.transactions:
            what += f" ({self.transactions - self.with_flags} without flags)"
        head = f"scoreboard {self.name}: "
        if not self.failed:
            return (head + f"all {self.transactions} transactions match ({what}; NaN "
                    f"{'exact' if self.check_nans else 'any NaN matches'})")
        return (head + f"{self.failed} of {self.transactions} transactions mismatch ({self.passed} pass); "
                f"first {len(self.rows)}:\n" + mismatch_table(self.rows, "transaction"))

    def finish(self, *, raise_on_failure=True) -> str:
        """Log the summary; raise AssertionError (failing the test) when a transaction failed
        or none was scored. Returns the report."""
        text = self.report()
        self._finished = True
        (self.log.error if self.failed or not self.transactions else self.log.info)("%s", text)
        if raise_on_failure and (self.failed or not self.transactions):
            raise AssertionError(text if self.transactions else f"scoreboard {self.name}: no transactions")
        return text

    def summary(self) -> dict:
        """Counts for reports: transactions, passed, failed."""
        self.flush()
        return {"name": self.name, "transactions": self.transactions, "passed": self.passed, "failed": self.failed}


# ---- the driver ---------------------------------------------------------------------------------
def _field_values(fields, row):
    """{field name: int (count 1) or uint64 array (a block)} of one parsed vector line."""
    out, i = {}, 0
    for f in fields:
        vals = row[i:i + f.count]
        out[f.name] = vals[0] if f.count == 1 else np.array(vals, dtype=np.uint64)
        i += f.count
    return out


def _to_bus(f, v):
    return int(v) if f.count == 1 else pack_lanes(v, type_bits(f.type))


def _from_bus(f, v):
    v = _as_int(v)
    if f.count == 1 or v is X:
        return v if f.count == 1 else [X] * f.count
    return [int(c) for c in unpack_lanes(v, type_bits(f.type), f.count)]


def _signal(spec):
    """(handle, conversion or None) from ``handle`` or ``(handle, conversion)``."""
    return spec if isinstance(spec, tuple) else (spec, None)


async def drive_vectors(path, inputs, results, flags=None, *, wait=None, scoreboard=None, out=None,
                        live_check=True, finish=True, **options):
    """Stream a golden-vector file into a DUT and score every line (cocotb coroutine).

    path: a ``.tv`` or ``.memh`` file; its sidecar must vouch for it (name, size, SHA-256, line
    count), as for ``fp8ref golden check``. ``inputs``: ``{field name: handle}`` for every
    input field, or ``{name: (handle, to_bus)}`` where ``to_bus(value) -> int`` maps the
    field's value (an int; a uint64 array for a block field, packed by :func:`pack_lanes` when
    no conversion is given). ``results``: ``{field name: handle or (handle, from_bus)}`` with
    ``from_bus(bus value) -> int or codes`` (block fields unpacked by :func:`unpack_lanes`
    otherwise), for every result field. ``flags``: the DUT's flags handle
    (None: not compared). ``wait``: a callable returning what to await between applying a
    line and sampling the results (default ``Timer(1, "ns")``; a coroutine function for a
    clocked unit). ``scoreboard``: one to add to (default: :meth:`Scoreboard.for_vectors` with
    the Scoreboard ``options``). ``out``: also write the DUT's lines there for ``fp8ref golden
    check`` (inputs, results, flags; results only when the DUT gives no flags). ``live_check``:
    first check that the file's expected columns are what this fp8ref computes under the
    sidecar's settings (conversions, decodes, MX files; ValueError otherwise). Returns the
    Scoreboard, finished when ``finish`` (AssertionError on any mismatch).
    """
    import cocotb

    if int(cocotb.__version__.split(".")[0]) < 2:
        raise RuntimeError(f"fp8ref.cocotb needs cocotb >= 2, found {cocotb.__version__}")
    meta, rows, note = load_vectors(str(path))
    fields = [Field(f["name"], f["role"], f["type"], f.get("count", 1)) for f in meta["fields"]]
    sb = scoreboard or Scoreboard.for_vectors(meta, **options)
    if note:
        sb.log.info("%s", note)
    if live_check:
        _check_against_fp8ref(path, meta, rows)
    if wait is None:
        from cocotb.triggers import Timer

        def wait():
            return Timer(1, unit="ns")

    in_f = [f for f in fields if f.role == "input"]
    missing = [f.name for f in in_f if f.name not in inputs]
    if missing:
        raise ValueError(f"inputs: no DUT signal for field(s) {', '.join(missing)}")
    res_f = [f for f in fields if f.role == "result"]
    if set(results) != {f.name for f in res_f}:
        raise ValueError(f"results: DUT signals for {sorted(results)}, but the result fields of {path} are "
                         f"{[f.name for f in res_f]}")
    n_in = sum(f.count for f in in_f)
    lines = []
    full = flags is not None or not sb.has_flags

    def sample(no, row):
        got = []
        for f in res_f:
            h, conv = _signal(results[f.name])
            v = conv(h.value) if conv else _from_bus(f, h.value)
            got += [v] if f.count == 1 else list(v)
        fl = None if flags is None else flags.value
        sb.add(row[:n_in], got, fl, expected=row[n_in:], number=no)
        if out is not None:  # the whole line; results only when the DUT gives no flags
            cells = [f"{v:0{c[0].digits}X}" for v, c in zip(row[:n_in], sb.cols)] if full else []
            cells += ["X" * c[0].digits if v is X else f"{_as_int(v):0{c[0].digits}X}"
                      for v, c in zip(got, sb.cols[n_in:])]
            if full and sb.has_flags:
                fv = _as_int(fl)
                cells.append("XX" if fv is X else f"{fv:02X}")
            lines.append(" ".join(cells) + "\n")

    for no, row, _ in rows:
        vals = _field_values(in_f, row)
        for f in in_f:
            h, conv = _signal(inputs[f.name])
            h.value = conv(vals[f.name]) if conv else _to_bus(f, vals[f.name])
        await wait()
        sample(no, row)
    if out is not None:
        atomic_write(str(out), "".join(lines).encode())
    if finish:
        sb.finish()
    return sb


def _check_against_fp8ref(path, meta, rows):
    model = model_for(meta)
    if model is None:
        return
    n_in = sum(f.get("count", 1) for f in meta["fields"] if f["role"] == "input")
    data = np.array([r for _, r, _ in rows], dtype=np.uint64)
    live = model(data[:, :n_in])
    bad = np.nonzero((live != data[:, n_in:]).any(axis=1))[0]
    if bad.size:
        no, row, raw = rows[int(bad[0])]
        raise ValueError(f"{path}: {bad.size} line(s) differ from what this fp8ref computes under the sidecar's "
                         f"settings (first: line {no}: {raw.strip()!r}); regenerate the vectors")

