"""Multiple callbacks on Tornado (5.1 and 6): native and ``@gen.coroutine`` callbacks
started with ``spawn_callback``/``add_callback`` while the parent is active inherit it."""

import random

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import (
    get_one_by_operation_name,
    parents_and_children,
    run_on_new_loop,
    tornado6_only,
)
from .checks import CALLBACKS, check_spans, task_tags


async def native_task(tracer, tags, done):
    await gen.sleep(random.uniform(0, 0.01))
    with tracer.start_active_span("task", tags=tags):
        await gen.sleep(random.uniform(0, 0.005))
    done.set_result(None)


@gen.coroutine
def generator_task(tracer, tags, done):
    yield gen.sleep(random.uniform(0, 0.01))
    with tracer.start_active_span("task", tags=tags):
        yield gen.sleep(random.uniform(0, 0.005))
    done.set_result(None)


def start_tasks(tracer, count, **tags):
    """Start ``count`` tasks at once, alternating the two kinds; return their futures."""
    loop = IOLoop.current()
    dones = []
    for i in range(count):
        done = Future()
        task = native_task if i % 2 == 0 else generator_task
        if i % 4 < 2:
            loop.spawn_callback(task, tracer, task_tags(i, **tags), done)
        else:
            loop.add_callback(task, tracer, task_tags(i, **tags), done)
        dones.append(done)
    return dones


@tornado6_only(
    'callbacks with open spans run side by side in one tracer_stack_context()'
)
def test_callbacks_are_children_of_the_parent():
    """Every callback's span is a direct child of the parent, which finishes last."""
    tracer = MockTracer(TornadoScopeManager())

    async def main():
        with tracer_stack_context():
            with tracer.start_active_span("parent") as scope:
                await gen.multi(start_tasks(tracer, CALLBACKS))
                assert tracer.active_span is scope.span
            assert tracer.active_span is None

    run_on_new_loop(main)
    check_spans(tracer)


@tornado6_only(
    'callbacks with open spans run side by side, and the request coroutine yields inside tracer_stack_context()'
)
def test_concurrent_requests_keep_their_callbacks_apart():
    """Two requests, each handled in its own ``tracer_stack_context()`` at the same time:
    each request's callbacks are children of that request's span only."""
    tracer = MockTracer(TornadoScopeManager())

    @gen.coroutine
    def handle(name, done):
        with tracer_stack_context():
            with tracer.start_active_span(name) as scope:
                yield start_tasks(tracer, CALLBACKS // 2, request=name)
                assert tracer.active_span is scope.span
        done.set_result(name)

    async def main():
        dones = [Future(), Future()]
        IOLoop.current().add_callback(handle, "first", dones[0])
        IOLoop.current().add_callback(handle, "second", dones[1])
        assert await gen.multi(dones) == ["first", "second"]

    run_on_new_loop(main)
    spans = tracer.finished_spans()
    assert len(spans) == CALLBACKS + 2
    links = parents_and_children(spans)
    for name in ("first", "second"):
        request = get_one_by_operation_name(spans, name)
        assert request.parent_id is None
        children = [s for s in spans if s.tags.get("request") == name]
        assert len(children) == CALLBACKS // 2
        assert all(s.parent_id == request.context.span_id for s in children)
        assert links.count(("task", name)) == CALLBACKS // 2
    assert tracer.active_span is None
