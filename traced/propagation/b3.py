"""B3 single header (``b3``): ``b3: {TraceId}-{SpanId}-{SamplingState}-{ParentSpanId}``, as
OpenZipkin's b3-propagation defines it.

Read: the trace id is 16 or 32 hex digits (either case), the span id 16, neither all
zeros; the sampling state, when there, is ``1`` (sampled), ``0`` (not) or ``d`` (debug,
which implies sampled), and its absence (a deferred decision) reads as not sampled; the
parent span id, when there, is 16 hex digits. Anything else makes the header invalid. A
16-digit trace id is remembered as 64-bit and sent on at that width. A header holding only
a sampling state (``b3: 0``, ``b3: 1``, ``b3: d``) is the caller's decision without ids:
extract gives a :class:`~traced.tracer.context.DecisionContext` (not sampled, sampled,
debug), under which the tracer starts a new trace that follows it (``b3: 0``: not
sampled, whatever the sampler says).

Written: ``{trace id}-{span id}-{1|0|d}``, the trace id at its original width; the parent
id is not written (B3 makes it optional, and Zipkin's own tracers leave it out of the
single header). A decision without ids is written as the sampling state alone (``b3: 0``,
``1`` or ``d``). B3 carries no baggage.
"""

from __future__ import annotations

from typing import MutableMapping, Optional

from ..tracer.context import DecisionContext, SpanContext
from . import _b3
from ._base import Codec
from ._carrier import Carrier
from ._encoding import format_trace_id

__all__ = ["B3SingleCodec"]

_STATES = {"1": (True, False), "0": (False, False), "d": (True, True)}


class B3SingleCodec(Codec):
    """B3 ``b3`` single header."""

    name = "b3"
    fields = ("b3",)
    trace_fields = ("b3",)

    def inject(self, context: SpanContext, carrier: MutableMapping[str, str]) -> None:
        carrier["b3"] = "%s-%016x-%s" % (
            format_trace_id(context),
            context.span_id,
            "d" if context.debug else "1" if context.sampled else "0",
        )

    def inject_decision(self, context: DecisionContext, carrier: MutableMapping[str, str]) -> None:
        carrier["b3"] = "d" if context.debug else "1" if context.sampled else "0"

    def extract(self, carrier: Carrier) -> Optional[SpanContext]:
        value = carrier.get("b3")
        if value is None:
            return None
        value = value.strip(" \t")
        if value in _STATES:
            sampled, debug = _STATES[value]
            return DecisionContext(sampled, debug=debug)
        parts = value.split("-")
        if not 2 <= len(parts) <= 4:
            return None
        trace_id, span_id = _b3.trace_id(parts[0]), _b3.span_id(parts[1])
        state = _STATES.get(parts[2]) if len(parts) > 2 else (False, False)
        parent_id = _b3.span_id(parts[3]) if len(parts) == 4 else None
        if trace_id is None or span_id is None or state is None:
            return None
        if len(parts) == 4 and parent_id is None:
            return None
        return SpanContext(
            trace_id,
            span_id,
            state[0],
            parent_id=parent_id,
            debug=state[1],
            trace_id_bits=64 if len(parts[0]) == 16 else 128,
            remote=True,
        )

    def present(self, carrier: Carrier) -> bool:
        value = carrier.get("b3")
        return value is not None and value.strip(" \t") not in _STATES
