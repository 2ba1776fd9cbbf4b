"""Shared by the cocotb testbenches: which vector files to stream, and the end-of-test report."""

import json
import os


def vector_paths() -> list:
    """The vector files named in ``FP8REF_VECTORS`` (``os.pathsep``-separated)."""
    return [p for p in os.environ.get("FP8REF_VECTORS", "").split(os.pathsep) if p]


def finish_all(boards, test: str):
    """Finish every scoreboard (summary in the log), append one JSON line per scoreboard to
    ``FP8REF_SB_REPORT`` (when set), then fail the test if any scoreboard saw a mismatch."""
    reports = [(sb, sb.finish(raise_on_failure=False)) for sb in boards]
    path = os.environ.get("FP8REF_SB_REPORT")
    if path:
        with open(path, "a") as f:
            for sb, text in reports:
                f.write(json.dumps({"test": test, **sb.summary(), "report": text}) + "\n")
    bad = [text for sb, text in reports if sb.failed or not sb.transactions]
    if not boards or bad:
        raise AssertionError("\n".join(bad) or f"{test}: nothing was scored")
