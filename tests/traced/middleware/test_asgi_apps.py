"""Plain ASGI applications behind ``TracingMiddleware`` on uvicorn: exceptions reach the
server unchanged, lifespan and other scopes pass through as they are, other tracers and
failing tracers, cancellation, URLs."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

import opentracing  # noqa: E402
from opentracing import Format  # noqa: E402
from opentracing.mocktracer import MockTracer  # noqa: E402
from traced.middleware import set_route  # noqa: E402
from traced.middleware.asgi import TracingMiddleware, request_url  # noqa: E402

from ._support import BrokenTracer, Uvicorn, async_wait_for_servers, recording_tracer  # noqa: E402


async def hello(scope: Dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hel", "more_body": True})
    await send({"type": "http.response.body", "body": b"lo"})


async def test_an_app_exception_reaches_the_server_unchanged() -> None:
    tracer, recorder = recording_tracer()
    cause = KeyError("missing")
    raised: List[BaseException] = []
    caught: List[BaseException] = []

    async def failing(scope: Dict[str, Any], receive: Any, send: Any) -> None:
        try:
            raise cause
        except KeyError as exc:
            raised.append(ValueError("handler failed"))
            raise raised[0] from exc

    traced_app = TracingMiddleware(failing, tracer=tracer)

    async def outermost(scope: Dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await traced_app(scope, receive, send)
        except ValueError as exc:
            caught.append(exc)
            raise

    async with Uvicorn(outermost) as server, httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get("/")).status_code == 500
        [span] = await async_wait_for_servers(recorder, 1)
    assert caught[0] is raised[0] and caught[0].__cause__ is cause
    assert span.tags["error"] is True and span.logs[0].fields["error.object"] is raised[0]


async def test_lifespan_and_unknown_scopes_pass_through_untouched() -> None:
    tracer, recorder = recording_tracer()
    calls: List[Any] = []

    async def app(scope: Dict[str, Any], receive: Any, send: Any) -> None:
        calls.append((scope, receive, send))

    traced_app = TracingMiddleware(app, tracer=tracer)
    receive, send = object(), object()
    for kind in ("lifespan", "custom"):
        scope = {"type": kind}
        await traced_app(scope, receive, send)  # type: ignore[arg-type]
        assert calls[-1] == (scope, receive, send) and calls[-1][0] == {"type": kind}
        assert calls[-1][1] is receive and calls[-1][2] is send
    assert recorder.spans == []


async def test_another_tracer_gets_the_headers_as_a_dict() -> None:
    tracer = MockTracer()
    client = tracer.start_span("client")
    headers: Dict[str, str] = {}
    tracer.inject(client.context, Format.HTTP_HEADERS, headers)
    client.finish()
    async with Uvicorn(TracingMiddleware(hello, tracer=tracer)) as server, httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get("/", headers=headers)).text == "hello"
        for _ in range(500):
            if len(tracer.finished_spans()) == 2:
                break
            await asyncio.sleep(0.01)
    server_span = tracer.finished_spans()[1]
    assert server_span.parent_id == client.context.span_id and server_span.tags["http.status_code"] == 200


async def test_set_route_and_a_route_string_in_the_scope_name_the_span() -> None:
    tracer, recorder = recording_tracer()

    async def routed(scope: Dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/a":
            assert set_route(scope, "/a/{x}")
        else:
            scope["route"] = "/b/{y}"
        await hello(scope, receive, send)

    async with Uvicorn(TracingMiddleware(routed, tracer=tracer)) as server, httpx.AsyncClient(base_url=server.base) as http:
        await http.get("/a")
        await http.post("/b")
        spans = await async_wait_for_servers(recorder, 2)
    assert sorted(s.operation_name for s in spans) == ["GET /a/{x}", "POST /b/{y}"]


@pytest.mark.parametrize("fail_start", [True, False], ids=["start_span", "span-methods"])
async def test_a_failing_tracer_never_breaks_a_request(fail_start: bool, caplog: Any) -> None:
    tracer = BrokenTracer(fail_start)
    async with Uvicorn(TracingMiddleware(hello, tracer=tracer)) as server, httpx.AsyncClient(base_url=server.base) as http:
        for _ in range(2):
            response = await http.get("/", headers={"traceparent": "garbage"})
            assert (response.status_code, response.text) == (200, "hello")
    assert tracer.finished == (0 if fail_start else 2)
    assert any("tracer failed" in r.getMessage() for r in caplog.records)


async def test_a_cancelled_request_is_tagged_cancelled_not_error() -> None:
    tracer, recorder = recording_tracer()
    started = asyncio.Event()

    async def slow(scope: Dict[str, Any], receive: Any, send: Any) -> None:
        started.set()
        await asyncio.sleep(30)

    traced_app = TracingMiddleware(slow, tracer=tracer)
    scope = {"type": "http", "method": "GET", "path": "/slow", "headers": [], "client": ("127.0.0.1", 5000)}
    task = asyncio.ensure_future(traced_app(scope, None, None))  # type: ignore[arg-type]
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [span] = recorder.spans
    assert span.tags["cancelled"] is True and "error" not in span.tags
    assert tracer.active_span is None


async def test_the_noop_tracer_passes_everything_through() -> None:
    calls: List[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append((receive, send))

    receive, send = object(), object()
    await TracingMiddleware(app, tracer=opentracing.Tracer())({"type": "http"}, receive, send)  # type: ignore[arg-type]
    assert calls == [(receive, send)]


@pytest.mark.parametrize(
    "scope, url",
    [
        ({"type": "http", "scheme": "https", "headers": [(b"host", b"u:p@h:8443")], "path": "/a", "raw_path": b"/a%20b", "query_string": b"q=1"}, "https://h:8443/a%20b?q=1"),
        ({"type": "http", "server": ("10.0.0.1", 80), "path": "/ü"}, "http://10.0.0.1/%C3%BC"),
        ({"type": "websocket", "server": ("srv", 8000), "path": "/ws"}, "ws://srv:8000/ws"),
    ],
)
def test_the_url_is_rebuilt_from_the_scope(scope: Dict[str, Any], url: str) -> None:
    assert request_url(scope) == url
