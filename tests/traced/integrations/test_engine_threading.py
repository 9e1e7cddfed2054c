"""The threading and futures integrations on real threads and executors: work started
inside a span gets it as parent, however the thread or executor was made."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import List, Optional

import pytest

from traced.integrations import futures as futures_integration
from traced.integrations import instrument, instrumented, uninstrument
from traced.tracer import Tracer

from .conftest import SpanList


def child_work(tracer: Tracer, seen: List[Optional[int]]) -> None:
    active = tracer.active_span
    seen.append(active.context.span_id if active is not None else None)
    with tracer.start_active_span("child"):
        pass


class Worker(threading.Thread):
    """Overrides run(), as many thread subclasses do."""

    def __init__(self, tracer: Tracer, seen: List[Optional[int]]) -> None:
        super().__init__()
        self.tracer, self.seen = tracer, seen

    def run(self) -> None:
        child_work(self.tracer, self.seen)


def test_a_thread_started_inside_a_span_runs_as_its_child(tracer: Tracer, spans: SpanList) -> None:
    seen: List[Optional[int]] = []
    made_before = threading.Thread(target=child_work, args=(tracer, seen))
    subclassed = Worker(tracer, seen)
    instrument("threading")
    with tracer.start_active_span("parent") as scope:
        for thread in (made_before, subclassed):
            thread.start()
            thread.join()
    parent = scope.span.context.span_id
    assert seen == [parent, parent]
    assert [s.parent_id for s in spans.named("child")] == [parent, parent]
    assert "_traced_handoff" not in vars(made_before)


def test_a_thread_started_outside_any_span_has_none(tracer: Tracer, spans: SpanList) -> None:
    seen: List[Optional[int]] = []
    instrument("threading")
    thread = threading.Thread(target=child_work, args=(tracer, seen))
    thread.start()
    thread.join()
    assert seen == [None] and spans.named("child")[0].parent_id is None


def test_without_the_integration_a_thread_starts_with_no_span(tracer: Tracer) -> None:
    seen: List[Optional[int]] = []
    instrument("threading")
    uninstrument("threading")
    assert threading.Thread.__dict__["start"].__name__ == "start"
    assert not hasattr(threading.Thread.__dict__["start"], "__wrapped__")
    with tracer.start_active_span("parent"):
        thread = threading.Thread(target=child_work, args=(tracer, seen))
        thread.start()
        thread.join()
    assert seen == [None]


def test_a_failing_thread_target_fails_as_before(tracer: Tracer) -> None:
    errors: List[BaseException] = []
    original_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    problem = LookupError("in thread")

    def fail() -> None:
        raise problem

    try:
        instrument("threading")
        with tracer.start_active_span("parent"):
            thread = threading.Thread(target=fail)
            thread.start()
            thread.join()
    finally:
        threading.excepthook = original_hook
    assert errors == [problem]


def test_executor_work_submitted_inside_a_span_runs_as_its_child(tracer: Tracer, spans: SpanList) -> None:
    seen: List[Optional[int]] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:  # made before
        instrument("futures", "threading")
        executor.submit(child_work, tracer, seen).result()  # no span: none
        with tracer.start_active_span("parent") as scope:
            executor.submit(child_work, tracer, seen).result()
            list(executor.map(child_work, [tracer] * 3, [seen] * 3))
        executor.submit(child_work, tracer, seen).result()  # the worker kept no span
    parent = scope.span.context.span_id
    assert seen == [None, parent, parent, parent, parent, None]


def test_asyncio_run_in_executor_carries_the_span(tracer: Tracer) -> None:
    import asyncio

    seen: List[Optional[int]] = []
    instrument("futures")

    async def main() -> int:
        with tracer.start_active_span("parent") as scope:
            await asyncio.get_running_loop().run_in_executor(None, child_work, tracer, seen)
            return scope.span.context.span_id

    parent = asyncio.run(main())
    assert seen == [parent]


def test_an_executor_task_that_raises_gives_the_same_exception(tracer: Tracer) -> None:
    problem = ValueError("task failed")

    def fail() -> None:
        raise problem

    instrument("futures")
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        with tracer.start_active_span("parent"):
            future = executor.submit(fail)
        with pytest.raises(ValueError) as caught:
            future.result()
    assert caught.value is problem


def test_statuses(tracer: Tracer) -> None:
    instrument("futures", "threading")
    assert instrumented()["futures"] == "instrumented"
    assert instrumented()["threading"] == "instrumented"
    assert futures_integration.is_instrumented()
    uninstrument("futures", "threading")
    assert instrumented()["futures"] == "not instrumented"


def test_a_thread_that_fails_to_start_keeps_no_span(tracer) -> None:
    import threading as _threading

    from traced.integrations import threading as integration

    integration.instrument()
    thread = _threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    with tracer.start_active_span("parent"):
        with pytest.raises(RuntimeError):
            thread.start()  # threads can only be started once
    assert "_traced_handoff" not in thread.__dict__
