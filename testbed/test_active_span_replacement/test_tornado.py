"""Tornado (TornadoScopeManager): each request gets a fresh stack from
tracer_stack_context(), activates its ``initial`` span there and schedules a callback,
which inherits that span with no explicit passing; the callback replaces it with an
unrelated span while the others do the same, then continues and finishes it.

Drives its own IOLoop (no pytest-asyncio), so it runs on Tornado 5.1 and 6.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Generator, List, Optional

from tornado import gen, locks, queues
from tornado.ioloop import IOLoop

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import run_on_new_loop, tornado6_only
from .checks import active_name, check_spans

WORKERS = 4
TIMEOUT = timedelta(seconds=5)
Done = queues.Queue  # of (index, active span names the worker saw)



async def run_subtask(tracer: MockTracer, index: int) -> None:
    """A native coroutine: its span's parent is whatever its caller has active."""
    with tracer.start_active_span(f"subtask-{index}"):
        await gen.sleep(0)


@gen.coroutine
def worker(
    tracer: MockTracer, index: int, all_replaced: locks.Event, replaced: List[int], done: Done
) -> Generator[Any, Any, None]:
    """A generator coroutine run as a callback; it inherits ``initial-<index>`` as active."""
    observed = [active_name(tracer)]
    try:
        with tracer.start_active_span(f"task-{index}", ignore_active_span=True):
            replaced.append(index)
            if len(replaced) == WORKERS:
                all_replaced.set()
            yield all_replaced.wait(timeout=TIMEOUT)  # every callback has its replacement
            observed.append(active_name(tracer))
            yield run_subtask(tracer, index)
        observed.append(active_name(tracer))
        with tracer.start_active_span(f"continuation-{index}"):
            yield gen.sleep(0)
        observed.append(active_name(tracer))
        initial = tracer.active_span
        assert initial is not None
        initial.finish()
    finally:
        done.put_nowait((index, observed))


@tornado6_only(
    "each request's initial scope is closed before its callback runs, and a native coroutine is awaited from a @gen.coroutine"
)
def test_replacement_in_callbacks() -> None:
    """Callbacks see only their own request's spans; the caller keeps its active span."""
    tracer = MockTracer(TornadoScopeManager())

    async def main() -> Dict[int, List[Optional[str]]]:
        all_replaced, done = locks.Event(), Done()
        replaced: List[int] = []
        loop = IOLoop.current()
        with tracer.start_active_span("ioloop-main") as scope:
            for i in range(WORKERS):
                with tracer_stack_context():  # a fresh stack: initial-i is a root
                    with tracer.start_active_span(f"initial-{i}", finish_on_close=False):
                        schedule = loop.add_callback if i % 2 else loop.spawn_callback
                        schedule(worker, tracer, i, all_replaced, replaced, done)
                assert tracer.active_span is scope.span
            results = [await done.get(timeout=TIMEOUT) for _ in range(WORKERS)]
            assert tracer.active_span is scope.span
        assert tracer.active_span is None
        return dict(results)

    seen = run_on_new_loop(main, timeout=10)
    assert seen == {
        i: [f"initial-{i}", f"task-{i}", f"initial-{i}", f"initial-{i}"] for i in range(WORKERS)
    }
    *spans, last = tracer.finished_spans()
    assert last.operation_name == "ioloop-main" and last.parent_id is None
    check_spans(spans, WORKERS)
