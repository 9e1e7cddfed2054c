"""Threads: client threads send messages through a ``queue.Queue`` to two server threads.
The ``batch`` span is passed to each client thread and re-activated there; the server
threads learn the client span only from the injected TEXT_MAP headers."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List

from opentracing import Format
from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan

from .checks import check_spans, client_span_tags, make_message, server_span_tags

CLIENTS = 6
SERVERS = 2
TIMEOUT = 5.0

Inbox = queue.Queue  # of messages, then None to stop a server


def serve(tracer: MockTracer, inbox: Inbox, seen: List[Any]) -> None:
    """Handle messages until a ``None`` arrives; reply to each one."""
    while True:
        message = inbox.get(timeout=TIMEOUT)
        if message is None:
            return
        seen.append(tracer.active_span)  # nothing is active between messages
        context = tracer.extract(Format.TEXT_MAP, message["headers"])
        with tracer.start_active_span("receive", child_of=context, tags=server_span_tags(message)):
            message["reply_to"].put(f"ack {message['id']}")


def client(tracer: MockTracer, batch: MockSpan, index: int, outbox: Inbox) -> None:
    """Send message ``index`` from a client span under ``batch`` and wait for the reply."""
    replies: queue.Queue[str] = queue.Queue()
    with tracer.scope_manager.activate(batch, False):
        with tracer.start_active_span("send", tags=client_span_tags(index)):
            outbox.put(make_message(tracer, index, replies))
            assert replies.get(timeout=TIMEOUT) == f"ack {index}"
        assert tracer.active_span is batch


def test_clients_and_servers_in_threads() -> None:
    """Each server span is a child of its own client span, whichever thread served it."""
    tracer = MockTracer()
    inbox: Inbox = queue.Queue()
    seen: List[Any] = []
    batch = tracer.start_span("batch")
    with ThreadPoolExecutor(max_workers=SERVERS + CLIENTS) as pool:
        servers = [pool.submit(serve, tracer, inbox, seen) for _ in range(SERVERS)]
        clients = [pool.submit(client, tracer, batch, i, inbox) for i in range(CLIENTS)]
        for future in clients:
            future.result(timeout=TIMEOUT)  # re-raises a client's failure
        for _ in servers:
            inbox.put(None)
        for future in servers:
            future.result(timeout=TIMEOUT)
    batch.finish()

    assert seen == [None] * CLIENTS
    assert tracer.active_span is None
    *spans, last = tracer.finished_spans()
    assert last is batch
    check_spans(spans, CLIENTS, batch)
