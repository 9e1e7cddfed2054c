"""opentracing.Scope: its properties and its behaviour as a context manager."""

import pytest

from opentracing import Scope, ScopeManager, Span, SpanContext, logs, tags
from opentracing.mocktracer import MockTracer


def test_properties():
    """A scope exposes the manager and span it was built with."""
    manager = ScopeManager()
    span = Span(None, SpanContext())
    scope = Scope(manager, span)
    assert scope.manager is manager
    assert scope.span is span
    with scope as entered:
        assert entered is scope


def test_context_manager_closes_scope():
    """Leaving the block closes the scope, which finishes the span by default."""
    tracer = MockTracer()
    with tracer.start_active_span("op") as scope:
        assert tracer.active_span is scope.span
    assert tracer.active_span is None
    assert tracer.finished_spans() == [scope.span]


def test_context_manager_records_error_closes_and_reraises():
    """An exception is recorded on the span, the scope closed and the error re-raised."""
    tracer = MockTracer()
    with pytest.raises(KeyError):
        with tracer.start_active_span("op", finish_on_close=False) as scope:
            raise KeyError("k")
    assert tracer.active_span is None
    span = scope.span
    assert not span.finished  # finish_on_close=False is honoured on error too
    assert span.tags[tags.ERROR] is True
    fields = span.logs[0].key_values
    assert fields[logs.EVENT] == "error"
    assert fields[logs.ERROR_KIND] is KeyError
    assert isinstance(fields[logs.ERROR_OBJECT], KeyError)
    assert fields[logs.MESSAGE] == str(KeyError("k"))
    assert fields[logs.STACK] is not None


def test_noop_scope_manager_always_returns_its_scope():
    """The base ScopeManager is a no-op: one preallocated scope, always active."""
    manager = ScopeManager()
    scope = manager.activate(Span(None, SpanContext()), True)
    assert manager.active is scope
    scope.close()
    assert manager.active is scope
