"""gevent (GeventScopeManager, no monkey patching): client greenlets send messages through
a ``gevent.queue.Queue`` to two server greenlets. The ``batch`` span is passed to each
client greenlet and activated there; the servers learn the client span only from the
injected TEXT_MAP headers."""

from __future__ import annotations

from typing import Any, List

import gevent
from gevent.event import AsyncResult
from gevent.queue import Queue

from opentracing import Format
from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from opentracing.scope_managers.gevent import GeventScopeManager

from .checks import check_spans, client_span_tags, make_message, server_span_tags

CLIENTS = 6
SERVERS = 2
TIMEOUT = 5.0


def serve(tracer: MockTracer, inbox: Queue, seen: List[Any]) -> None:
    """Handle messages until a ``None`` arrives; reply to each one."""
    while (message := inbox.get(timeout=TIMEOUT)) is not None:
        seen.append(tracer.active_span)  # a spawned greenlet starts with nothing active
        context = tracer.extract(Format.TEXT_MAP, message["headers"])
        with tracer.start_active_span("receive", child_of=context, tags=server_span_tags(message)):
            gevent.sleep(0.001)  # let the other server take a message meanwhile
            message["reply_to"].set(f"ack {message['id']}")


def client(tracer: MockTracer, batch: MockSpan, index: int, outbox: Queue) -> None:
    """Send message ``index`` from a client span under ``batch`` and wait for the reply."""
    reply = AsyncResult()
    with tracer.scope_manager.activate(batch, False):
        with tracer.start_active_span("send", tags=client_span_tags(index)):
            outbox.put(make_message(tracer, index, reply))
            assert reply.get(timeout=TIMEOUT) == f"ack {index}"
        assert tracer.active_span is batch


def test_clients_and_servers_in_greenlets() -> None:
    """Each server span is a child of its own client span, whichever greenlet served it."""
    tracer = MockTracer(GeventScopeManager())
    inbox = Queue()
    seen: List[Any] = []
    batch = tracer.start_span("batch")
    servers = [gevent.spawn(serve, tracer, inbox, seen) for _ in range(SERVERS)]
    clients = [gevent.spawn(client, tracer, batch, i, inbox) for i in range(CLIENTS)]
    gevent.joinall(clients, timeout=TIMEOUT, raise_error=True)
    for _ in servers:
        inbox.put(None)
    gevent.joinall(servers, timeout=TIMEOUT, raise_error=True)
    batch.finish()

    assert all(g.successful() for g in servers + clients)
    assert seen == [None] * CLIENTS
    assert tracer.active_span is None
    *spans, last = tracer.finished_spans()
    assert last is batch
    check_spans(spans, CLIENTS, batch)
