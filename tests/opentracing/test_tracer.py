"""The no-op opentracing.Tracer, span references and start_child_span."""

from unittest import mock

import pytest

from opentracing import (
    Format,
    Reference,
    ReferenceType,
    Scope,
    Span,
    SpanContext,
    Tracer,
    UnsupportedFormatException,
    child_of,
    follows_from,
    start_child_span,
)

FORMATS = [Format.TEXT_MAP, Format.HTTP_HEADERS, Format.BINARY]


def test_noop_spans_and_scopes_are_preallocated():
    """The no-op tracer hands out one span and one scope whatever is asked."""
    tracer = Tracer()
    span = tracer.start_span("a", tags={"k": "v"}, start_time=1.0)
    assert isinstance(span, Span) and span.tracer is tracer
    assert tracer.start_span("b", child_of=span) is span
    scope = tracer.start_active_span("c", finish_on_close=False)
    assert isinstance(scope, Scope)
    assert scope.span is span
    assert tracer.start_active_span("d") is scope


def test_noop_active_span_is_the_noop_managers_span():
    """active_span comes from the scope manager: a no-op span, never None."""
    tracer = Tracer()
    assert tracer.active_span is tracer.scope_manager.active.span


def test_custom_scope_manager_is_used():
    """A scope manager passed in is kept; active_span is None when it has no scope."""
    manager = mock.Mock(active=None)
    tracer = Tracer(scope_manager=manager)
    assert tracer.scope_manager is manager
    assert tracer.active_span is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_noop_inject_extract_accept_the_standard_formats(fmt):
    """inject writes nothing; extract returns an (empty) SpanContext."""
    tracer = Tracer()
    carrier = bytearray() if fmt == Format.BINARY else {}
    tracer.inject(tracer.start_span().context, fmt, carrier)
    assert not carrier
    context = tracer.extract(fmt, carrier)
    assert isinstance(context, SpanContext)
    assert context.baggage == {}


def test_noop_rejects_unknown_format():
    """Other formats raise UnsupportedFormatException, carrying the format."""
    tracer = Tracer()
    with pytest.raises(UnsupportedFormatException, match="jaeger"):
        tracer.inject(SpanContext(), "jaeger", {})
    with pytest.raises(UnsupportedFormatException):
        tracer.extract("jaeger", {})


@pytest.mark.parametrize(
    "make, kind", [(child_of, ReferenceType.CHILD_OF), (follows_from, ReferenceType.FOLLOWS_FROM)]
)
def test_references_accept_span_or_context(make, kind):
    """child_of/follows_from take a Span (using its context), a SpanContext or None."""
    context = SpanContext()
    span = Span(Tracer(), context)
    assert make(span) == Reference(kind, context)
    assert make(context).referenced_context is context
    assert make(span).type == kind
    assert make().referenced_context is None


def test_start_child_span_uses_parents_tracer():
    """start_child_span starts a child_of the parent on the parent's tracer."""
    tracer = mock.Mock(spec=Tracer)
    parent = Span(tracer, SpanContext())
    child = start_child_span(parent, "child", tags={"a": 1}, start_time=2.0)
    tracer.start_span.assert_called_once_with(
        operation_name="child", child_of=parent, tags={"a": 1}, start_time=2.0
    )
    assert child is tracer.start_span.return_value
