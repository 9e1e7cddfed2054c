"""Run every check of the two harness mixins on a set of tracers and scope managers, and
print each check's outcome as JSON: ``{"subject": {"test_x": "pass" | "fail" | "error:T"}}``.

``python harness_outcomes.py ours`` uses ``opentracing.harness``; ``python
harness_outcomes.py DIR`` loads ``api_check.py`` and ``scope_check.py`` from ``DIR`` (2.4.0's
harness) as stand-alone modules. Either way the subjects are built from whichever
``opentracing`` is importable, so the same script measures 2.4.0's harness on our objects,
ours on ours, and 2.4.0's harness on 2.4.0's objects.

The subjects are the standard ones (no-op tracer and manager, MockTracer on every scope
manager, every manager in the environment it is made for) and variants broken in one
way each, so that a check that asserts less, or more, than 2.4.0's shows up as a
different outcome. Each check runs in a new thread and a new ``contextvars`` context, so
scopes one check leaves open cannot change the outcome of another.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib.util
import json
import os
import sys
import threading
from typing import Any, Callable, Dict, List, Tuple

import opentracing
from opentracing import Scope, ScopeManager, SpanContext
from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from opentracing.scope_managers.gevent import GeventScopeManager


def _load_harness(where: str) -> Tuple[type, type]:
    if where == "ours":
        from opentracing.harness.api_check import APICompatibilityCheckMixin
        from opentracing.harness.scope_check import ScopeCompatibilityCheckMixin

        return APICompatibilityCheckMixin, ScopeCompatibilityCheckMixin
    loaded = []
    for name in ("api_check", "scope_check"):
        spec = importlib.util.spec_from_file_location(
            "_reference_" + name, os.path.join(where, name + ".py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded.append(module)
    return loaded[0].APICompatibilityCheckMixin, loaded[1].ScopeCompatibilityCheckMixin


# -- how a check is run -------------------------------------------------------------------


def _in_loop(fn: Callable[[], None]) -> None:
    async def main() -> None:
        fn()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def _in_greenlet(fn: Callable[[], None]) -> None:
    import gevent

    gevent.spawn(fn).get()


def _in_thread(fn: Callable[[], None]) -> None:
    errors: List[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:  # handed back to the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _outcome(call: Callable[[], None]) -> str:
    result: List[str] = []

    def target() -> None:
        try:
            call()
        except AssertionError:
            result.append("fail")
        except BaseException as exc:  # pytest.raises' "DID NOT RAISE" is a BaseException
            name = type(exc).__name__
            result.append("fail" if name == "Failed" else "error:" + name)
        else:
            result.append("pass")

    thread = threading.Thread(target=contextvars.Context().run, args=(target,))
    thread.start()
    thread.join()
    return result[0]


# -- tracers broken in one way each -------------------------------------------------------


def _is_parent(_check: Any, parent: Any, span: Any) -> bool:
    if parent is None:
        return span.parent_id is None
    return span.parent_id == parent.context.span_id


class Orphaning(MockTracer):
    """Never makes the active span a parent."""

    def start_span(self, operation_name=None, child_of=None, references=None, tags=None,
                   start_time=None, ignore_active_span=False):
        return super().start_span(operation_name, child_of, references, tags, start_time, True)


class AlwaysAdopting(MockTracer):
    """Ignores ignore_active_span."""

    def start_span(self, operation_name=None, child_of=None, references=None, tags=None,
                   start_time=None, ignore_active_span=False):
        return super().start_span(operation_name, child_of, references, tags, start_time, False)


class NeverFinishingOnClose(MockTracer):
    def start_active_span(self, operation_name, child_of=None, references=None, tags=None,
                          start_time=None, ignore_active_span=False, finish_on_close=True):
        return super().start_active_span(operation_name, child_of, references, tags,
                                         start_time, ignore_active_span, False)


class _ForgetfulSpan(MockSpan):
    def set_baggage_item(self, key, value):
        return self


class _UnchainedSpan(MockSpan):
    def set_tag(self, key, value):
        super().set_tag(key, value)


class _SwallowingSpan(MockSpan):
    def __exit__(self, exc_type, exc_val, exc_tb):
        super().__exit__(exc_type, exc_val, exc_tb)
        return True


class _UnmanagedSpan(MockSpan):
    def __exit__(self, exc_type, exc_val, exc_tb):
        pass  # neither records the error nor finishes


def _span_class(cls: type) -> type:
    class Tracer(MockTracer):
        def start_span(self, *args, **kwargs):
            span = super().start_span(*args, **kwargs)
            span.__class__ = cls
            return span

    Tracer.__name__ = "With" + cls.__name__
    return Tracer


class ExtractingNone(MockTracer):
    def extract(self, format, carrier):
        super().extract(format, carrier) if carrier else None
        return None


class AnyFormat(MockTracer):
    def inject(self, span_context, format, carrier):
        if format in (opentracing.Format.TEXT_MAP, opentracing.Format.HTTP_HEADERS,
                      opentracing.Format.BINARY):
            super().inject(span_context, format, carrier)

    def extract(self, format, carrier):
        return SpanContext()


class StartingWithBaggage(MockTracer):
    def start_span(self, *args, **kwargs):
        return super().start_span(*args, **kwargs).set_baggage_item("leaked", "yes")


class ActivatingOnStart(MockTracer):
    def start_span(self, *args, **kwargs):
        span = super().start_span(*args, **kwargs)
        self.scope_manager.activate(span, False)
        return span


# -- scope managers broken in one way each ------------------------------------------------


class _ListScope(Scope):
    def __init__(self, manager: "ListManager", span: Any, finish_on_close: bool) -> None:
        super().__init__(manager, span)
        self.finish_on_close = finish_on_close

    def close(self) -> None:
        self.manager._close(self)


class ListManager(ScopeManager):
    """A plain, correct manager kept in a list; the subclasses break one thing each."""

    def __init__(self) -> None:
        self.stack: List[_ListScope] = []

    def activate(self, span, finish_on_close):
        scope = _ListScope(self, span, finish_on_close)
        self.stack.append(scope)
        return scope

    @property
    def active(self):
        return self.stack[-1] if self.stack else None

    def _close(self, scope: _ListScope) -> None:
        if self.active is not scope:
            return
        self.stack.pop()
        if scope.finish_on_close:
            scope.span.finish()


class ClosingAnyScope(ListManager):
    def _close(self, scope):
        if scope in self.stack:
            self.stack.remove(scope)
            if scope.finish_on_close:
                scope.span.finish()


class NotRestoring(ListManager):
    def _close(self, scope):
        if self.active is scope:
            del self.stack[:]
            if scope.finish_on_close:
                scope.span.finish()


class AlwaysFinishing(ListManager):
    def _close(self, scope):
        if self.active is scope:
            self.stack.pop()
            scope.span.finish()


class NeverFinishing(ListManager):
    def _close(self, scope):
        if self.active is scope:
            self.stack.pop()


class _Twin:
    """Equal to the active scope, but not the same object."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self.span = scope.span

    def __eq__(self, other: object) -> bool:
        return other is self._scope or (isinstance(other, _Twin) and other._scope is self._scope)

    def close(self) -> None:
        self._scope.close()


class ReturningTwins(ListManager):
    @property
    def active(self):
        return _Twin(self.stack[-1]) if self.stack else None

    def _close(self, scope):
        if self.stack and self.stack[-1] is scope:
            self.stack.pop()
            if scope.finish_on_close:
                scope.span.finish()


class StartingActive(ListManager):
    """Reports a scope as active before anything was activated."""

    def __init__(self) -> None:
        super().__init__()
        self.stack.append(_ListScope(self, opentracing.Tracer().start_span(), False))


# -- the subjects ------------------------------------------------------------------------


def _tracer_subjects() -> Dict[str, Tuple[Callable[[], Any], Dict[str, Any]]]:
    relaxed = {"check_baggage_values": lambda self: False, "check_scope_manager": lambda self: False}
    parent = {"is_parent": _is_parent}
    subjects: Dict[str, Tuple[Callable[[], Any], Dict[str, Any]]] = {
        "noop tracer": (opentracing.Tracer, {}),
        "noop tracer, checks off": (opentracing.Tracer, relaxed),
        "noop tracer, baggage check off": (
            opentracing.Tracer, {"check_baggage_values": lambda self: False}),
        "MockTracer, default hooks": (MockTracer, {}),
        "MockTracer, checks off": (MockTracer, relaxed),
        "MockTracer on the noop manager": (lambda: MockTracer(ScopeManager()), parent),
        "MockTracer on a list manager": (lambda: MockTracer(ListManager()), parent),
    }
    for name, manager in [
        ("ThreadLocal", ThreadLocalScopeManager),
        ("Asyncio", AsyncioScopeManager),
        ("ContextVars", ContextVarsScopeManager),
        ("Gevent", GeventScopeManager),
    ]:
        subjects["MockTracer on %s" % name] = (lambda m=manager: MockTracer(m()), parent)
    broken = [Orphaning, AlwaysAdopting, NeverFinishingOnClose, ExtractingNone, AnyFormat,
              StartingWithBaggage, ActivatingOnStart]
    broken += [_span_class(c) for c in (_ForgetfulSpan, _UnchainedSpan, _SwallowingSpan,
                                        _UnmanagedSpan)]
    for cls in broken:
        subjects["broken: " + cls.__name__] = (cls, parent)
        subjects["broken: %s, checks off" % cls.__name__] = (cls, relaxed)
    return subjects


def _manager_subjects() -> Dict[str, Tuple[Callable[[], Any], Any]]:
    subjects: Dict[str, Tuple[Callable[[], Any], Any]] = {
        "noop manager": (ScopeManager, None),
        "ThreadLocal": (ThreadLocalScopeManager, None),
        "ThreadLocal in a thread": (ThreadLocalScopeManager, _in_thread),
        "Asyncio in a task": (AsyncioScopeManager, _in_loop),
        "Asyncio outside a loop": (AsyncioScopeManager, None),
        "ContextVars in a task": (ContextVarsScopeManager, _in_loop),
        "Gevent in a greenlet": (GeventScopeManager, _in_greenlet),
        "list manager": (ListManager, None),
    }
    for cls in (ClosingAnyScope, NotRestoring, AlwaysFinishing, NeverFinishing, ReturningTwins,
                StartingActive):
        subjects["broken: " + cls.__name__] = (cls, None)
    return subjects


def main(where: str) -> None:
    api_mixin, scope_mixin = _load_harness(where)
    results: Dict[str, Dict[str, str]] = {}
    for name, (factory, hooks) in _tracer_subjects().items():
        attrs = dict(hooks, tracer=lambda self, f=factory: f())
        check = type("Check", (api_mixin,), attrs)()
        results["tracer: " + name] = {
            test: _outcome(getattr(check, test)) for test in sorted(dir(check))
            if test.startswith("test_")
        }
    for name, (factory, runner) in _manager_subjects().items():
        attrs: Dict[str, Any] = {"scope_manager": lambda self, f=factory: f()}
        if runner is not None:
            attrs["run_test"] = lambda self, fn, r=runner: r(fn)
        check = type("Check", (scope_mixin,), attrs)()
        results["manager: " + name] = {
            test: _outcome(getattr(check, test)) for test in sorted(dir(check))
            if test.startswith("test_")
        }
    json.dump({"opentracing": opentracing.__file__, "results": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
