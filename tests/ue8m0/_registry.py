"""Register a codec module's formats for one test module, then put the registry back.

The codec modules register their formats when imported. Importing them at collection time
would leave ``ue8m0`` / ``posit8_*`` registered for the whole session, and other suites read
the registry (the golden default set gains the issue-3 suites, CLI tests parametrise over every
format). So the tests import them inside a module-scoped fixture and restore the registry after.
"""

import importlib
from contextlib import contextmanager

from fp8ref.formats import registry


@contextmanager
def registered_formats(module_name):
    saved = dict(registry._FORMATS), dict(registry._ALIASES)
    module = importlib.import_module(module_name)  # registers on first import
    module.register_formats()  # and again after an earlier restore
    try:
        yield module
    finally:
        registry._FORMATS.clear()
        registry._FORMATS.update(saved[0])
        registry._ALIASES.clear()
        registry._ALIASES.update(saved[1])
