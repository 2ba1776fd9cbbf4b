"""Format descriptions and the registry that names them."""

from .ieee import Format
from .registry import aliases_of, get_format, list_formats, register

__all__ = ["Format", "get_format", "list_formats", "register", "aliases_of"]
