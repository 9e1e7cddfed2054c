"""Tornado (TornadoScopeManager): native-coroutine clients send messages through a
``tornado.queues.Queue`` to two ``@gen.coroutine`` servers. The clients inherit the
``batch`` span from their caller; the servers are spawned inside tracer_stack_context(),
so they start with an empty stack and learn the client span only from the injected
TEXT_MAP headers.

Drives its own IOLoop (no pytest-asyncio), so it runs on Tornado 5.1 and 6.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Generator, List

from tornado import gen, queues
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from opentracing import Format
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import run_on_new_loop, tornado6_only
from .checks import check_spans, client_span_tags, make_message, server_span_tags

CLIENTS = 6
SERVERS = 2
TIMEOUT = timedelta(seconds=5)



@gen.coroutine
def serve(
    tracer: MockTracer, inbox: queues.Queue, stopped: queues.Queue, seen: List[Any]
) -> Generator[Any, Any, None]:
    """Handle messages until a ``None`` arrives; reply to each one; then report stopping."""
    try:
        while True:
            message = yield inbox.get(timeout=TIMEOUT)
            if message is None:
                return
            seen.append(tracer.active_span)  # the empty stack given at spawn time
            context = tracer.extract(Format.TEXT_MAP, message["headers"])
            tags = server_span_tags(message)
            with tracer.start_active_span("receive", child_of=context, tags=tags):
                yield gen.sleep(0.001)  # let the other server take a message meanwhile
                message["reply_to"].set_result(f"ack {message['id']}")
            seen.append(tracer.active_span)
    finally:
        stopped.put_nowait(None)


async def client(tracer: MockTracer, index: int, outbox: queues.Queue) -> None:
    """Send message ``index`` from a client span under the inherited span; await the reply."""
    batch = tracer.active_span
    reply: Future = Future()
    with tracer.start_active_span("send", tags=client_span_tags(index)):
        await outbox.put(make_message(tracer, index, reply))
        assert (await gen.with_timeout(TIMEOUT, reply)) == f"ack {index}"
    assert batch is not None and tracer.active_span is batch


@tornado6_only(
    'concurrent native clients keep their spans apart, and two servers run side by side in one tracer_stack_context()'
)
def test_clients_and_servers_on_ioloop() -> None:
    """Clients are children of the inherited batch; servers parent on the headers only."""
    tracer = MockTracer(TornadoScopeManager())
    seen: List[Any] = []

    async def main() -> None:
        inbox: queues.Queue = queues.Queue()  # messages, then None to stop a server
        stopped: queues.Queue = queues.Queue()  # one None per server that has stopped
        with tracer.start_active_span("batch") as scope:
            with tracer_stack_context():
                for _ in range(SERVERS):
                    IOLoop.current().spawn_callback(serve, tracer, inbox, stopped, seen)
            await gen.multi([client(tracer, i, inbox) for i in range(CLIENTS)])
            assert tracer.active_span is scope.span
        for _ in range(SERVERS):
            inbox.put_nowait(None)
        for _ in range(SERVERS):
            await stopped.get(timeout=TIMEOUT)
        assert tracer.active_span is None

    run_on_new_loop(main, timeout=10)
    assert seen == [None] * (2 * CLIENTS)
    *spans, batch = tracer.finished_spans()
    assert batch.operation_name == "batch" and batch.parent_id is None
    check_spans(spans, CLIENTS, batch)
