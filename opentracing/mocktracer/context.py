"""The SpanContext of MockTracer's spans."""

from __future__ import annotations

from typing import Dict, Optional

import opentracing

__all__ = ["SpanContext"]


class SpanContext(opentracing.SpanContext):
    """Trace id, span id and baggage of a mock span; immutable once made."""

    __slots__ = ("trace_id", "span_id", "_baggage")

    def __init__(
        self,
        trace_id: Optional[int] = None,
        span_id: Optional[int] = None,
        baggage: Optional[Dict[str, str]] = None,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self._baggage = baggage or opentracing.SpanContext.EMPTY_BAGGAGE

    @property
    def baggage(self) -> Dict[str, str]:
        return self._baggage

    def with_baggage_item(self, key: str, value: str) -> "SpanContext":
        """A copy of this context with one baggage item added or replaced."""
        baggage = dict(self._baggage)
        baggage[key] = value
        return SpanContext(self.trace_id, self.span_id, baggage)

    def __repr__(self) -> str:
        return f"SpanContext(trace_id={self.trace_id!r}, span_id={self.span_id!r}, baggage={self._baggage!r})"
