"""The spans of the recording tracer and the frozen snapshot a finished span becomes.

A sampled span records its name, tags, logs and times; :meth:`RecordingSpan.finish` turns
it, once, into a :class:`FinishedSpan` handed to the tracer's recorder. An unsampled span
(:class:`NonRecordingSpan`) keeps its ids, so that they propagate downstream, and records
nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

import opentracing
from opentracing import ReferenceType

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


@dataclass(frozen=True)
class SpanReference:
    """A reference of a span to an earlier one: its type (``child_of`` or ``follows_from``)
    and the referenced trace and span ids."""

    type: str
    trace_id: int
    span_id: int


@dataclass(frozen=True)
class LogRecord:
    """One ``log_kv`` call: its timestamp (seconds since the epoch) and its fields."""

    timestamp: float
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class FinishedSpan:
    """What the recorder receives for a finished, sampled span: a snapshot that no later
    call on the span can change. Times are seconds since the epoch; ``parent_id`` is the
    span id of the ``child_of`` parent, or None for a root span."""

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


class RecordingSpan(opentracing.Span):
    """A sampled span of :class:`~traced.tracer.Tracer`; thread-safe."""

    __slots__ = (
        "operation_name",
        "start_time",
        "finish_time",
        "_tags",
        "_logs",
        "_references",
        "_lock",
        "_dropped_tags",
        "_dropped_logs",
        "_truncated",
    )

    _tracer: "Tracer"

    def __init__(
        self,
        tracer: "Tracer",
        context: SpanContext,
        operation_name: str,
        start_time: Optional[float],
        tags: Optional[Mapping[str, Any]],
        references: Tuple[SpanReference, ...],
    ) -> None:
        self._tracer = tracer
        self._context = context
        self.operation_name = operation_name
        self.start_time = _time() if start_time is None else start_time
        self.finish_time: Optional[float] = None
        self._tags: Dict[str, Any] = {}
        self._logs: List[LogRecord] = []
        self._references = references
        self._lock = threading.Lock()
        self._dropped_tags = 0
        self._dropped_logs = 0
        self._truncated = 0
        if tags:
            for key, value in tags.items():
                self._set_tag(key, value)

    @property
    def context(self) -> SpanContext:
        return self._context  # type: ignore[return-value]

    @property
    def tracer(self) -> "Tracer":
        return self._tracer

    @property
    def tags(self) -> Dict[str, Any]:
        """A copy of the tags set so far."""
        with self._lock:
            return dict(self._tags)

    @property
    def finished(self) -> bool:
        return self.finish_time is not None

    def set_operation_name(self, operation_name: str) -> "RecordingSpan":
        self.operation_name = operation_name
        return self

    def _limited(self, value: Any) -> Any:
        limit = self._tracer._limits.max_value_length
        if limit is not None and type(value) is str and len(value) > limit:
            self._truncated += 1
            return value[:limit]
        return value

    def _set_tag(self, key: str, value: Any) -> None:
        tags = self._tags
        if key not in tags and len(tags) >= self._tracer._limits.max_tags:
            self._dropped_tags += 1
            return
        tags[key] = self._limited(value)

    def set_tag(self, key: str, value: Any) -> "RecordingSpan":
        with self._lock:
            if self.finish_time is None:
                self._set_tag(key, value)
        return self

    def log_kv(self, key_values: Mapping[str, Any], timestamp: Optional[float] = None) -> "RecordingSpan":
        record = LogRecord(
            _time() if timestamp is None else timestamp,
            {key: self._limited(value) for key, value in key_values.items()},
        )
        with self._lock:
            if self.finish_time is not None:
                return self
            if len(self._logs) >= self._tracer._limits.max_logs:
                self._dropped_logs += 1
            else:
                self._logs.append(record)
        return self

    def set_baggage_item(self, key: str, value: str) -> "RecordingSpan":
        with self._lock:
            self._context = self.context.with_baggage_item(key, value)
        return self

    def get_baggage_item(self, key: str) -> Optional[str]:
        return self.context.baggage.get(key)

    def finish(self, finish_time: Optional[float] = None) -> None:
        """End the span and hand its snapshot to the recorder; later calls do nothing."""
        with self._lock:
            if self.finish_time is not None:
                return
            self.finish_time = _time() if finish_time is None else finish_time
            snapshot = self._snapshot()
        self._tracer._record(snapshot)

    def _snapshot(self) -> FinishedSpan:
        context: SpanContext = self._context  # type: ignore[assignment]
        parent_id = None
        for reference in self._references:
            if reference.type == ReferenceType.CHILD_OF:
                parent_id = reference.span_id
                break
        return FinishedSpan(
            operation_name=self.operation_name,
            trace_id=context.trace_id,
            span_id=context.span_id,
            parent_id=parent_id,
            start_time=self.start_time,
            finish_time=self.finish_time,  # type: ignore[arg-type]
            tags=MappingProxyType(self._tags),
            logs=tuple(self._logs),
            references=self._references,
            baggage=MappingProxyType(context.baggage),
            debug=context.debug,
            dropped_tags=self._dropped_tags,
            dropped_logs=self._dropped_logs,
            truncated_values=self._truncated,
            process=self._tracer.process_tags,
        )

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
