"""The interface of a MockTracer propagator, one per carrier format."""

from __future__ import annotations

from typing import Any, Optional

from .context import SpanContext

__all__ = ["Propagator"]


class Propagator:
    """Writes a SpanContext into a carrier and reads it back; see
    :meth:`MockTracer.register_propagator <opentracing.mocktracer.MockTracer.register_propagator>`."""

    def inject(self, span_context: SpanContext, carrier: Any) -> None:
        """Write ``span_context`` into ``carrier``; the base class writes nothing."""

    def extract(self, carrier: Any) -> Optional[SpanContext]:
        """Read a SpanContext from ``carrier``; the base class finds none (None)."""
        return None
