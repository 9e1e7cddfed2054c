"""What every outbound HTTP integration does, each through its library against a real
server on 127.0.0.1: a client span under the active span with the standard tags, the
propagation headers the server extracts back to that span, 5xx marked as an error and 4xx
not, a refused connection re-raised as the very same exception and recorded, caller-set
headers kept, the caller's headers untouched, suppression, and uninstrument."""

from __future__ import annotations

import asyncio
import http.client
from typing import Any, Callable, Dict, Optional
from urllib.parse import urlsplit

import pytest

from opentracing import Format
from traced import _suppress
from traced.integrations import instrument, uninstrument
from traced.tracer import Tracer

from ._http_server import HTTPTestServer, http_server, refused_url, server  # noqa: F401

Headers = Optional[Dict[str, str]]


def _http_client(url: str, headers: Headers) -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path or "/", headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _urllib3(url: str, headers: Headers) -> int:
    import urllib3

    with urllib3.PoolManager() as pool:
        return int(pool.request("GET", url, headers=headers, retries=False).status)


def _requests(url: str, headers: Headers) -> int:
    import requests

    with requests.Session() as session:
        return int(session.get(url, headers=headers, timeout=10).status_code)


def _httpx(url: str, headers: Headers) -> int:
    import httpx

    with httpx.Client(timeout=10) as client:
        return int(client.get(url, headers=headers).status_code)


def _httpx_async(url: str, headers: Headers) -> int:
    import httpx

    async def get() -> int:
        async with httpx.AsyncClient(timeout=10) as client:
            return int((await client.get(url, headers=headers)).status_code)

    return asyncio.run(get())


def _aiohttp(url: str, headers: Headers) -> int:
    import aiohttp

    async def get() -> int:
        async with aiohttp.ClientSession() as session:
            async with session.get(url, headers=headers) as response:
                await response.read()
                return response.status

    return asyncio.run(get())


# client id -> (integration name, span component, how to GET a URL with extra headers)
CLIENTS: Dict[str, tuple] = {
    "http.client": ("http.client", "http.client", _http_client),
    "urllib3": ("urllib3", "urllib3", _urllib3),
    "requests": ("requests", "requests", _requests),
    "httpx": ("httpx", "httpx", _httpx),
    "httpx-async": ("httpx", "httpx", _httpx_async),
    "aiohttp": ("aiohttp", "aiohttp", _aiohttp),
}


@pytest.fixture(params=list(CLIENTS))
def client(request: Any) -> tuple:
    name, component, get = CLIENTS[request.param]
    pytest.importorskip(name)
    return name, component, get


def _only(spans: Any, component: str) -> Any:
    mine = [s for s in spans if s.tags.get("component") == component]
    assert len(mine) == 1, [dict(s.tags) for s in spans]
    return mine[0]


def test_span_under_active_span_and_headers_extracted_by_server(
    client: tuple, tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    name, component, get = client
    assert instrument(name) == {name: "instrumented"}
    with tracer.start_active_span("parent") as scope:
        assert get(server.url("/status/200") + "?token=secret", None) == 200
    span = _only(spans, component)
    assert span.operation_name == "HTTP GET"
    assert span.parent_id == scope.span.context.span_id
    assert span.trace_id == scope.span.context.trace_id
    assert dict(span.tags) == {
        "span.kind": "client",
        "component": component,
        "http.method": "GET",
        "http.url": server.url("/status/200"),
        "peer.hostname": "127.0.0.1",
        "peer.port": server.port,
        "http.status_code": 200,
    }
    (received,) = server.received
    context = tracer.extract(Format.HTTP_HEADERS, received.headers)
    assert context is not None
    assert (context.trace_id, context.span_id) == (span.trace_id, span.span_id)


@pytest.mark.parametrize("status, error", [(404, False), (500, True), (503, True)])
def test_status_codes(client: tuple, tracer: Tracer, spans: Any, server: HTTPTestServer,
                      status: int, error: bool) -> None:
    name, component, get = client
    instrument(name)
    try:
        got = get(server.url("/status/%d" % status), None)
    except Exception as exc:  # a library raising on an error status: not these ones
        pytest.fail("raised %r" % exc)
    assert got == status
    span = _only(spans, component)
    assert span.tags["http.status_code"] == status
    assert span.tags.get("error", False) is error


def test_refused_connection_reraised_unchanged_and_recorded(
    client: tuple, tracer: Tracer, spans: Any, refused_url: str
) -> None:
    name, component, get = client
    uninstrumented: Optional[BaseException] = None
    try:
        get(refused_url, None)
    except Exception as exc:
        uninstrumented = exc
    assert uninstrumented is not None
    instrument(name)
    with pytest.raises(type(uninstrumented)) as caught:
        get(refused_url, None)
    span = _only(spans, component)
    assert span.tags["error"] is True
    assert "http.status_code" not in span.tags
    (log,) = [log for log in span.logs if log.fields.get("event") == "error"]
    assert log.fields["error.object"] is caught.value
    # the traceback the caller sees is the one recorded, grown only by the frames above
    tb = caught.value.__traceback__
    while tb is not None and tb is not log.fields["stack"]:
        tb = tb.tb_next
    assert tb is not None


def test_caller_set_headers_kept_and_caller_dict_untouched(
    client: tuple, tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    name, component, get = client
    instrument(name)
    manual = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    mine = {"Traceparent": manual, "X-Mine": "1"}
    before = dict(mine)
    with tracer.start_active_span("parent"):
        get(server.url("/"), mine)
        get(server.url("/"), None)
    assert mine == before
    first, second = server.received
    assert first.headers["traceparent"] == manual
    assert first.headers["x-mine"] == "1"
    assert second.headers["traceparent"] != manual
    assert len(spans.named("HTTP GET")) == 2


def test_suppressed_and_uninstrumented_give_no_span(
    client: tuple, tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    name, component, get = client
    instrument(name)
    with _suppress.suppress():
        assert get(server.url("/"), None) == 200
    uninstrument(name)
    assert get(server.url("/"), None) == 200
    assert list(spans) == []
    assert all("traceparent" not in r.headers for r in server.received)
    instrument(name)
    assert get(server.url("/"), None) == 200
    assert len(spans) == 1


def test_no_tracer_configured_is_a_plain_call(client: tuple, server: HTTPTestServer,
                                               install_noop: Callable[[], None]) -> None:
    name, _, get = client
    instrument(name)
    assert get(server.url("/"), None) == 200
    assert "traceparent" not in server.received[0].headers


@pytest.fixture
def install_noop() -> Any:
    import opentracing

    previous, registered = opentracing.tracer, opentracing.is_tracer_registered
    opentracing.tracer = opentracing.Tracer()
    try:
        yield lambda: None
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered
