"""asyncio (AsyncioScopeManager): client tasks send messages through an ``asyncio.Queue``
to two server tasks. The ``batch`` span is passed to each client task and activated
there; the server tasks learn the client span only from the injected TEXT_MAP headers."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from opentracing import Format
from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .checks import check_spans, client_span_tags, make_message, server_span_tags

CLIENTS = 6
SERVERS = 2

Inbox = asyncio.Queue  # of messages, then None to stop a server


async def serve(tracer: MockTracer, inbox: Inbox, seen: List[Any]) -> None:
    """Handle messages until a ``None`` arrives; reply to each one."""
    while (message := await inbox.get()) is not None:
        seen.append(tracer.active_span)  # a new task starts with nothing active
        context = tracer.extract(Format.TEXT_MAP, message["headers"])
        with tracer.start_active_span("receive", child_of=context, tags=server_span_tags(message)):
            await asyncio.sleep(0.001)  # let the other server take a message meanwhile
            message["reply_to"].set_result(f"ack {message['id']}")


async def client(tracer: MockTracer, batch: MockSpan, index: int, outbox: Inbox) -> None:
    """Send message ``index`` from a client span under ``batch`` and wait for the reply."""
    reply: "asyncio.Future[str]" = asyncio.get_running_loop().create_future()
    with tracer.scope_manager.activate(batch, False):
        with tracer.start_active_span("send", tags=client_span_tags(index)):
            await outbox.put(make_message(tracer, index, reply))
            assert await reply == f"ack {index}"
        assert tracer.active_span is batch


async def test_clients_and_servers_in_tasks() -> None:
    """Each server span is a child of its own client span, whichever task served it."""
    tracer = MockTracer(AsyncioScopeManager())
    inbox: Inbox = asyncio.Queue()
    seen: List[Any] = []
    batch = tracer.start_span("batch")
    servers = [asyncio.ensure_future(serve(tracer, inbox, seen)) for _ in range(SERVERS)]
    clients = [asyncio.ensure_future(client(tracer, batch, i, inbox)) for i in range(CLIENTS)]
    await asyncio.wait_for(asyncio.gather(*clients), timeout=5)
    for _ in servers:
        inbox.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*servers), timeout=5)
    batch.finish()

    assert seen == [None] * CLIENTS
    assert tracer.active_span is None
    *spans, last = tracer.finished_spans()
    assert last is batch
    check_spans(spans, CLIENTS, batch)
