"""Zipkin v2 JSON: every encoded span is valid against the ``Span`` definition of Zipkin's
API (``../shared/specs/zipkin2-api.yaml`` beside the repository, as on developers' machines
and in CI; the validating tests skip where it is absent),
maps the recording tracer's spans as ``docs/export_formats.rst`` says, and reaches a real
HTTP server on 127.0.0.1, plain and gzipped."""

from __future__ import annotations

import gzip
import http.server
import json
import math
import re
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import opentracing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentracing import Format

import traced
from traced.export._json import text
from traced.export.zipkin import ZipkinExporter, encode_zipkin
from traced.propagation import composite
from traced.tracer import MemoryRecorder

jsonschema = pytest.importorskip("jsonschema")
yaml = pytest.importorskip("yaml")

SPEC = Path(__file__).resolve().parents[4] / "shared" / "specs" / "zipkin2-api.yaml"
HEX16 = re.compile(r"[0-9a-f]{16}")
HEX16_32 = re.compile(r"[0-9a-f]{16}|[0-9a-f]{32}")


@pytest.fixture(scope="module")
def validator() -> Any:
    """A validator of one Zipkin ``Span``: the Swagger 2 definitions as a JSON schema whose
    ``$ref``s point into them, with the formats (ipv4, ipv6) checked."""
    if not SPEC.exists():
        pytest.skip("Zipkin's API spec is not at %s" % SPEC)
    spec = yaml.safe_load(SPEC.read_text())
    schema = {"$ref": "#/definitions/Span", "definitions": spec["definitions"]}
    cls = jsonschema.Draft4Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def check(validator: Any, body: bytes) -> List[Dict[str, Any]]:
    """Decode a body, validate each span, check what the schema's unanchored patterns
    miss, and return the spans."""
    spans = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    assert isinstance(spans, list)
    for span in spans:
        errors = [e.message for e in validator.iter_errors(span)]
        assert not errors, (errors, span)
        assert HEX16_32.fullmatch(span["traceId"]), span
        assert HEX16.fullmatch(span["id"]), span
        assert "parentId" not in span or HEX16.fullmatch(span["parentId"]), span
        assert all(type(v) is str for v in span.get("tags", {}).values()), span
    return spans


def _no_constant(name: str) -> None:
    raise AssertionError("not JSON: %s" % name)


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class StrRaises:
    """Fails in ``__str__`` only (hypothesis itself needs a working ``repr``)."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        return "StrRaises()"


def tracer(**kwargs: Any) -> Tuple[traced.Tracer, MemoryRecorder]:
    recorder = MemoryRecorder()
    return traced.Tracer("checkout", recorder=recorder, **kwargs), recorder


def by_name(spans: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {span["name"]: span for span in spans}


def test_real_spans_of_every_shape_are_valid_and_mapped(validator: Any) -> None:
    t, recorder = tracer(tags={"host.ip": "10.0.0.7", "deployment.environment": "test"})
    cycle: List[Any] = []
    cycle.append(cycle)
    every_type = {
        "str": "text", "int": 42, "negative": -7, "float": 2.5, "true": True, "false": False,
        "none": None, "bytes": b"\xff\x00ok", "list": [1, "a", None], "dict": {"k": [1.5]},
        "nan": math.nan, "inf": -math.inf, "huge": 2**200, "cycle": cycle,
        "object": Unprintable(), "unicode": "na\u00efve \u65e5\u672c \U0001f600 \ud800",
    }
    with t.start_active_span("GET /orders", tags={"span.kind": "server"}) as server:
        server.span.set_baggage_item("tenant", "acme")
        with t.start_active_span(
            "SELECT",
            tags={
                "span.kind": "client", "peer.service": "postgres", "peer.ipv4": "10.1.2.3",
                "peer.port": 5432, **every_type,
            },
        ) as client:
            client.span.log_kv({"event": "sent"})
            client.span.log_kv({"event": "rows", "count": 3, "bad": Unprintable()})
        with pytest.raises(ValueError):
            with t.start_active_span("charge", tags={"span.kind": "producer", "peer.hostname": "mq"}):
                raise ValueError("card declined")
    spans = check(validator, encode_zipkin(recorder.spans))
    named = by_name(spans)
    assert set(named) == {"GET /orders", "SELECT", "charge"}
    root, select, charge = named["GET /orders"], named["SELECT"], named["charge"]
    finished = {s.operation_name: s for s in recorder.spans}

    assert root["kind"] == "SERVER" and "parentId" not in root
    assert root["traceId"] == finished["GET /orders"].trace_id_hex
    assert root["localEndpoint"] == {"serviceName": "checkout", "ipv4": "10.0.0.7"}
    assert root["tags"]["deployment.environment"] == "test"
    assert root["tags"]["baggage.tenant"] == "acme"
    assert "span.kind" not in root["tags"]

    assert select["kind"] == "CLIENT" and select["parentId"] == root["id"]
    assert select["remoteEndpoint"] == {"serviceName": "postgres", "ipv4": "10.1.2.3", "port": 5432}
    tags = select["tags"]
    assert {k: tags[k] for k in ("str", "int", "negative", "float", "true", "false", "none")} == {
        "str": "text", "int": "42", "negative": "-7", "float": "2.5", "true": "true",
        "false": "false", "none": "null",
    }
    assert tags["list"] == '[1,"a",null]' and tags["dict"] == '{"k":[1.5]}'
    assert tags["nan"] == "nan" and tags["inf"] == "-inf" and tags["huge"] == str(2**200)
    assert tags["bytes"] == "\\xff\x00ok" and tags["cycle"] == '["<cycle>"]'
    assert tags["object"] == "<unprintable %s.Unprintable>" % __name__
    assert tags["unicode"].startswith("na\u00efve \u65e5\u672c \U0001f600")
    assert not any(k.startswith("peer.") for k in tags)
    source = finished["SELECT"]
    assert select["timestamp"] == round(source.start_time * 1e6)
    assert select["duration"] == max(1, round(source.finish_time * 1e6) - select["timestamp"])
    sent, rows = select["annotations"]
    assert sent["value"] == "sent"
    assert json.loads(rows["value"]) == {
        "event": "rows", "count": 3, "bad": "<unprintable %s.Unprintable>" % __name__
    }
    assert sent["timestamp"] == round(source.logs[0].timestamp * 1e6)
    assert select["timestamp"] <= sent["timestamp"] <= select["timestamp"] + select["duration"]

    assert charge["kind"] == "PRODUCER" and charge["remoteEndpoint"] == {"serviceName": "mq"}
    assert charge["tags"]["error"] == "card declined"
    error = json.loads(charge["annotations"][0]["value"])
    assert error["event"] == "error" and error["error.kind"] == "ValueError"
    assert error["error.object"] == "ValueError: card declined"
    assert 'raise ValueError("card declined")' in error["stack"]


def test_64_bit_trace_ids_stay_16_hex_digits_and_debug_is_kept(validator: Any) -> None:
    t, recorder = tracer(propagator=composite("b3"))
    parent = t.extract(Format.HTTP_HEADERS, {"b3": "463ac35c9f6413ad-a2fb4a1d1a96d312-d"})
    t.start_span("consume", child_of=parent, tags={"span.kind": "consumer"}).finish()
    (span,) = check(validator, encode_zipkin(recorder.spans))
    assert span["traceId"] == "463ac35c9f6413ad"
    assert span["parentId"] == "a2fb4a1d1a96d312"
    assert span["debug"] is True and span["kind"] == "CONSUMER"
    assert len(recorder.spans[0].trace_id_hex) == 32  # the tracer's own property: padded


def test_128_bit_trace_ids_are_32_hex_digits(validator: Any) -> None:
    t, recorder = tracer()
    for _ in range(20):
        t.start_span("x").finish()
    for span, source in zip(check(validator, encode_zipkin(recorder.spans)), recorder.spans):
        assert span["traceId"] == ("%016x" if source.trace_id < 2**64 else "%032x") % source.trace_id
        assert span["id"] == source.span_id_hex
        assert "debug" not in span


def test_error_tag_as_zipkin_reads_it(validator: Any) -> None:
    t, recorder = tracer()
    t.start_span("no-log", tags={"error": True}).finish()
    t.start_span("not-failed", tags={"error": False}).finish()
    t.start_span("own-message", tags={"error": "timeout"}).finish()
    span = t.start_span("object-only", tags={"error": True})
    span.log_kv({"event": "error", "error.object": KeyError("k")})
    span.finish()
    named = by_name(check(validator, encode_zipkin(recorder.spans)))
    assert named["no-log"]["tags"]["error"] == "true"
    assert "error" not in named["not-failed"].get("tags", {})  # Zipkin: any error tag fails
    assert named["own-message"]["tags"]["error"] == "timeout"
    assert named["object-only"]["tags"]["error"] == "KeyError: 'k'"


def test_references_zipkin_cannot_hold_become_tags(validator: Any) -> None:
    t, recorder = tracer()
    first = t.start_span("first")
    first.finish()
    later = t.start_span("later", references=[opentracing.follows_from(first.context)])
    later.finish()
    named = by_name(check(validator, encode_zipkin(recorder.spans)))
    ctx = first.context
    assert named["later"]["parentId"] == "%016x" % ctx.span_id  # still in the tree
    assert named["later"]["tags"]["follows_from"] == "%032x-%016x" % (ctx.trace_id, ctx.span_id)


def test_peers_that_are_not_addresses_stay_tags(validator: Any) -> None:
    t, recorder = tracer()
    t.start_span("a", tags={"peer.ipv4": "not-an-ip", "peer.port": 0, "peer.ipv6": "::1",
                            "span.kind": "sideways"}).finish()
    t.start_span("b", tags={"peer.ipv4": 0x7F000001, "peer.port": "8080"}).finish()
    named = by_name(check(validator, encode_zipkin(recorder.spans)))
    a, b = named["a"], named["b"]
    assert a["remoteEndpoint"] == {"ipv6": "::1"} and "kind" not in a
    assert (a["tags"]["peer.ipv4"], a["tags"]["peer.port"], a["tags"]["span.kind"]) == (
        "not-an-ip", "0", "sideways",
    )
    assert b["remoteEndpoint"] == {"ipv4": "127.0.0.1", "port": 8080}


def test_limits_cut_and_times_that_are_not_numbers(validator: Any) -> None:
    t, recorder = tracer(limits=traced.tracer.SpanLimits(max_tags=1, max_logs=0, max_value_length=3))
    t.start_span("cut", tags={"a": "long", "b": 1}).finish()
    t.start_span("nan-times", start_time=math.nan).finish(finish_time=math.inf)
    named = by_name(check(validator, encode_zipkin(recorder.spans)))
    assert named["cut"]["tags"]["traced.dropped_tags"] == "1"
    assert named["cut"]["tags"]["traced.truncated_values"] == "1"
    assert "timestamp" not in named["nan-times"] and "duration" not in named["nan-times"]


def test_a_span_that_cannot_be_encoded_is_left_out(validator: Any) -> None:
    t, recorder = tracer()
    t.start_span("good").finish()
    good = recorder.spans[0]
    broken = good._replace(span_id="not an int")
    spans = check(validator, encode_zipkin([broken, good]))
    assert [s["name"] for s in spans] == ["good"]


# Values of every JSON type and then some: nested, NaN, huge ints, bytes, surrogates,
# objects that cannot print themselves.
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**64, max_value=2**9000)
    | st.floats() | st.text() | st.binary() | st.builds(StrRaises) | st.builds(object)
    | st.sampled_from([ValueError("x"), KeyError, math.nan]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5) | st.integers() | st.none(), inner, max_size=4),
    max_leaves=12,
)
keys = st.text(max_size=12) | st.integers() | st.tuples(st.integers())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tags=st.dictionaries(keys, values, max_size=6), fields=st.dictionaries(keys, values, max_size=4),
       name=st.text(max_size=10))
def test_any_tag_or_log_value_gives_valid_zipkin(validator: Any, tags: Dict[Any, Any],
                                                 fields: Dict[Any, Any], name: str) -> None:
    t, recorder = tracer()
    span = t.start_span(name, tags=tags)
    span.log_kv(fields)
    span.log_kv({"event": fields.get("event", "only")})
    span.finish()
    (encoded,) = check(validator, encode_zipkin(recorder.spans))
    assert encoded["name"] == name
    for key in tags:
        if type(key) is str and key not in ("span.kind", "error") and not key.startswith("peer."):
            assert key in encoded["tags"]
    assert len(encoded["annotations"]) >= 1


def test_text_never_raises_on_a_cycle_in_a_dict() -> None:
    loop: Dict[str, Any] = {}
    loop["self"] = loop
    assert text(loop) == '{"self":"<cycle>"}'
    deep: List[Any] = []
    for _ in range(50):
        deep = [deep]
    assert "<nested too deep>" in text(deep)


def test_size_hint_is_close_to_the_encoded_size() -> None:
    exporter = ZipkinExporter("http://127.0.0.1:9/api/v2/spans")
    try:
        t, recorder = tracer()
        tags = {"http.method": "GET", "http.url": "http://example.com/x?y=1", "http.status_code": 200,
                "component": "requests", "retry": False, "ratio": 0.25, "db.instance": "users",
                "peer.service": "inventory"}
        for n in range(0, 9):
            span = t.start_span("op-%d" % n, tags=dict(list(tags.items())[:n]))
            for i in range(n % 3):
                span.log_kv({"event": "step", "i": i})
            span.finish()
        for span in recorder.spans:
            actual = len(encode_zipkin([span])) + 1  # its comma in a batch
            hint = exporter.size_hint(span)
            assert 0.75 <= hint / actual <= 1.35, (hint, actual, span.operation_name)
    finally:
        exporter.shutdown()


class Collector:
    """A Zipkin stand-in on 127.0.0.1: keeps each POST's path, headers and decoded body,
    and answers ``status``."""

    def __init__(self) -> None:
        self.requests: List[Tuple[str, Dict[str, str], bytes]] = []
        self.status = 202
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                collector.requests.append((self.path, dict(self.headers), body))
                self.send_response(collector.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/api/v2/spans" % self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_exporter_posts_valid_json_to_a_real_server(
    validator: Any, collector: Collector, compression: str
) -> None:
    exporter = ZipkinExporter(collector.url, compression=compression, headers={"X-Tenant": "t1"})
    try:
        t, recorder = tracer()
        for i in range(30):
            with t.start_active_span("op", tags={"i": i, "span.kind": "server"}):
                pass
        assert exporter.export(recorder.spans, timeout=10.0) is True
    finally:
        exporter.shutdown()
    assert exporter.export(recorder.spans, timeout=1.0) is False  # after shutdown
    ((path, headers, body),) = collector.requests
    assert path == "/api/v2/spans"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Tenant"] == "t1"
    assert (headers.get("Content-Encoding") == "gzip") == (compression == "gzip")
    spans = check(validator, body)
    assert [s["id"] for s in spans] == [s.span_id_hex for s in recorder.spans]
    assert sorted(int(s["tags"]["i"]) for s in spans) == list(range(30))


def test_exporter_reports_a_rejected_batch(collector: Collector) -> None:
    collector.status = 400
    exporter = ZipkinExporter(collector.url, timeout=5.0)
    try:
        t, recorder = tracer()
        t.start_span("x").finish()
        assert exporter.export(recorder.spans, timeout=5.0) is False
        assert exporter.export([], timeout=5.0) is True
    finally:
        exporter.shutdown()
    assert len(collector.requests) == 1  # a 400 is final: not retried
