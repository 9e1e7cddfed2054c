"""Nested callbacks on Tornado (5.1 and 6): steps alternate between ``async def`` and
``@gen.coroutine``, each scheduled by the previous one with ``add_callback`` or
``spawn_callback``; all inherit the span active when the first was scheduled."""

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import run_on_new_loop, tornado6_only
from .checks import STEPS, check_span, tag_step


@tornado6_only(
    "the span's scope is closed before the first step runs, and native steps resume on asyncio"
)
def test_one_span_through_the_pipeline():
    """One span with a tag per step, in order, active in every step, finished by the last."""
    tracer = MockTracer(TornadoScopeManager())
    seen = []

    def tag_and_pass_on(number, finished):
        span = tracer.active_span
        seen.append((number, span is not None and not span.finished))
        tag_step(span, number)
        if number == STEPS:
            span.finish()
            finished.set_result(span)
        elif number % 2:
            IOLoop.current().add_callback(generator_step, number + 1, finished)
        else:
            IOLoop.current().spawn_callback(native_step, number + 1, finished)

    async def native_step(number, finished):
        await gen.sleep(0.001)
        tag_and_pass_on(number, finished)

    @gen.coroutine
    def generator_step(number, finished):
        yield gen.sleep(0.001)
        tag_and_pass_on(number, finished)

    @gen.coroutine
    def main():
        finished = Future()
        with tracer_stack_context():
            with tracer.start_active_span("one", finish_on_close=False):
                IOLoop.current().spawn_callback(native_step, 1, finished)
            assert tracer.active_span is None
            span = yield finished
        return span

    span = run_on_new_loop(main)
    check_span(tracer, span)
    assert seen == [(n, True) for n in range(1, STEPS + 1)]
