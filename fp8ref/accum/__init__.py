"""Matrix-unit accumulation: models, the Numba GEMM, an exact reference, an error study.

``AccumModel`` describes how a tensor core / matrix core / dot-product unit accumulates (steps,
stages of fused sums, roundings, scales; docs/accumulation.md); ``MODELS`` are the published
presets; ``gemm`` runs any model on plain or block-scaled operands and ``dot`` on batches of
rows; ``reference_dot`` is an independent pure-Python (``fractions``) implementation of the same
definition; ``error_study`` compares models with the exact result.
"""

from .api import OUTPUTS, BlockScaled, alignment_exponents, dot, gemm
from .model import DEPRECATED, MODELS, AccumModel, Stage, get_model, list_models
from .model import deprecated_attribute as _deprecated_attribute
from .reference import reference_dot
from .study import ErrorStudy, error_study

__all__ = ["AccumModel", "Stage", "MODELS", "DEPRECATED", "get_model", "list_models", "gemm", "dot", "OUTPUTS",
           "BlockScaled", "alignment_exponents", "reference_dot", "error_study", "ErrorStudy"]


def __getattr__(name):
    return _deprecated_attribute(__name__, name)
