"""The RTL tests report how many vector lines each planted encoder bug fails (printed after the
test results, so CI logs show what the vectors caught, not only that they caught it)."""

import pytest

_CAUGHT = []  # (mutant, vector file stem, mismatching lines, lines)


@pytest.fixture(scope="session")
def mutant_report():
    return _CAUGHT


def pytest_terminal_summary(terminalreporter):
    if not _CAUGHT:
        return
    terminalreporter.section("RTL mutants caught by the golden vectors")
    for mutant, stem, bad, lines in _CAUGHT:
        terminalreporter.write_line(f"{mutant:<20} {stem:<52} {bad:>6} of {lines} lines fail")
