"""The recording tracer: real trace and span ids, sampling, propagation, a span sink."""

from .context import SpanContext

__all__ = ["SpanContext"]
