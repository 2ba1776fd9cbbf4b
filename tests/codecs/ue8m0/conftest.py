import pytest

from fp8ref.codecs import ue8m0 as _codec


@pytest.fixture(scope="module")
def codec():
    """fp8ref.codecs.ue8m0 (its formats are registered by fp8ref.formats, like every built-in)."""
    return _codec
