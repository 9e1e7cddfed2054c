"""contextvars (ContextVarsScopeManager): each task inherits the span active where it was
created, with no explicit passing; inside, no_parent_scope() lets it start an unrelated
root span that replaces the inherited one for a while, after which the inherited span is
active again and the task finishes it."""

from __future__ import annotations

import asyncio
from typing import Dict, List, Optional

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager, no_parent_scope

from .checks import active_name, check_spans

WORKERS = 4


async def worker(
    tracer: MockTracer,
    index: int,
    all_replaced: asyncio.Event,
    replaced: List[int],
    seen: Dict[int, List[Optional[str]]],
) -> None:
    """Replace the inherited span, continue it, then finish it."""
    observed = [active_name(tracer)]  # inherited from the creating task
    with no_parent_scope(), tracer.start_active_span(f"task-{index}"):
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
    initial = tracer.active_span
    assert initial is not None
    initial.finish()
    seen[index] = observed


async def test_replacement_with_inherited_spans() -> None:
    """Tasks see the span active at their creation; their own activations stay inside."""
    tracer = MockTracer(ContextVarsScopeManager())
    all_replaced = asyncio.Event()
    replaced: List[int] = []
    seen: Dict[int, List[Optional[str]]] = {}
    tasks = []
    with tracer.start_active_span("test-task") as scope:
        for i in range(WORKERS):
            with no_parent_scope(), tracer.start_active_span(f"initial-{i}", finish_on_close=False):
                tasks.append(asyncio.ensure_future(worker(tracer, i, all_replaced, replaced, seen)))
            assert tracer.active_span is scope.span
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
        assert tracer.active_span is scope.span
    assert tracer.active_span is None

    assert seen == {
        i: [f"initial-{i}", f"task-{i}", f"initial-{i}", f"initial-{i}"] for i in range(WORKERS)
    }
    *spans, last = tracer.finished_spans()
    assert last.operation_name == "test-task" and last.parent_id is None
    check_spans(spans, WORKERS)
