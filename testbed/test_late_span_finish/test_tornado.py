"""Tornado (TornadoScopeManager): subtasks started while the parent span is active
inherit it with no explicit passing - native coroutines wrapped at once with
gen.convert_yielded, or @gen.coroutine callbacks from IOLoop.spawn_callback - and each
open a child span. The parent's scope is closed at once but the span is finished only
after all the children, by the awaiting coroutine or by the last child.

Drives its own IOLoop (no pytest-asyncio), so it runs on Tornado 5.1 and 6.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Generator, List

from tornado import gen, locks, queues
from tornado.ioloop import IOLoop

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import run_on_new_loop, tornado6_only
from .checks import SUBTASKS, FinishAfterChildren, check_spans

TIMEOUT = timedelta(seconds=5)



class Together:
    """Holds each subtask with its child span open until all of them have one open."""

    def __init__(self) -> None:
        self.opened: List[int] = []
        self.all_open = locks.Event()

    def arrive(self, index: int) -> Any:
        self.opened.append(index)
        if len(self.opened) == SUBTASKS:
            self.all_open.set()
        return self.all_open.wait(timeout=TIMEOUT)


async def native_subtask(tracer: MockTracer, index: int, together: Together) -> None:
    """Open ``subtask-<index>`` under the inherited span while the others have theirs open."""
    parent = tracer.active_span
    assert parent is not None and parent.operation_name == "parent"
    with tracer.start_active_span(f"subtask-{index}"):
        await together.arrive(index)
        await gen.sleep(0.002 * (SUBTASKS - index))  # children finish in turn
    assert tracer.active_span is parent


@gen.coroutine
def generator_subtask(
    tracer: MockTracer, index: int, together: Together, done: Callable[[], None]
) -> Generator[Any, Any, None]:
    """The same as a ``@gen.coroutine`` callback that reports when it is done."""
    parent = tracer.active_span
    assert parent is not None and parent.operation_name == "parent"
    with tracer.start_active_span(f"subtask-{index}"):
        yield together.arrive(index)
        yield gen.sleep(0.002 * (SUBTASKS - index))
    assert tracer.active_span is parent
    done()


@tornado6_only(
    'native subtasks inherit a scope closed before they run'
)
def test_parent_finished_after_awaiting_children() -> None:
    """The coroutine that started the subtasks awaits them, then finishes the parent."""
    tracer = MockTracer(TornadoScopeManager())

    async def main() -> None:
        together = Together()
        with tracer.start_active_span("parent", finish_on_close=False) as scope:
            futures = [
                gen.convert_yielded(native_subtask(tracer, i, together)) for i in range(SUBTASKS)
            ]
        assert tracer.active_span is None
        await gen.with_timeout(TIMEOUT, gen.multi(futures))
        assert len(tracer.finished_spans()) == SUBTASKS and not scope.span.finished
        scope.span.finish()

    run_on_new_loop(main, timeout=10)
    check_spans(tracer.finished_spans())


@tornado6_only(
    'subtasks with open spans run side by side in one tracer_stack_context()'
)
def test_parent_finished_by_last_child() -> None:
    """Started from inside another span but on a fresh stack (tracer_stack_context());
    nobody waits for the subtasks for the parent: the last one to finish finishes it."""
    tracer = MockTracer(TornadoScopeManager())

    async def main() -> None:
        together = Together()
        ended: queues.Queue = queues.Queue()  # one item per subtask that is done
        with tracer.start_active_span("unrelated") as unrelated:
            with tracer_stack_context():
                parent = tracer.start_span("parent")
                last_one = FinishAfterChildren(parent, SUBTASKS)

                def child_done() -> None:
                    last_one.child_done()
                    ended.put_nowait(None)

                with tracer.scope_manager.activate(parent, False):
                    for i in range(SUBTASKS):
                        IOLoop.current().spawn_callback(
                            generator_subtask, tracer, i, together, child_done
                        )
            assert tracer.active_span is unrelated.span
            for _ in range(SUBTASKS):
                await ended.get(timeout=TIMEOUT)
            assert parent.finished

    run_on_new_loop(main, timeout=10)
    *spans, last = tracer.finished_spans()
    assert last.operation_name == "unrelated"
    check_spans(spans)
