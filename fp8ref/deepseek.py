"""``import fp8ref.deepseek``: the module :mod:`fp8ref.blocks.deepseek` itself (the same object, not a copy)."""

import sys

from .blocks import deepseek as _impl
from .blocks.deepseek import *  # noqa: F403  (the public names, for static tools)

sys.modules[__name__] = _impl
