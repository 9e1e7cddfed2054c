"""MockTracer: an in-memory tracer whose finished spans tests can inspect."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any, Dict, List, Optional, Union

from opentracing import (
    Format,
    Reference,
    Scope,
    ScopeManager,
    Span,
    Tracer,
    UnsupportedFormatException,
)
from opentracing import SpanContext as _BaseContext
from opentracing.scope_managers import ThreadLocalScopeManager

from .binary_propagator import BinaryPropagator
from .context import SpanContext
from .propagator import Propagator
from .span import MockSpan
from .text_propagator import TextPropagator

__all__ = ["MockTracer"]


class MockTracer(Tracer):
    """A tracer that keeps every finished span in memory, in finishing order.

    Safe to use from many threads. Ids come from one counter starting at 1, as in
    OpenTracing 2.4.0: a root span takes its span id and then its trace id from it (the
    first root span has ``span_id`` 1 and ``trace_id`` 2), a child span only its span id.
    Supports TEXT_MAP, HTTP_HEADERS and BINARY propagation; more formats can be registered
    with :meth:`register_propagator`. ``extract`` raises
    :exc:`~opentracing.SpanContextCorruptedException` for a carrier without both ids,
    an empty one included (the no-op tracer's ``extract`` returns its no-op context).
    """

    def __init__(self, scope_manager: Optional[ScopeManager] = None) -> None:
        super().__init__(ThreadLocalScopeManager() if scope_manager is None else scope_manager)
        self._propagators: Dict[str, Propagator] = {}
        self._finished_spans: List[MockSpan] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        # MockSpan.finish records a span under its own lock unless a subclass overrides this
        self._appends_plainly = (
            type(self)._append_finished_span is MockTracer._append_finished_span
        )
        self._register_required_propagators()

    def register_propagator(self, format: str, propagator: Propagator) -> None:
        """Use ``propagator`` to inject and extract carriers of ``format`` (replacing any)."""
        self._propagators[format] = propagator

    def _register_required_propagators(self) -> None:
        self.register_propagator(Format.TEXT_MAP, TextPropagator())
        self.register_propagator(Format.HTTP_HEADERS, TextPropagator())
        self.register_propagator(Format.BINARY, BinaryPropagator())

    def finished_spans(self) -> List[MockSpan]:
        """A copy of the list of finished spans, oldest finish first."""
        with self._lock:
            return list(self._finished_spans)

    def reset(self) -> None:
        """Forget every finished span (spans still open are recorded when they finish)."""
        with self._lock:
            self._finished_spans.clear()

    def _append_finished_span(self, span: MockSpan) -> None:
        """Record ``span`` as finished; called once per span by :meth:`MockSpan.finish`."""
        with self._lock:
            self._finished_spans.append(span)

    def _generate_id(self) -> int:
        return next(self._ids)

    def start_active_span(
        self,
        operation_name: str,
        child_of: Union[Span, _BaseContext, None] = None,
        references: Optional[List[Reference]] = None,
        tags: Optional[Dict[str, Any]] = None,
        start_time: Optional[float] = None,
        ignore_active_span: bool = False,
        finish_on_close: bool = True,
    ) -> Scope:
        span = self.start_span(
            operation_name, child_of, references, tags, start_time, ignore_active_span
        )
        return self._scope_manager.activate(span, finish_on_close)

    def start_span(
        self,
        operation_name: Optional[str] = None,
        child_of: Union[Span, _BaseContext, None] = None,
        references: Optional[List[Reference]] = None,
        tags: Optional[Dict[str, Any]] = None,
        start_time: Optional[float] = None,
        ignore_active_span: bool = False,
    ) -> MockSpan:
        parent: Optional[_BaseContext] = None
        if child_of is not None:
            parent = child_of.context if isinstance(child_of, Span) else child_of
        elif references:
            parent = references[0].referenced_context
        if parent is None and not ignore_active_span:
            scope = self._scope_manager.active
            if scope is not None:
                parent = scope.span.context
        span_id = next(self._ids)
        if isinstance(parent, SpanContext):
            context = SpanContext(parent.trace_id, span_id, dict(parent.baggage))
            parent_id = parent.span_id
        else:  # a root span; a context of another tracer cannot be a parent either
            context = SpanContext(next(self._ids), span_id)
            parent_id = None
        return MockSpan(self, operation_name, context, parent_id, tags, start_time)

    def inject(self, span_context: _BaseContext, format: str, carrier: Any) -> None:
        propagator = self._propagators.get(format)
        if propagator is None:
            raise UnsupportedFormatException(format)
        propagator.inject(span_context, carrier)  # type: ignore[arg-type]

    def extract(self, format: str, carrier: Any) -> Optional[SpanContext]:
        propagator = self._propagators.get(format)
        if propagator is None:
            raise UnsupportedFormatException(format)
        return propagator.extract(carrier)
