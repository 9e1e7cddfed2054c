"""OTLP encoding and export: what ``encode_otlp`` writes, decoded by the generated classes of
opentelemetry-proto and checked field by field against real spans of ``traced.Tracer``; the
bytes against the classes' own serialization; arbitrary tag values (hypothesis); OpenTelemetry's
encoder on equivalent SDK spans; and ``OTLPExporter`` posting to a collector on 127.0.0.1."""

from __future__ import annotations

import logging
import math
import struct
from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentracing import child_of, follows_from

pb_service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
from opentelemetry.proto.trace.v1 import trace_pb2  # noqa: E402

import traced.tracer as tr  # noqa: E402
from traced.counters import Counters  # noqa: E402
from traced.export._protobuf import varint_size  # noqa: E402
from traced.export.otlp import OTLPExporter, encode_otlp  # noqa: E402
from traced.tracer.span import FinishedSpan  # noqa: E402

Request = pb_service.ExportTraceServiceRequest
START = 1_700_000_000.123456  # a float whose microseconds are exact enough to round back


class BadStr:
    """A value whose ``str()`` raises."""

    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def tracer(service: str = "svc", **kwargs: Any) -> Tuple[tr.Tracer, tr.MemoryRecorder]:
    memory = tr.MemoryRecorder()
    return tr.Tracer(service, recorder=memory, **kwargs), memory


def decode(body: bytes) -> Any:
    return Request.FromString(body)


def all_spans(request: Any) -> List[Any]:
    return [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]


def by_name(request: Any) -> Dict[str, Any]:
    return {s.name: s for s in all_spans(request)}


def attrs(pb_span_or_event: Any) -> Dict[str, Any]:
    """Attributes as {key: (which, value)}, value a plain Python value."""
    return {kv.key: plain(kv.value) for kv in pb_span_or_event.attributes}


def plain(any_value: Any) -> Any:
    which = any_value.WhichOneof("value")
    if which is None:
        return (None, None)
    if which == "array_value":
        return (which, [plain(v) for v in any_value.array_value.values])
    if which == "kvlist_value":
        return (which, {kv.key: plain(kv.value) for kv in any_value.kvlist_value.values})
    return (which, getattr(any_value, which))


def ns(seconds: float) -> int:
    return round(seconds * 1e6) * 1000


# --------------------------------------------------------------------------- field for field


def test_ids_times_name_kind_flags_and_resource() -> None:
    t, memory = tracer("checkout", tags={"deployment.environment": "test"})
    root = t.start_span("root", start_time=START, tags={"span.kind": "server"})
    child = t.start_span("child", child_of=root, start_time=START + 0.5)
    child.finish(START + 0.75)
    root.finish(START + 1.000001)
    request = decode(encode_otlp(memory.spans))
    assert len(request.resource_spans) == 1
    resource_spans = request.resource_spans[0]
    resource = attrs(resource_spans.resource)
    assert resource["service.name"] == ("string_value", "checkout")
    assert resource["process.pid"][0] == "int_value"
    assert resource["deployment.environment"] == ("string_value", "test")
    assert resource["telemetry.sdk.name"] == ("string_value", "traced")
    (scope_spans,) = resource_spans.scope_spans
    assert scope_spans.scope.name == "traced"
    assert scope_spans.scope.version == t.process_tags["telemetry.sdk.version"] != ""
    spans = by_name(request)
    r, c = memory.spans[1], memory.spans[0]
    assert spans["root"].trace_id == r.trace_id.to_bytes(16, "big")
    assert spans["root"].span_id == r.span_id.to_bytes(8, "big")
    assert spans["root"].parent_span_id == b""
    assert spans["child"].parent_span_id == r.span_id.to_bytes(8, "big")
    assert spans["child"].trace_id == spans["root"].trace_id
    assert spans["root"].start_time_unix_nano == 1_700_000_000_123_456_000
    assert spans["root"].end_time_unix_nano == 1_700_000_001_123_457_000
    assert spans["child"].end_time_unix_nano - spans["child"].start_time_unix_nano == 250_000_000
    assert spans["root"].kind == trace_pb2.Span.SPAN_KIND_SERVER
    assert "span.kind" not in attrs(spans["root"])
    assert spans["child"].kind == trace_pb2.Span.SPAN_KIND_INTERNAL
    assert spans["root"].flags == spans["child"].flags == 0x01  # sampled
    assert not spans["root"].HasField("status")
    assert c.span_id.to_bytes(8, "big") == spans["child"].span_id


@pytest.mark.parametrize(
    "value, kind",
    [("client", 3), ("server", 2), ("producer", 4), ("consumer", 5), ("gateway", 1), (7, 1)],
)
def test_span_kind_from_the_tag(value: Any, kind: int) -> None:
    t, memory = tracer()
    t.start_span("x", tags={"span.kind": value}).finish()
    (span,) = all_spans(decode(encode_otlp(memory.spans)))
    assert span.kind == kind
    # a value that names no kind stays as a tag
    assert ("span.kind" in attrs(span)) == (kind == 1)


def test_64_bit_and_128_bit_trace_ids() -> None:
    t, memory = tracer()
    parent = tr.SpanContext(0x0000_0000_0000_0000_0123_4567_89AB_CDEF, 0x42)
    t.start_span("short", child_of=parent).finish()
    big = tr.SpanContext((1 << 128) - 1, (1 << 64) - 1)
    t.start_span("long", child_of=big).finish()
    spans = by_name(decode(encode_otlp(memory.spans)))
    assert spans["short"].trace_id == bytes(8) + bytes.fromhex("0123456789abcdef")
    assert spans["short"].parent_span_id == (0x42).to_bytes(8, "big")
    assert spans["long"].trace_id == b"\xff" * 16
    assert spans["long"].parent_span_id == b"\xff" * 8


def test_tags_of_every_type() -> None:
    t, memory = tracer()
    tags: Dict[str, Any] = {
        "s": "text",
        "empty": "",
        "unicode": "héllo ☃ 𝄞",
        "t": True,
        "f": False,
        "i": 42,
        "neg": -7,
        "zero": 0,
        "int64_max": 2**63 - 1,
        "int64_min": -(2**63),
        "huge": 2**63,
        "hugeneg": -(2**70),
        "pi": 3.25,
        "nan": float("nan"),
        "inf": float("inf"),
        "-inf": float("-inf"),
        "-0": -0.0,
        "bytes": b"\x00\xff",
        "list": ["a", 1, True, 2.5, None],
        "tuple": (1, 2),
        "emptylist": [],
        "dict": {"a": 1, "b": {"c": [1, "x"]}},
        "none": None,
        "cls": ValueError,
        "obj": BadStr(),
        "set": {1},
        "surrogate": "a\udc80b",
        "☃": "key in unicode",
    }
    t.start_span("tags", tags=tags).finish()
    (span,) = all_spans(decode(encode_otlp(memory.spans)))
    got = attrs(span)
    assert list(got) == list(tags)  # every tag, in order
    assert got["s"] == ("string_value", "text")
    assert got["empty"] == ("string_value", "")
    assert got["unicode"] == ("string_value", "héllo ☃ 𝄞")
    assert got["t"] == ("bool_value", True)
    assert got["f"] == ("bool_value", False)
    assert got["i"] == ("int_value", 42)
    assert got["neg"] == ("int_value", -7)
    assert got["zero"] == ("int_value", 0)
    assert got["int64_max"] == ("int_value", 2**63 - 1)
    assert got["int64_min"] == ("int_value", -(2**63))
    assert got["huge"] == ("string_value", str(2**63))
    assert got["hugeneg"] == ("string_value", str(-(2**70)))
    assert got["pi"] == ("double_value", 3.25)
    assert got["nan"][0] == "double_value" and math.isnan(got["nan"][1])
    assert got["inf"] == ("double_value", math.inf)
    assert got["-inf"] == ("double_value", -math.inf)
    assert got["-0"][0] == "double_value" and math.copysign(1, got["-0"][1]) == -1
    assert got["bytes"] == ("bytes_value", b"\x00\xff")
    assert got["list"] == (
        "array_value",
        [("string_value", "a"), ("int_value", 1), ("bool_value", True), ("double_value", 2.5), (None, None)],
    )
    assert got["tuple"] == ("array_value", [("int_value", 1), ("int_value", 2)])
    assert got["emptylist"] == ("array_value", [])
    assert got["dict"] == (
        "kvlist_value",
        {
            "a": ("int_value", 1),
            "b": ("kvlist_value", {"c": ("array_value", [("int_value", 1), ("string_value", "x")])}),
        },
    )
    assert got["none"] == (None, None)
    assert got["cls"] == ("string_value", "ValueError")
    assert got["obj"] == ("string_value", "<BadStr: str() failed>")
    assert got["set"] == ("string_value", "{1}")
    assert got["surrogate"] == ("string_value", "a?b")
    assert got["☃"] == ("string_value", "key in unicode")


def test_logs_become_events() -> None:
    t, memory = tracer()
    span = t.start_span("logs")
    span.log_kv({"event": "cache.miss", "key": "k1", "size": 3}, timestamp=START)
    span.log_kv({"message": "no event field"}, timestamp=START + 1)
    span.log_kv({"event": 5, "x": ""}, timestamp=START + 2)
    span.log_kv({"event": ""}, timestamp=START + 3)
    span.finish()
    (pb,) = all_spans(decode(encode_otlp(memory.spans)))
    first, second, third, fourth = pb.events
    assert (first.name, first.time_unix_nano) == ("cache.miss", ns(START))
    assert attrs(first) == {"key": ("string_value", "k1"), "size": ("int_value", 3)}
    assert (second.name, second.time_unix_nano) == ("log", ns(START + 1))
    assert attrs(second) == {"message": ("string_value", "no event field")}
    assert third.name == "log"  # a non-string event stays a field
    assert attrs(third) == {"event": ("int_value", 5), "x": ("string_value", "")}
    assert (fourth.name, attrs(fourth)) == ("", {})


def test_an_error_sets_the_status_with_the_message_of_the_error_log() -> None:
    t, memory = tracer()
    with pytest.raises(KeyError):
        with t.start_active_span("failing"):
            raise KeyError("missing")
    (pb,) = all_spans(decode(encode_otlp(memory.spans)))
    assert pb.status.code == trace_pb2.Status.STATUS_CODE_ERROR
    assert pb.status.message == "'missing'"
    assert "error" not in attrs(pb)
    (event,) = pb.events
    assert event.name == "error"
    fields = attrs(event)
    assert fields["error.kind"] == ("string_value", "KeyError")
    assert fields["error.object"] == ("string_value", "'missing'")
    assert "raise KeyError" in fields["stack"][1]


@pytest.mark.parametrize(
    "tags, logs, code, message",
    [
        ({"error": True}, [], 2, ""),
        ({"error": "true"}, [{"event": "error", "error.object": BadStr()}], 2, "<BadStr: str() failed>"),
        ({"error": "TRUE"}, [{"event": "error", "error.object": OSError(2, "gone")}], 2, "[Errno 2] gone"),
        ({"error": False}, [{"event": "error", "message": "ignored"}], 0, ""),
        ({"error": "no"}, [], 0, ""),
    ],
)
def test_error_tag_forms(tags: Dict[str, Any], logs: List[Dict[str, Any]], code: int, message: str) -> None:
    t, memory = tracer()
    span = t.start_span("e", tags=tags)
    for fields in logs:
        span.log_kv(fields)
    span.finish()
    (pb,) = all_spans(decode(encode_otlp(memory.spans)))
    assert pb.status.code == code
    assert pb.status.message == message
    assert ("error" in attrs(pb)) == (code == 0)


def test_references_follows_from_and_extra_child_of_become_typed_links() -> None:
    t, memory = tracer()
    a = t.start_span("a")
    b = t.start_span("b")
    other_trace = tr.SpanContext(0xABCDEF, 0x99)
    c = t.start_span("c", references=[child_of(a.context), follows_from(b.context), child_of(other_trace)])
    d = t.start_span("d", references=[follows_from(a.context)])
    for span in (c, d, b, a):
        span.finish()
    spans = by_name(decode(encode_otlp(memory.spans)))
    pc, pd = spans["c"], spans["d"]
    assert pc.parent_span_id == a.context.span_id.to_bytes(8, "big")
    links = [(l.trace_id, l.span_id, attrs(l)) for l in pc.links]
    assert links == [
        (b.context.trace_id.to_bytes(16, "big"), b.context.span_id.to_bytes(8, "big"),
         {"opentracing.ref_type": ("string_value", "follows_from")}),
        ((0xABCDEF).to_bytes(16, "big"), (0x99).to_bytes(8, "big"),
         {"opentracing.ref_type": ("string_value", "child_of")}),
    ]
    assert pd.parent_span_id == b""  # a follows_from alone: a root with a typed link
    assert [attrs(l) for l in pd.links] == [{"opentracing.ref_type": ("string_value", "follows_from")}]
    assert pd.links[0].span_id == a.context.span_id.to_bytes(8, "big")
    assert not spans["a"].links and not spans["b"].links


def test_baggage_debug_and_drop_counts() -> None:
    t, memory = tracer(limits=tr.SpanLimits(max_tags=2, max_logs=1))
    span = t.start_span("b", tags={"x": 1, "baggage.user": "tag wins"})
    span.set_tag("y", 2)
    span.set_baggage_item("user", "bob")
    span.set_baggage_item("tenant", "t1")
    span.log_kv({"a": 1})
    span.log_kv({"b": 2})
    span.finish()
    debug_parent = tr.SpanContext(5, 6, debug=True)
    t.start_span("dbg", child_of=debug_parent).finish()
    spans = by_name(decode(encode_otlp(memory.spans)))
    got = attrs(spans["b"])
    assert got == {
        "x": ("int_value", 1),
        "baggage.user": ("string_value", "tag wins"),
        "baggage.tenant": ("string_value", "t1"),
    }
    assert spans["b"].dropped_attributes_count == 1
    assert spans["b"].dropped_events_count == 1
    assert len(spans["b"].events) == 1
    assert attrs(spans["dbg"]) == {"traced.debug": ("bool_value", True)}
    assert "traced.debug" not in got


def test_spans_grouped_by_process() -> None:
    t1, m1 = tracer("one")
    t2, m2 = tracer("two")
    t3, m3 = tracer("one")  # same content as t1: the same resource
    t1.start_span("a1").finish()
    t2.start_span("b1").finish()
    t1.start_span("a2").finish()
    t3.start_span("a3").finish()
    request = decode(encode_otlp(m1.spans + m2.spans + m3.spans))
    groups = {
        attrs(rs.resource)["service.name"][1]: [s.name for ss in rs.scope_spans for s in ss.spans]
        for rs in request.resource_spans
    }
    assert groups == {"one": ["a1", "a2", "a3"], "two": ["b1"]}
    assert len(request.resource_spans) == 2
    assert encode_otlp([]) == b""


# --------------------------------------------------------------------------- bytes


def reference_request(spans: List[FinishedSpan]) -> bytes:
    """Simple spans (string and int tags, a parent, no logs) built with the generated
    classes, fields set in the documented mapping."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource

    def kv(key: str, value: Any) -> Any:
        if isinstance(value, str):
            return KeyValue(key=key, value=AnyValue(string_value=value))
        return KeyValue(key=key, value=AnyValue(int_value=value))

    process = spans[0].process
    out = []
    for s in spans:
        out.append(
            trace_pb2.Span(
                trace_id=s.trace_id.to_bytes(16, "big"),
                span_id=s.span_id.to_bytes(8, "big"),
                parent_span_id=s.parent_id.to_bytes(8, "big") if s.parent_id is not None else b"",
                name=s.operation_name,
                kind=1,
                start_time_unix_nano=ns(s.start_time),
                end_time_unix_nano=ns(s.finish_time),
                attributes=[kv(k, v) for k, v in s.tags.items()],
                flags=1,
            )
        )
    request = Request(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=Resource(attributes=[kv(k, v) for k, v in process.items()]),
                scope_spans=[
                    trace_pb2.ScopeSpans(
                        scope=InstrumentationScope(name="traced", version=process["telemetry.sdk.version"]),
                        spans=out,
                    )
                ],
            )
        ]
    )
    return bytes(request.SerializeToString())


def test_bytes_identical_to_the_generated_classes() -> None:
    t, memory = tracer("bytes")
    root = t.start_span("root", tags={"a": "x", "n": 300, "m": -1, "e": "", "u": "ü" * 70})
    for i in range(3):
        t.start_span("c%d" % i, child_of=root, tags={"i": i, "long": "y" * 200}).finish()
    t.start_span("", child_of=root).finish()  # an empty name is not written
    root.finish()
    ours = encode_otlp(memory.spans)
    assert ours == reference_request(memory.spans)
    # whatever we write, the generated classes write back the same bytes
    assert decode(ours).SerializeToString() == ours


def test_size_hint_is_the_exact_size_of_the_span_in_the_request() -> None:
    t, memory = tracer()
    t.start_span("x" * 300, tags={"k": "v" * 200, "n": [1, 2, {"z": None}]}).finish()
    s = t.start_span("y", tags={"error": True, "span.kind": "client"})
    s.log_kv({"event": "error", "message": "m" * 150})
    s.finish()
    exporter = OTLPExporter("http://127.0.0.1:9/v1/traces")
    try:
        body = encode_otlp(memory.spans)
        for span, pb in zip(memory.spans, all_spans(decode(body))):
            size = len(pb.SerializeToString())
            assert exporter.size_hint(span) == 1 + varint_size(size) + size
    finally:
        exporter.shutdown()


# --------------------------------------------------------------------------- hypothesis

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.binary(max_size=10)
    | st.just(BadStr())
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def check_any(any_value: Any, value: Any, depth: int) -> None:
    """``any_value`` holds ``value`` by the documented mapping."""
    which = any_value.WhichOneof("value")
    if value is None:
        assert which is None
    elif isinstance(value, bool):
        assert (which, any_value.bool_value) == ("bool_value", value)
    elif isinstance(value, int):
        if -(2**63) <= value < 2**63:
            assert (which, any_value.int_value) == ("int_value", value)
        else:
            assert (which, any_value.string_value) == ("string_value", str(value))
    elif isinstance(value, float):
        assert which == "double_value"
        assert struct.pack("<d", any_value.double_value) == struct.pack("<d", value)
    elif isinstance(value, str):
        assert which == "string_value"
        assert any_value.string_value == value.encode("utf-8", "replace").decode()
    elif isinstance(value, bytes):
        assert (which, any_value.bytes_value) == ("bytes_value", value)
    elif isinstance(value, (list, tuple)) and depth < 8:
        assert which == "array_value"
        assert len(any_value.array_value.values) == len(value)
        for got, item in zip(any_value.array_value.values, value):
            check_any(got, item, depth + 1)
    elif isinstance(value, dict) and depth < 8:
        assert which == "kvlist_value"
        pairs = any_value.kvlist_value.values
        assert [kv.key for kv in pairs] == [k.encode("utf-8", "replace").decode() for k in value]
        for kv, item in zip(pairs, value.values()):
            check_any(kv.value, item, depth + 1)
    elif isinstance(value, BadStr):
        assert any_value.string_value == "<BadStr: str() failed>"
    else:
        assert which == "string_value"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=8), _values, max_size=5), st.dictionaries(st.text(max_size=5), _values, max_size=3))
def test_any_tag_and_log_values_encode_and_decode(tags: Dict[str, Any], fields: Dict[str, Any]) -> None:
    t, memory = tracer()
    span = t.start_span("h", tags=tags)
    span.log_kv(fields)
    span.finish()
    (finished,) = memory.spans
    body = encode_otlp(memory.spans)
    request = decode(body)
    assert request.SerializeToString() == body
    (pb,) = all_spans(request)
    mapped = {k: v for k, v in finished.tags.items()}
    kind = mapped.get("span.kind")
    if isinstance(kind, str) and kind in ("client", "server", "producer", "consumer"):
        del mapped["span.kind"]
    error = mapped.get("error")
    if error is True or (isinstance(error, str) and error.lower() == "true"):
        del mapped["error"]
        assert pb.status.code == 2
    assert [kv.key for kv in pb.attributes] == [k.encode("utf-8", "replace").decode() for k in mapped]
    for kv, value in zip(pb.attributes, mapped.values()):
        check_any(kv.value, value, 0)
    (event,) = pb.events
    event_fields = dict(finished.logs[0].fields)
    if isinstance(event_fields.get("event"), str):
        del event_fields["event"]
    for kv, value in zip(event.attributes, event_fields.values()):
        check_any(kv.value, value, 0)
    exporter = OTLPExporter("http://127.0.0.1:9/v1/traces")
    size = len(pb.SerializeToString())
    assert exporter.size_hint(finished) == 1 + varint_size(size) + size
    exporter.shutdown()


# --------------------------------------------------------------------------- robustness


def test_a_broken_span_is_left_out_and_the_rest_encoded(caplog: pytest.LogCaptureFixture) -> None:
    t, memory = tracer()
    t.start_span("good").finish()
    good = memory.spans[0]
    odd = good._replace(
        operation_name="odd",
        start_time=float("nan"),
        finish_time=-5.0,
        trace_id=1 << 130,
        span_id=-1,
        parent_id=1 << 70,
        dropped_tags=-3,
        tags={1: BadStr(), None: "none key"},
    )
    late = good._replace(operation_name="late", start_time=1e30, finish_time=float("inf"))
    broken = good._replace(operation_name="broken", tags=42)
    with caplog.at_level(logging.DEBUG, logger="traced"):
        request = decode(encode_otlp([odd, broken, late, good]))
    spans = by_name(request)
    assert sorted(spans) == ["good", "late", "odd"]
    assert spans["odd"].start_time_unix_nano == 0 and spans["odd"].end_time_unix_nano == 0
    assert spans["odd"].span_id == b"\xff" * 8
    assert attrs(spans["odd"]) == {
        "1": ("string_value", "<BadStr: str() failed>"),
        "None": ("string_value", "none key"),
    }
    assert spans["late"].start_time_unix_nano == spans["late"].end_time_unix_nano == 2**64 - 1
    assert "encoding a span for OTLP" in caplog.text


# --------------------------------------------------------------------------- OpenTelemetry


def test_same_fields_as_opentelemetry_encoder_for_equivalent_sdk_spans() -> None:
    encoder = pytest.importorskip("opentelemetry.exporter.otlp.proto.common.trace_encoder")
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.sdk.trace.id_generator import IdGenerator
    from opentelemetry.trace import Link, SpanContext, Status, StatusCode, TraceFlags

    t, memory = tracer("interop")
    tags = {"s": "x", "i": -3, "b": True, "f": 0.5, "ls": ["a", "b"], "li": [1, 2], "lf": [0.5], "lb": [False]}
    other = t.start_span("other", start_time=START)
    other.finish(START + 1)
    ours_root = t.start_span("root", start_time=START, tags=dict(tags, **{"span.kind": "client"}))
    ours_child = t.start_span(
        "child", references=[child_of(ours_root.context), follows_from(other.context)], start_time=START + 0.25
    )
    ours_child.log_kv({"event": "hello", "n": 1}, timestamp=START + 0.5)
    ours_child.set_tag("error", True)
    ours_child.log_kv({"event": "error", "message": "boom"}, timestamp=START + 0.6)
    ours_child.finish(START + 0.75)
    ours_root.finish(START + 2)

    ids = iter([ours_root.context.trace_id, ours_root.context.span_id, ours_child.context.span_id])

    class Fixed(IdGenerator):
        """Gives the SDK spans the ids of ours."""

        def generate_trace_id(self) -> int:
            return next(ids)

        def generate_span_id(self) -> int:
            return next(ids)

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "interop"}), id_generator=Fixed())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    otel = provider.get_tracer("traced")
    link_ctx = SpanContext(other.context.trace_id, other.context.span_id, False, TraceFlags(1))
    root = otel.start_span("root", kind=trace.SpanKind.CLIENT, attributes=tags, start_time=ns(START))
    child = otel.start_span(
        "child",
        context=trace.set_span_in_context(root),
        links=[Link(link_ctx, {"opentracing.ref_type": "follows_from"})],
        start_time=ns(START + 0.25),
    )
    child.add_event("hello", {"n": 1}, timestamp=ns(START + 0.5))
    child.add_event("error", {"message": "boom"}, timestamp=ns(START + 0.6))
    child.set_status(Status(StatusCode.ERROR, "boom"))
    child.end(ns(START + 0.75))
    root.end(ns(START + 2))

    theirs = by_name(encoder.encode_spans(exporter.get_finished_spans()))
    ours = by_name(decode(encode_otlp(memory.spans)))
    for name in ("root", "child"):
        a, b = ours[name], theirs[name]
        for field in ("trace_id", "span_id", "parent_span_id", "start_time_unix_nano", "end_time_unix_nano", "kind"):
            assert getattr(a, field) == getattr(b, field), (name, field)
        assert attrs(a) == attrs(b)
        assert [(e.name, e.time_unix_nano, attrs(e)) for e in a.events] == [
            (e.name, e.time_unix_nano, attrs(e)) for e in b.events
        ]
        assert [(l.trace_id, l.span_id, attrs(l)) for l in a.links] == [
            (l.trace_id, l.span_id, attrs(l)) for l in b.links
        ]
        assert (a.status.code, a.status.message) == (b.status.code, b.status.message)


# --------------------------------------------------------------------------- exporter


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_exporter_posts_protobuf_to_a_collector(sink: Any, compression: str) -> None:
    t, memory = tracer("posted")
    with t.start_active_span("outer", tags={"k": "v"}):
        with t.start_active_span("inner"):
            pass
    counters = Counters()
    exporter = OTLPExporter(sink.url, headers={"X-Token": "abc"}, compression=compression, counters=counters)
    try:
        for span in memory.spans:
            exporter.size_hint(span)  # kept, then sent as encoded
        assert exporter.export(memory.spans, timeout=10.0) is True
        assert exporter.export(memory.spans, timeout=10.0) is True
        assert exporter.export([], timeout=10.0) is True
    finally:
        exporter.shutdown()
    assert exporter.export(memory.spans, timeout=1.0) is False
    assert len(sink.requests) == 2
    for path, headers, body in sink.requests:
        assert path == "/v1/traces"
        assert headers["content-type"] == "application/x-protobuf"
        assert headers["x-token"] == "abc"
        assert headers.get("content-encoding") == ("gzip" if compression == "gzip" else None)
        assert body == encode_otlp(memory.spans)
        spans = by_name(decode(body))
        assert sorted(spans) == ["inner", "outer"]
        assert attrs(spans["outer"]) == {"k": ("string_value", "v")}
    assert counters.retried == 0


def test_exporter_reports_failure_without_raising(dead_url: str) -> None:
    t, memory = tracer()
    t.start_span("x").finish()
    exporter = OTLPExporter(dead_url, timeout=0.5)
    try:
        assert exporter.export(memory.spans, timeout=0.5) is False
    finally:
        exporter.shutdown()


def test_exporter_rejects_a_bad_endpoint_or_compression() -> None:
    with pytest.raises(ValueError):
        OTLPExporter("localhost:4318")
    with pytest.raises(ValueError):
        OTLPExporter(compression="zstd")


def test_exporter_is_an_exporter() -> None:
    from traced.export.base import Exporter

    exporter = OTLPExporter()
    try:
        assert isinstance(exporter, Exporter)
        assert exporter.endpoint == "http://localhost:4318/v1/traces"
    finally:
        exporter.shutdown()


# --------------------------------------------------------------------------- caches


def test_an_encoder_kept_across_batches_writes_what_a_fresh_one_writes() -> None:
    from traced.export.otlp import _CACHE_SIZE, _Encoder

    t, memory = tracer()
    # equal as dict keys, different on the wire: never served from one another's entry
    for value in (1, True, 1.0, "1", 0, False, 0.0, -0.0, "x", "x"):
        t.start_span("same", tags={"v": value, "w": [value]}).finish()
    kept = _Encoder()
    for span in memory.spans:
        assert kept.encode([span]) == encode_otlp([span])
    values = [attrs(all_spans(decode(kept.encode([s])))[0])["v"] for s in memory.spans]
    assert [which for which, _ in values] == [
        "int_value", "bool_value", "double_value", "string_value", "int_value", "bool_value",
        "double_value", "double_value", "string_value", "string_value",
    ]
    # bounded: many distinct values never grow a cache past its size
    many = [s._replace(tags={"id": "value %d" % i, "n": i}) for i, s in enumerate(memory.spans * 1000)]
    assert decode(kept.encode(many)).SerializeToString() == encode_otlp(many)
    assert len(kept._strings) <= _CACHE_SIZE and len(kept._ints) <= _CACHE_SIZE
