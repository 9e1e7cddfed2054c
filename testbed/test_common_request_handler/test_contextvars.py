"""contextvars (ContextVarsScopeManager): one RequestHandler serves requests running at
the same time in their own tasks. Nothing is passed: each request task inherits the
span active where send() was called, and no_parent_scope() sends requests as roots."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager, no_parent_scope

from .handler import Request, RequestHandler, check_spans, make_request


class Client:
    """Runs each request in a task of its own, between the shared handler's hooks."""

    def __init__(self, tracer: MockTracer, in_flight: int) -> None:
        self.handler = RequestHandler(tracer)
        self.not_yet_in_flight = in_flight
        self.all_in_flight = asyncio.Event()

    def send(self, request: Request) -> asyncio.Future[int]:
        return asyncio.ensure_future(self._run(request, {}))  # the task inherits the parent

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


async def test_requests_in_no_parent_scope_are_roots() -> None:
    """With a span active but no_parent_scope() around send(), requests get a trace each."""
    tracer = MockTracer(ContextVarsScopeManager())
    client = Client(tracer, in_flight=4)
    with tracer.start_active_span("caller") as scope:
        with no_parent_scope():
            futures = [client.send(make_request(i)) for i in range(4)]
        assert await wait_all(futures) == [200] * 4
        assert tracer.active_span is scope.span
    *spans, caller = tracer.finished_spans()
    assert caller.operation_name == "caller"
    check_spans(spans, {i: None for i in range(4)})


async def test_requests_follow_their_senders_span() -> None:
    """Requests sent alternately under two parents, all in flight together, each end up
    under the parent that was active when it was sent."""
    tracer = MockTracer(ContextVarsScopeManager())
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
