"""Tensor-core accumulation: models, the Numba GEMM, an exact reference, an error study.

``AccumModel`` describes one block FMA and its chaining (docs/accumulation.md); ``PRESETS`` are
the published GPU models; ``gemm`` runs any model on plain or block-scaled operands and ``dot``
on batches of rows; ``reference_dot`` is an independent pure-Python (``fractions``)
implementation of the same definition; ``error_study`` compares models with the exact result.
"""

from .api import OUTPUTS, alignment_exponents, dot, gemm
from .model import PRESETS, AccumModel, get_model, list_models
from .reference import reference_dot
from .study import ErrorStudy, error_study

__all__ = ["AccumModel", "PRESETS", "get_model", "list_models", "gemm", "dot", "OUTPUTS",
           "alignment_exponents", "reference_dot", "error_study", "ErrorStudy"]
