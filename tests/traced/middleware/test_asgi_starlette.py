"""A real Starlette app behind ``traced.middleware.asgi.TracingMiddleware``, served by
uvicorn on 127.0.0.1 and called with httpx and websockets, ``traceparent`` injected."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, List, Tuple

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
pytest.importorskip("websockets")

from contextlib import asynccontextmanager  # noqa: E402

from starlette.applications import Starlette  # noqa: E402
from starlette.exceptions import HTTPException  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse  # noqa: E402
from starlette.routing import Mount, Route, WebSocketRoute  # noqa: E402
from starlette.websockets import WebSocket, WebSocketDisconnect  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402

from traced import Tracer  # noqa: E402
from traced.middleware.asgi import TracingMiddleware  # noqa: E402
from traced.tracer import MemoryRecorder  # noqa: E402

from ._support import Uvicorn, async_wait_for_servers, children, client_headers, recording_tracer  # noqa: E402


def make_app(tracer: Tracer, seen: List[Any], events: List[str]) -> Any:
    async def user(request: Request) -> Any:
        seen.append(tracer.active_span)
        with tracer.start_active_span("db.query", tags={"user": request.path_params["user_id"]}):
            await asyncio.sleep(0.005)
            return JSONResponse({"id": request.path_params["user_id"]})

    async def fail(request: Request) -> Any:
        raise ValueError("handler failed")

    async def bad(request: Request) -> Any:
        raise HTTPException(400)

    async def stream(request: Request) -> Any:
        async def chunks() -> AsyncIterator[str]:
            for i in range(int(request.query_params["n"])):
                with tracer.start_active_span("chunk", tags={"i": i}):
                    await asyncio.sleep(0.002)
                    yield "chunk %d\n" % i

        return StreamingResponse(chunks(), media_type="text/plain")

    async def item(request: Request) -> Any:
        return PlainTextResponse("item %s" % request.path_params["id"])

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                text = await websocket.receive_text()
                with tracer.start_active_span("ws.message"):
                    await websocket.send_text("echo " + text)
        except WebSocketDisconnect:
            pass

    async def deny(websocket: WebSocket) -> None:
        await websocket.close()

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    routes = [
        Route("/users/{user_id:int}", user),
        Route("/fail", fail),
        Route("/bad", bad),
        Route("/stream", stream),
        Mount("/api", routes=[Route("/items/{id}", item)]),
        WebSocketRoute("/ws/{room}", echo),
        WebSocketRoute("/deny", deny),
    ]
    return TracingMiddleware(Starlette(routes=routes, lifespan=lifespan), tracer=tracer, component="starlette")


@pytest.fixture
def app() -> Tuple[Any, Tracer, MemoryRecorder, List[Any], List[str]]:
    tracer, recorder = recording_tracer()
    seen: List[Any] = []
    events: List[str] = []
    return make_app(tracer, seen, events), tracer, recorder, seen, events


async def test_route_span_continues_the_callers_trace(app: Any) -> None:
    asgi, tracer, recorder, seen, _ = app
    client, headers = client_headers(tracer)
    async with Uvicorn(asgi) as server, httpx.AsyncClient(base_url=server.base) as http:
        response = await http.get("/users/7?full=1", headers=headers)
        assert (response.status_code, response.json()) == (200, {"id": 7})
        [span] = await async_wait_for_servers(recorder, 1)
    assert span.operation_name == "GET /users/{user_id:int}"
    assert span.trace_id == client.context.trace_id and span.parent_id == client.context.span_id
    assert span.tags["http.route"] == "/users/{user_id:int}"
    assert span.tags["http.url"] == "%s/users/7?full=1" % server.base
    assert span.tags["http.method"] == "GET" and span.tags["http.status_code"] == 200
    assert span.tags["component"] == "starlette" and span.tags["span.kind"] == "server"
    assert span.tags["peer.ipv4"] == "127.0.0.1" and isinstance(span.tags["peer.port"], int)
    assert "error" not in span.tags
    assert seen[0].context.span_id == span.span_id
    [db] = children(recorder.spans, span)
    assert db.operation_name == "db.query" and db.tags["user"] == 7
    assert tracer.active_span is None


async def test_statuses_and_errors(app: Any) -> None:
    asgi, tracer, recorder, _, _ = app
    async with Uvicorn(asgi) as server, httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get("/nowhere")).status_code == 404
        assert (await http.get("/bad")).status_code == 400
        assert (await http.get("/fail")).status_code == 500
        assert (await http.get("/api/items/9")).text == "item 9"
        spans = await async_wait_for_servers(recorder, 4)
    by_url = {s.tags["http.url"].rsplit("/", 1)[-1]: s for s in spans}
    assert by_url["nowhere"].operation_name == "HTTP GET"
    assert by_url["nowhere"].tags["http.status_code"] == 404 and "error" not in by_url["nowhere"].tags
    assert by_url["bad"].operation_name == "GET /bad"
    assert by_url["bad"].tags["http.status_code"] == 400 and "error" not in by_url["bad"].tags
    failed = by_url["fail"]
    assert failed.operation_name == "GET /fail" and failed.tags["http.status_code"] == 500
    assert failed.tags["error"] is True
    assert [log.fields.get("message") for log in failed.logs] == ["handler failed"]
    assert by_url["9"].operation_name == "GET /api/items/{id}"


async def test_streamed_response_spans_nest_in_the_server_span(app: Any) -> None:
    asgi, tracer, recorder, _, _ = app
    client, headers = client_headers(tracer)
    async with Uvicorn(asgi) as server, httpx.AsyncClient(base_url=server.base) as http:
        lines = []
        async with http.stream("GET", "/stream?n=5", headers=headers) as response:
            async for line in response.aiter_lines():
                lines.append(line)
        [span] = await async_wait_for_servers(recorder, 1)
    assert lines == ["chunk %d" % i for i in range(5)]
    chunks = children(recorder.spans, span)
    assert sorted(c.tags["i"] for c in chunks) == list(range(5))
    assert span.finish_time >= max(c.finish_time for c in chunks)
    assert span.parent_id == client.context.span_id and span.operation_name == "GET /stream"


async def test_a_websocket_connection_is_one_span_until_the_disconnect(app: Any) -> None:
    asgi, tracer, recorder, _, _ = app
    client, headers = client_headers(tracer)
    async with Uvicorn(asgi) as server:
        url = "ws://127.0.0.1:%d/ws/lobby" % server.port
        async with connect(url, additional_headers=headers) as ws:
            for word in ("a", "b"):
                await ws.send(word)
                assert await ws.recv() == "echo " + word
        [span] = await async_wait_for_servers(recorder, 1)
        with pytest.raises(InvalidStatus):
            async with connect("ws://127.0.0.1:%d/deny" % server.port):
                pass
        spans = await async_wait_for_servers(recorder, 2)
    assert span.operation_name == "WebSocket /ws/{room}"
    assert span.parent_id == client.context.span_id
    assert span.tags["http.status_code"] == 101 and span.tags["websocket.close_code"] == 1000
    assert span.tags["http.url"] == "ws://127.0.0.1:%d/ws/lobby" % server.port
    assert "error" not in span.tags
    messages = children(recorder.spans, span)
    assert [m.operation_name for m in messages] == ["ws.message", "ws.message"]
    [denied] = [s for s in spans if s is not span]
    assert denied.operation_name == "WebSocket /deny"
    assert denied.tags["http.status_code"] == 403 and "error" not in denied.tags


async def test_lifespan_reaches_the_app_untraced(app: Any) -> None:
    asgi, tracer, recorder, _, events = app
    async with Uvicorn(asgi, lifespan="on") as server, httpx.AsyncClient(base_url=server.base) as http:
        assert events == ["startup"]
        assert (await http.get("/users/1")).status_code == 200
        await async_wait_for_servers(recorder, 1)
    assert events == ["startup", "shutdown"]
    assert len(recorder.spans) == 2  # the request and its query; nothing for the lifespan


async def test_concurrent_requests_are_each_their_own_trace(app: Any) -> None:
    asgi, tracer, recorder, seen, _ = app
    calls = [client_headers(tracer, "client-%d" % i) for i in range(50)]
    async with Uvicorn(asgi) as server, httpx.AsyncClient(base_url=server.base) as http:
        responses = await asyncio.gather(*(http.get("/users/%d" % i, headers=calls[i][1]) for i in range(50)))
        assert [r.status_code for r in responses] == [200] * 50
        servers = await async_wait_for_servers(recorder, 50)
    spans = recorder.spans
    for i, (client, _) in enumerate(calls):
        [span] = [s for s in servers if s.parent_id == client.context.span_id]
        assert span.trace_id == client.context.trace_id and span.tags["http.url"].endswith("/users/%d" % i)
        [db] = children(spans, span)
        assert db.tags["user"] == i
    assert len({s.context.span_id for s in seen}) == 50
    assert tracer.active_span is None
