"""Value-level convenience: one operation on numbers, with every code and flag spelled out.

``evaluate("add", 1.5, 2.25, fmt="e4m3fn")`` encodes each number into its operand format
(``fp8ref.encode``, the format's default rounding; an operand that is not representable is
rounded and marked), applies the operation on the codes and returns an :class:`Evaluation`
(code, exact value, flags), printable and shown as a table in notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..codecs import decode_table, encode
from ..formats import get_format
from ..policy import flag_names
from .api import OPERATIONS, _policy, apply

__all__ = ["Evaluation", "evaluate", "parse_number"]


def parse_number(x) -> float:
    """A number from a Python number or a string (``1.5``, ``-inf``, ``nan``, ``0x1.8p1``)."""
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            try:
                return float.fromhex(x)
            except ValueError:
                raise ValueError(f"not a number: {x!r}") from None
    return float(x)


@dataclass(frozen=True)
class Operand:
    given: float
    fmt: str
    code: int
    value: float

    @property
    def exact(self) -> bool:
        return self.value == self.given or (self.value != self.value and self.given != self.given)


@dataclass(frozen=True)
class Evaluation:
    """One operation on numbers: operands (as encoded), result code, its value, flags."""

    op: str
    operands: tuple
    fmt: str  # result format (or "bool")
    code: int
    value: float | bool
    flags: int
    policy: dict | None = None  # the result format's policy (None for comparisons)

    @property
    def flag_names(self) -> list:
        return flag_names(self.flags)

    def as_dict(self) -> dict:
        """Plain values (non-finite numbers as the strings "nan", "inf", "-inf")."""
        def num(v):
            if isinstance(v, bool) or (v == v and abs(v) != float("inf")):
                return v
            return "nan" if v != v else ("inf" if v > 0 else "-inf")

        return {"op": self.op, "operands": [{"fmt": o.fmt, "code": o.code, "value": num(o.value), "exact": o.exact}
                                            for o in self.operands],
                "result": {"fmt": self.fmt, "code": self.code, "value": num(self.value)},
                "flags": self.flags, "flag_names": self.flag_names, "policy": self.policy}

    def _code_text(self, code, fmt):
        if fmt == "bool":
            return str(bool(code))
        digits = (get_format(fmt).bits + 3) // 4
        return f"0x{code:0{digits}X}"

    def rows(self):
        out = []
        for i, o in enumerate(self.operands):
            note = "" if o.exact else f" (rounded from {o.given!r})"
            out.append((f"operand {i + 1}", o.fmt, self._code_text(o.code, o.fmt), f"{o.value!r}{note}"))
        res = self.value if self.fmt == "bool" else repr(self.value)
        out.append(("result", self.fmt, self._code_text(self.code, self.fmt), str(res)))
        return out

    def _title(self):
        if not self.policy:
            return self.op
        keys = ("rounding", "overflow", "tininess", "nan")
        if not getattr(get_format(self.fmt), "has_nan", True):
            keys += ("nan_to",)
        return f"{self.op}: " + " ".join(f"{k}={self.policy[k]}" for k in keys if k in self.policy)

    def __str__(self):
        lines = [self._title()]
        lines += [f"{name:<10} {fmt:<12} {code:<8} {val}" for name, fmt, code, val in self.rows()]
        lines.append(f"flags      0x{self.flags:02X} {' '.join(self.flag_names) or '(none)'}")
        return "\n".join(lines)

    def _repr_html_(self):
        body = "".join(f"<tr><th style='text-align:left'>{n}</th><td>{f}</td><td><code>{c}</code></td><td>{v}</td></tr>"
                       for n, f, c, v in self.rows())
        fl = ", ".join(self.flag_names) or "none"
        return (f"<table><caption>fp8ref.arith.{self._title()}</caption>"
                f"<tr><th></th><th>format</th><th>code</th><th>value</th></tr>{body}"
                f"<tr><th style='text-align:left'>flags</th><td colspan=3><code>0x{self.flags:02X}</code> {fl}</td></tr>"
                "</table>")


def _code(x, f) -> int:
    try:
        c = int(x, 0) if isinstance(x, str) else int(x)
    except ValueError:
        raise ValueError(f"not a code: {x!r} (an integer such as 0x3C or 60)") from None
    if not 0 <= c < f.num_codes:
        raise ValueError(f"code {c} out of range for {f.name} (valid: 0..{f.num_codes - 1})")
    return c


def evaluate(op, *operands, fmt, out_fmt=None, fmts=None, codes=False, **policy) -> Evaluation:
    """Apply ``op`` to numbers, or to codes with ``codes=True`` (ints or strings such as
    ``"0x3C"``); see the module docstring. Policy arguments as for ``add``."""
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r}; valid: {', '.join(OPERATIONS)}")
    if len(operands) != OPERATIONS[op]:
        raise ValueError(f"{op} takes {OPERATIONS[op]} operand(s), got {len(operands)}")
    fmts = list(fmts) if fmts is not None else [fmt] * len(operands)
    if len(fmts) != len(operands):
        raise ValueError(f"{op}: {len(fmts)} operand formats for {len(operands)} operand(s)")
    given = []
    for x, f in zip(operands, fmts):
        f = get_format(f)
        if codes:
            c = _code(x, f)
            v = float(decode_table(f)[c])
        else:
            v = parse_number(x)
            c = int(encode(np.float64(v), f))
        given.append(Operand(v, f.name, c, float(decode_table(f)[c])))
    args = [np.asarray(o.code) for o in given]
    if policy.get("rbits") is not None:
        policy["rbits"] = np.asarray(int(policy["rbits"]))
    res, flags = apply(op, *args, fmt=fmt, out_fmt=out_fmt, fmts=fmts, return_flags=True, **policy)
    if res.dtype == bool:
        return Evaluation(op, tuple(given), "bool", int(bool(res)), bool(res), int(flags))
    out = get_format(out_fmt if out_fmt is not None else fmt)
    code = int(res)
    pol = _policy(out, {k: v for k, v in policy.items() if k not in ("rbits", "srbits")}).as_dict()
    return Evaluation(op, tuple(given), out.name, code, float(decode_table(out)[code]), int(flags), pol)
