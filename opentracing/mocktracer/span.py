"""MockSpan: a span that records everything done to it, for assertions in tests."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

from opentracing import Span

from .context import SpanContext

if TYPE_CHECKING:
    from .tracer import MockTracer

__all__ = ["LogData", "MockSpan"]


class MockSpan(Span):
    """A span whose operation name, tags, logs and times are plain attributes.

    ``finish()`` records the span with its tracer once; further calls are ignored (in
    OpenTracing 2.4.0 each call recorded it again). ``finish_time`` is -1 until then.
    ``tags`` is the dict given to the tracer, kept as is, as the API allows.
    """

    def __init__(
        self,
        tracer: "MockTracer",
        operation_name: Optional[str] = None,
        context: Optional[SpanContext] = None,
        parent_id: Optional[int] = None,
        tags: Optional[Dict[str, Any]] = None,
        start_time: Optional[float] = None,
    ) -> None:
        self._tracer = tracer
        self._context = context if context is not None else SpanContext()
        self.operation_name = operation_name
        self.start_time = time.time() if start_time is None else start_time
        self.parent_id = parent_id
        self.tags: Dict[str, Any] = {} if tags is None else tags
        self.logs: List[LogData] = []
        self.finish_time: float = -1
        self.finished = False

    @property
    def context(self) -> SpanContext:
        return self._context  # type: ignore[return-value]

    @property
    def tracer(self) -> "MockTracer":
        return self._tracer  # type: ignore[return-value]

    def set_operation_name(self, operation_name: str) -> "MockSpan":
        self.operation_name = operation_name
        return self

    def set_tag(self, key: str, value: Any) -> "MockSpan":
        self.tags[key] = value
        return self

    def log_kv(self, key_values: Mapping[str, Any], timestamp: Optional[float] = None) -> "MockSpan":
        self.logs.append(LogData(dict(key_values), timestamp))
        return self

    def finish(self, finish_time: Optional[float] = None) -> None:
        tracer: Any = self._tracer
        with tracer._lock:  # one lock per tracer, none per span
            if self.finished:
                return
            self.finish_time = time.time() if finish_time is None else finish_time
            self.finished = True
            if tracer._appends_plainly:  # recorded under the same lock
                tracer._finished_spans.append(self)
                return
        tracer._append_finished_span(self)  # a subclass's override

    def set_baggage_item(self, key: str, value: str) -> "MockSpan":
        self._context = self.context.with_baggage_item(key, value)
        return self

    def get_baggage_item(self, key: str) -> Optional[str]:
        return self.context.baggage.get(key)

    def __repr__(self) -> str:
        return (
            f"MockSpan({self.operation_name!r}, trace_id={self.context.trace_id}, "
            f"span_id={self.context.span_id}, parent_id={self.parent_id}, "
            f"finished={self.finished})"
        )


class LogData:
    """One ``log_kv`` call: its ``key_values`` and ``timestamp`` (time of the call if None)."""

    __slots__ = ("key_values", "timestamp")

    def __init__(self, key_values: Dict[str, Any], timestamp: Optional[float] = None) -> None:
        self.key_values = key_values
        self.timestamp = time.time() if timestamp is None else timestamp

    def __repr__(self) -> str:
        return f"LogData({self.key_values!r}, timestamp={self.timestamp!r})"
