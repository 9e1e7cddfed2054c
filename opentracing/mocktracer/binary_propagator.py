"""MockTracer's propagator for BINARY carriers: a ``bytearray`` holding UTF-8 JSON.

OpenTracing 2.4.0 pickled the context instead; unpickling a carrier that came over the
network can run arbitrary code, so this one writes and reads JSON.
"""

from __future__ import annotations

import json
from typing import Any

from opentracing.propagation import InvalidCarrierException, SpanContextCorruptedException

from .context import SpanContext
from .propagator import Propagator

__all__ = ["BinaryPropagator"]


class BinaryPropagator(Propagator):
    """Appends the context to a ``bytearray`` on inject; reads bytes or a bytearray back."""

    def inject(self, span_context: SpanContext, carrier: Any) -> None:
        if not isinstance(carrier, bytearray):
            raise InvalidCarrierException(
                f"a binary carrier must be a bytearray, not {type(carrier).__name__}"
            )
        data = {
            "trace_id": span_context.trace_id,
            "span_id": span_context.span_id,
            "baggage": span_context.baggage,
        }
        carrier.extend(json.dumps(data).encode("utf-8"))

    def extract(self, carrier: Any) -> SpanContext:
        """The carrier's SpanContext.

        :raises InvalidCarrierException: the carrier is not a bytearray.
        :raises SpanContextCorruptedException: it does not hold a MockTracer context (an
            empty one included).
        """
        if not isinstance(carrier, bytearray):
            raise InvalidCarrierException(
                f"a binary carrier must be a bytearray, not {type(carrier).__name__}"
            )
        try:
            data = json.loads(bytes(carrier).decode("utf-8"))
            trace_id, span_id, baggage = data["trace_id"], data["span_id"], data["baggage"]
        except (ValueError, TypeError, KeyError) as exc:
            raise SpanContextCorruptedException(f"not a MockTracer binary context: {exc}") from None
        if not (isinstance(trace_id, int) and isinstance(span_id, int) and isinstance(baggage, dict)):
            raise SpanContextCorruptedException("ids must be integers and baggage an object")
        return SpanContext(trace_id, span_id, {str(k): str(v) for k, v in baggage.items()})
