"""Shared fixtures: one default vector set (every output kind, .npz included) generated per
session (a few seconds)."""

import os

import pytest

from fp8ref.golden import OUTPUTS, Selection, generate

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMITTED = os.path.join(REPO, "golden_vectors")


@pytest.fixture(scope="session")
def default_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("gv") / "set"
    man = generate(str(out), Selection(outputs=OUTPUTS), progress=False)
    return str(out), man
