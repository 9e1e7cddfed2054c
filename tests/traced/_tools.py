"""Test doubles and helpers shared by the ``traced`` tests: a MockTracer counting every
finish() and scope close(), a minimal ScopeManager that is *not* one of this package's
stack managers (so ``traced`` must drive it through the public activate/close API only),
the scope managers the concurrency tests run on, span lookups, and a cancel-while-suspended
driver for asyncio tasks."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import AsyncIterable, Awaitable, Dict, Optional, Tuple

import pytest

from opentracing import Scope, ScopeManager, Span
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from opentracing.scope_managers.gevent import GeventScopeManager
from opentracing.scope_managers.tornado import TornadoScopeManager

# The scope managers made for asyncio, and every scope manager, by test id.
ASYNCIO_MANAGERS = {
    "asyncio": AsyncioScopeManager,
    "contextvars": ContextVarsScopeManager,
    "tornado": TornadoScopeManager,
}
ALL_MANAGERS = {
    "threadlocal": ThreadLocalScopeManager,
    "asyncio": AsyncioScopeManager,
    "contextvars": ContextVarsScopeManager,
    "gevent": GeventScopeManager,
    "tornado": TornadoScopeManager,
}


class PlainScope(Scope):
    """A scope restoring the one it replaced when closed while active."""

    def __init__(self, manager: "PlainScopeManager", span: Span, finish_on_close: bool, previous):
        super().__init__(manager, span)
        self._finish_on_close = finish_on_close
        self._previous = previous

    def close(self) -> None:
        manager: PlainScopeManager = self.manager  # type: ignore[assignment]
        manager.closes[id(self)] += 1
        if manager.active is self:
            manager._local.active = self._previous
        if self._finish_on_close:
            self.span.finish()


class PlainScopeManager(ScopeManager):
    """A thread-local ScopeManager written against the public API only; counts the
    activations and the close() calls of each scope."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()
        self.activations = 0
        self.closes: Counter = Counter()
        self.scopes: list = []

    def activate(self, span: Span, finish_on_close: bool) -> Scope:
        scope = PlainScope(self, span, finish_on_close, self.active)
        self._local.active = scope
        self.activations += 1
        self.scopes.append(scope)
        return scope

    @property
    def active(self) -> Optional[Scope]:
        return getattr(self._local, "active", None)


class CountingStackScopeManager(ThreadLocalScopeManager):
    """ThreadLocalScopeManager whose scopes count their close() and end() calls."""

    def __init__(self) -> None:
        super().__init__()
        self.closes: Counter = Counter()
        self.scopes: list = []

    def activate(self, span: Span, finish_on_close: bool) -> Scope:
        scope = super().activate(span, finish_on_close)
        closes = self.closes
        original_close = scope.close

        def counting_close() -> None:
            closes[id(scope)] += 1
            original_close()

        original_end = scope.end  # type: ignore[attr-defined]

        def counting_end() -> None:
            closes[id(scope)] += 1
            original_end()

        scope.close = counting_close  # type: ignore[method-assign]
        scope.end = counting_end  # type: ignore[attr-defined]
        self.scopes.append(scope)
        return scope


class CountingTracer(MockTracer):
    """A MockTracer counting every finish() of each span (MockTracer itself ignores
    repeated finishes, so they would otherwise go unnoticed)."""

    def __init__(self, scope_manager: Optional[ScopeManager] = None) -> None:
        super().__init__(scope_manager)
        self.finishes: Counter = Counter()
        self.started: list = []

    def start_span(self, *args, **kwargs):  # type: ignore[override]
        span = super().start_span(*args, **kwargs)
        self.started.append(span)
        original_finish = span.finish

        def counting_finish(finish_time: Optional[float] = None) -> None:
            with self._lock:
                self.finishes[id(span)] += 1
            original_finish(finish_time)

        span.finish = counting_finish  # type: ignore[method-assign]
        return span

    def assert_each_span_finished_once(self) -> None:
        assert self.started, "no span was started"
        for span in self.started:
            assert self.finishes[id(span)] == 1, (span, self.finishes[id(span)])


# --- span lookups ----------------------------------------------------------------------


def by_name(tracer: MockTracer) -> Dict[str, Span]:
    """The tracer's finished spans by operation name."""
    return {s.operation_name: s for s in tracer.finished_spans()}


def by_name_and_i(tracer: MockTracer) -> Dict[Tuple[str, object], Span]:
    """The tracer's finished spans by (operation name, tag ``i`` or None)."""
    return {(s.operation_name, s.tags.get("i")): s for s in tracer.finished_spans()}


# --- asyncio -------------------------------------------------------------------------

CANCEL_WAIT = 10  # seconds: bound on waiting for a task to start and to end, so nothing hangs


async def exhaust(iterable: AsyncIterable) -> None:
    """Iterate an async iterable to its end, dropping the items."""
    async for _ in iterable:
        pass


async def one_item_then_hang(started: asyncio.Event):
    """An async generator function: yields 1, then sets ``started`` and awaits (for an hour)
    inside its own code, so only cancellation ends it."""
    yield 1
    started.set()
    await asyncio.sleep(3600)
    yield 2


async def cancel_once_started(awaitable: Awaitable, started: asyncio.Event) -> asyncio.Future:
    """Run ``awaitable`` as a task, cancel it once ``started`` is set, and check that the
    CancelledError reaches whoever awaits the task; returns the (cancelled) task."""
    task = asyncio.ensure_future(awaitable)
    await asyncio.wait_for(started.wait(), timeout=CANCEL_WAIT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=CANCEL_WAIT)
    return task
