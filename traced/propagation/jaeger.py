"""Jaeger (``jaeger``): ``uber-trace-id``, ``uberctx-*`` baggage, ``jaeger-debug-id``, as
Jaeger's client libraries define them.

``uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}``. Read: the trace id is 1
to 32 hex digits (either case) and the span id 1 to 16, left-padded with zeros (Jaeger
clients write them without leading zeros), neither zero; the parent span id (deprecated,
usually ``0``) 1 to 16 hex digits; the flags 1 or 2 hex digits, bit ``1`` sampled and bit
``2`` debug (which implies sampled). A value whose separators arrived percent-encoded
(``%3A``, from a client that url-encodes the header) is accepted. A trace id of at most 16
digits is remembered as 64-bit and sent on as 16 digits. Anything else is invalid.

``jaeger-debug-id`` (any non-empty value) beside a valid ``uber-trace-id`` makes the
context debug and sampled. Without ``uber-trace-id`` it asks for a new, debug trace, as
in jaeger-client: extract gives a :class:`~traced.tracer.context.DecisionContext` (debug,
sampled) holding the value, percent-decoded as jaeger-client's ``HTTP_HEADERS`` codec
does, and the ``uberctx-*`` baggage; the tracer starts a new trace, sampled and debug,
whose root span has the tag ``jaeger-debug-id`` with that value (jaeger-client's
behaviour). Beside an ``uber-trace-id`` that is present but malformed it counts for
nothing (the context is malformed).

Baggage: each ``uberctx-{key}`` header is one item, key and value percent-decoded (keys
come back in lowercase: header names are case-insensitive, and are written in
lowercase as HTTP/2 requires); the ad-hoc ``jaeger-baggage:
k1=v1, k2=v2`` header is read too, and a ``uberctx-`` item wins over it. Written as
``uberctx-{key}`` headers, percent-encoding only what a header cannot hold raw (``%``,
CR, LF and other control characters, non-ASCII text, spaces at the ends: see
:mod:`traced.propagation._encoding`), so that jaeger-client's undecoding ``TEXT_MAP`` codec
still reads plain values as sent; within the baggage limits.

Written: ``uber-trace-id`` with the trace id at its original width (16 or 32 digits), the
span id as 16 digits, parent ``0`` and flags ``0``, ``1`` (sampled) or ``3`` (debug). A
decision without ids is written as ``jaeger-debug-id`` (header-safe) and the baggage when
it holds a debug id, else not at all: Jaeger has no header for a decision without ids.
"""

from __future__ import annotations

import re
from typing import Dict, MutableMapping, Optional

from ..tracer.context import DecisionContext, SpanContext
from ._base import Codec
from ._carrier import Carrier
from ._encoding import (
    decode_baggage,
    encode_baggage_headers,
    format_trace_id,
    header_value,
    hex_id,
    percent_decode,
)

__all__ = ["JaegerCodec"]

_PARENT = re.compile(r"[0-9a-fA-F]{1,16}").fullmatch
_FLAGS = re.compile(r"[0-9a-fA-F]{1,2}").fullmatch
_ENCODED_COLON = re.compile("%3a", re.IGNORECASE)
PREFIX = "uberctx-"


class JaegerCodec(Codec):
    """Jaeger ``uber-trace-id`` with ``uberctx-*`` baggage."""

    name = "jaeger"
    fields = ("uber-trace-id",)
    trace_fields = ("uber-trace-id",)

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        carrier["uber-trace-id"] = "%s:%016x:0:%s" % (
            format_trace_id(context),
            context.span_id,
            "3" if context.debug else "1" if context.sampled else "0",
        )
        if context.baggage:
            for key, value in encode_baggage_headers(context.baggage):
                carrier[PREFIX + key] = value

    def inject_decision(self, context: DecisionContext, carrier: MutableMapping[str, str]) -> None:
        if context.debug_id:
            carrier["jaeger-debug-id"] = header_value(context.debug_id)
            if context.baggage:
                for key, value in encode_baggage_headers(context.baggage):
                    carrier[PREFIX + key] = value

    def extract(self, carrier: Carrier) -> Optional[SpanContext]:
        value = carrier.get("uber-trace-id")
        if value is None:
            debug_id = carrier.get("jaeger-debug-id")
            if debug_id:
                return DecisionContext(
                    True, _baggage(carrier), debug=True, debug_id=percent_decode(debug_id)
                )
            return None
        if "%" in value:
            value = _ENCODED_COLON.sub(":", value)
        parts = value.strip(" \t").split(":")
        if len(parts) != 4 or _PARENT(parts[2]) is None or _FLAGS(parts[3]) is None:
            return None
        trace_id, span_id = hex_id(parts[0], 32), hex_id(parts[1], 16)
        if trace_id is None or span_id is None:
            return None
        flags = int(parts[3], 16)
        debug = bool(flags & 2) or bool(carrier.get("jaeger-debug-id"))
        return SpanContext(
            trace_id,
            span_id,
            debug or bool(flags & 1),
            _baggage(carrier),
            parent_id=int(parts[2], 16) or None,
            debug=debug,
            trace_id_bits=64 if len(parts[0]) <= 16 else 128,
            remote=True,
        )


def _baggage(carrier: Carrier) -> Dict[str, str]:
    items = []
    adhoc = carrier.get("jaeger-baggage")
    if adhoc:
        for member in adhoc.split(","):
            key, eq, val = member.partition("=")
            if eq:
                items.append((key.strip(), val.strip()))
    items.extend(carrier.prefixed(PREFIX))
    return decode_baggage(items)
