"""opentracing.Span and SpanContext: the no-op behaviour, the context manager's error
recording and the deprecated 1.x log calls."""

import types

import pytest

from opentracing import Span, SpanContext, Tracer, logs, tags
from opentracing.mocktracer import MockTracer


def test_noop_span_methods_chain_and_store_nothing():
    """Every setter returns the span itself; the no-op span keeps no baggage."""
    tracer = Tracer()
    span = Span(tracer, SpanContext())
    assert span.tracer is tracer
    assert span.set_operation_name("x") is span
    assert span.set_tag("k", 1) is span
    assert span.log_kv({"k": 1}) is span
    assert span.set_baggage_item("k", "v") is span
    assert span.get_baggage_item("k") is None
    assert span.context.baggage == {}
    span.finish()
    span.finish(finish_time=1.0)


def test_context_manager_finishes_span():
    """Leaving the block finishes the span, once, with no error tag."""
    tracer = MockTracer()
    with tracer.start_span("op") as span:
        assert not span.finished
    assert tracer.finished_spans() == [span]
    assert tags.ERROR not in span.tags


def test_context_manager_records_error_and_reraises():
    """An exception in the block is tagged and logged, the span finished, and re-raised."""
    tracer = MockTracer()
    error = ValueError("boom")
    with pytest.raises(ValueError) as raised:
        with tracer.start_span("op") as span:
            raise error
    assert raised.value is error
    assert span.finished
    assert span.tags[tags.ERROR] is True
    (log,) = span.logs
    fields = log.key_values
    assert fields[logs.EVENT] == tags.ERROR
    assert fields[logs.MESSAGE] == "boom"
    assert fields[logs.ERROR_OBJECT] is error
    assert fields[logs.ERROR_KIND] is ValueError
    assert isinstance(fields[logs.STACK], types.TracebackType)


def test_on_error_ignores_missing_span_or_error():
    """_on_error does nothing without a span or without an exception."""
    span = MockTracer().start_span("op")
    Span._on_error(None, ValueError, ValueError("x"), None)
    Span._on_error(span, None, None, None)
    assert span.tags == {} and span.logs == []


def test_deprecated_log_event():
    """log_event logs the event, plus the payload only when one is given."""
    span = MockTracer().start_span("op")
    assert span.log_event("started") is span
    span.log_event("done", payload={"rows": 3})
    assert [entry.key_values for entry in span.logs] == [
        {"event": "started"},
        {"event": "done", "payload": {"rows": 3}},
    ]


def test_deprecated_log_keeps_only_event_payload_and_timestamp():
    """log(**kw) maps event and payload into fields and timestamp into the log's time."""
    span = MockTracer().start_span("op")
    assert span.log(event="e", payload=1, timestamp=12.5, other="dropped") is span
    span.log(payload="only")
    first, second = span.logs
    assert first.key_values == {"event": "e", "payload": 1}
    assert first.timestamp == 12.5
    assert second.key_values == {"payload": "only"}
    assert second.timestamp > 12.5
