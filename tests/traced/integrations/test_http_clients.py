"""Library by library: objects and subclasses created before ``instrument()`` are traced,
the caller's request objects are not changed, ``uninstrument()`` puts back the very
originals, and what is particular to one library (aiohttp's ``raise_for_status`` and
session headers, urllib.request)."""

from __future__ import annotations

import asyncio
import http.client
import urllib.error
import urllib.request
from typing import Any

import pytest

from opentracing import Format
from traced.integrations import instrument, uninstrument
from traced.tracer import Tracer

from ._http_server import HTTPTestServer, http_server, server  # noqa: F401

requests = pytest.importorskip("requests")
httpx = pytest.importorskip("httpx")
aiohttp = pytest.importorskip("aiohttp")


# Defined when this module is imported: long before any test instruments anything.
class MySession(requests.Session):
    def send(self, request: Any, **kwargs: Any) -> Any:
        request.headers["X-Subclass"] = "1"
        return super().send(request, **kwargs)


class MyTransport(httpx.HTTPTransport):
    pass


class MyConnection(http.client.HTTPConnection):
    pass


def test_requests_session_subclass_created_before_instrument(
    tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    session = MySession()
    plain = requests.Session()
    instrument("requests")
    with session, plain:
        session.get(server.url("/a"))
        plain.get(server.url("/b"))
    assert [s.tags["http.url"] for s in spans] == [server.url("/a"), server.url("/b")]
    assert server.received[0].headers["x-subclass"] == "1"


def test_requests_prepared_request_not_changed(tracer: Tracer, spans: Any,
                                               server: HTTPTestServer) -> None:
    instrument("requests")
    with requests.Session() as session:
        prepared = session.prepare_request(requests.Request("GET", server.url("/p")))
        before = dict(prepared.headers)
        session.send(prepared)
        session.send(prepared)
    assert dict(prepared.headers) == before
    first, second = (r.headers["traceparent"] for r in server.received)
    assert first != second  # each send its own span, not a header left on the request
    assert len(spans) == 2


def test_httpx_clients_and_transports_created_before_instrument(
    tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    client = httpx.Client()
    custom = httpx.Client(transport=MyTransport())
    instrument("httpx")
    with client, custom:
        response = client.get(server.url("/a"))
        custom.get(server.url("/b"))
    assert [s.tags["http.url"] for s in spans] == [server.url("/a"), server.url("/b")]
    assert "traceparent" not in response.request.headers  # the client's Request untouched
    context = tracer.extract(Format.HTTP_HEADERS, server.received[1].headers)
    assert context is not None and context.span_id == spans[1].span_id


def test_httpx_same_request_sent_twice_gets_two_contexts(tracer: Tracer, spans: Any,
                                                         server: HTTPTestServer) -> None:
    instrument("httpx")
    with httpx.Client() as client:
        request = client.build_request("GET", server.url("/twice"))
        client.send(request)
        client.send(request)
    assert "traceparent" not in request.headers
    ids = [tracer.extract(Format.HTTP_HEADERS, r.headers).span_id  # type: ignore[union-attr]
           for r in server.received]
    assert ids == [s.span_id for s in spans]


def test_http_client_subclass_and_urllib_request_error_status(
    tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    instrument("http.client")
    conn = MyConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/sub")
    conn.getresponse().read()
    conn.close()
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url("/status/502"), timeout=10)
    caught.value.close()
    first, second = spans
    assert first.tags["http.url"] == server.url("/sub")
    assert (second.tags["http.status_code"], second.tags["error"]) == (502, True)


def test_aiohttp_session_before_instrument_defaults_and_raise_for_status(
    tracer: Tracer, spans: Any, server: HTTPTestServer
) -> None:
    manual = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    async def main() -> None:
        plain = aiohttp.ClientSession(raise_for_status=True)
        with_defaults = aiohttp.ClientSession(headers={"TraceParent": manual})
        instrument("aiohttp")
        async with plain, with_defaults:
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                await plain.get(server.url("/status/500"))
            assert caught.value.status == 500
            async with with_defaults.get(server.url("/d"), headers=[("X-Pair", "1")]) as r:
                await r.read()

    asyncio.run(main())
    failed, defaults = spans
    assert (failed.tags["http.status_code"], failed.tags["error"]) == (500, True)
    assert server.received[1].headers["traceparent"] == manual
    assert server.received[1].headers["x-pair"] == "1"
    assert defaults.tags["http.status_code"] == 200


@pytest.mark.parametrize(
    "name, owner_path, attributes",
    [
        ("http.client", "http.client:HTTPConnection",
         ("putrequest", "endheaders", "getresponse", "close")),
        ("urllib3", "urllib3.connectionpool:HTTPConnectionPool", ("urlopen",)),
        ("requests", "requests.sessions:Session", ("send",)),
        ("httpx", "httpx._transports.default:HTTPTransport", ("handle_request",)),
        ("httpx", "httpx._transports.default:AsyncHTTPTransport", ("handle_async_request",)),
        ("aiohttp", "aiohttp.client:ClientSession", ("_request",)),
    ],
)
def test_uninstrument_restores_the_originals(name: str, owner_path: str,
                                             attributes: Any) -> None:
    import importlib

    module, owner_name = owner_path.split(":")
    owner = getattr(importlib.import_module(module), owner_name)
    originals = [owner.__dict__[attribute] for attribute in attributes]
    for _ in range(3):
        instrument(name)
        assert all(owner.__dict__[a] is not o for a, o in zip(attributes, originals))
        uninstrument(name)
        assert [owner.__dict__[a] for a in attributes] == originals
        assert all(owner.__dict__[a] is o for a, o in zip(attributes, originals))
