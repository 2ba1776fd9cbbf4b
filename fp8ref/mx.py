"""``import fp8ref.mx``: the module :mod:`fp8ref.blocks.mx` itself (the same object, not a copy)."""

import sys

from .blocks import mx as _impl
from .blocks.mx import *  # noqa: F403  (the public names, for static tools)

sys.modules[__name__] = _impl
