"""Error study: how far each accumulation model lands from the exact result, on your matrices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .api import gemm
from .model import get_model

__all__ = ["error_study", "ErrorStudy", "DEFAULT_MODELS"]

#: the models compared when none are named: plain (and MX) operands; DeepSeek-scaled operands
DEFAULT_MODELS = {"plain": ("h100_fp8", "h100_fp8_promote128", "fp32_fma"),
                  "deepseek": ("h100_fp8_promote128",)}


@dataclass(frozen=True)
class ErrorStudy:
    """Per-model relative errors |D_model − D_exact| / |D_exact| over the nonzero exact entries.

    ``exact`` is the ``exact`` model: the exact sum rounded once to FP32. rows: one tuple per
    model (name, max, median, mean relative error, number of entries equal to exact); ``size``:
    the number of entries (M·N). ``errors[name]`` holds the full relative-error array (NaN where
    the exact entry is 0).
    """

    shape: tuple
    rows: tuple
    errors: dict
    size: int

    HEADERS = ("model", "max rel err", "median rel err", "mean rel err", "equal to exact")

    def table(self, tablefmt="simple") -> str:
        from tabulate import tabulate

        return tabulate([(n, f"{a:.3g}", f"{b:.3g}", f"{c:.3g}", f"{d} / {self.size}") for n, a, b, c, d in self.rows],
                        headers=self.HEADERS, tablefmt=tablefmt, disable_numparse=True)

    def __str__(self):
        return f"error study, (M, K, N) = {self.shape}\n" + self.table()

    def _repr_html_(self):
        return f"<p>error study, (M, K, N) = {self.shape}</p>" + self.table("html")


def error_study(a, b, models=None, *, fmt=None, c=None, in_fmt=None) -> ErrorStudy:
    """Run ``gemm(a, b, c)`` under each model and compare with the ``exact`` model.

    a, b: values of the input format ``fmt`` (default: the first model's), or both block-scaled
    (``MXTensor``, ``NVFP4Tensor``, ``BlockScaled``) or both ``DeepSeekTensor`` (the exact
    reference is then the exact sum of the dequantized products). ``in_fmt``: deprecated alias.
    models: names or AccumModels; None: ``DEFAULT_MODELS`` for the operands' kind. An entry is
    "equal" when its value equals the exact one (NaN equals NaN). Returns an ErrorStudy.
    """
    from ..blocks import DeepSeekTensor

    if models is None:
        models = DEFAULT_MODELS["deepseek" if isinstance(a, DeepSeekTensor) else "plain"]
    if isinstance(models, str):
        models = (models,)
    if not models:
        raise ValueError("models must name at least one accumulation model")
    fmt = fmt or in_fmt or get_model(models[0]).fmt
    ref = gemm(a, b, c, model="exact", fmt=fmt).astype(np.float64)
    nz = (ref != 0) & np.isfinite(ref)
    rows, errs = [], {}
    for name in models:
        m = get_model(name)
        d = gemm(a, b, c, model=m, fmt=fmt).astype(np.float64)
        rel = np.full(ref.shape, np.nan)
        rel[nz] = np.abs(d[nz] - ref[nz]) / np.abs(ref[nz])
        v = rel[nz]
        equal = int(np.count_nonzero((d == ref) | (np.isnan(d) & np.isnan(ref))))
        rows.append((m.name, float(v.max()) if v.size else 0.0, float(np.median(v)) if v.size else 0.0,
                     float(v.mean()) if v.size else 0.0, equal))
        errs[m.name] = rel
    A = np.shape(a)
    return ErrorStudy((A[0], A[1], np.shape(b)[1]), tuple(rows), errs, int(ref.size))
