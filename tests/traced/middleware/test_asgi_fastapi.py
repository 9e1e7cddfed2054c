"""A real FastAPI app with ``TracingMiddleware`` added through ``app.add_middleware`` (so
inside FastAPI's own error handling), served by uvicorn on 127.0.0.1."""

from __future__ import annotations

from typing import Any, Dict

import pytest

fastapi = pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from traced.middleware.asgi import TracingMiddleware  # noqa: E402

from ._support import Uvicorn, async_wait_for_servers, children, client_headers, recording_tracer  # noqa: E402


async def test_fastapi_routes_statuses_and_errors() -> None:
    tracer, recorder = recording_tracer()
    app = fastapi.FastAPI()
    router = fastapi.APIRouter(prefix="/v1")

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> Dict[str, Any]:
        with tracer.start_active_span("load"):
            return {"id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/teapot")
    async def teapot() -> None:
        raise fastapi.HTTPException(418)

    app.include_router(router)
    app.add_middleware(TracingMiddleware, tracer=tracer, component="fastapi")
    client, headers = client_headers(tracer)
    async with Uvicorn(app) as server, httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.get("/v1/items/5", headers=headers)).json() == {"id": 5}
        assert (await http.get("/v1/items/x")).status_code == 422
        assert (await http.get("/teapot")).status_code == 418
        assert (await http.get("/boom")).status_code == 500
        spans = await async_wait_for_servers(recorder, 4)
    by_path = {s.tags["http.url"].split("/", 3)[3]: s for s in spans}
    found = by_path["v1/items/5"]
    assert found.operation_name == "GET /v1/items/{item_id}" and found.tags["http.status_code"] == 200
    assert found.parent_id == client.context.span_id and found.tags["component"] == "fastapi"
    assert [c.operation_name for c in children(recorder.spans, found)] == ["load"]
    invalid = by_path["v1/items/x"]
    assert invalid.tags["http.status_code"] == 422 and "error" not in invalid.tags
    assert by_path["teapot"].tags["http.status_code"] == 418 and "error" not in by_path["teapot"].tags
    # inside FastAPI's error handling, the exception passes through the middleware
    # before the 500 response is sent: the span records the exception
    failed = by_path["boom"]
    assert failed.operation_name == "GET /boom" and failed.tags["error"] is True
    assert failed.logs[0].fields["message"] == "boom"
