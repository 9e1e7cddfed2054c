"""Carrying the active span into work that runs elsewhere: threads, executors, greenlets
and callbacks. (asyncio tasks need nothing with a contextvars-based scope manager: they
inherit the active span when they are created.)"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional, TypeVar

import opentracing as _ot
from opentracing import Tracer

from ._core import close_scope
from ._report import report_tracer_error

__all__ = ["propagate"]

F = TypeVar("F", bound=Callable[..., Any])


def propagate(fn: F, *, tracer: Optional[Tracer] = None) -> F:
    """Return a callable that runs ``fn`` with the caller's active span active again.

    The span active *now* (when ``propagate`` is called) is captured; wherever the result
    runs, in another thread, an executor, a greenlet or a callback, the span is activated
    for the duration of the call (it is not finished there) and spans started by ``fn``
    become its children::

        executor.submit(propagate(load), key)
        threading.Thread(target=propagate(worker)).start()
        gevent.spawn(propagate(handler), request)

    ``async def`` functions give an ``async def`` result. When no span is active, ``fn``
    itself is returned.
    """
    tracer = tracer or _ot.tracer
    parent = tracer.active_span
    if parent is None:
        return fn
    manager = tracer.scope_manager

    if inspect.iscoroutinefunction(fn):

        async def run_async(*args: Any, **kwargs: Any) -> Any:
            scope = _activate(manager, parent)
            try:
                return await fn(*args, **kwargs)
            finally:
                _close(scope)

        return functools.wraps(fn)(run_async)  # type: ignore[return-value]

    def run(*args: Any, **kwargs: Any) -> Any:
        scope = _activate(manager, parent)
        try:
            return fn(*args, **kwargs)
        finally:
            _close(scope)

    return functools.wraps(fn)(run)  # type: ignore[return-value]


def _activate(manager: Any, span: Any) -> Any:
    try:
        return manager.activate(span, False)
    except Exception as exc:
        report_tracer_error("ScopeManager.activate", exc)
        return None


def _close(scope: Any) -> None:
    if scope is not None:
        close_scope(scope)
