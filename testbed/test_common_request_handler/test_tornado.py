"""Tornado (TornadoScopeManager): one RequestHandler serves requests running at the same
time as IOLoop callbacks. Nothing is passed: each callback inherits the span active where
send() was called, and tracer_stack_context() sends requests from a fresh, empty stack.

Drives its own IOLoop (no pytest-asyncio), so it runs on Tornado 5.1 and 6.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Generator, List

from tornado import gen, locks
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import run_on_new_loop, tornado6_only
from .handler import Request, RequestHandler, check_spans, make_request

TIMEOUT = timedelta(seconds=5)



class Client:
    """Runs each request as a callback, between the shared handler's hooks."""

    def __init__(self, tracer: MockTracer, in_flight: int) -> None:
        self.handler = RequestHandler(tracer)
        self.not_yet_in_flight = in_flight
        self.all_in_flight = locks.Event()

    def send(self, request: Request) -> Future:
        done: Future = Future()
        loop = IOLoop.current()
        schedule = loop.add_callback if request.id % 2 else loop.spawn_callback
        schedule(self._run, request, {}, done)  # the callback inherits the sender's span
        return done

    @gen.coroutine
    def _run(
        self, request: Request, context: Dict[str, Any], done: Future
    ) -> Generator[Any, Any, None]:
        try:
            self.handler.before_request(request, context)
            self.not_yet_in_flight -= 1
            if self.not_yet_in_flight == 0:
                self.all_in_flight.set()
            yield self.all_in_flight.wait(timeout=TIMEOUT)  # every request is in flight
            context["status"] = 200
            self.handler.after_request(request, context)
            done.set_result(context["status"])
        except Exception as exc:
            done.set_exception(exc)


async def wait_all(futures: List[Future]) -> List[int]:
    return await gen.with_timeout(TIMEOUT, gen.multi(futures))  # type: ignore[no-any-return]


@tornado6_only(
    'requests in flight together in one tracer_stack_context() each keep their own span'
)
def test_requests_in_tracer_stack_context_are_roots() -> None:
    """With a span active but tracer_stack_context() around send(), requests get a trace
    each, and the caller's span is untouched."""
    tracer = MockTracer(TornadoScopeManager())

    async def main() -> None:
        client = Client(tracer, in_flight=4)
        with tracer.start_active_span("caller") as scope:
            with tracer_stack_context():
                futures = [client.send(make_request(i)) for i in range(4)]
            assert await wait_all(futures) == [200] * 4
            assert tracer.active_span is scope.span

    run_on_new_loop(main, timeout=10)
    *spans, caller = tracer.finished_spans()
    assert caller.operation_name == "caller"
    check_spans(spans, {i: None for i in range(4)})


@tornado6_only(
    'requests in flight together each keep their own span, outside any tracer_stack_context()'
)
def test_requests_follow_their_senders_span() -> None:
    """Requests sent alternately under two parents, all in flight together, each end up
    under the parent that was active when it was sent."""
    tracer = MockTracer(TornadoScopeManager())
    parent_a, parent_b = tracer.start_span("parent-a"), tracer.start_span("parent-b")
    parents = {i: parent_a if i % 2 == 0 else parent_b for i in range(6)}

    async def main() -> None:
        client = Client(tracer, in_flight=6)
        futures = []
        for i, parent in parents.items():
            with tracer.scope_manager.activate(parent, False):
                futures.append(client.send(make_request(i)))
                await gen.sleep(0)  # let the request start: its own span must not show here
                assert tracer.active_span is parent
        assert await wait_all(futures) == [200] * 6
        assert tracer.active_span is None

    run_on_new_loop(main, timeout=10)
    parent_a.finish()
    parent_b.finish()
    check_spans(tracer.finished_spans(), parents)
