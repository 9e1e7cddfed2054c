"""``SpanContext`` of the recording tracer: what a span passes to its children and, through
the propagation codecs, to other processes."""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

import opentracing

__all__ = ["SpanContext", "TRACE_ID_MASK", "SPAN_ID_MASK"]

#: Trace ids are unsigned 128-bit integers, span ids unsigned 64-bit ones; 0 is invalid.
TRACE_ID_MASK = (1 << 128) - 1
SPAN_ID_MASK = (1 << 64) - 1

_NO_BAGGAGE: Dict[str, str] = {}
_new_context = object.__new__


class SpanContext(opentracing.SpanContext):
    """The identity of a span, its sampling decision and its baggage; treated as immutable.

    ``trace_id`` is a 128-bit integer and ``span_id`` a 64-bit one (never 0). ``sampled``
    is the decision taken once at the root of the trace; ``debug`` asks every service on
    the way to sample (B3 ``X-B3-Flags: 1``, Jaeger's debug bit). ``parent_id`` is the span
    id of the parent, when known. ``trace_state`` keeps W3C ``tracestate`` members as
    ``(key, value)`` pairs, in order, for re-injection. ``trace_id_bits`` is 64 when the
    trace id arrived as a 64-bit id (B3, Jaeger), so that it is sent on at that width.
    ``remote`` is true for a context extracted from a carrier.

    Baggage is copied on write: :meth:`with_baggage_item` returns a new context.
    """

    __slots__ = (
        "trace_id",
        "span_id",
        "parent_id",
        "sampled",
        "debug",
        "trace_state",
        "trace_id_bits",
        "remote",
        "_baggage",
    )

    def __init__(
        self,
        trace_id: int,
        span_id: int,
        sampled: bool = True,
        baggage: Optional[Mapping[str, str]] = None,
        *,
        parent_id: Optional[int] = None,
        debug: bool = False,
        trace_state: Tuple[Tuple[str, str], ...] = (),
        trace_id_bits: int = 128,
        remote: bool = False,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.sampled = sampled
        self.debug = debug
        self.trace_state = trace_state
        self.trace_id_bits = trace_id_bits
        self.remote = remote
        self._baggage: Dict[str, str] = dict(baggage) if baggage else _NO_BAGGAGE

    def _child(self, span_id: int, sampled: bool) -> "SpanContext":
        """The context of a local child span: this trace, a new span id, this context as
        parent, the same baggage (shared: contexts never change it) and trace state."""
        child = _new_context(SpanContext)
        child.trace_id = self.trace_id
        child.span_id = span_id
        child.parent_id = self.span_id
        child.sampled = sampled
        child.debug = self.debug
        child.trace_state = self.trace_state
        child.trace_id_bits = self.trace_id_bits
        child.remote = False
        child._baggage = self._baggage
        return child

    @property
    def baggage(self) -> Dict[str, str]:
        """The baggage items; do not modify the dict (use :meth:`with_baggage_item`)."""
        return self._baggage

    def with_baggage_item(self, key: str, value: Optional[str]) -> "SpanContext":
        """A copy of this context with ``key`` set to ``value`` (removed when None)."""
        baggage = dict(self._baggage)
        if value is None:
            baggage.pop(key, None)
        else:
            baggage[key] = value
        return self._replace(baggage=baggage)

    def _replace(self, **changes: object) -> "SpanContext":
        fields = {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "sampled": self.sampled,
            "baggage": self._baggage,
            "parent_id": self.parent_id,
            "debug": self.debug,
            "trace_state": self.trace_state,
            "trace_id_bits": self.trace_id_bits,
            "remote": self.remote,
        }
        fields.update(changes)
        return SpanContext(**fields)  # type: ignore[arg-type]

    @property
    def trace_id_hex(self) -> str:
        """The trace id as 32 lowercase hex digits (16 when it arrived as a 64-bit id)."""
        return format(self.trace_id, "032x" if self.trace_id_bits == 128 else "016x")

    @property
    def span_id_hex(self) -> str:
        """The span id as 16 lowercase hex digits."""
        return format(self.span_id, "016x")

    def __repr__(self) -> str:
        return "SpanContext(trace_id=%s, span_id=%s, sampled=%s%s%s)" % (
            self.trace_id_hex,
            self.span_id_hex,
            self.sampled,
            ", debug=True" if self.debug else "",
            ", baggage=%r" % self._baggage if self._baggage else "",
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpanContext):
            return NotImplemented
        return (
            self.trace_id == other.trace_id
            and self.span_id == other.span_id
            and self.sampled == other.sampled
            and self.debug == other.debug
            and self._baggage == other._baggage
        )

    __hash__ = None  # type: ignore[assignment]

