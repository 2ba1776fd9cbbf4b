import pytest

from ..ue8m0._registry import registered_formats


@pytest.fixture(autouse=True, scope="module")
def codec():
    """fp8ref.codecs.posit, imported (posit8_es0/1/2 registered) for this module only."""
    with registered_formats("fp8ref.codecs.posit") as module:
        yield module
