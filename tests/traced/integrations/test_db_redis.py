"""The redis integration, sync and asyncio, against a real Redis on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

from traced._suppress import suppress

from ._servers import RedisServer, redis_server  # noqa: F401  (a fixture)

redis = pytest.importorskip("redis")
import redis.asyncio  # noqa: E402

from traced.integrations import redis as redis_integration  # noqa: E402


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[Any]:  # noqa: F811
    conn = redis.Redis(host=redis_server.host, port=redis_server.port, db=3)
    conn.flushdb()
    yield conn
    conn.close()


@pytest.fixture
def instrumented(tracer: Any) -> Iterator[None]:
    redis_integration.instrument()
    yield
    redis_integration.uninstrument()


def test_commands_are_client_spans_without_their_arguments(tracer, spans, client, instrumented,
                                                           redis_server):
    with tracer.start_active_span("request"):
        client.set("user:42:email", "someone@example.com")
        assert client.get("user:42:email") == b"someone@example.com"
    request = spans.named("request")[0]
    set_span, get_span = spans.named("SET")[0], spans.named("GET")[0]
    assert set_span.parent_id == request.span_id == get_span.parent_id
    assert dict(get_span.tags) == {
        "span.kind": "client", "component": "redis", "db.type": "redis", "db.instance": "3",
        "peer.hostname": "127.0.0.1", "peer.port": redis_server.port, "db.statement": "GET",
    }
    assert all("user:42" not in str(dict(s.tags)) for s in spans)


def test_arguments_recorded_only_on_request(tracer, spans, client):
    redis_integration.instrument(record_parameters=True)
    client.set("key", "x" * 500)
    statement = spans[0].tags["db.statement"]
    assert statement.startswith("SET key xxx") and len(statement) < 150


def test_pipeline_is_one_span_with_the_command_names(tracer, spans, client, instrumented):
    pipe = client.pipeline(transaction=False)
    pipe.set("a", 1).incr("a").get("a")
    assert pipe.execute() == [True, 2, b"2"]
    with client.pipeline() as tx:
        tx.set("b", 1).get("b")
        tx.execute()
    assert [s.operation_name for s in spans] == ["PIPELINE", "MULTI"]
    assert spans[0].tags["db.statement"] == "SET\nINCRBY\nGET"
    assert spans[0].tags["redis.pipeline_length"] == 3
    assert spans[1].tags["redis.pipeline_length"] == 2
    client.pipeline().execute()  # nothing queued: no span
    assert len(spans) == 2


def test_watch_commands_are_traced(tracer, spans, client, instrumented):
    with client.pipeline() as pipe:
        pipe.watch("w")
        assert pipe.get("w") is None
        pipe.multi()
        pipe.set("w", 1)
        pipe.execute()
    assert [s.operation_name for s in spans] == ["WATCH", "GET", "MULTI"]


def test_errors_are_reraised_unchanged(tracer, spans, client, instrumented):
    client.set("text", "abc")
    with pytest.raises(redis.ResponseError) as caught:
        client.incr("text")
    with pytest.raises(redis.ResponseError):
        client.execute_command("NOSUCHCOMMAND")
    failed = [s for s in spans if s.tags.get("error")]
    assert [s.operation_name for s in failed] == ["INCRBY", "NOSUCHCOMMAND"]
    assert failed[0].logs[0].fields["error.object"] is caught.value


def test_connection_refused_is_an_error_span(tracer, spans, instrumented):
    from ._servers import _free_port

    from redis.retry import Retry
    from redis.backoff import NoBackoff

    dead = redis.Redis(host="127.0.0.1", port=_free_port(), socket_connect_timeout=1,
                       retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.ConnectionError):
        dead.get("x")
    assert spans[0].operation_name == "GET" and spans[0].tags["error"] is True


def test_suppressed_commands_make_no_span(tracer, spans, client, instrumented):
    with suppress():
        client.get("x")
        client.pipeline().get("x").execute()
    assert len(spans) == 0


def test_uninstrument_restores_identity_and_one_layer(tracer, spans, client):
    original = redis.Redis.__dict__["execute_command"]
    pipeline_execute = redis.client.Pipeline.__dict__["execute"]
    async_original = redis.asyncio.Redis.__dict__["execute_command"]
    for _ in range(100):
        redis_integration.instrument()
        redis_integration.uninstrument()
    assert redis.Redis.__dict__["execute_command"] is original
    assert redis.client.Pipeline.__dict__["execute"] is pipeline_execute
    assert redis.asyncio.Redis.__dict__["execute_command"] is async_original
    client.get("x")
    assert len(spans) == 0
    redis_integration.instrument()
    redis_integration.instrument()
    client.get("x")
    assert len(spans) == 1


def test_clients_made_before_and_subclasses_are_traced(tracer, spans, redis_server):
    class MyRedis(redis.Redis):
        pass

    before = MyRedis(host=redis_server.host, port=redis_server.port)
    redis_integration.instrument()
    before.ping()
    assert spans[0].operation_name == "PING"
    before.close()


def test_asyncio_commands_and_pipelines(tracer, spans, redis_server, instrumented):
    async def main() -> None:
        client = redis.asyncio.Redis(host=redis_server.host, port=redis_server.port)
        try:
            with tracer.start_active_span("task"):
                await client.set("k", "v")
                assert await client.get("k") == b"v"
                async with client.pipeline(transaction=True) as pipe:
                    pipe.incr("n").incr("n")
                    assert await pipe.execute() == [1, 2]
                with pytest.raises(redis.ResponseError):
                    await client.incr("k")
            await asyncio.gather(*(client.get("k") for _ in range(3)))
        finally:
            await client.delete("k", "n")
            await client.aclose()

    asyncio.run(main())
    task = spans.named("task")[0]
    under_task = [s.operation_name for s in spans if s.parent_id == task.span_id]
    assert under_task == ["SET", "GET", "MULTI", "INCRBY"]
    assert spans.named("MULTI")[0].tags["redis.pipeline_length"] == 2
    assert spans.named("INCRBY")[0].tags["error"] is True
    assert len(spans.named("GET")) == 4
