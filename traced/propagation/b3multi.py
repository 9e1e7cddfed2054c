"""B3 multi-header (``b3multi``): ``X-B3-TraceId``, ``X-B3-SpanId``, ``X-B3-ParentSpanId``,
``X-B3-Sampled``, ``X-B3-Flags``, as OpenZipkin's b3-propagation defines them.

Read: the trace id is 16 or 32 hex digits (either case), the span id 16, neither all
zeros, else the context is invalid. A 16-digit trace id is remembered as a 64-bit one
(``SpanContext.trace_id_bits == 64``) and sent on as 16 digits, so a Zipkin service that
only knows 64-bit ids gets back what it sent. ``X-B3-Sampled`` ``1`` or ``true`` means
sampled, ``0`` or ``false`` not; absent (a deferred decision) or any other value reads as
not sampled, as OpenTelemetry reads it (``SpanContext`` has no "deferred" state).
``X-B3-Flags: 1`` is debug, which implies sampled. A malformed ``X-B3-ParentSpanId`` is
ignored (the parent id is informational). ``X-B3-Sampled`` (``1``/``true``, ``0``/``false``)
or ``X-B3-Flags: 1`` with neither id header is the caller's decision without ids: extract
gives a :class:`~traced.tracer.context.DecisionContext`, under which the tracer starts a
new trace that follows it (``X-B3-Sampled: 0``: not sampled, whatever the sampler says);
any other value there gives None.

Written: ``x-b3-traceid`` (16 or 32 digits, as above), ``x-b3-spanid``,
``x-b3-parentspanid`` when the parent is known, and either ``x-b3-flags: 1`` for a debug
context (B3 says not to send ``X-B3-Sampled`` then) or ``x-b3-sampled: 1``/``0``; for a
decision without ids, only that flag or sampled header. Names are
written in lowercase (HTTP/2's form; names are case-insensitive). B3 carries no baggage.
"""

from __future__ import annotations

from typing import MutableMapping, Optional

from ..tracer.context import DecisionContext, SpanContext
from . import _b3
from ._base import Codec
from ._carrier import Carrier
from ._encoding import format_trace_id

__all__ = ["B3MultiCodec"]

_SAMPLED = {"1": True, "true": True, "0": False, "false": False}


class B3MultiCodec(Codec):
    """B3 ``X-B3-*`` headers."""

    name = "b3multi"
    fields = ("x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags")
    trace_fields = ("x-b3-traceid", "x-b3-spanid")

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        carrier["x-b3-traceid"] = format_trace_id(context)
        carrier["x-b3-spanid"] = "%016x" % context.span_id
        if context.parent_id:
            carrier["x-b3-parentspanid"] = "%016x" % context.parent_id
        if context.debug:
            carrier["x-b3-flags"] = "1"
        else:
            carrier["x-b3-sampled"] = "1" if context.sampled else "0"

    def inject_decision(self, context: DecisionContext, carrier: MutableMapping[str, str]) -> None:
        if context.debug:
            carrier["x-b3-flags"] = "1"
        else:
            carrier["x-b3-sampled"] = "1" if context.sampled else "0"

    def extract(self, carrier: Carrier) -> Optional[SpanContext]:
        trace_text = carrier.get("x-b3-traceid")
        span_text = carrier.get("x-b3-spanid")
        debug = (carrier.get("x-b3-flags") or "").strip() == "1"
        if trace_text is None or span_text is None:
            if trace_text is None and span_text is None:
                return _decision(debug, carrier.get("x-b3-sampled"))
            return None
        trace_text, span_text = trace_text.strip(), span_text.strip()
        trace_id, span_id = _b3.trace_id(trace_text), _b3.span_id(span_text)
        if trace_id is None or span_id is None:
            return None
        sampled = debug or _SAMPLED.get((carrier.get("x-b3-sampled") or "").strip().lower(), False)
        parent_text = carrier.get("x-b3-parentspanid")
        return SpanContext(
            trace_id,
            span_id,
            sampled,
            parent_id=_b3.span_id(parent_text.strip()) if parent_text else None,
            debug=debug,
            trace_id_bits=64 if len(trace_text) == 16 else 128,
            remote=True,
        )


def _decision(debug: bool, sampled_text: Optional[str]) -> Optional[DecisionContext]:
    """The decision that ``X-B3-Flags``/``X-B3-Sampled`` carry without ids, if any."""
    if debug:
        return DecisionContext(True, debug=True)
    if sampled_text is None:
        return None
    sampled = _SAMPLED.get(sampled_text.strip().lower())
    return None if sampled is None else DecisionContext(sampled)
