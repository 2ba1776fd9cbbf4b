"""Input normalisation and display helpers shared by the block quantizers."""

from __future__ import annotations

import html

import numpy as np

from ..codecs import decode
from ..core.unpack import as_source_array

__all__ = ["float_input", "check_axis", "html_table"]


def float_input(x, *, allow_float64=True, who="quantize"):
    """``x`` as a C-contiguous float32 or float64 array holding exactly x's values.

    float16/bfloat16 widen to float32 (exact), ml_dtypes arrays of a registered format are
    decoded by that format (exactly, to float32); integers become float64 (an
    error if a value is not exactly representable). With ``allow_float64=False`` (quantizers
    that emulate a float32 pipeline) float64 input must hold float32 values exactly.
    """
    arr, src = as_source_array(x)
    if src.kind == "float" and src.bits == 32:
        out = arr
    elif src.kind == "float" and src.bits == 64:
        out = arr
    elif src.kind == "float":
        out = arr.astype(np.float32)
    elif src.kind == "codes":
        out = decode(arr.view(src.uint), src.fmt, dtype=np.float32)
    else:  # integers
        if arr.dtype.itemsize >= 8 and arr.size and int(np.abs(arr.astype(object)).max()) > 2**53:
            raise ValueError(f"{who}: integer input has magnitudes above 2^53; convert to float explicitly")
        out = arr.astype(np.float64)
    if out.dtype == np.float64 and not allow_float64:
        with np.errstate(over="ignore"):
            f32 = out.astype(np.float32)
        same = (f32.astype(np.float64) == out) | (np.isnan(out) & np.isnan(f32))
        if not same.all():
            raise ValueError(
                f"{who} emulates a float32 pipeline: the input holds values that are not float32 "
                "numbers; round them first (e.g. x.astype(np.float32)) so the rounding is explicit"
            )
        out = f32
    return out if out.flags.c_contiguous else out.copy()  # (ascontiguousarray turns 0-d into 1-d)


def check_axis(axis, ndim):
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} out of range for an array of {ndim} dimension(s)")
    return int(axis) % ndim


def check_positive_int(v, name):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def html_table(caption, rows, body_rows=(), header=()):
    """A small HTML table: ``rows`` are (key, value) pairs, then an optional data grid."""
    esc = html.escape
    out = [f"<table><caption>{esc(caption)}</caption>"]
    for k, v in rows:
        out.append(f"<tr><th style='text-align:left'>{esc(str(k))}</th><td colspan='{max(len(header), 1)}'>{esc(str(v))}</td></tr>")
    if header:
        out.append("<tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in header) + "</tr>")
    for r in body_rows:
        out.append("<tr>" + "".join(f"<td style='font-family:monospace'>{esc(str(c))}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "".join(out)
