"""Starlette-OpenTracing 0.1.0 (the OpenTracing ASGI middleware for Starlette and FastAPI)
on this package, on asyncio.

A Starlette application with ``StarletteTracingMiddleWare`` and our ``MockTracer`` is served
by uvicorn on 127.0.0.1, on the test's own asyncio event loop, and called over real HTTP
connections with httpx. The middleware activates the server span around ``call_next``,
which Starlette runs in a task of its own (an anyio task group): on our
``ContextVarsScopeManager`` the endpoint sees the server span as active, across ``await``s,
and its spans become children of it; 20 concurrent requests each keep their own active
span; a span context injected by a client MockTracer into the request headers becomes the
server span's parent, with its baggage; an endpoint that raises gets the error tag and
log of our ``Scope.__exit__``. On our ``AsyncioScopeManager`` the endpoint's task does not
inherit the middleware's span, exactly as on the real opentracing 2.4.0.

``test_own_suite`` runs all 3 tests of its sdist (tests/test_starlette_tracing.py and
test_tracer.py, on Starlette's TestClient, our MockTracer and our
``ContextVarsScopeManager``) in a subprocess; they pass on the real opentracing 2.4.0 too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest

import opentracing
from opentracing import Format
from opentracing.ext import tags
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from ._servers import serve_asgi_and_call
from .conftest import InstalledLibrary, assert_ours

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _app(middleware: Any, tracer: MockTracer, seen: Dict[str, Any]) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def work(request: Any) -> Any:
        label = request.query_params.get("label", "work")
        record = seen.setdefault(label, {})
        record["active_at_start"] = tracer.active_span
        await asyncio.sleep(0.005)
        record["active_after_await"] = tracer.active_span
        with tracer.start_active_span("db") as scope:
            scope.span.set_tag("label", label)
            await asyncio.sleep(0.002)
            record["active_in_db"] = tracer.active_span
        record["active_after_db"] = tracer.active_span
        server = tracer.active_span
        record["baggage"] = server.get_baggage_item("user") if server else None
        return PlainTextResponse(label)

    async def fail(request: Any) -> Any:
        await asyncio.sleep(0.001)
        raise ValueError("boom")

    app = Starlette(routes=[Route("/work", work), Route("/fail", fail)])
    app.add_middleware(middleware, tracer=tracer)
    return app




def _server_spans(tracer: MockTracer) -> List[Any]:
    return [s for s in tracer.finished_spans() if s.operation_name == "/work"]


def test_server_span_is_active_in_the_endpoint(middleware) -> None:
    tracer = MockTracer(scope_manager=ContextVarsScopeManager())
    seen: Dict[str, Any] = {}

    async def calls(client: Any) -> Any:
        response = await client.get("/work?label=one")
        assert response.status_code == 200 and response.text == "one"
        return response

    asyncio.run(serve_asgi_and_call(_app(middleware, tracer, seen), calls))
    (server,) = _server_spans(tracer)
    (db,) = [s for s in tracer.finished_spans() if s.operation_name == "db"]
    record = seen["one"]
    assert record["active_at_start"] is server
    assert record["active_after_await"] is server
    assert record["active_in_db"] is db
    assert record["active_after_db"] is server
    assert server.parent_id is None
    assert db.parent_id == server.context.span_id
    assert db.context.trace_id == server.context.trace_id
    assert server.tags[tags.COMPONENT] == "asgi"
    assert server.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_SERVER
    assert server.tags[tags.HTTP_METHOD] == "GET"
    assert server.tags[tags.HTTP_URL].startswith("http://127.0.0.1:")
    assert server.tags[tags.HTTP_URL].endswith("/work?b'label=one'")
    assert tracer.active_span is None


def test_propagated_context_becomes_the_parent(middleware) -> None:
    tracer = MockTracer(scope_manager=ContextVarsScopeManager())
    client_tracer = MockTracer(scope_manager=ContextVarsScopeManager())
    seen: Dict[str, Any] = {}

    async def calls(client: Any) -> Any:
        with client_tracer.start_active_span("client") as scope:
            scope.span.set_tag(tags.SPAN_KIND, tags.SPAN_KIND_RPC_CLIENT)
            scope.span.set_baggage_item("user", "alice")
            headers: Dict[str, str] = {}
            client_tracer.inject(scope.span.context, Format.HTTP_HEADERS, headers)
            response = await client.get("/work?label=remote", headers=headers)
            assert response.status_code == 200
            return scope.span

    client_span = asyncio.run(serve_asgi_and_call(_app(middleware, tracer, seen), calls))
    (server,) = _server_spans(tracer)
    assert server.parent_id == client_span.context.span_id
    assert server.context.trace_id == client_span.context.trace_id
    assert seen["remote"]["baggage"] == "alice"
    (db,) = [s for s in tracer.finished_spans() if s.operation_name == "db"]
    assert db.parent_id == server.context.span_id
    assert db.context.trace_id == client_span.context.trace_id


def test_concurrent_requests_keep_their_own_active_span(middleware) -> None:
    tracer = MockTracer(scope_manager=ContextVarsScopeManager())
    seen: Dict[str, Any] = {}
    labels = ["r%d" % i for i in range(20)]

    async def calls(client: Any) -> Any:
        responses = await asyncio.gather(*(client.get("/work?label=" + x) for x in labels))
        assert sorted(r.text for r in responses) == sorted(labels)

    asyncio.run(serve_asgi_and_call(_app(middleware, tracer, seen), calls))
    servers = {s.context.span_id: s for s in _server_spans(tracer)}
    assert len(servers) == len(labels)
    assert len({s.context.trace_id for s in servers.values()}) == len(labels)
    for label in labels:
        record = seen[label]
        server = record["active_at_start"]
        assert server.context.span_id in servers
        assert server.tags[tags.HTTP_URL].endswith("label=%s'" % label)
        assert record["active_after_await"] is server
        assert record["active_after_db"] is server
    dbs = [s for s in tracer.finished_spans() if s.operation_name == "db"]
    assert len(dbs) == len(labels)
    for db in dbs:
        assert servers[db.parent_id].tags[tags.HTTP_URL].endswith(
            "label=%s'" % db.tags["label"]
        )


def test_failing_endpoint_gets_the_error_tag_and_log(middleware) -> None:
    tracer = MockTracer(scope_manager=ContextVarsScopeManager())

    async def calls(client: Any) -> Any:
        response = await client.get("/fail")
        assert response.status_code == 500

    asyncio.run(serve_asgi_and_call(_app(middleware, tracer, {}), calls))
    (server,) = [s for s in tracer.finished_spans() if s.operation_name == "/fail"]
    assert server.tags[tags.ERROR] is True
    (log,) = server.logs
    assert log.key_values["event"] == tags.ERROR
    assert isinstance(log.key_values["error.object"], ValueError)
    assert log.key_values["error.kind"] is ValueError
    assert tracer.active_span is None


def test_asyncio_manager_does_not_pass_the_span_to_the_endpoint_task(middleware) -> None:
    """AsyncioScopeManager keeps one stack per task (2.4 semantics); ``call_next`` runs the
    endpoint in a new task, so there the middleware's span is not active."""
    tracer = MockTracer(scope_manager=AsyncioScopeManager())
    seen: Dict[str, Any] = {}

    async def calls(client: Any) -> Any:
        response = await client.get("/work?label=task")
        assert response.status_code == 200

    asyncio.run(serve_asgi_and_call(_app(middleware, tracer, seen), calls))
    (server,) = _server_spans(tracer)
    (db,) = [s for s in tracer.finished_spans() if s.operation_name == "db"]
    assert seen["task"]["active_at_start"] is None
    assert seen["task"]["active_in_db"] is db
    assert db.parent_id is None and db.context.trace_id != server.context.trace_id


def test_global_tracer_is_ours(middleware, reset_global_tracer) -> None:
    tracer = MockTracer(scope_manager=ContextVarsScopeManager())
    opentracing.set_global_tracer(tracer)
    seen: Dict[str, Any] = {}

    async def calls(client: Any) -> Any:
        return (await client.get("/work")).status_code

    app = _app(middleware, opentracing.global_tracer(), seen)
    assert asyncio.run(serve_asgi_and_call(app, calls)) == 200
    assert len(_server_spans(tracer)) == 1


def test_own_suite(starlette_opentracing_lib: InstalledLibrary, tmp_path: Path) -> None:
    result = starlette_opentracing_lib.run_own_tests(["tests"], tmp_path)
    result.assert_clean(minimum_passed=3)
