"""Threads: one RequestHandler serves requests running at the same time in pool threads.
send() captures the sender's active span and passes it to the pool thread explicitly;
every request must end up under its own sender's span, never another request's."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Dict

from opentracing.mocktracer import MockTracer

from .handler import Request, RequestHandler, check_spans, make_request

TIMEOUT = 5.0


class Client:
    """Runs each request in a pool thread, between the shared handler's hooks."""

    def __init__(self, tracer: MockTracer, pool: ThreadPoolExecutor, in_flight: int) -> None:
        self.tracer = tracer
        self.pool = pool
        self.handler = RequestHandler(tracer)
        self.all_in_flight = threading.Barrier(in_flight, timeout=TIMEOUT)

    def send(self, request: Request) -> Future[int]:
        context: Dict[str, Any] = {"parent": self.tracer.active_span}
        return self.pool.submit(self._run, request, context)

    def _run(self, request: Request, context: Dict[str, Any]) -> int:
        self.handler.before_request(request, context)
        self.all_in_flight.wait()  # every request is between its hooks right now
        context["status"] = 200
        self.handler.after_request(request, context)
        return int(context["status"])


def test_requests_without_active_span_are_roots() -> None:
    """Concurrent requests sent with nothing active get a trace each."""
    tracer = MockTracer()
    with ThreadPoolExecutor(max_workers=4) as pool:
        client = Client(tracer, pool, in_flight=4)
        futures = [client.send(make_request(i)) for i in range(4)]
        assert [f.result(timeout=TIMEOUT) for f in futures] == [200] * 4
    assert tracer.active_span is None
    check_spans(tracer.finished_spans(), {i: None for i in range(4)})


def test_requests_follow_their_senders_span() -> None:
    """Requests sent alternately under two parents, all in flight together, each end up
    under the parent that was active when it was sent."""
    tracer = MockTracer()
    parent_a, parent_b = tracer.start_span("parent-a"), tracer.start_span("parent-b")
    parents = {i: parent_a if i % 2 == 0 else parent_b for i in range(6)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        client = Client(tracer, pool, in_flight=6)
        futures = []
        for i, parent in parents.items():
            with tracer.scope_manager.activate(parent, False):
                futures.append(client.send(make_request(i)))
                assert tracer.active_span is parent
        assert [f.result(timeout=TIMEOUT) for f in futures] == [200] * 6
    assert tracer.active_span is None
    parent_a.finish()
    parent_b.finish()
    check_spans(tracer.finished_spans(), parents)
