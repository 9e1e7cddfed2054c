"""MockTracer: recording, ids and parentage, thread safety, and propagation including
its error cases."""

import threading

import opentracing

import pytest

from opentracing import (
    Format,
    InvalidCarrierException,
    SpanContextCorruptedException,
    UnsupportedFormatException,
    child_of,
    follows_from,
)
from opentracing.mocktracer import MockTracer, Propagator
from opentracing.mocktracer.context import SpanContext

TEXT_FORMATS = [Format.TEXT_MAP, Format.HTTP_HEADERS]


@pytest.fixture
def tracer():
    return MockTracer()


def test_records_finished_spans_in_order(tracer):
    """finished_spans() lists spans by finish time; reset() forgets them."""
    first, second = tracer.start_span("a"), tracer.start_span("b", tags={"k": 1})
    second.finish(finish_time=5.0)
    first.finish()
    assert tracer.finished_spans() == [second, first]
    assert second.finish_time == 5.0 and second.tags == {"k": 1}
    tracer.finished_spans().clear()  # a copy
    assert len(tracer.finished_spans()) == 2
    tracer.reset()
    assert tracer.finished_spans() == []


def test_finish_twice_records_once(tracer):
    """A second finish() neither records the span again nor moves its finish time."""
    span = tracer.start_span("op")
    span.finish(finish_time=1.0)
    span.finish(finish_time=2.0)
    assert tracer.finished_spans() == [span]
    assert span.finish_time == 1.0


@pytest.mark.parametrize(
    "parent_arg",
    [
        lambda p: {"child_of": p},
        lambda p: {"child_of": p.context},
        lambda p: {"references": [child_of(p)]},
        lambda p: {"references": [follows_from(p.context)]},
    ],
)
def test_parent_given_explicitly(tracer, parent_arg):
    """A Span or SpanContext parent, directly or by reference, sets trace and parent ids."""
    parent = tracer.start_span("parent")
    parent.set_baggage_item("b", "1")
    child = tracer.start_span("child", **parent_arg(parent))
    assert child.parent_id == parent.context.span_id
    assert child.context.trace_id == parent.context.trace_id
    assert child.context.span_id != parent.context.span_id
    assert child.get_baggage_item("b") == "1"


def test_active_span_is_parent_unless_ignored(tracer):
    """Without an explicit parent the active span is used, unless ignore_active_span."""
    with tracer.start_active_span("parent") as scope:
        assert tracer.start_span("c").parent_id == scope.span.context.span_id
        orphan = tracer.start_span("o", ignore_active_span=True)
        assert orphan.parent_id is None
        assert orphan.context.trace_id != scope.span.context.trace_id


def test_ids_come_from_one_counter_as_in_opentracing_2_4():
    """A root span takes a span id, then a trace id; a child only a span id."""
    root = MockTracer().start_span("root")
    assert (root.context.span_id, root.context.trace_id) == (1, 2)
    child = root.tracer.start_span("child", child_of=root)
    assert (child.context.span_id, child.context.trace_id, child.parent_id) == (3, 2, 1)
    second_root = root.tracer.start_span("root 2")
    assert (second_root.context.span_id, second_root.context.trace_id) == (4, 5)


def test_a_reference_to_no_context_falls_back_to_the_active_span(tracer):
    """child_of(None) in references is ignored, so the active span is the parent."""
    with tracer.start_active_span("parent") as scope:
        span = tracer.start_span("c", references=[opentracing.child_of(None)])
        assert span.parent_id == scope.span.context.span_id
        span = tracer.start_span(
            "c", references=[opentracing.child_of(None)], ignore_active_span=True
        )
        assert span.parent_id is None


def test_concurrent_use_from_20_threads(tracer):
    """Spans started and finished from 20 threads at once are all recorded, ids unique."""
    barrier = threading.Barrier(20)

    def work():
        barrier.wait()
        for _ in range(50):
            with tracer.start_active_span("op"):
                tracer.start_span("child").finish()

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans = tracer.finished_spans()
    assert len(spans) == 20 * 50 * 2
    assert len({s.context.span_id for s in spans}) == len(spans)
    assert all(s.parent_id is not None for s in spans if s.operation_name == "child")


# -- propagation ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", TEXT_FORMATS + [Format.BINARY])
def test_round_trip(tracer, fmt):
    """inject then extract gives back ids and baggage."""
    span = tracer.start_span("op").set_baggage_item("user", "fry")
    carrier = bytearray() if fmt == Format.BINARY else {}
    tracer.inject(span.context, fmt, carrier)
    context = tracer.extract(fmt, carrier)
    assert (context.trace_id, context.span_id) == (span.context.trace_id, span.context.span_id)
    assert context.baggage == {"user": "fry"}


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_baggage_values_travel_unchanged(tracer, fmt):
    """Both text formats write baggage values as they are (as OpenTracing 2.4.0 did)."""
    value = "Zoë says hi, 100% ✓"
    span = tracer.start_span("op").set_baggage_item("greeting", value)
    headers = {}
    tracer.inject(span.context, fmt, headers)
    assert headers["ot-baggage-greeting"] == value
    assert tracer.extract(fmt, headers).baggage == {"greeting": value}


def test_extract_header_keys_are_case_insensitive(tracer):
    """Capitalised header names, as proxies send them, are read like lowercase ones."""
    headers = {"OT-Tracer-TraceId": "1f", "OT-TRACER-SPANID": "a", "Ot-Baggage-x": "y"}
    context = tracer.extract(Format.HTTP_HEADERS, headers)
    assert (context.trace_id, context.span_id, context.baggage) == (31, 10, {"x": "y"})


@pytest.mark.parametrize("fmt", TEXT_FORMATS + [Format.BINARY])
def test_empty_carrier_is_corrupted(tracer, fmt):
    """A carrier holding no span data raises SpanContextCorruptedException, as in 2.4.0."""
    carriers = [bytearray()] if fmt == Format.BINARY else [{}, {"unrelated": "header"}]
    for carrier in carriers:
        with pytest.raises(SpanContextCorruptedException):
            tracer.extract(fmt, carrier)


def test_noop_tracer_extracts_its_noop_context_from_an_empty_carrier():
    noop = opentracing.Tracer()
    for fmt, carrier in [(Format.TEXT_MAP, {}), (Format.HTTP_HEADERS, {}), (Format.BINARY, bytearray())]:
        assert noop.extract(fmt, carrier) is noop.extract(fmt, carrier) is not None


def test_unknown_format(tracer):
    """Formats without a propagator raise UnsupportedFormatException both ways."""
    with pytest.raises(UnsupportedFormatException):
        tracer.inject(tracer.start_span().context, "thrift", {})
    with pytest.raises(UnsupportedFormatException):
        tracer.extract("thrift", {})


@pytest.mark.parametrize(
    "fmt, carrier",
    [(Format.TEXT_MAP, []), (Format.HTTP_HEADERS, "x"), (Format.BINARY, "bytes?"),
     (Format.BINARY, {}), (Format.BINARY, b"bytes are not a bytearray")],
)
def test_wrong_carrier_type(tracer, fmt, carrier):
    """A carrier of the wrong type raises InvalidCarrierException on inject and extract."""
    with pytest.raises(InvalidCarrierException):
        tracer.inject(tracer.start_span().context, fmt, carrier)
    with pytest.raises(InvalidCarrierException):
        tracer.extract(fmt, carrier)


@pytest.mark.parametrize(
    "fmt, carrier",
    [
        (Format.TEXT_MAP, {"ot-tracer-traceid": "xyz", "ot-tracer-spanid": "1"}),
        (Format.TEXT_MAP, {"ot-tracer-traceid": "1"}),
        (Format.HTTP_HEADERS, {"ot-tracer-spanid": "1", "ot-baggage-a": "b"}),
        (Format.TEXT_MAP, {"ot-baggage-a": "b"}),
        (Format.BINARY, bytearray(b"\xff\x00garbage")),
        (Format.BINARY, bytearray(b'{"trace_id": "1", "span_id": 2, "baggage": {}}')),
        (Format.BINARY, bytearray(b"[1, 2]")),
        (Format.TEXT_MAP, {"ot-tracer-traceid": "1", "OT-TRACER-TRACEID": "2", "ot-tracer-spanid": "3"}),
    ],
)
def test_corrupted_carrier(tracer, fmt, carrier):
    """Span data that cannot be decoded raises SpanContextCorruptedException."""
    with pytest.raises(SpanContextCorruptedException):
        tracer.extract(fmt, carrier)


def test_register_propagator(tracer):
    """A registered propagator handles its format, and can replace a built-in one."""

    class Upper(Propagator):
        def inject(self, span_context, carrier):
            carrier["ID"] = str(span_context.span_id)

        def extract(self, carrier):
            return SpanContext(0, int(carrier["ID"]))

    tracer.register_propagator("custom", Upper())
    tracer.register_propagator(Format.TEXT_MAP, Upper())
    span = tracer.start_span("op")
    for fmt in ("custom", Format.TEXT_MAP):
        carrier = {}
        tracer.inject(span.context, fmt, carrier)
        assert carrier == {"ID": str(span.context.span_id)}
        assert tracer.extract(fmt, carrier).span_id == span.context.span_id


def test_base_propagator_does_nothing():
    """Propagator's methods are no-ops (a subclass may override only one of them)."""
    carrier = {}
    assert Propagator().inject(SpanContext(1, 1), carrier) is None
    assert carrier == {}
    assert Propagator().extract({"ot-tracer-spanid": "1"}) is None


def test_span_context_is_immutable_under_baggage():
    """with_baggage_item returns a new context and leaves the original untouched."""
    original = SpanContext(1, 2, {"a": "1"})
    updated = original.with_baggage_item("b", "2")
    assert original.baggage == {"a": "1"}
    assert updated.baggage == {"a": "1", "b": "2"}
    assert (updated.trace_id, updated.span_id) == (1, 2)


def test_a_span_finished_by_many_threads_at_once_is_recorded_once(tracer):
    """Exactly once under a race: 16 threads call finish() on the same spans together."""
    spans = [tracer.start_span("s%d" % i) for i in range(200)]
    barrier = threading.Barrier(16)

    def finish_all():
        barrier.wait()
        for span in spans:
            span.finish()

    threads = [threading.Thread(target=finish_all) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(s.operation_name for s in tracer.finished_spans()) == sorted(
        s.operation_name for s in spans
    )


def test_a_subclass_overriding_append_finished_span_sees_each_span_once():
    class Recording(MockTracer):
        def __init__(self):
            super().__init__()
            self.seen = []

        def _append_finished_span(self, span):
            self.seen.append(span.operation_name)
            super()._append_finished_span(span)

    tracer = Recording()
    span = tracer.start_span("once")
    span.finish()
    span.finish()
    assert tracer.seen == ["once"] and tracer.finished_spans() == [span]
