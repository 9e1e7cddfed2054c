"""One span per request across instrumented layers (requests over urllib3 over http.client),
and redirects: one span per hop, each hop's request carrying its own span's context."""

from __future__ import annotations

import http.client
import urllib.request
from typing import Any, List

import pytest

from opentracing import Format
from traced.integrations import instrument
from traced.tracer import FinishedSpan, Tracer

from ._http_server import HTTPTestServer, http_server, server  # noqa: F401

requests = pytest.importorskip("requests")
urllib3 = pytest.importorskip("urllib3")
httpx = pytest.importorskip("httpx")


def _extracted_ids(tracer: Tracer, server: HTTPTestServer) -> List[int]:
    """The span id each request the server received was sent under."""
    ids = []
    for received in server.received:
        context = tracer.extract(Format.HTTP_HEADERS, received.headers)
        assert context is not None, received
        ids.append(context.span_id)
    return ids


@pytest.mark.parametrize(
    "names, component",
    [
        (("http.client", "urllib3", "requests"), "requests"),
        (("requests", "http.client"), "requests"),
        (("urllib3", "http.client"), "urllib3"),
        (("http.client",), "http.client"),
    ],
)
def test_requests_over_instrumented_layers_gives_one_span(
    tracer: Tracer, spans: Any, server: HTTPTestServer, names: Any, component: str
) -> None:
    instrument(*names)
    with requests.Session() as session:
        assert session.get(server.url("/a")).status_code == 200
    (span,) = spans
    assert span.tags["component"] == component
    assert _extracted_ids(tracer, server) == [span.span_id]


def test_urllib3_over_http_client_gives_one_span(tracer: Tracer, spans: Any,
                                                 server: HTTPTestServer) -> None:
    instrument("http.client", "urllib3")
    with urllib3.PoolManager() as pool:
        assert pool.request("GET", server.url("/a")).status == 200
    (span,) = spans
    assert span.tags["component"] == "urllib3"
    assert _extracted_ids(tracer, server) == [span.span_id]


def _by_start(spans: Any) -> List[FinishedSpan]:
    return sorted((s for s in spans if s.operation_name == "HTTP GET"),
                  key=lambda s: s.start_time)


@pytest.mark.parametrize("names", [("requests",), ("http.client", "urllib3", "requests")])
def test_requests_redirect_one_span_per_send(tracer: Tracer, spans: Any,
                                             server: HTTPTestServer, names: Any) -> None:
    instrument(*names)
    with tracer.start_active_span("parent") as scope:
        response = requests.get(server.url("/redirect/1"))
    assert [r.status_code for r in (*response.history, response)] == [302, 302, 200]
    first, second, third = _by_start(spans)
    assert {s.tags["component"] for s in (first, second, third)} == {"requests"}
    assert first.parent_id == scope.span.context.span_id
    # the redirects are sent by nested Session.send calls inside the first one
    assert second.parent_id == third.parent_id == first.span_id
    assert [s.tags["http.status_code"] for s in (first, second, third)] == [302, 302, 200]
    assert [s.tags["http.url"] for s in (first, second, third)] == [
        server.url("/redirect/1"), server.url("/redirect/0"), server.url("/status/200")]
    # each hop's request carried its own span's context, not the first hop's copied over
    assert _extracted_ids(tracer, server) == [first.span_id, second.span_id, third.span_id]


def test_requests_redirect_keeps_a_caller_traceparent_on_every_hop(
    tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    instrument("requests")
    manual = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    requests.get(server.url("/redirect/0"), headers={"traceparent": manual})
    assert [r.headers["traceparent"] for r in server.received] == [manual, manual]
    assert len(spans) == 2


def test_urllib3_pool_redirect_and_pool_manager_redirect(tracer: Tracer, spans: Any,
                                                         server: HTTPTestServer) -> None:
    instrument("urllib3", "http.client")
    with urllib3.HTTPConnectionPool("127.0.0.1", server.port) as pool:
        assert pool.urlopen("GET", "/redirect/0").status == 200
    first, second = _by_start(spans)
    assert second.parent_id == first.span_id  # the pool follows with a nested urlopen
    assert _extracted_ids(tracer, server) == [first.span_id, second.span_id]

    server.received.clear()
    tracer.recorder.clear()  # type: ignore[attr-defined]
    with tracer.start_active_span("parent") as scope:
        with urllib3.PoolManager() as manager:
            assert manager.request("GET", server.url("/redirect/0")).status == 200
    first, second = _by_start(spans)
    assert first.parent_id == second.parent_id == scope.span.context.span_id
    assert _extracted_ids(tracer, server) == [first.span_id, second.span_id]


def test_urllib_request_redirect_one_span_per_hop(tracer: Tracer, spans: Any,
                                                  server: HTTPTestServer) -> None:
    instrument("http.client")
    with tracer.start_active_span("parent") as scope:
        with urllib.request.urlopen(server.url("/redirect/1"), timeout=10) as response:
            assert response.status == 200
    hops = _by_start(spans)
    assert [s.tags["http.status_code"] for s in hops] == [302, 302, 200]
    assert {s.parent_id for s in hops} == {scope.span.context.span_id}
    assert _extracted_ids(tracer, server) == [s.span_id for s in hops]


def test_httpx_redirect_one_span_per_hop(tracer: Tracer, spans: Any,
                                         server: HTTPTestServer) -> None:
    instrument("httpx")
    with tracer.start_active_span("parent") as scope:
        with httpx.Client(follow_redirects=True) as client:
            response = client.get(server.url("/redirect/1"))
    assert response.status_code == 200 and len(response.history) == 2
    hops = _by_start(spans)
    assert [s.tags["http.status_code"] for s in hops] == [302, 302, 200]
    assert {s.parent_id for s in hops} == {scope.span.context.span_id}
    assert _extracted_ids(tracer, server) == [s.span_id for s in hops]


def test_http_client_manual_putheader_is_kept(tracer: Tracer, spans: Any,
                                              server: HTTPTestServer) -> None:
    instrument("http.client")
    manual = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", "/manual?q=1")
        conn.putheader("TraceParent", manual)
        conn.endheaders()
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    (received,) = server.received
    assert received.headers["traceparent"] == manual
    (span,) = spans
    assert span.tags["http.url"] == server.url("/manual")
    assert span.tags["http.status_code"] == 200


def test_http_client_request_abandoned_before_response_is_finished_on_close(
    tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    instrument("http.client")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("GET", "/")
    with pytest.raises(ValueError):
        conn.putheader("X-Bad", "x\r\ninjected: 1")
    assert list(spans) == []
    conn.close()
    (span,) = spans
    assert "http.status_code" not in span.tags
