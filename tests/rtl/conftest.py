"""The RTL tests report how many vector lines / transactions each planted encoder bug fails
(printed after the test results, so CI logs show what was caught, not only that it was), and
decide whether a missing tool skips a test or fails it.

``FP8REF_RTL_REQUIRED=1`` (set by ``.ci/run``) turns every "tool not installed" skip of
tests/rtl and tests/export into a failure: CI must run them, never skip them quietly.
"""

import os

import pytest

_REPORTS = {}  # section title -> [(mutant, what, failing, total)]


@pytest.fixture(scope="session")
def mutant_report():
    """``mutant_report(section).append((mutant, what, failing, total))``."""
    return lambda section: _REPORTS.setdefault(section, [])


def require(ok: bool, reason: str):
    """Skip (or, under ``FP8REF_RTL_REQUIRED=1``, fail) when a tool the test needs is missing."""
    if ok:
        return
    if os.environ.get("FP8REF_RTL_REQUIRED") == "1":
        pytest.fail(f"FP8REF_RTL_REQUIRED=1 but {reason}")
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    for section, rows in _REPORTS.items():
        if not rows:
            continue
        terminalreporter.section(section)
        for mutant, what, bad, total in rows:
            terminalreporter.write_line(f"{mutant:<20} {what:<56} {bad:>6} of {total} fail")
