"""opentracing.propagation: format names and the exceptions of inject/extract."""

import pytest

import opentracing
from opentracing import propagation


def test_format_values():
    """The three required formats have their OpenTracing names."""
    assert propagation.Format.BINARY == "binary"
    assert propagation.Format.TEXT_MAP == "text_map"
    assert propagation.Format.HTTP_HEADERS == "http_headers"


ERRORS = ["UnsupportedFormatException", "InvalidCarrierException", "SpanContextCorruptedException"]


@pytest.mark.parametrize("name", ERRORS)
def test_exceptions_are_distinct_and_reexported(name):
    """Each error is an Exception of its own, also importable from the package root."""
    exc_type = getattr(propagation, name)
    assert getattr(opentracing, name) is exc_type
    assert issubclass(exc_type, Exception)
    for other in set(ERRORS) - {name}:
        assert not issubclass(exc_type, getattr(propagation, other))
    with pytest.raises(exc_type, match="detail"):
        raise exc_type("detail")


def test_all_lists_public_names():
    """__all__ of the module names exactly what it defines publicly."""
    assert set(propagation.__all__) == {
        "Format", "InvalidCarrierException", "SpanContextCorruptedException",
        "UnsupportedFormatException",
    }
    for name in propagation.__all__:
        assert hasattr(propagation, name)
