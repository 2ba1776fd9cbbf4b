"""tests/export: counts of the planted DPI table corruptions each check catches (printed after
the test results), and a loud notice when Verilator was missing and the SystemVerilog proof of
the DPI-C model was skipped (``.ci/run`` installs Verilator and sets FP8REF_RTL_REQUIRED=1,
under which a missing Verilator fails the tests instead)."""

import pytest

_REPORTS = {}
_MISSING = []


@pytest.fixture(scope="session")
def corruption_report():
    """``corruption_report(section).append((mutant, what, failing, total))``."""
    return lambda section: _REPORTS.setdefault(section, [])


@pytest.fixture(scope="session")
def missing_tool():
    return _MISSING


def pytest_terminal_summary(terminalreporter):
    for section, rows in _REPORTS.items():
        if rows:
            terminalreporter.section(section)
            for mutant, what, bad, total in rows:
                terminalreporter.write_line(f"{mutant:<18} {what:<58} {bad:>6} of {total} fail")
    for reason in dict.fromkeys(_MISSING):
        terminalreporter.section("DPI-C SYSTEMVERILOG PROOF SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"!!! {reason}", red=True, bold=True)
