"""MockTracer's propagator for TEXT_MAP and HTTP_HEADERS carriers (dicts of strings).

The trace and span ids travel as lowercase hex in ``ot-tracer-traceid`` and
``ot-tracer-spanid``; each baggage item as ``ot-baggage-<key>``, its value unchanged (as in
OpenTracing 2.4.0, also for HTTP_HEADERS). Keys are matched without regard to case on
extract, as HTTP header names are.
"""

from __future__ import annotations

from collections.abc import Sequence, Set as AbstractSet
from typing import Any, Dict

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


class TextPropagator(Propagator):
    """Injects into and extracts from any mapping of strings to strings."""

    def inject(self, span_context: SpanContext, carrier: Any) -> None:
        """Write the ids and the baggage into ``carrier``.

        :raises InvalidCarrierException: the carrier is not a mutable mapping.
        """
        # a list or bytearray has __setitem__ too, but takes integer indexes only
        if not hasattr(carrier, "__setitem__") or isinstance(carrier, (Sequence, bytearray)):
            raise InvalidCarrierException(
                f"a text carrier must be a mutable mapping, not {type(carrier).__name__}"
            )
        carrier[field_name_trace_id] = f"{span_context.trace_id:x}"
        carrier[field_name_span_id] = f"{span_context.span_id:x}"
        for key, value in span_context.baggage.items():
            carrier[prefix_baggage + key] = value

    def extract(self, carrier: Any) -> SpanContext:
        """The carrier's SpanContext.

        :raises InvalidCarrierException: the carrier is not a mapping.
        :raises SpanContextCorruptedException: the carrier does not hold exactly one trace id
            and one span id (an empty carrier included), or an id is not hex.
        """
        try:
            if isinstance(carrier, (Sequence, bytearray, AbstractSet)):
                raise TypeError("not a mapping")
            items = [(key, carrier[key]) for key in carrier]
        except (AttributeError, TypeError, KeyError, IndexError):
            raise InvalidCarrierException(
                f"a text carrier must be a mapping, not {type(carrier).__name__}"
            ) from None
        ids: Dict[str, int] = {}
        found = 0
        baggage: Dict[str, str] = {}
        for key, value in items:
            key = str(key).lower()
            if key in (field_name_trace_id, field_name_span_id):
                try:
                    ids[key] = int(value, 16)
                except (TypeError, ValueError):
                    raise SpanContextCorruptedException(f"{key}: {value!r} is not a hex id") from None
                found += 1
            elif key.startswith(prefix_baggage):
                baggage[key[len(prefix_baggage):]] = value
        if found != field_count or len(ids) != field_count:
            raise SpanContextCorruptedException(
                f"the carrier must hold one {field_name_trace_id} and one {field_name_span_id}"
            )
        return SpanContext(ids[field_name_trace_id], ids[field_name_span_id], baggage)
