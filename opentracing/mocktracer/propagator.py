"""The interface of a MockTracer propagator, one per carrier format."""

from __future__ import annotations

from typing import Any

from .context import SpanContext

__all__ = ["Propagator"]


class Propagator:
    """Writes a SpanContext into a carrier and reads it back; see
    :meth:`MockTracer.register_propagator <opentracing.mocktracer.MockTracer.register_propagator>`."""

    def inject(self, span_context: SpanContext, carrier: Any) -> None:
        raise NotImplementedError

    def extract(self, carrier: Any) -> SpanContext:
        raise NotImplementedError
