"""OpenTracing's basic headers (``ottrace``): ``ot-tracer-traceid``,
``ot-tracer-spanid``, ``ot-tracer-sampled`` and ``ot-baggage-*``, as basictracer and the
Lightstep tracers write them (and OpenTelemetry's ``ottrace`` propagator).

Read: the trace id is 1 to 32 hex digits (either case) and the span id 1 to 16 (basictracer
writes them without leading zeros), neither zero, else the context is invalid. A trace id
of at most 16 digits is remembered as 64-bit and sent on as 16 digits. ``ot-tracer-sampled``
``true`` or ``1`` (any case) means sampled; absent or anything else, not sampled. The format
has no debug flag: a debug context is written as sampled.

Baggage: each ``ot-baggage-{key}`` header is one item, key and value percent-decoded (keys
come back in lowercase: header names are case-insensitive, and are written in
lowercase as HTTP/2 requires). Written the same way,
percent-encoding only what a header cannot hold raw (``%``, CR, LF and other control
characters, non-ASCII text, spaces at the ends: see :mod:`traced.propagation._encoding`),
so that basictracer, which does not decode, reads plain values as sent; within the
baggage limits.

Written: ``ot-tracer-traceid`` (16 or 32 digits, as above), ``ot-tracer-spanid`` (16
digits), ``ot-tracer-sampled: true``/``false``.
"""

from __future__ import annotations

from typing import MutableMapping, Optional

from ..tracer.context import SpanContext
from ._base import Codec
from ._carrier import Carrier
from ._encoding import decode_baggage, encode_baggage_headers, format_trace_id, hex_id

__all__ = ["OTTraceCodec"]

PREFIX = "ot-baggage-"


class OTTraceCodec(Codec):
    """OpenTracing ``ot-tracer-*`` with ``ot-baggage-*`` baggage."""

    name = "ottrace"
    fields = ("ot-tracer-traceid", "ot-tracer-spanid", "ot-tracer-sampled")
    trace_fields = ("ot-tracer-traceid", "ot-tracer-spanid")

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        carrier["ot-tracer-traceid"] = format_trace_id(context)
        carrier["ot-tracer-spanid"] = "%016x" % context.span_id
        carrier["ot-tracer-sampled"] = "true" if context.sampled or context.debug else "false"
        if context.baggage:
            for key, value in encode_baggage_headers(context.baggage):
                carrier[PREFIX + key] = value

    def extract(self, carrier: Carrier) -> Optional[SpanContext]:
        trace_text = carrier.get("ot-tracer-traceid")
        span_text = carrier.get("ot-tracer-spanid")
        if trace_text is None or span_text is None:
            return None
        trace_text = trace_text.strip(" \t")
        trace_id, span_id = hex_id(trace_text, 32), hex_id(span_text.strip(" \t"), 16)
        if trace_id is None or span_id is None:
            return None
        sampled = (carrier.get("ot-tracer-sampled") or "").strip(" \t").lower() in ("true", "1")
        return SpanContext(
            trace_id,
            span_id,
            sampled,
            decode_baggage(carrier.prefixed(PREFIX)),
            trace_id_bits=64 if len(trace_text) <= 16 else 128,
            remote=True,
        )
