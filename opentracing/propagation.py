"""Propagation formats and the errors that ``inject``/``extract`` raise."""

from __future__ import annotations

__all__ = [
    "Format",
    "InvalidCarrierException",
    "SpanContextCorruptedException",
    "UnsupportedFormatException",
]


class UnsupportedFormatException(Exception):
    """The tracer has no propagator for the format passed to ``inject`` or ``extract``."""


class InvalidCarrierException(Exception):
    """The carrier is not of the type the format requires (a dict, a bytearray, ...)."""


class SpanContextCorruptedException(Exception):
    """The carrier holds span data, but it cannot be decoded into a SpanContext."""


class Format:
    """Names of the carrier formats every tracer must support.

    ``BINARY`` carries an opaque ``bytearray``; ``TEXT_MAP`` a ``dict`` of string keys and
    values with no restriction on characters; ``HTTP_HEADERS`` a ``dict`` whose keys and
    values must survive being sent as HTTP headers (keys are case-insensitive).
    """

    BINARY = "binary"
    TEXT_MAP = "text_map"
    HTTP_HEADERS = "http_headers"
