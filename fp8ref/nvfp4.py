"""``import fp8ref.nvfp4``: the module :mod:`fp8ref.blocks.nvfp4` itself (the same object, not a copy)."""

import sys

from .blocks import nvfp4 as _impl
from .blocks.nvfp4 import *  # noqa: F403  (the public names, for static tools)

sys.modules[__name__] = _impl
