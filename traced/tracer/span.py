"""The spans of the recording tracer and the frozen snapshot a finished span becomes.

A sampled span records its name, tags, logs and times; :meth:`RecordingSpan.finish` turns
it, once, into a :class:`FinishedSpan` handed to the tracer's recorder. An unsampled span
(:class:`NonRecordingSpan`) keeps its ids, so that they propagate downstream, and records
nothing.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import opentracing
from opentracing import ReferenceType

from .._report import report_tracer_error
from .context import SpanContext

if TYPE_CHECKING:
    from .tracer import Tracer

__all__ = ["FinishedSpan", "LogRecord", "NonRecordingSpan", "RecordingSpan", "SpanReference", "SpanLimits"]

_time = time.time


@dataclass(frozen=True)
class SpanLimits:
    """How much one span keeps; what goes over is dropped and counted on the span.

    ``max_tags`` and ``max_logs`` bound the number of tags and log records (a tag set again
    replaces its value and does not count twice); ``max_value_length`` truncates string
    tag and log values longer than it (None: no limit).
    """

    max_tags: int = 128
    max_logs: int = 128
    max_value_length: Optional[int] = 4096

    def __post_init__(self) -> None:
        for name in ("max_tags", "max_logs"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError("SpanLimits.%s must be an int >= 0, not %r" % (name, value))
        if self.max_value_length is not None and (
            not isinstance(self.max_value_length, int) or self.max_value_length < 1
        ):
            raise ValueError(
                "SpanLimits.max_value_length must be None or an int >= 1, not %r"
                % (self.max_value_length,)
            )


class SpanReference(NamedTuple):
    """A reference of a span to an earlier one: its type (``child_of`` or ``follows_from``)
    and the referenced trace and span ids."""

    type: str
    trace_id: int
    span_id: int


class LogRecord(NamedTuple):
    """One ``log_kv`` call: its timestamp (seconds since the epoch) and its fields."""

    timestamp: float
    fields: Mapping[str, Any]


class FinishedSpan(NamedTuple):
    """What the recorder receives for a finished, sampled span: a snapshot that no later
    call on the span can change (a tuple, with read-only mappings). Times are seconds
    since the epoch; ``parent_id`` is the span id of the ``child_of`` parent, or None for
    a root span; ``references`` keeps every reference with its type."""

    operation_name: str
    trace_id: int
    span_id: int
    parent_id: Optional[int]
    start_time: float
    finish_time: float
    tags: Mapping[str, Any]
    logs: Tuple[LogRecord, ...]
    references: Tuple[SpanReference, ...]
    baggage: Mapping[str, str]
    debug: bool
    dropped_tags: int
    dropped_logs: int
    truncated_values: int
    process: Mapping[str, Any]

    @property
    def duration(self) -> float:
        """``finish_time - start_time``, in seconds."""
        return self.finish_time - self.start_time

    @property
    def trace_id_hex(self) -> str:
        return format(self.trace_id, "032x")

    @property
    def span_id_hex(self) -> str:
        return format(self.span_id, "016x")


# Built straight from a tuple: no Python-level __new__ on the finish path.
_new_finished: Callable[[Tuple[Any, ...]], FinishedSpan] = functools.partial(
    tuple.__new__, FinishedSpan
)
_new_reference: Callable[[Tuple[str, int, int]], SpanReference] = functools.partial(
    tuple.__new__, SpanReference
)
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_NO_DROPS = (0, 0, 0)
_CHILD_OF = ReferenceType.CHILD_OF


class RecordingSpan(opentracing.Span):
    """A sampled span of :class:`~traced.tracer.Tracer`.

    Safe to use from several threads: tags and logs are plain appends, and ``finish`` gets
    past its guard once (deleting the ``_unfinished`` slot is one atomic bytecode, and a
    second deletion raises), so the snapshot is built exactly once. Calls after ``finish``
    change nothing.
    """

    __slots__ = (
        "operation_name",
        "start_time",
        "finish_time",
        "_tags",
        "_logs",
        "_references",
        "_unfinished",
        "_drops",
    )

    _tracer: "Tracer"

    def __init__(
        self,
        tracer: "Tracer",
        context: SpanContext,
        operation_name: str,
        start_time: Optional[float],
        tags: Optional[Mapping[str, Any]],
        references: Optional[Tuple[SpanReference, ...]],
    ) -> None:
        self._tracer = tracer
        self._context = context
        self.operation_name = operation_name
        self.start_time = _time() if start_time is None else start_time
        self.finish_time: Optional[float] = None
        self._tags: Optional[Dict[str, Any]] = None
        self._logs: Optional[List[LogRecord]] = None
        # None: the one child_of reference to context.parent_id (or none for a root span)
        self._references = references
        self._unfinished = True
        self._drops: Optional[List[int]] = None  # tags, logs, truncated values
        if tags:
            self._start_tags(tags)

    def _start_tags(self, tags: Mapping[str, Any]) -> None:
        """Set the tags given when the span starts, in one go when the limits allow."""
        limits = self._tracer._limits
        if len(tags) > limits.max_tags:
            for key, value in tags.items():
                self._set_tag(key, value)
            return
        copied = dict(tags)
        limit = limits.max_value_length
        if limit is not None:
            for value in copied.values():
                if value.__class__ is str and len(value) > limit:
                    break
            else:  # the common case: nothing to truncate, one pass over the values
                self._tags = copied
                return
            for key, value in copied.items():
                if type(value) is str and len(value) > limit:
                    copied[key] = value[:limit]
                    self._drop(2)
        self._tags = copied

    @property
    def context(self) -> SpanContext:
        return self._context  # type: ignore[return-value]

    @property
    def tracer(self) -> "Tracer":
        return self._tracer

    @property
    def tags(self) -> Dict[str, Any]:
        """A copy of the tags set so far."""
        return dict(self._tags or ())

    @property
    def finished(self) -> bool:
        return self.finish_time is not None

    def set_operation_name(self, operation_name: str) -> "RecordingSpan":
        if self.finish_time is None:
            self.operation_name = operation_name
        return self

    def _drop(self, which: int) -> None:
        drops = self._drops
        if drops is None:
            drops = self._drops = [0, 0, 0]
        drops[which] += 1

    def _limited(self, value: Any) -> Any:
        limit = self._tracer._limits.max_value_length
        if limit is not None and type(value) is str and len(value) > limit:
            self._drop(2)
            return value[:limit]
        return value

    def _set_tag(self, key: str, value: Any) -> None:
        tags = self._tags
        if tags is None:
            tags = self._tags = {}
        elif key not in tags and len(tags) >= self._tracer._limits.max_tags:
            self._drop(0)
            return
        tags[key] = self._limited(value)

    def set_tag(self, key: str, value: Any) -> "RecordingSpan":
        if self.finish_time is None:
            self._set_tag(key, value)
        return self

    def log_kv(self, key_values: Mapping[str, Any], timestamp: Optional[float] = None) -> "RecordingSpan":
        if self.finish_time is not None:
            return self
        logs = self._logs
        if logs is None:
            logs = self._logs = []
        if len(logs) >= self._tracer._limits.max_logs:
            self._drop(1)
            return self
        fields = {key: self._limited(value) for key, value in key_values.items()}
        logs.append(LogRecord(_time() if timestamp is None else timestamp, MappingProxyType(fields)))
        return self

    def set_baggage_item(self, key: str, value: str) -> "RecordingSpan":
        if self.finish_time is None:
            self._context = self.context.with_baggage_item(key, value)
        return self

    def get_baggage_item(self, key: str) -> Optional[str]:
        return self.context.baggage.get(key)

    def finish(self, finish_time: Optional[float] = None) -> None:
        """End the span and hand its snapshot to the recorder; later calls do nothing."""
        try:
            del self._unfinished  # one bytecode: atomic, so only one caller gets past it
        except AttributeError:
            return
        self.finish_time = finish_time = _time() if finish_time is None else finish_time
        # the snapshot, written out here: this runs once for every sampled span
        context: SpanContext = self._context  # type: ignore[assignment]
        references = self._references
        parent_id = context.parent_id
        if references is None:
            references = () if parent_id is None else (
                _new_reference((_CHILD_OF, context.trace_id, parent_id)),
            )
        else:
            parent_id = next((r.span_id for r in references if r.type == _CHILD_OF), None)
        tags, logs, baggage = self._tags, self._logs, context._baggage
        drops: Sequence[int] = self._drops or _NO_DROPS
        tracer = self._tracer
        snapshot = _new_finished(
            (
                self.operation_name,
                context.trace_id,
                context.span_id,
                parent_id,
                self.start_time,
                finish_time,
                MappingProxyType(dict(tags)) if tags else _EMPTY,
                tuple(logs) if logs else (),
                references,
                MappingProxyType(baggage) if baggage else _EMPTY,
                context.debug,
                drops[0],
                drops[1],
                drops[2],
                tracer.process_tags,
            )
        )
        try:
            tracer._recorder.record(snapshot)
        except Exception as exc:
            report_tracer_error("Recorder.record", exc)

    def __repr__(self) -> str:
        return "RecordingSpan(%r, %r)" % (self.operation_name, self._context)


class NonRecordingSpan(opentracing.Span):
    """An unsampled span: it has ids and baggage, which propagate, and records nothing."""

    __slots__ = ()

    @property
    def context(self) -> SpanContext:
        return self._context  # type: ignore[return-value]

    def set_baggage_item(self, key: str, value: str) -> "NonRecordingSpan":
        self._context = self.context.with_baggage_item(key, value)
        return self

    def get_baggage_item(self, key: str) -> Optional[str]:
        return self.context.baggage.get(key)

    def __repr__(self) -> str:
        return "NonRecordingSpan(%r)" % (self._context,)
