"""contextvars (ContextVarsScopeManager): client tasks inherit the ``batch`` span from the
code that created them, with no explicit passing; the server tasks are created under
no_parent_scope(), so they start with nothing active and learn the client span only from
the injected TEXT_MAP headers."""

from __future__ import annotations

import asyncio
from typing import Any, List

from opentracing import Format
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager, no_parent_scope

from .checks import check_spans, client_span_tags, make_message, server_span_tags

CLIENTS = 6
SERVERS = 2

Inbox = asyncio.Queue  # of messages, then None to stop a server


async def serve(tracer: MockTracer, inbox: Inbox, seen: List[Any]) -> None:
    """Handle messages until a ``None`` arrives; reply to each one."""
    while (message := await inbox.get()) is not None:
        seen.append(tracer.active_span)
        context = tracer.extract(Format.TEXT_MAP, message["headers"])
        with tracer.start_active_span("receive", child_of=context, tags=server_span_tags(message)):
            await asyncio.sleep(0.001)  # let the other server take a message meanwhile
            message["reply_to"].set_result(f"ack {message['id']}")
        seen.append(tracer.active_span)


async def client(tracer: MockTracer, index: int, outbox: Inbox) -> None:
    """Send message ``index`` from a client span under the inherited span; await the reply."""
    batch = tracer.active_span
    reply: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    with tracer.start_active_span("send", tags=client_span_tags(index)):
        await outbox.put(make_message(tracer, index, reply))
        assert await reply == f"ack {index}"
    assert batch is not None and tracer.active_span is batch


async def test_clients_inherit_and_servers_start_clean() -> None:
    """Clients are children of the inherited batch; servers parent on the headers only."""
    tracer = MockTracer(ContextVarsScopeManager())
    inbox: Inbox = asyncio.Queue()
    seen: List[Any] = []
    with tracer.start_active_span("batch") as scope:
        with no_parent_scope():
            servers = [asyncio.ensure_future(serve(tracer, inbox, seen)) for _ in range(SERVERS)]
        clients = [asyncio.ensure_future(client(tracer, i, inbox)) for i in range(CLIENTS)]
        await asyncio.wait_for(asyncio.gather(*clients), timeout=5)
        assert tracer.active_span is scope.span
    for _ in servers:
        inbox.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*servers), timeout=5)

    assert seen == [None] * (2 * CLIENTS)
    assert tracer.active_span is None
    *spans, batch = tracer.finished_spans()
    assert batch.operation_name == "batch" and batch.parent_id is None
    check_spans(spans, CLIENTS, batch)
