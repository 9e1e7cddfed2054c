"""gevent (GeventScopeManager, no monkey patching): one RequestHandler serves requests
running at the same time in their own greenlets. A spawned greenlet starts with nothing
active, so send() captures the sender's active span and passes it explicitly."""

from __future__ import annotations

from typing import Any, Dict, List

import gevent
from gevent.event import Event

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.gevent import GeventScopeManager

from .handler import Request, RequestHandler, check_spans, make_request

TIMEOUT = 5.0


class Client:
    """Runs each request in a greenlet of its own, between the shared handler's hooks."""

    def __init__(self, tracer: MockTracer, in_flight: int) -> None:
        self.tracer = tracer
        self.handler = RequestHandler(tracer)
        self.not_yet_in_flight = in_flight
        self.all_in_flight = Event()

    def send(self, request: Request) -> gevent.Greenlet:
        context: Dict[str, Any] = {"parent": self.tracer.active_span}
        return gevent.spawn(self._run, request, context)

    def _run(self, request: Request, context: Dict[str, Any]) -> int:
        self.handler.before_request(request, context)
        self.not_yet_in_flight -= 1
        if self.not_yet_in_flight == 0:
            self.all_in_flight.set()
        assert self.all_in_flight.wait(timeout=TIMEOUT)  # every request is in flight now
        context["status"] = 200
        self.handler.after_request(request, context)
        return int(context["status"])


def wait_all(greenlets: List[gevent.Greenlet]) -> List[int]:
    gevent.joinall(greenlets, timeout=TIMEOUT, raise_error=True)
    assert all(g.successful() for g in greenlets)
    return [g.value for g in greenlets]


def test_requests_without_active_span_are_roots() -> None:
    """Concurrent requests sent with nothing active get a trace each."""
    tracer = MockTracer(GeventScopeManager())
    client = Client(tracer, in_flight=4)
    assert wait_all([client.send(make_request(i)) for i in range(4)]) == [200] * 4
    assert tracer.active_span is None
    check_spans(tracer.finished_spans(), {i: None for i in range(4)})


def test_requests_follow_their_senders_span() -> None:
    """Requests sent alternately under two parents, all in flight together, each end up
    under the parent that was active when it was sent."""
    tracer = MockTracer(GeventScopeManager())
    parent_a, parent_b = tracer.start_span("parent-a"), tracer.start_span("parent-b")
    parents = {i: parent_a if i % 2 == 0 else parent_b for i in range(6)}
    client = Client(tracer, in_flight=6)
    greenlets = []
    for i, parent in parents.items():
        with tracer.scope_manager.activate(parent, False):
            greenlets.append(client.send(make_request(i)))
            gevent.sleep(0)  # let the request start: its own span must not show here
            assert tracer.active_span is parent
    assert wait_all(greenlets) == [200] * 6
    assert tracer.active_span is None
    parent_a.finish()
    parent_b.finish()
    check_spans(tracer.finished_spans(), parents)
