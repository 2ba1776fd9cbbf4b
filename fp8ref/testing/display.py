"""How codes are shown to people (also used by the ``fp8ref`` CLI): bit fields, class, hex.

The knowledge lives in the format descriptions (``code_fields``, ``code_class``); this module
names the format, checks the code and formats the text. A format kind without those methods
shows as ``sign`` and ``bits`` (or ``bits`` alone) and is classified from its decoded value.
"""

from __future__ import annotations

import numpy as np

from ..codecs import decode_table
from ..formats import get_format
from ..policy import Policy, flag_names

__all__ = ["code_fields", "format_code", "code_class", "hex_code", "flag_text", "policy_text"]


def code_fields(code: int, fmt) -> list[tuple[str, str]]:
    """The bit fields of one code as ``[(name, bits), ...]``, most significant first.

    IEEE-like ``sign, exponent, mantissa``; UE8M0 ``exponent``; HiF8 (tapered) ``sign, dot,
    exponent, mantissa`` (``dot`` the prefix code; DML codes have no exponent field); posits
    ``sign, regime, exponent, fraction`` of the magnitude (for negative codes, of the two's
    complement, as the posit standard decodes them; ``sign, bits`` for 0 and NaR). A format
    without a ``code_fields(code)`` method: ``sign`` (if it has one) and ``bits``.
    """
    fmt = get_format(fmt)
    code = int(code)
    if not 0 <= code < fmt.num_codes:
        raise ValueError(f"code {code} out of range for {fmt.name} (0..{fmt.num_codes - 1})")
    own = getattr(fmt, "code_fields", None)
    if callable(own):
        return [(str(n), str(b)) for n, b in own(code)]
    s = format(code, f"0{fmt.bits}b")
    return [("sign", s[0]), ("bits", s[1:])] if hasattr(fmt, "sign_mask") else [("bits", s)]


def format_code(code: int, fmt, sep: str = ".") -> str:
    """The code's bits with fields separated by ``sep`` (e.g. E4M3 0x7e -> ``0.1111.110``)."""
    return sep.join(b for _, b in code_fields(code, fmt) if b != "")


def code_class(code: int, fmt) -> str:
    """``zero``, ``subnormal``, ``normal``, ``inf`` or ``nan`` (posits: ``nar`` for NaR; HiF8:
    ``denormal`` for its DML codes), from the format's own ``code_class(code)``; a format
    without one: from its decoded value (``nan``, ``inf``, ``zero`` or ``normal``)."""
    fmt = get_format(fmt)
    own = getattr(fmt, "code_class", None)
    if callable(own):
        return str(own(int(code)))
    v = decode_table(fmt)[int(code)]
    return "nan" if np.isnan(v) else "inf" if np.isinf(v) else "zero" if v == 0 else "normal"


def hex_code(code: int, fmt) -> str:
    """``0x..`` with as many digits as the format's codes have (``-`` for a negative code: none)."""
    if code < 0:
        return "-"
    return f"0x{int(code):0{(fmt.bits + 3) // 4}x}"


def flag_text(f: int) -> str:
    """``NX,UF`` (``-`` when none)."""
    return ",".join(flag_names(int(f))) or "-"


def policy_text(pol: Policy, label: str = "") -> str:
    """``rounding=rne overflow=...`` after an optional label."""
    return label + " ".join(f"{k}={v}" for k, v in pol.as_dict().items())
