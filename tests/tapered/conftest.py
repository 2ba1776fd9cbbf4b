import pytest

from ..ue8m0._registry import registered_formats


@pytest.fixture(autouse=True, scope="module")
def codec():
    """fp8ref.codecs.tapered, imported (``hif8`` registered) for this module only."""
    with registered_formats("fp8ref.codecs.tapered") as module:
        yield module
