"""Test doubles shared by the ``traced`` tests: a MockTracer counting every finish() and
scope close(), and a minimal ScopeManager that is *not* one of this package's stack
managers (so ``traced`` must drive it through the public activate/close API only)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Optional

from opentracing import Scope, ScopeManager, Span
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager


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
    """ThreadLocalScopeManager whose scopes count their close() calls."""

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

        scope.close = counting_close  # type: ignore[method-assign]
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
        return span

    def _finish_span(self, span, finish_time):  # type: ignore[override]
        with self._lock:
            self.finishes[id(span)] += 1
        super()._finish_span(span, finish_time)

    def assert_each_span_finished_once(self) -> None:
        assert self.started, "no span was started"
        for span in self.started:
            assert self.finishes[id(span)] == 1, (span, self.finishes[id(span)])
