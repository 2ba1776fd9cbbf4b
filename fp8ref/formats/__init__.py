"""Format descriptions and the registry that names them."""

from .ieee import Format
from .p3109 import p3109_format
from .registry import aliases_of, get_format, list_formats, register, register_default

__all__ = ["Format", "get_format", "list_formats", "register", "register_default", "aliases_of", "p3109_format"]
