"""Subtask span propagation on Tornado (5.1 and 6): native and ``@gen.coroutine`` subtasks
inherit the spawning coroutine's active span; the spawner's active span is undisturbed."""

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import run_on_new_loop, tornado6_only
from .checks import check_detached, check_parentage


@tornado6_only("the native subtask and its spawner run side by side with open spans")
def test_native_subtask_from_native_coroutine():
    """A native subtask scheduled with ``gen.convert_yielded`` is a child of the spawner."""
    tracer = MockTracer(TornadoScopeManager())

    async def subtask():
        await gen.sleep(0.001)
        with tracer.start_active_span("child"):
            await gen.sleep(0.001)
            return "done"

    async def main():
        with tracer_stack_context():
            with tracer.start_active_span("parent") as scope:
                task = gen.convert_yielded(subtask())
                await gen.sleep(0.002)
                assert tracer.active_span is scope.span
                assert await task == "done"
                assert tracer.active_span is scope.span

    run_on_new_loop(main)
    check_parentage(tracer, ["child", "parent"])


def test_generator_subtasks_from_generator_coroutine():
    """A yielded ``@gen.coroutine`` and one started with ``spawn_callback`` are both
    children of the spawner, whose span is active again when it resumes."""
    tracer = MockTracer(TornadoScopeManager())

    @gen.coroutine
    def subtask(name, done=None):
        with tracer.start_active_span(name):
            yield gen.sleep(0.001)
        if done is not None:
            done.set_result(name)
        return name

    @gen.coroutine
    def main():
        with tracer.start_active_span("parent") as scope:
            assert (yield subtask("yielded")) == "yielded"
            assert tracer.active_span is scope.span
            done = Future()
            IOLoop.current().spawn_callback(subtask, "spawned", done)
            assert tracer.active_span is scope.span
            assert (yield done) == "spawned"
            assert tracer.active_span is scope.span

    # Entered around the loop run: on Tornado < 6 a @gen.coroutine may not yield inside
    # a stack context it entered itself.
    with tracer_stack_context():
        run_on_new_loop(main)
    check_parentage(tracer, ["yielded", "spawned", "parent"])


@tornado6_only("on Tornado 5 a native coroutine's steps run outside the stack context")
def test_subtask_in_fresh_stack_context_has_no_parent():
    """A subtask started inside ``tracer_stack_context()`` starts from an empty stack."""
    tracer = MockTracer(TornadoScopeManager())

    async def subtask():
        with tracer.start_active_span("detached") as scope:
            await gen.sleep(0.001)
            return scope.span

    async def main():
        with tracer.start_active_span("parent") as scope:
            with tracer_stack_context():
                assert tracer.active_span is None
                task = gen.convert_yielded(subtask())
            assert tracer.active_span is scope.span
            detached = await task
            assert tracer.active_span is scope.span
        return scope.span, detached

    parent, detached = run_on_new_loop(main)
    check_detached(tracer, detached, parent)
