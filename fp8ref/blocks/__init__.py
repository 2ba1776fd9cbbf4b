"""Block-scaled formats: OCP MX, NVIDIA NVFP4, DeepSeek/DeepGEMM tiles, sub-byte packing.

Scales are chosen from exponent bits (:mod:`.scale_rules`); elements are rounded by the format
codecs (``fp8ref.encode``), never here.
"""

from . import deepseek, mx, mx_dot, mx_tensor, nvfp4, packing, scale_rules
from .deepseek import DeepSeekTensor
from .elements import Element, element
from .mx import MXTensor
from .nvfp4 import NVFP4Tensor

__all__ = [
    "mx", "mx_tensor", "mx_dot", "nvfp4", "deepseek", "packing", "scale_rules",
    "MXTensor", "NVFP4Tensor", "DeepSeekTensor", "Element", "element",
]
