"""Helpers shared by the testbed scenarios: finding spans and waiting for conditions."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterable, List, Optional

from opentracing.mocktracer.span import MockSpan


def get_logger(name: str) -> logging.Logger:
    """A logger for a scenario, named after its module."""
    return logging.getLogger(name)


def get_one_by_operation_name(spans: Iterable[MockSpan], name: str) -> Optional[MockSpan]:
    """The only span with operation ``name``; None when there is none. Fails on two or more."""
    found = [s for s in spans if s.operation_name == name]
    assert len(found) <= 1, f"{len(found)} spans named {name!r}"
    return found[0] if found else None


def get_one_by_tag(spans: Iterable[MockSpan], key: str, value: Any) -> Optional[MockSpan]:
    """The only span whose tag ``key`` equals ``value``; None when there is none."""
    found = [s for s in spans if s.tags.get(key) == value]
    assert len(found) <= 1, f"{len(found)} spans with {key}={value!r}"
    return found[0] if found else None


def get_tags_count(span: MockSpan, prefix: str) -> int:
    """How many of the span's tag keys start with ``prefix``."""
    return sum(1 for key in span.tags if key.startswith(prefix))


def parents_and_children(spans: List[MockSpan]) -> List[tuple]:
    """(operation name, parent's operation name or None) for each span, for compact asserts."""
    by_id = {s.context.span_id: s for s in spans}
    return [
        (s.operation_name, by_id[s.parent_id].operation_name if s.parent_id in by_id else None)
        for s in spans
    ]


def await_until(condition: Callable[[], bool], timeout: float = 5.0, step: float = 0.005) -> None:
    """Poll ``condition`` from a thread until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(step)


def run_on_new_loop(func: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Run the coroutine function ``func`` to completion on a fresh Tornado IOLoop, failing
    after ``timeout`` seconds. For the ``test_tornado.py`` files, which drive their own loop
    (no pytest-asyncio) so that they run on Tornado 5.1 and 6; Tornado is imported only here."""
    from tornado.ioloop import IOLoop

    loop = IOLoop()
    try:
        return loop.run_sync(func, timeout=timeout)
    finally:
        loop.close()


def tornado6_only(why: str) -> Any:
    """A pytest mark skipping a Tornado scenario on Tornado < 6, saying ``why``.

    On Tornado < 6 TornadoScopeManager behaves as OpenTracing 2.4's: everything started in
    one tracer_stack_context() shares one request context, outside it scopes are
    thread-local, and asyncio steps of native coroutines (Tornado 5) are not wrapped by
    stack contexts. Scenarios that need each task to have its own stack run on Tornado 6."""
    import pytest
    import tornado

    return pytest.mark.skipif(
        tornado.version_info < (6,), reason=f"needs per-task scope stacks (Tornado 6): {why}"
    )
