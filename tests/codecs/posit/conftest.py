import pytest

from fp8ref.codecs import posit as _codec


@pytest.fixture(scope="module")
def codec():
    """fp8ref.codecs.posit (its formats are registered by fp8ref.formats, like every built-in)."""
    return _codec
