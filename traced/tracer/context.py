"""``SpanContext`` of the recording tracer: what a span passes to its children and, through
the propagation codecs, to other processes."""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

import opentracing

__all__ = ["DecisionContext", "SpanContext", "TRACE_ID_MASK", "SPAN_ID_MASK"]

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

    A caller may send a sampling decision without any ids (B3 ``b3: 0``, ``b3: 1``,
    ``b3: d`` or ``X-B3-Sampled``/``X-B3-Flags`` alone; Jaeger's ``jaeger-debug-id``
    alone). Extraction gives it as a :class:`DecisionContext`, the subclass whose
    ``trace_id`` and ``span_id`` are 0 (its :attr:`decision_only` is true): a span
    started under it begins a new trace that follows the decision (see
    :class:`DecisionContext`). Every other context has real ids.
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

    #: True only for a :class:`DecisionContext`: a sampling decision without ids.
    decision_only = False

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



class DecisionContext(SpanContext):
    """A caller's sampling decision that came without ids: what extraction gives for
    ``b3: 0`` alone and the other decision-only headers (see :class:`SpanContext`).

    ``trace_id``, ``span_id`` and ``parent_id`` are 0, 0 and None; ``sampled`` is the
    decision (``debug`` implies it); ``debug_id`` is the value of Jaeger's
    ``jaeger-debug-id`` header, when that is what carried the decision; baggage is what
    came with it. It is always ``remote``. A span started under it is the root of a new
    trace (new ids, no parent, no reference), keeps the debug flag and the baggage, and is
    sampled as the decision says: a deny (``sampled`` false) is final, the sampler is not
    asked; a debug decision is always sampled; an accept is put to the sampler as a remote
    sampled parent is (the default sampler follows it). A ``debug_id`` becomes the root
    span's ``jaeger-debug-id`` tag, as jaeger-client does. Injected, it writes only the
    decision, in the formats that can express one without ids (``BINARY`` cannot: it
    writes nothing, and extract gives None).
    """

    __slots__ = ("debug_id",)

    decision_only = True

    def __init__(
        self,
        sampled: bool,
        baggage: Optional[Mapping[str, str]] = None,
        *,
        debug: bool = False,
        debug_id: Optional[str] = None,
    ) -> None:
        super().__init__(0, 0, sampled or debug, baggage, debug=debug, remote=True)
        self.debug_id = debug_id

    def _replace(self, **changes: object) -> "SpanContext":
        fields = {
            "sampled": self.sampled,
            "baggage": self._baggage,
            "debug": self.debug,
            "debug_id": self.debug_id,
        }
        fields.update(changes)  # a decision has no ids to change: those raise TypeError
        return DecisionContext(**fields)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return "DecisionContext(sampled=%s%s%s%s)" % (
            self.sampled,
            ", debug=True" if self.debug else "",
            ", debug_id=%r" % self.debug_id if self.debug_id is not None else "",
            ", baggage=%r" % self._baggage if self._baggage else "",
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecisionContext):
            return NotImplemented
        return (
            self.sampled == other.sampled
            and self.debug == other.debug
            and self.debug_id == other.debug_id
            and self._baggage == other._baggage
        )
