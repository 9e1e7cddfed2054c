"""asyncio (AsyncioScopeManager): one RequestHandler serves requests running at the same
time in their own tasks. A new task starts with nothing active, so send() captures the
sender's active span and passes it to the task explicitly."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .handler import Request, RequestHandler, check_spans, make_request


class Client:
    """Runs each request in a task of its own, between the shared handler's hooks."""

    def __init__(self, tracer: MockTracer, in_flight: int) -> None:
        self.tracer = tracer
        self.handler = RequestHandler(tracer)
        self.not_yet_in_flight = in_flight
        self.all_in_flight = asyncio.Event()

    def send(self, request: Request) -> asyncio.Future[int]:
        context: Dict[str, Any] = {"parent": self.tracer.active_span}
        return asyncio.ensure_future(self._run(request, context))

    async def _run(self, request: Request, context: Dict[str, Any]) -> int:
        self.handler.before_request(request, context)
        self.not_yet_in_flight -= 1
        if self.not_yet_in_flight == 0:
            self.all_in_flight.set()
        await self.all_in_flight.wait()  # every request is between its hooks right now
        context["status"] = 200
        self.handler.after_request(request, context)
        return int(context["status"])


async def wait_all(futures: List[asyncio.Future[int]]) -> List[int]:
    return await asyncio.wait_for(asyncio.gather(*futures), timeout=5)


async def test_requests_without_active_span_are_roots() -> None:
    """Concurrent requests sent with nothing active get a trace each."""
    tracer = MockTracer(AsyncioScopeManager())
    client = Client(tracer, in_flight=4)
    assert await wait_all([client.send(make_request(i)) for i in range(4)]) == [200] * 4
    assert tracer.active_span is None
    check_spans(tracer.finished_spans(), {i: None for i in range(4)})


async def test_requests_follow_their_senders_span() -> None:
    """Requests sent alternately under two parents, all in flight together, each end up
    under the parent that was active when it was sent."""
    tracer = MockTracer(AsyncioScopeManager())
    parent_a, parent_b = tracer.start_span("parent-a"), tracer.start_span("parent-b")
    parents = {i: parent_a if i % 2 == 0 else parent_b for i in range(6)}
    client = Client(tracer, in_flight=6)
    futures = []
    for i, parent in parents.items():
        with tracer.scope_manager.activate(parent, False):
            futures.append(client.send(make_request(i)))
            await asyncio.sleep(0)  # let the request start: its own span must not show here
            assert tracer.active_span is parent
    assert await wait_all(futures) == [200] * 6
    assert tracer.active_span is None
    parent_a.finish()
    parent_b.finish()
    check_spans(tracer.finished_spans(), parents)
