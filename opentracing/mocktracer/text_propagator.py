"""MockTracer's propagator for TEXT_MAP and HTTP_HEADERS carriers (dicts of strings).

The trace and span ids travel as lowercase hex in ``ot-tracer-traceid`` and
``ot-tracer-spanid``; each baggage item as ``ot-baggage-<key>``. Keys are matched without
regard to case on extract, as HTTP header names are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote, unquote

from opentracing.propagation import InvalidCarrierException, SpanContextCorruptedException

from .context import SpanContext
from .propagator import Propagator

__all__ = [
    "TextPropagator",
    "field_count",
    "field_name_span_id",
    "field_name_trace_id",
    "prefix_baggage",
    "prefix_tracer_state",
]

prefix_tracer_state = "ot-tracer-"
prefix_baggage = "ot-baggage-"
field_name_trace_id = prefix_tracer_state + "traceid"
field_name_span_id = prefix_tracer_state + "spanid"
field_count = 2


def _same(value: str) -> str:
    return value


class TextPropagator(Propagator):
    """Injects into and extracts from any mapping of strings to strings.

    With ``url_encoding`` (used for HTTP_HEADERS) baggage values are percent-encoded, so
    that any text survives an HTTP header.
    """

    def __init__(self, url_encoding: bool = False) -> None:
        self._encode: Callable[[str], str] = quote if url_encoding else _same
        self._decode: Callable[[str], str] = unquote if url_encoding else _same

    def inject(self, span_context: SpanContext, carrier: Any) -> None:
        # a list or bytearray has __setitem__ too, but takes integer indexes only
        if not hasattr(carrier, "__setitem__") or isinstance(carrier, Sequence):
            raise InvalidCarrierException(
                f"a text carrier must be a mutable mapping, not {type(carrier).__name__}"
            )
        carrier[field_name_trace_id] = f"{span_context.trace_id:x}"
        carrier[field_name_span_id] = f"{span_context.span_id:x}"
        for key, value in span_context.baggage.items():
            carrier[prefix_baggage + key] = self._encode(value)

    def extract(self, carrier: Any) -> Optional[SpanContext]:  # type: ignore[override]
        """The carrier's SpanContext, or None when it holds no span data at all.

        :raises InvalidCarrierException: the carrier is not a mapping.
        :raises SpanContextCorruptedException: an id is missing or is not hex.
        """
        try:
            items = list(carrier.items())
        except (AttributeError, TypeError):
            raise InvalidCarrierException(
                f"a text carrier must be a mapping, not {type(carrier).__name__}"
            ) from None
        ids: Dict[str, int] = {}
        baggage: Dict[str, str] = {}
        for key, value in items:
            key = str(key).lower()
            if key in (field_name_trace_id, field_name_span_id):
                try:
                    ids[key] = int(value, 16)
                except (TypeError, ValueError):
                    raise SpanContextCorruptedException(f"{key}: {value!r} is not a hex id") from None
            elif key.startswith(prefix_baggage):
                baggage[key[len(prefix_baggage):]] = self._decode(value)
        if not ids and not baggage:
            return None
        if len(ids) != field_count:
            raise SpanContextCorruptedException(
                f"the carrier must hold both {field_name_trace_id} and {field_name_span_id}"
            )
        return SpanContext(ids[field_name_trace_id], ids[field_name_span_id], baggage)
