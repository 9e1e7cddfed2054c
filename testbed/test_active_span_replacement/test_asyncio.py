"""asyncio (AsyncioScopeManager): a new task starts with nothing active, so each span is
passed to its task and re-activated there; the task replaces it with an unrelated span
while the other tasks do the same, then carries on with the original."""

from __future__ import annotations

import asyncio
from typing import Dict, List, Optional

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .checks import active_name, check_spans

WORKERS = 4


async def worker(
    tracer: MockTracer,
    initial: MockSpan,
    index: int,
    all_replaced: asyncio.Event,
    replaced: List[int],
    seen: Dict[int, List[Optional[str]]],
) -> None:
    """Re-activate ``initial`` in this task (finishing it on close), replacing it for a while."""
    observed = [active_name(tracer)]
    with tracer.scope_manager.activate(initial, True):
        with tracer.start_active_span(f"task-{index}", ignore_active_span=True):
            replaced.append(index)
            if len(replaced) == WORKERS:
                all_replaced.set()
            await all_replaced.wait()  # every task now has its own replacement active
            observed.append(active_name(tracer))
            with tracer.start_active_span(f"subtask-{index}"):
                await asyncio.sleep(0)
        observed.append(active_name(tracer))
        with tracer.start_active_span(f"continuation-{index}"):
            await asyncio.sleep(0)
    observed.append(active_name(tracer))
    seen[index] = observed


async def test_replacement_in_tasks() -> None:
    """Each task sees its own spans only, and the test's task keeps its active span."""
    tracer = MockTracer(AsyncioScopeManager())
    all_replaced = asyncio.Event()
    replaced: List[int] = []
    seen: Dict[int, List[Optional[str]]] = {}
    tasks = []
    with tracer.start_active_span("test-task") as scope:
        for i in range(WORKERS):
            initial = tracer.start_span(f"initial-{i}", ignore_active_span=True)
            args = (tracer, initial, i, all_replaced, replaced, seen)
            tasks.append(asyncio.ensure_future(worker(*args)))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
        assert tracer.active_span is scope.span
    assert tracer.active_span is None

    assert seen == {i: [None, f"task-{i}", f"initial-{i}", None] for i in range(WORKERS)}
    *spans, last = tracer.finished_spans()
    assert last.operation_name == "test-task" and last.parent_id is None
    check_spans(spans, WORKERS)
