"""Deprecated names: each old spelling keeps working for one release and warns, naming the new one.

Renames warn with ``DeprecationWarning`` (shown by default in ``__main__`` and under pytest);
callers should move to the new name. Nothing here imports from fp8ref, so every layer can use it.
"""

from __future__ import annotations

import functools
import warnings

__all__ = ["warn_renamed", "renamed_function", "renamed_property", "renamed_kwarg", "module_getattr"]


def warn_renamed(old: str, new: str, *, stacklevel: int = 3, note: str = "") -> None:
    """Warn that ``old`` is deprecated in favour of ``new``."""
    warnings.warn(f"{old} is deprecated: use {new}{note}", DeprecationWarning, stacklevel=stacklevel)


def renamed_function(func, old: str, new: str):
    """``func`` under its old name ``old``: the same call, with a warning naming ``new``."""

    @functools.wraps(func)
    def alias(*args, **kwargs):
        warn_renamed(old, new)
        return func(*args, **kwargs)

    alias.__doc__ = f"Deprecated alias of :func:`{new}` (warns)."
    return alias


def renamed_property(attr: str, old: str):
    """A read-only property ``old`` returning ``self.<attr>``, with a warning."""

    def get(self):
        warn_renamed(f"{type(self).__name__}.{old}", f".{attr}")
        return getattr(self, attr)

    return property(get, doc=f"Deprecated alias of ``{attr}`` (warns).")


def renamed_kwarg(who: str, new_value, old_value, new: str, old: str):
    """The value of a renamed keyword argument: ``new_value``, or ``old_value`` (with a warning)
    when only the old keyword was given; both given is an error."""
    if old_value is None:
        return new_value
    if new_value is not None:
        raise TypeError(f"{who}: pass {new}= (or the deprecated {old}=), not both")
    warn_renamed(f"{who}({old}=...)", f"{new}=", stacklevel=4)
    return old_value


def module_getattr(module: str, aliases: dict):
    """A module ``__getattr__`` serving deprecated names: ``aliases[old] = (new name, value getter)``."""

    def __getattr__(name):
        if name in aliases:
            new, get = aliases[name]
            warn_renamed(f"{module}.{name}", new)
            return get()
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
