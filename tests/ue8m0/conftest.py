import pytest

from ._registry import registered_formats


@pytest.fixture(autouse=True, scope="module")
def codec():
    """fp8ref.codecs.ue8m0, imported (formats registered) for this module only."""
    with registered_formats("fp8ref.codecs.ue8m0") as module:
        yield module
